"""A release's tables in the formats people open: an Excel workbook with a notes sheet, and Parquet.

Both are made from the CSVs as written and the CSVW metadata's description of their columns, so each
holds the same rows and the same columns, in the same order and under the same headers, as the CSV
it comes from; cells are typed by their column's CSVW datatype (numbers as numbers, codes as text,
an empty cell as no value). The CSVW metadata stays the one statement of what the columns mean: the
workbook's notes sheet quotes it.
"""

from __future__ import annotations

import fcntl
import hashlib
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .inputs.datasets import DatasetSpec
from .rdf.csvw import CsvwTable
from .rdf.cube import CubeShape
from .rdf.metadata import Revision, SourceFile
from .rdf.uris import OGL_V3
from .workbook import Contents, write_workbook

DATATYPES = {"integer": pl.Int64, "decimal": pl.Float64}  # any other CSVW datatype is text
LICENCES = {OGL_V3: "Open Government Licence v3.0"}
CSVW_SPEC = "http://www.w3.org/TR/tabular-metadata/"
QB_SPEC = "http://www.w3.org/TR/vocab-data-cube/"


@dataclass(frozen=True)
class FileKind:
    """What a release's file is, by the ending of its name: for DCAT, the server and the pages."""

    media_type: str
    title: str  # '{name}' stands for the file's name
    standard: str  # what its content follows (dct:conformsTo); '' for a file that is no distribution


KINDS = {
    ".csv-metadata.json": FileKind("application/csvm+json", "CSVW metadata", CSVW_SPEC),
    ".csv": FileKind("text/csv", "CSV: {name}", CSVW_SPEC),
    ".parquet": FileKind(
        "application/vnd.apache.parquet", "Parquet: {name}", "https://parquet.apache.org/docs/file-format/"
    ),
    ".xlsx": FileKind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Excel workbook: observations, statuses and notes",
        "https://www.iso.org/standard/71691.html",  # ISO/IEC 29500-1, Office Open XML
    ),
    ".nt.gz": FileKind("application/n-triples", "RDF Data Cube, N-Triples (gzip)", QB_SPEC),
    "-metadata.ttl": FileKind("text/turtle", "Dataset metadata and structure, Turtle", QB_SPEC),
    ".txt": FileKind("text/plain", "Validation report", ""),
}
UNKNOWN = FileKind("application/octet-stream", "{name}", "")


def kind_of(filename: str) -> FileKind:
    """The kind of a release's file (the longest ending of KINDS that its name has)."""
    endings = sorted((e for e in KINDS if filename.endswith(e)), key=len, reverse=True)
    return KINDS[endings[0]] if endings else UNKNOWN


def typed(table: CsvwTable) -> pl.DataFrame:
    """The table's cells typed by their columns' CSVW datatypes, under the CSV's headers."""
    frame = pl.from_pandas(table.frame.astype(str))
    columns = []
    for column in table.physical_columns:
        datatype = column.get("datatype", "string")
        base = datatype.get("base", "string") if isinstance(datatype, dict) else datatype
        cell = pl.col(column["name"]).replace("", None)
        columns.append(cell.cast(DATATYPES.get(base, pl.String)).alias(column["titles"]))
    return frame.select(columns)


@dataclass(frozen=True)
class TypedTable:
    """A CSV written again as Parquet: its cells typed, under the CSV's headers."""

    parquet: Path
    columns: list[dict]  # the CSVW metadata's description of the CSV's columns, in order
    cells: int


def write_parquet(tables: list[CsvwTable]) -> list[TypedTable]:
    """Each CSV again as Parquet, beside it (``x.csv`` → ``x.parquet``)."""
    written = []
    for table in tables:
        path = table.path.with_suffix(".parquet")
        frame = typed(table)
        frame.write_parquet(path, compression="zstd")
        written.append(TypedTable(path, table.physical_columns, frame.height * frame.width))
    return written


@dataclass(frozen=True)
class Notes:
    """What the workbook's notes sheet says of the release beside its columns."""

    spec: DatasetSpec
    shape: CubeShape
    publisher: str
    sources: list[SourceFile]
    method: str  # URI
    revision: Revision
    derived_from: str | None = None  # dataset URI

    def rows(self) -> list[tuple[str, str]]:
        spec, revision = self.spec, self.revision
        replaces = f"; it replaces {revision.replaces}" if revision.replaces else ""
        producers = sorted({s.publisher for s in self.sources if s.publisher})
        rows = [
            ("Title", spec.title),
            ("Dataset (cite this URI)", self.shape.dataset),
            ("Revision", f"{revision.number}, issued {revision.issued}{replaces}"),
            *(
                [("Why revised", " ".join(revision.note.split()))]
                if revision.replaces and revision.note
                else []
            ),
            ("Description", " ".join(spec.description.split())),
            ("Missing values", " ".join(spec.missing_values.split())),
            ("Producers of the source data", "; ".join(producers)),
            ("Published by", self.publisher),
            ("Licence", f"{LICENCES.get(spec.licence_uri, spec.licence_uri)} ({spec.licence_uri})"),
            ("Method", self.method),
            *([("Derived from", self.derived_from)] if self.derived_from else []),
            ("Areas", f"{spec.geography_level} areas, codes of {spec.geography_vintage}"),
            ("Ranks", f"{spec.rank_direction}, among {spec.ranking_universe:,} areas"),
        ]
        rows += [("Source", f"{s.title}, {s.publisher}: {s.url or s.path}") for s in self.sources]
        return rows

    def contents(self, tables: list[TypedTable]) -> Contents:
        """What the workbook holds: these notes, the tables' Parquet files and their columns."""
        return Contents(
            self.rows(),
            [(str(t.parquet), t.columns) for t in tables],
            self.shape.component_label,
            [(c.notation, c.label) for c in self.shape.concepts],
        )


class WorkbookWriter:
    """Writes a small table's workbook beside the build (in a thread, while the build writes its RDF).
    A large table's is not written by the build: xlsxwriter takes about 5 µs a cell and holds the GIL,
    and a national build's 16 million cells would cost it over a minute (bench/RESULTS.md). The build
    leaves the workbook's contents beside the release's files instead, and the workbook is made from
    them and the release's Parquet when it is first asked for (``requested_workbook``)."""

    LARGE = 250_000  # cells

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1)

    def submit(self, path: Path, tables: list[TypedTable], notes: Notes) -> Future[Path | None]:
        """The workbook written at ``path``, or None when it is left to be made on request."""
        contents = notes.contents(tables)
        if sum(t.cells for t in tables) < self.LARGE:
            return self._thread.submit(write_workbook, path, contents)
        recipe_of(path).write_text(contents.portable().to_json(), encoding="utf-8")
        deferred: Future[Path | None] = Future()
        deferred.set_result(None)
        return deferred

    def __enter__(self) -> WorkbookWriter:
        return self

    def __exit__(self, *_) -> None:
        self._thread.shutdown()


def recipe_of(workbook: Path) -> Path:
    """Where a release keeps the contents of a workbook made on request (hidden: not a download)."""
    return workbook.with_name(f".{workbook.name}.json")


def requested_names(directory: Path) -> list[str]:
    """The workbooks of the release in ``directory`` that are made on request."""
    return sorted(p.name[1 : -len(".json")] for p in directory.glob(".*.xlsx.json"))


def requested_workbook(directory: Path, name: str, cache: Path) -> Path | None:
    """The workbook ``name`` of the release in ``directory`` that is made on request: made once (by a
    process of its own, under a lock, so that two requests make it once) into ``cache``; None when the
    release has no such workbook."""
    recipe = recipe_of(directory / name)
    if not recipe.is_file():
        return None
    folder = cache / hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            partial = folder / f".partial-{name}"
            contents = Contents.from_json(recipe.read_text(encoding="utf-8")).located(directory)
            done = subprocess.run(
                [sys.executable, "-m", "publisher.workbook", str(partial)],
                input=contents.to_json(),
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"making {name} failed: {done.stderr.strip()[-2000:]}")
            partial.rename(target)
    return target
