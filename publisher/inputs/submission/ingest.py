"""`localindex ingest DIR --publisher ID`: check a submission, strip and suppress it, and publish it as
the publisher's own dataset through the same gate as every release. Nothing is written outside a
temporary folder until the release is live; a refused submission changes nothing that is published."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from ...build import build_all
from ...paths import DATA_DIR
from ..datasets import DatasetSpec, save_spec
from ..geography import Geography
from ..publishers import Publisher, UnknownPublisher, registered_publisher
from . import audit
from .archive import unpack
from .catalogue import Indicator, read_catalogue
from .manifest import MANIFEST, Manifest, read_manifest
from .observations import AreaCodes, read_observations
from .problems import ProblemLog, SubmissionError
from .standard import FORMAT_VERSION, table_format
from .suppression import suppress

VINTAGE = {"lsoa": "LSOA11", "ward": "WD19", "lad": "LAD19"}
AREA_PATTERN = {"lsoa": "^E01[0-9]{6}$", "ward": "^E05[0-9]{6}$", "lad": "^E0[6-9][0-9]{6}$"}
PARENT = {"lsoa": "ward", "ward": "lad", "lad": "region"}
DEFAULT_MISSING = (
    "Values withheld by the publisher or by disclosure control are marked suppressed; values the publisher "
    "did not have are marked missing."
)
INPUT_FILES = ("indicators.csv", "observations.csv", "submission.json")


@dataclass
class IngestResult:
    status: str  # published | unchanged | refused
    dataset: str = ""
    message: str = ""
    counts: dict = field(default_factory=dict)


def ingest(
    source: Path,
    publisher_id: str,
    settings,
    *,
    delete_source: bool = False,
    today: date | None = None,
    progress: Callable[[str], None] = print,
) -> IngestResult:
    """Ingest the submission in folder or .zip ``source`` for ``publisher_id``; every outcome is audited."""
    event: dict = {"publisher": publisher_id, "source": source.name, "delete_source": delete_source}
    try:
        publisher = registered_publisher(settings, publisher_id)
    except (UnknownPublisher, ValueError):
        audit.record(
            settings.audit_log, event | {"status": "refused", "problem_codes": ["unknown-publisher"]}
        )
        raise
    settings.staging_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="submission-", dir=settings.staging_dir) as work:
        work = Path(work)
        try:
            result, files = _ingest(source, publisher, settings, work, event, today or date.today(), progress)
        except SubmissionError as error:
            event |= {
                "status": "refused",
                "problems": len(error.log),
                "problem_codes": sorted(error.log.codes()),
            }
            audit.record(settings.audit_log, event)
            return IngestResult("refused", message=str(error), counts={"problems": len(error.log)})
        except BaseException as error:  # a fault of localindex or the machine: audited all the same
            audit.record(settings.audit_log, event | {"status": "failed", "error": type(error).__name__})
            raise
    event |= {"status": result.status, "dataset": result.dataset, **result.counts}
    if delete_source and result.status in ("published", "unchanged"):
        deleted = _delete(source, files)
        event["deleted"] = deleted
        progress(f"deleted the source: {', '.join(deleted)}")
    audit.record(settings.audit_log, event)
    return result


@dataclass
class Checked:
    """A submission that passed every check: its manifest, indicators and suppressed observations."""

    manifest: Manifest
    indicators: dict[str, Indicator]
    frame: pd.DataFrame
    periods: dict[str, set[str]]
    files: list[Path]  # as submitted (to delete with --delete-source)


def _ingest(source, publisher: Publisher, settings, work: Path, event: dict, today: date, progress):
    checked = _check(source, settings, work, event, today, progress)
    return _publish(checked, publisher, settings, work, event, progress), checked.files


def _check(source: Path, settings, work: Path, event: dict, today: date, progress) -> Checked:
    """Every check of the input format, then disclosure control; raises SubmissionError listing problems."""
    log = ProblemLog()
    directory = source
    if source.is_file() and source.suffix == ".zip":
        directory = work / "unpacked"
        if not unpack(source, directory, settings.submission_max_archive_bytes, log):
            log.raise_if_any()
    elif not source.is_dir():
        log.add(source.name, None, None, "file-not-found", "expected a submission folder or a .zip of one")
        log.raise_if_any()
    manifest = read_manifest(directory, log)
    log.raise_if_any()
    files = [directory / MANIFEST, *manifest.files]
    event["files"] = {p.name: _sha256(p) for p in files}
    limit = settings.submission_max_file_bytes
    for path in manifest.files:
        if path.stat().st_size > limit:
            log.add(
                path.name, None, None, "file-too-large", f"{path.stat().st_size:,} bytes; at most {limit:,}"
            )
    log.raise_if_any()
    progress(f"checking {manifest.indicators.name}")
    indicators = read_catalogue(
        manifest.indicators, manifest.indicators.name, log, settings.submission_max_field_chars
    )
    log.raise_if_any()
    progress(f"checking {', '.join(p.name for p in manifest.observations)} (row by row)")
    clean = work / "clean.csv"
    counts = read_observations(
        [(p, p.name) for p in manifest.observations],
        indicators,
        AreaCodes.load(DATA_DIR),
        log,
        clean,
        settings.submission_max_field_chars,
        today,
    )
    log.raise_if_any()
    frame = pd.read_csv(
        clean,
        dtype={"area": str, "period": str, "indicator": str, "status": str},
        keep_default_na=False,
        na_values={c: [""] for c in ("value", "numerator", "denominator")},
    )
    level = next(iter(indicators.values())).level
    people = {i.id for i in indicators.values() if i.counts_people}
    frame, suppressed = suppress(frame, people, settings.suppression_threshold, _parents(level))
    event |= {
        "rows": counts.rows,
        "rows_accepted": counts.accepted,
        "rows_rejected": counts.rows - counts.accepted,
        "cells_suppressed": suppressed,
    }
    progress(f"{counts.accepted:,} rows accepted; suppressed cells: {suppressed}")
    return Checked(manifest, indicators, frame, counts.periods, files)


def _publish(
    checked: Checked, publisher: Publisher, settings, work: Path, event: dict, progress
) -> IngestResult:
    """Write the clean inputs, build the release through the gate, and keep the inputs once it is live."""
    manifest = checked.manifest
    series = f"{publisher.id}-{manifest.series}"
    folder = Path(publisher.id) / series / manifest.edition
    inputs = work / "inputs"
    target = inputs / folder
    target.mkdir(parents=True)
    public = [c.name for c in table_format("indicators").columns if not c.source_only]
    catalogue = pd.DataFrame(
        [{**vars(i), "indicator_id": i.id, "geography_level": i.level} for i in checked.indicators.values()]
    )
    catalogue.reindex(columns=public).fillna("").to_csv(target / "indicators.csv", index=False)
    checked.frame.to_csv(target / "observations.csv", index=False)
    about = {
        "format": FORMAT_VERSION,
        "publisher": publisher.record(),
        "threshold": settings.suppression_threshold,
        "suppressed": event["cells_suppressed"],
    }
    (target / "submission.json").write_text(json.dumps(about, indent=2, sort_keys=True) + "\n")
    _provenance(inputs, folder, publisher, manifest)
    spec = _spec(checked, publisher, series, folder, inputs)
    outcome = build_all(settings, [spec], progress=progress)[0]
    if outcome.status == "failed":
        log = ProblemLog()
        report = outcome.report.render() if outcome.report else outcome.error
        log.add(spec.name, None, None, "gate", f"the release failed validation:\n{report}")
        log.raise_if_any()
    final = settings.submissions_dir / folder
    if outcome.status == "published" or not final.exists():
        shutil.rmtree(final, ignore_errors=True)
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(target, final)
        save_spec(spec, final)
    return IngestResult(outcome.status, spec.name, counts={"observations": outcome.observations})


def _spec(checked: Checked, publisher: Publisher, series: str, folder: Path, root: Path) -> DatasetSpec:
    """The dataset a submission publishes: one level, the measures its indicators need, latest period."""
    manifest, indicators, frame, periods = (
        checked.manifest,
        checked.indicators,
        checked.frame,
        checked.periods,
    )
    level = next(iter(indicators.values())).level
    measures = sorted(
        {i.measure for i in indicators.values()}
        | ({"indicator-value"} if any(i.spi_component for i in indicators.values()) else set())
    )
    for cell in ("numerator", "denominator"):
        if frame[cell].notna().any() or frame[f"{cell}_status"].eq("suppressed").any():
            measures.append(cell)
    latest = max(p for found in periods.values() for p in found)
    return DatasetSpec(
        series=series,
        series_title=f"{publisher.name}: {manifest.title}, all editions",
        edition=manifest.edition,
        builder="submission",
        period=latest,
        title=f"{publisher.name}: {manifest.title}",
        description=manifest.description,
        missing_values=manifest.missing_values or DEFAULT_MISSING,
        source_issued="",
        geography_level=level,
        geography_vintage=VINTAGE[level],
        area_code_pattern=AREA_PATTERN[level],
        ranking_universe=max(1, frame["area"].nunique()),
        rank_direction="not ranked",
        publishes_area_facts=False,
        components=[],
        measures=measures,
        inputs={name.split(".")[0]: (folder / name).as_posix() for name in INPUT_FILES},
        publisher=publisher.id,
        licence=manifest.licence,
        root=root,
    )


def _provenance(root: Path, folder: Path, publisher: Publisher, manifest: Manifest) -> None:
    """What the source entities of the release are: the submitted files, as cleaned."""
    records = [
        {
            "path": (folder / name).as_posix(),
            "title": f"{manifest.title}: {what}, as submitted by {publisher.name} (checked and suppressed)",
            "publisher": publisher.name,
            "url": "",
            "licence": manifest.licence,
        }
        for name, what in (
            ("indicators.csv", "indicator catalogue"),
            ("observations.csv", "observations"),
            ("submission.json", "submission record"),
        )
    ]
    (root / "provenance.json").write_text(json.dumps(records, indent=2) + "\n")


def _parents(level: str) -> pd.Series:
    geography = Geography.load(DATA_DIR)
    if level == "ward":
        links = geography.wards
    else:
        links = geography.lsoas[[level, PARENT[level]]].drop_duplicates(level)
    return pd.Series(links[PARENT[level]].to_numpy(), index=links[level].to_numpy())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _delete(source: Path, files: list[Path]) -> list[str]:
    """Remove what was submitted: the .zip, or the manifest and the files it names. A .zip given as a
    link loses only the link, and the message says so (only the link was the publisher's to give)."""
    if source.is_symlink():
        source.unlink()
        return [f"{source.name} (a link: the file it points to was kept)"]
    if source.is_file():
        source.unlink()
        return [source.name]
    for path in files:
        path.unlink(missing_ok=True)
    return [p.name for p in files]
