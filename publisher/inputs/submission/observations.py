"""The observation tables of a submission, checked row by row in constant memory; the rows that
pass are written to a clean CSV without the source-only columns."""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd

from ..geography import ENTITIES, Geography
from .catalogue import BOUNDED_UNITS, COUNT_UNITS, Indicator
from .cells import check_cell
from .problems import ProblemLog, quoted
from .reader import rows
from .standard import table_format

GSS = re.compile(r"^[EWSNK]\d{8}$", re.ASCII)  # ASCII digits only, as in publisher/inputs/submission/cells.py
YEAR = re.compile(r"^(\d{4})$", re.ASCII)
FINANCIAL_YEAR = re.compile(r"^(\d{4})-(\d{2}|\d{4})$", re.ASCII)
WITHHELD = {"suppressed", "missing"}
CLEAN_COLUMNS = ["area", "period", "indicator", "value", "numerator", "denominator", "status"]
LEVEL_TITLES = {
    "lsoa": "LSOA (2011)",
    "ward": "ward (December 2019)",
    "lad": "local authority district (2019)",
}
RECORD_LEVEL_SHARE = 0.1  # this share of rows repeating a key means rows are about people, not areas


@dataclass(frozen=True)
class AreaCodes:
    """The areas a submission may report, per level, and codes of districts that no longer exist."""

    known: dict[str, set[str]]
    retired: dict[str, str]  # code → the vintage it was last valid in

    @classmethod
    @cache
    def load(cls, data_dir: Path) -> AreaCodes:
        geography = Geography.load(data_dir)
        known = {
            "lsoa": set(geography.lsoas["lsoa"]),
            "ward": set(geography.wards["ward"]),
            "lad": set(geography.lsoas["lad"]),
        }
        lad13 = pd.read_csv(data_dir / "iod2015" / "file1_imd.csv.gz", usecols=["lad"], dtype=str)["lad"]
        retired = dict.fromkeys(sorted(set(lad13) - known["lad"]), "LAD13")
        return cls(known, retired)


@dataclass
class ObservationCounts:
    rows: int = 0
    accepted: int = 0
    repeated_keys: int = 0
    periods: dict[str, set[str]] = field(default_factory=dict)  # indicator → periods


def read_observations(
    files: list[tuple[Path, str]],
    indicators: dict[str, Indicator],
    areas: AreaCodes,
    log: ProblemLog,
    clean_csv: Path,
    max_field_chars: int,
    today: date,
) -> ObservationCounts:
    table = table_format("observations")
    columns = {c.name: c for c in table.columns}
    counts = ObservationCounts()
    seen: dict[int, tuple[int, int]] = {}  # 64-bit digest of each key → (file index, row): ~3x smaller
    with clean_csv.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CLEAN_COLUMNS)
        for index, (path, name) in enumerate(files):
            for number, cells in rows(path, name, table, log, max_field_chars):
                counts.rows += 1
                before = len(log)
                row = _check_row(cells, columns, indicators, areas, name, number, log, today)
                if row is None or len(log) != before:
                    continue
                key = _digest(row[0], row[1], row[2])
                if key in seen:
                    counts.repeated_keys += 1
                    earlier = f"{files[seen[key][0]][1]}:{seen[key][1]}"
                    log.add(
                        name,
                        number,
                        "area_code",
                        "duplicate-key",
                        f"area {row[0]}, period {row[1]}, indicator {row[2]} is already in {earlier}",
                    )
                    continue
                seen[key] = (index, number)
                counts.periods.setdefault(row[2], set()).add(row[1])
                counts.accepted += 1
                writer.writerow(["" if v is None else v for v in row])
    if counts.repeated_keys and counts.repeated_keys >= RECORD_LEVEL_SHARE * counts.rows:
        log.add(
            files[0][1],
            None,
            None,
            "record-level",
            f"{counts.repeated_keys:,} of {counts.rows:,} rows repeat an (area_code, period, indicator_id): "
            "this looks like record-level data. Submit one aggregate row per area, period and indicator",
        )
    return counts


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest(), "big")


def _check_row(cells, columns, indicators, areas, name, number, log, today):
    """The row as clean values, or None after logging why it cannot be used."""
    special = {"area_code", "period"}  # checked against the geography and the indicator's period type
    values = {
        c: check_cell(columns[c], cells.get(c, ""), name, number, log) for c in columns if c not in special
    }
    for column in special:
        if not cells.get(column, "").strip():
            log.add(name, number, column, "empty-value", "a value is required")
    indicator = indicators.get(values["indicator_id"] or "")
    if values["indicator_id"] and indicator is None:
        log.add(
            name,
            number,
            "indicator_id",
            "unknown-indicator",
            f"indicator{quoted(values['indicator_id'])} is not in the indicator catalogue",
        )
    if indicator is None:
        return None
    area = _check_area(cells.get("area_code", "").strip(), indicator, areas, name, number, log)
    period = _check_period(cells.get("period", "").strip(), indicator, name, number, log, today)
    value, status = values["value"], values["status"] or ""
    if value is None and status not in WITHHELD:
        log.add(name, number, "value", "value-missing", "no value; give one, or status suppressed or missing")
    if value not in (None, "") and status in WITHHELD:
        log.add(name, number, "status", "value-with-status", f"status {status} but a value is given")
    if isinstance(value, float):
        _check_range(value, indicator, name, number, log)
    numerator, denominator = values["numerator"], values["denominator"]
    if isinstance(numerator, float) and isinstance(denominator, float) and numerator > denominator:
        log.add(
            name,
            number,
            "numerator",
            "numerator-exceeds-denominator",
            f"numerator {numerator:g} is greater than denominator {denominator:g}",
        )
    if area is None or period is None:
        return None
    return [area, period, indicator.id, value, numerator, denominator, status]


def _check_area(code: str, indicator: Indicator, areas: AreaCodes, name, number, log) -> str | None:
    if not code:
        return None  # reported as an empty required value
    if not GSS.fullmatch(code):
        log.add(name, number, "area_code", "not-gss", "not a GSS area code (like E05000026)")
        return None
    level = ENTITIES.get(code[:3], ("", ""))[0]
    if code in areas.retired:
        log.add(
            name,
            number,
            "area_code",
            "retired-area",
            f"{code} is a {areas.retired[code]} code that no longer exists; use the 2019 code of the area",
        )
        return None
    if level != indicator.level:
        what = ENTITIES[code[:3]][1].lower() if code[:3] in ENTITIES else "not an English statistical area"
        log.add(
            name,
            number,
            "area_code",
            "wrong-level",
            f"{code} is {what}; indicator {indicator.id} is at {LEVEL_TITLES[indicator.level]} level",
        )
        return None
    if code not in areas.known[level]:
        log.add(
            name,
            number,
            "area_code",
            "unknown-area",
            f"{code} is not a {LEVEL_TITLES[level]} in the ONS lookups",
        )
        return None
    return code


def _check_period(text: str, indicator: Indicator, name, number, log, today: date) -> str | None:
    if not text:
        return None
    year = YEAR.fullmatch(text)
    financial = FINANCIAL_YEAR.fullmatch(text)
    if indicator.period_type == "year" and year:
        start, label = int(year.group(1)), text
    elif indicator.period_type == "financial-year" and financial:
        start, end = int(financial.group(1)), financial.group(2)
        if int(end) % (100 if len(end) == 2 else 10_000) != (start + 1) % (100 if len(end) == 2 else 10_000):
            log.add(name, number, "period", "invalid-period", f"{text!r} is not one financial year")
            return None
        label = f"{start}-{start + 1}"
    else:
        kind = "a calendar year (2019)" if indicator.period_type == "year" else "a financial year (2018-19)"
        log.add(
            name,
            number,
            "period",
            "period-type",
            f"period{quoted(text)} is not {kind}, as indicator {indicator.id}'s period_type says",
        )
        return None
    if start > today.year:
        log.add(
            name, number, "period", "future-period", f"period {text} starts after today ({today.isoformat()})"
        )
        return None
    if start < 1990:
        log.add(name, number, "period", "invalid-period", f"period {text} is before 1990")
        return None
    return label


def _check_range(value: float, indicator: Indicator, name, number, log) -> None:
    if indicator.unit in COUNT_UNITS:
        if value < 0:
            log.add(
                name,
                number,
                "value",
                "negative-count",
                f"{value:g} {indicator.unit}: a count cannot be negative",
            )
        elif value % 1:
            log.add(
                name, number, "value", "not-whole", f"{value:g} {indicator.unit}: a count is a whole number"
            )
    elif indicator.unit in BOUNDED_UNITS:
        low, high = BOUNDED_UNITS[indicator.unit]
        if not low <= value <= high:
            log.add(
                name,
                number,
                "value",
                "out-of-range",
                f"{value:g} is outside {low:g} to {high:g}, the range of unit {indicator.unit}",
            )
    elif value < 0 and indicator.unit not in {"index-score", "standardised-rate"}:
        log.add(
            name, number, "value", "out-of-range", f"{value:g} is negative; unit {indicator.unit} cannot be"
        )
