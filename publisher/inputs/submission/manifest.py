"""submission.toml: what a submission is (series, edition, title, licence) and which files hold it.
File names are checked before any file is opened: plain names inside the submission, nothing else."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ...rdf.uris import check_segment
from .cells import URI, unprintable
from .privacy import neutralise, personal_value
from .problems import ProblemLog
from .standard import FORMAT_VERSION

MANIFEST = "submission.toml"
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.csv$")
TEXT_LIMITS = {"title": 200, "description": 4000, "missing_values": 2000}
REQUIRED = ("format", "series", "edition", "title", "description", "licence", "indicators", "observations")


@dataclass(frozen=True)
class Manifest:
    series: str
    edition: str
    title: str
    description: str
    licence: str
    indicators: Path
    observations: tuple[Path, ...]
    missing_values: str = ""

    @property
    def files(self) -> list[Path]:
        return [self.indicators, *self.observations]


def read_manifest(directory: Path, log: ProblemLog) -> Manifest | None:
    path = directory / MANIFEST
    if path.is_symlink():  # it could point anywhere the publisher's account can read
        log.add(MANIFEST, None, None, "unsafe-path", f"{MANIFEST} is a link; send the file itself")
        return None
    if not path.is_file():
        log.add(MANIFEST, None, None, "manifest", f"no {MANIFEST} in the submission (see /def/input-format/)")
        return None
    try:
        content = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        log.add(MANIFEST, None, None, "manifest", f"not valid UTF-8 TOML: {error}")
        return None
    for key in sorted(set(content) - set(REQUIRED) - {"missing_values"}):
        if personal_value(key) is not None or unprintable(key) is not None:  # named, never echoed
            log.add(MANIFEST, None, None, "personal-data", "a key of the manifest looks like personal data")
        else:
            log.add(MANIFEST, None, key, "manifest", "not a key of the submission manifest")
    for key in REQUIRED:
        if key not in content:
            log.add(MANIFEST, None, key, "manifest", "required key missing")
    if len(log):
        return None
    if content["format"] != FORMAT_VERSION:
        log.add(MANIFEST, None, "format", "manifest", f"expected {FORMAT_VERSION!r}")
    for key in ("series", "edition"):
        try:
            check_segment(str(content[key]), key)
        except ValueError as error:
            log.add(MANIFEST, None, key, "manifest", str(error))
    texts = {}
    for key, limit in TEXT_LIMITS.items():
        value = content.get(key, "")
        if not isinstance(value, str):  # a table or array would be published as its Python repr
            log.add(MANIFEST, None, key, "manifest", f"expected text, not a TOML {_toml_type(value)}")
            continue
        text = value.strip()
        if len(text) > limit:
            log.add(MANIFEST, None, key, "too-long", f"{len(text):,} characters; at most {limit:,}")
        elif (character := unprintable(text)) is not None:
            log.add(MANIFEST, None, key, "control-character", f"holds {character}, not printable")
        elif (kind := personal_value(text)) is not None:
            log.add(MANIFEST, None, key, "personal-data", f"the text looks like it holds {kind}")
        texts[key] = neutralise(text)
    if not URI.fullmatch(str(content["licence"])):
        log.add(MANIFEST, None, "licence", "manifest", "the licence must be an http(s) URI")
    observations = content["observations"]
    names = [observations] if isinstance(observations, str) else observations
    if not isinstance(names, list) or not names:
        log.add(MANIFEST, None, "observations", "manifest", "expected a file name or a list of file names")
        return None
    indicators = _file(directory, content["indicators"], "indicators", log)
    tables = [_file(directory, name, "observations", log) for name in names]
    if len(log):
        return None
    return Manifest(
        str(content["series"]),
        str(content["edition"]),
        texts["title"],
        texts["description"],
        str(content["licence"]),
        indicators,
        tuple(tables),
        texts["missing_values"],
    )


def _file(directory: Path, name, key: str, log: ProblemLog) -> Path | None:
    """A submitted file by its plain name: no folders, no '..', no links, inside the submission."""
    if not isinstance(name, str) or not SAFE_NAME.fullmatch(name):
        log.add(
            MANIFEST,
            None,
            key,
            "unsafe-path",
            "file names are plain names ending .csv (letters, digits, . _ -), no folders",
        )
        return None
    path = directory / name
    if path.is_symlink() or not path.resolve().is_relative_to(directory.resolve()):
        log.add(MANIFEST, None, key, "unsafe-path", f"{name} is a link or lies outside the submission")
        return None
    if not path.is_file():
        log.add(MANIFEST, None, key, "file-not-found", f"{name} is not in the submission")
        return None
    return path


def _toml_type(value) -> str:
    kinds = {dict: "table", list: "array", bool: "boolean", int: "integer", float: "float"}
    return next((name for kind, name in kinds.items() if isinstance(value, kind)), "date or time")
