"""Build submissions for tests from the real samples in data/submissions/, and fingerprint what is
published so a test can show that a refused submission changed nothing."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

from publisher.config import Settings
from publisher.paths import DATA_DIR

SAMPLES = DATA_DIR / "submissions"
UNPUBLISHED = {"audit", "staging", "build.lock"}  # the audit log records refusals too


def copy_sample(name: str, target: Path) -> Path:
    shutil.copytree(SAMPLES / name, target)
    return target


def read_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: list[dict], columns: list[str] | None = None) -> None:
    columns = columns or list(rows[0])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def edit_rows(path: Path, change) -> None:
    """Apply ``change(rows) -> rows`` to a CSV file (rows as dicts, the header kept)."""
    rows = read_rows(path)
    columns = list(rows[0])
    changed = change(rows)
    extra = [c for r in changed for c in r if c not in columns]
    write_rows(path, changed, columns + list(dict.fromkeys(extra)))


def published_fingerprint(settings: Settings) -> dict[str, str]:
    """sha256 of every file of the published state: store, snapshots, releases, registry, submissions."""
    found = {}
    for path in sorted(settings.var_dir.rglob("*")):
        relative = path.relative_to(settings.var_dir)
        if path.is_file() and relative.parts[0] not in UNPUBLISHED:
            found[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


LARGE_NOTE = "Analyst's working note, source only. " * 20  # ~720 characters per row, dropped on reading


def large_submission(target: Path, size_bytes: int = 200 * 1024 * 1024) -> tuple[Path, int]:
    """Hackney's sample with an observation table past ``size_bytes``: valid rows for every English
    ward, indicator and year from 1995, each with a long source-only note, then one bad value in the
    last row (so that a check must read it all). Returns the folder and the number of valid rows."""
    from publisher.inputs.geography import Geography

    folder = copy_sample("hackney-wards-2019", target)
    indicators = [r["indicator_id"] for r in read_rows(folder / "indicators.csv")]
    wards = sorted(Geography.load(DATA_DIR).wards["ward"])
    rows = 0
    with (folder / "observations.csv").open("w", encoding="utf-8") as handle:
        handle.write("area_code,period,indicator_id,value,notes\n")
        for year in range(1995, 2020):
            for ward in wards:
                for indicator in indicators:
                    handle.write(f'{ward},{year},{indicator},12,"{LARGE_NOTE}"\n')
                    rows += 1
            if handle.tell() > size_bytes:
                break
        handle.write(f'{wards[0]},2020,{indicators[0]},oops,"{LARGE_NOTE}"\n')
    return folder, rows
