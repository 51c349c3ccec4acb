"""A submission sent as one .zip: unpacked only if every member is a plain file name, there are few
of them, and what they unpack to is small (a zip bomb stops at the limit, whatever its headers say)."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from .manifest import MANIFEST, SAFE_NAME
from .problems import ProblemLog

MAX_MEMBERS = 50
MAX_RATIO = 200  # uncompressed / compressed size of one member
BLOCK = 1 << 16


def unpack(archive: Path, target: Path, max_bytes: int, log: ProblemLog) -> bool:
    name = archive.name
    try:
        bundle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        log.add(name, None, None, "archive", f"not a readable zip archive ({error})")
        return False
    with bundle:
        members = bundle.infolist()
        if len(members) > MAX_MEMBERS:
            log.add(name, None, None, "archive", f"{len(members)} members; at most {MAX_MEMBERS}")
            return False
        names = [member.filename for member in members]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:  # unpacking would silently keep the last of them
            log.add(name, None, None, "archive", f"members share a name: {', '.join(repeated)}")
            return False
        for member in members:
            if member.is_dir():
                log.add(
                    name, None, None, "archive", "folders are not accepted; put the files at the top level"
                )
                return False
            if member.filename != MANIFEST and not SAFE_NAME.fullmatch(member.filename):
                log.add(
                    name,
                    None,
                    None,
                    "unsafe-path",
                    "a member is not a plain .csv file name or submission.toml (no folders, no '..')",
                )
                return False
            if member.compress_size and member.file_size / member.compress_size > MAX_RATIO:
                log.add(
                    name,
                    None,
                    None,
                    "archive",
                    f"a member expands {member.file_size / member.compress_size:,.0f} times: "
                    "refused as a zip bomb",
                )
                return False
        written = 0
        target.mkdir(parents=True, exist_ok=True)
        for member in members:
            try:
                written = _extract(bundle, member, target, written, max_bytes)
            except (zipfile.BadZipFile, zlib.error, EOFError) as error:
                log.add(name, None, None, "archive", f"{member.filename} is damaged in the zip ({error})")
                return False
            if written > max_bytes:
                too_big = f"unpacks to more than {max_bytes:,} bytes: refused as a zip bomb"
                log.add(name, None, None, "archive", too_big)
                return False
    return True


def _extract(bundle: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, written: int, limit: int) -> int:
    """Unpack one member, stopping past ``limit`` bytes in all; the bytes written so far in all."""
    with bundle.open(member) as source, (target / member.filename).open("wb") as out:
        while block := source.read(BLOCK):
            written += len(block)
            if written > limit:
                return written
            out.write(block)
    return written
