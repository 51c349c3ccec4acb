"""Read a submitted CSV safely and in constant memory: refuse what is not UTF-8 CSV text, match the
header to the format (case, spaces and hyphens do not matter), and yield one row at a time with its
spreadsheet row number (the header is row 1)."""

from __future__ import annotations

import codecs
import csv
import difflib
import re
from collections.abc import Iterator
from pathlib import Path

from .privacy import personal_column, personal_value
from .problems import ProblemLog
from .standard import TableFormat

CHUNK = 1 << 20
MAX_COLUMNS = 200


def normalise_header(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lstrip("\ufeff").lower())


def rows(
    path: Path, name: str, table: TableFormat, log: ProblemLog, max_field_chars: int
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number, {column: text}) for each well-formed row; record every problem in ``log``."""
    if not _is_text(path, name, log):
        return
    csv.field_size_limit(max_field_chars)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                log.add(name, None, None, "empty-file", "the file has no header and no rows")
                return
            columns = _match_header(header, name, table, log)
            if columns is None:
                return
            number, started = 1, reader.line_num + 1  # the line the next record starts on
            for number, record in enumerate(reader, start=2):
                started = reader.line_num + 1
                if len(record) != len(header):
                    if not any(cell.strip() for cell in record):
                        continue  # blank line, e.g. at the end of a spreadsheet export
                    log.add(
                        name,
                        number,
                        None,
                        "row-length",
                        f"{len(record)} fields; the header has {len(header)}",
                    )
                    continue
                yield number, {column: record[i] for i, column in columns.items()}
            if number == 1:
                log.add(name, None, None, "no-rows", "the file has a header but no rows")
        except csv.Error as error:
            code = "field-too-long" if "field larger" in str(error) else "csv-syntax"
            where = reader.line_num
            if code == "field-too-long":
                detail = f"a field is longer than {max_field_chars:,} characters (near line {where})"
            elif "unexpected end of data" in str(error):  # the reader ran to the end for a closing quote
                where = started
                detail = f"a quoted field opened on line {started} is never closed"
            else:
                detail = f"{error} (near line {where})"
            log.add(name, where, None, code, f"{detail}; reading stopped here")


def _is_text(path: Path, name: str, log: ProblemLog) -> bool:
    """UTF-8 text (a BOM is fine), not binary; a Windows-1252 file is recognised and refused."""
    if path.stat().st_size == 0:
        log.add(name, None, None, "empty-file", "the file is empty (0 bytes)")
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if (at := chunk.find(b"\x00")) >= 0:  # anywhere in the file, not only its first block
                line = lines + chunk[:at].count(b"\n")
                log.add(name, line, None, "binary-file", "the file holds a NUL byte: binary, not CSV text")
                return False
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                line = lines + chunk[: error.start].count(b"\n")
                log.add(name, line, None, "encoding", _encoding_reason(chunk[error.start : error.start + 4]))
                return False
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            log.add(name, lines, None, "encoding", "the file ends in the middle of a UTF-8 character")
            return False
    return True


def _encoding_reason(sample: bytes) -> str:
    try:
        sample[:1].decode("cp1252")
        guess = "it looks like Windows-1252 (cp1252), as Excel saves 'CSV' by default"
    except UnicodeDecodeError:
        guess = "its encoding is unknown"
    return f"the file is not UTF-8 ({guess}); save it as 'CSV UTF-8' and submit again"


def _match_header(header: list[str], name: str, table: TableFormat, log: ProblemLog) -> dict[int, str] | None:
    """Map field positions to the format's columns; None when a row cannot be read by this header."""
    if len(header) > MAX_COLUMNS:  # the formats have a handful; one line, not one per column
        allowed = f"the {table.name} format has {len(table.names)} ({', '.join(table.names)})"
        log.add(name, 1, None, "unexpected-column", f"{len(header):,} columns; {allowed}; most {MAX_COLUMNS}")
        return None
    normalised = [normalise_header(h) for h in header]
    known = set(table.names)
    if not known & set(normalised):  # a file without its header: the first line is data, never echoed
        log.add(
            name,
            1,
            None,
            "missing-column",
            f"the first line names none of the {table.name} format's columns: is the header line "
            f"missing? It must name the columns, e.g. {','.join(table.required_names)}",
        )
        return None
    unused = sorted(known - set(normalised))  # once, not once per column
    columns: dict[int, str] = {}
    fatal = False
    for position, column in enumerate(normalised):
        if column in columns.values():
            label = _label(header[position], position)
            log.add(name, 1, label, "duplicate-column", "the column appears more than once")
            fatal = True
        elif column in known:
            columns[position] = column
        elif (kind := personal_column(column)) is not None:
            log.add(
                name,
                1,
                _label(header[position], position),
                "personal-data",
                f"the column looks like {kind}; submissions hold aggregates only - remove the column",
            )
            fatal = True
        else:
            close = difflib.get_close_matches(column, unused, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            log.add(
                name,
                1,
                _label(header[position], position),
                "unexpected-column",
                f"not a column of the {table.name} format{hint}; columns: {', '.join(table.names)}",
            )
            fatal = True
    for column in table.columns:
        if column.required and column.name not in normalised:
            log.add(
                name,
                1,
                column.name,
                "missing-column",
                f"required column missing (found: {', '.join(_label(h, i) for i, h in enumerate(header))})",
            )
            fatal = True
    return None if fatal else columns


def _label(header: str, position: int) -> str:
    """A header as written when it is a plain name; its position when it might itself be personal."""
    text = header.strip()
    if re.fullmatch(r"[\w .()-]{1,40}", text) and personal_value(text) is None:
        return text
    return f"column {position + 1}"
