"""A release's tables in the formats people open: an Excel workbook with a notes sheet, and Parquet.

Both are made from the CSVs as written and the CSVW metadata's description of their columns, so each
holds the same rows and the same columns, in the same order and under the same headers, as the CSV
it comes from; cells are typed by their column's CSVW datatype (numbers as numbers, codes as text,
an empty cell as no value). The CSVW metadata stays the one statement of what the columns mean: the
workbook's notes sheet quotes it.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import xlsxwriter

from .inputs.datasets import DatasetSpec
from .rdf.csvw import CsvwTable
from .rdf.cube import CubeShape
from .rdf.metadata import Revision, SourceFile
from .rdf.uris import OGL_V3

EXCEL_MAX_ROWS = 1_048_576  # rows of one worksheet, its header included (Excel's limit)
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


def write_workbook(
    path: Path, tables: list[TypedTable], notes: Notes, rows_per_sheet: int = EXCEL_MAX_ROWS - 1
) -> Path:
    """An Excel workbook: the notes, then the observations (split over as many sheets of
    ``rows_per_sheet`` rows as they need, each with the header), then the statuses; cells typed as
    in Parquet."""
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})  # rows go to disk as written
    bold = workbook.add_format({"bold": True})
    wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet = workbook.add_worksheet("notes")
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 100)
    sheet.set_column(2, 2, 100)
    frames = [pl.read_parquet(t.parquet) for t in tables]
    sheets = [
        _sheet_names(-(-f.height // rows_per_sheet), "data" if i == 0 else "status")
        for i, f in enumerate(frames)
    ]
    rows = notes.rows()
    rows.append(("Sheets", _sheets_note(sheets, rows_per_sheet)))
    for row, (label, text) in enumerate(rows):
        sheet.write_string(row, 0, label, bold)
        sheet.write_string(row, 1, text, wrapped)
    row = len(rows) + 1
    for table, names in zip(tables, sheets, strict=True):
        sheet.write_row(
            row, 0, [f"Columns of {', '.join(names)}", "Meaning", "Name in the CSVW metadata"], bold
        )
        for column in table.columns:
            row += 1
            sheet.write_row(
                row, 0, [column["titles"], column.get("dc:description", ""), column["name"]], wrapped
            )
        row += 2
    sheet.write_row(row, 0, [notes.shape.component_label, "Label"], bold)
    for concept in notes.shape.concepts:
        row += 1
        sheet.write_row(row, 0, [concept.notation, concept.label])
    for frame, names in zip(frames, sheets, strict=True):
        for number, name in enumerate(names):
            _data_sheet(workbook.add_worksheet(name), frame.slice(number * rows_per_sheet, rows_per_sheet))
    workbook.close()
    return path


def _sheet_names(count: int, name: str) -> list[str]:
    """'data', then 'data (2)', 'data (3)', ...: ``count`` sheets, at least one."""
    return [name if n == 1 else f"{name} ({n})" for n in range(1, max(count, 1) + 1)]


def _sheets_note(sheets: list[list[str]], rows_per_sheet: int) -> str:
    observations, *statuses = sheets
    note = f"The observations are on {', '.join(observations)}"
    if len(observations) > 1:
        note += (
            f" in that order, {rows_per_sheet:,} rows a sheet (an Excel sheet holds at most "
            f"{EXCEL_MAX_ROWS:,} rows), each with the header"
        )
    if statuses:
        note += "; status lists the values that are missing, suppressed, imputed or provisional"
    return note + ". The CSV and Parquet files hold the same rows and columns."


def _data_sheet(sheet, frame: pl.DataFrame) -> None:
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, frame.columns)
    writers = [sheet.write_number if t.is_numeric() else sheet.write_string for t in frame.dtypes]
    for row, cells in enumerate(frame.iter_rows(), start=1):
        for column, (write, cell) in enumerate(zip(writers, cells, strict=True)):
            if cell is not None:
                write(row, column, cell)


class WorkbookWriter:
    """Writes workbooks beside the build. xlsxwriter takes about 5 µs a cell and holds the GIL, so a
    large table's workbook is written in a child process, on the other core, while the build writes
    its RDF; a small one in a thread, where starting a process would cost more than it saves."""

    LARGE = 250_000  # cells

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1)
        self._process: Executor | None = None

    def submit(self, path: Path, tables: list[TypedTable], notes: Notes) -> Future:
        if sum(t.cells for t in tables) < self.LARGE:
            return self._thread.submit(write_workbook, path, tables, notes)
        if self._process is None:  # started once, at the build's first large table
            self._process = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return self._process.submit(write_workbook, path, tables, notes)

    def __enter__(self) -> WorkbookWriter:
        return self

    def __exit__(self, *_) -> None:
        self._thread.shutdown()
        if self._process is not None:
            self._process.shutdown()
