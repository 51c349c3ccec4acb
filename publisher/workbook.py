"""A release's Excel workbook: a notes sheet, then its tables' rows, read from their Parquet files.

Lean on purpose (polars and xlsxwriter only): xlsxwriter takes about 5 µs a cell and holds the GIL,
so a large table's workbook is made when it is first asked for, by this module as a process of its
own (``python -m publisher.workbook OUT.xlsx`` with the contents as JSON on standard input; see
publisher/downloads.py), not by the build.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import polars as pl
import xlsxwriter

EXCEL_MAX_ROWS = 1_048_576  # rows of one worksheet, its header included (Excel's limit)


@dataclass(frozen=True)
class Contents:
    """What a workbook holds, as plain data (it crosses to another process as JSON)."""

    notes: list[tuple[str, str]]  # label, text
    tables: list[tuple[str, list[dict]]]  # a Parquet file, and its columns as the CSVW metadata says
    component_label: str
    concepts: list[tuple[str, str]]  # notation, label

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    def portable(self) -> Contents:
        """The same contents, naming each Parquet file without its folder (it moves with its release)."""
        return replace(self, tables=[(Path(p).name, columns) for p, columns in self.tables])

    def located(self, folder: Path) -> Contents:
        """Portable contents whose Parquet files are in ``folder``."""
        return replace(self, tables=[(str(folder / Path(p).name), columns) for p, columns in self.tables])

    @classmethod
    def from_json(cls, text: str) -> Contents:
        return cls(**json.loads(text))


def write_workbook(path: Path, contents: Contents, rows_per_sheet: int = EXCEL_MAX_ROWS - 1) -> Path:
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
    frames = [pl.read_parquet(parquet) for parquet, _ in contents.tables]
    sheets = [
        _sheet_names(-(-f.height // rows_per_sheet), "data" if i == 0 else "status")
        for i, f in enumerate(frames)
    ]
    rows = list(contents.notes)
    rows.append(("Sheets", _sheets_note(sheets, rows_per_sheet)))
    for row, (label, text) in enumerate(rows):
        sheet.write_string(row, 0, label, bold)
        sheet.write_string(row, 1, text, wrapped)
    row = len(rows) + 1
    for (_, columns), names in zip(contents.tables, sheets, strict=True):
        sheet.write_row(
            row, 0, [f"Columns of {', '.join(names)}", "Meaning", "Name in the CSVW metadata"], bold
        )
        for column in columns:
            row += 1
            sheet.write_row(
                row, 0, [column["titles"], column.get("dc:description", ""), column["name"]], wrapped
            )
        row += 2
    sheet.write_row(row, 0, [contents.component_label, "Label"], bold)
    for concept in contents.concepts:
        row += 1
        sheet.write_row(row, 0, list(concept))
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


if __name__ == "__main__":
    write_workbook(Path(sys.argv[1]), Contents.from_json(sys.stdin.read()))
