"""One cell against its column of the input format: presence, type, pattern, length, range, and
personal data in text. Text is returned with spreadsheet formulas neutralised."""

from __future__ import annotations

import math
import re

from .privacy import neutralise, personal_value
from .problems import ProblemLog, quoted
from .standard import Column

# re.ASCII throughout: \d would otherwise take full-width and other scripts' digits, which then
# passed the checks and broke later steps that need ASCII (tests/test_submission_corpus.py).
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$", re.ASCII)
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$", re.ASCII)
NOT_FINITE = {"nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
URI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
# Controls (tab and newline aside) and the invisible direction marks that can make published text
# read other than it is (U+202E turns what follows around).
UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def unprintable(text: str) -> str | None:
    """The first character published text may not hold, as U+XXXX (never the text around it)."""
    found = UNPRINTABLE.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def parse_number(text: str) -> float | str:
    """The number in ``text`` (thousands separators allowed), or the reason it is not one."""
    if THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    if text.lower() in NOT_FINITE:
        return "not-finite"
    if not NUMBER.fullmatch(text):
        return "not-a-number"
    value = float(text)
    return value if math.isfinite(value) else "not-finite"


def check_cell(column: Column, cell: str, file: str, row: int, log: ProblemLog) -> str | float | None:
    """The cell's checked value: text, a float, None when empty; '' after a problem was logged.
    A source-only cell is never looked at: it is dropped, whatever it holds."""
    if column.source_only:
        return None
    text = cell.strip()
    if not text:
        if column.required:
            log.add(file, row, column.name, "empty-value", "a value is required")
            return ""
        return None
    if column.base == "decimal":
        number = parse_number(text)
        if isinstance(number, str):
            why = "not a finite number" if number == "not-finite" else "not a number"
            log.add(file, row, column.name, number, f"{why}:{quoted(text)}")
            return ""
        if column.minimum is not None and number < column.minimum:
            log.add(file, row, column.name, "negative", f"{number:g} is below {column.minimum:g}")
            return ""
        return number
    if column.max_length is not None and len(text) > column.max_length:
        log.add(
            file, row, column.name, "too-long", f"{len(text):,} characters; at most {column.max_length:,}"
        )
        return ""
    if column.base == "anyURI" and not URI.fullmatch(text):
        log.add(file, row, column.name, "invalid-value", "not an http(s) URI")
        return ""
    if column.pattern is not None and not column.pattern.fullmatch(text):
        choices = column.choices
        allowed = (
            f"one of {', '.join(c or '(empty)' for c in choices)}" if choices else column.pattern.pattern
        )
        log.add(
            file, row, column.name, "invalid-value", f"value{quoted(text)} is not allowed; expected {allowed}"
        )
        return ""
    if (character := unprintable(text)) is not None:
        log.add(file, row, column.name, "control-character", f"holds {character}, not printable")
        return ""
    if (kind := personal_value(text)) is not None:
        log.add(
            file, row, column.name, "personal-data", f"the text looks like it holds {kind}; it was not read"
        )
        return ""
    return neutralise(text)
