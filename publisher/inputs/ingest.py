"""Read input CSV files (plain or gzip) into typed DataFrames, reporting every bad cell.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, Problem

GSS_CODE = re.compile(r"^[EWSNK]\d{8}$")
KINDS = ("code", "text", "integer", "decimal", "optional-text", "optional-decimal")


def read_input(path: Path, columns: dict[str, str], key: str | None = None) -> pd.DataFrame:
    """Read ``path`` and return the named columns typed by kind; raise InputError listing problems.

    ``columns`` maps column name to one of KINDS. ``key`` names a column whose values must be unique.
    """
    unknown = sorted(set(columns.values()) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown column kind(s) {unknown}; expected one of {KINDS}")
    name = str(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError([Problem(name, None, None, "file not found")]) from None
    except UnicodeDecodeError as error:
        raise InputError([Problem(name, None, None, f"not UTF-8 text ({error.reason})")]) from None
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        found = ", ".join(frame.columns)
        raise InputError([Problem(name, 1, c, f"required column missing (found: {found})") for c in missing])
    problems: list[Problem] = []
    typed = {column: _typed(frame[column], kind, name, problems) for column, kind in columns.items()}
    result = pd.DataFrame(typed)
    if key is not None:
        duplicated = result[key].duplicated(keep="first")
        problems += [
            Problem(name, int(i) + 2, key, f"duplicate {key} {result[key].iat[i]!r}")
            for i in np.flatnonzero(duplicated.to_numpy())
        ]
    if problems:
        raise InputError(problems)
    return result


def _typed(cells: pd.Series, kind: str, name: str, problems: list[Problem]) -> pd.Series:
    text = cells.str.strip()
    empty = text.eq("")
    required = not kind.startswith("optional-")
    kind = kind.removeprefix("optional-")
    if required:
        _report(problems, name, cells, empty, "empty value")
    if kind == "code":
        bad = ~empty & ~text.str.match(GSS_CODE)
        _report(problems, name, cells, bad, "not a GSS area code (like E01000001)")
        return text
    if kind == "text":
        return text
    numbers = pd.to_numeric(text.where(~empty), errors="coerce")
    _report(problems, name, cells, ~empty & numbers.isna(), "not a number")
    if kind == "integer":
        fractional = numbers.notna() & (numbers % 1 != 0)
        _report(problems, name, cells, fractional, "not a whole number")
    return numbers.astype("float64")


def _report(problems: list[Problem], name: str, cells: pd.Series, mask: pd.Series, why: str) -> None:
    for i in np.flatnonzero(mask.to_numpy()):
        problems.append(Problem(name, int(i) + 2, str(cells.name), f"{why}: {cells.iat[i]!r}"))
