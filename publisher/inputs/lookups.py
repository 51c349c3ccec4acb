"""Area lookups named in data/datasets.toml: how a derived dataset's LSOAs fall into its areas, and
the areas' names and parents.

Each lookup is a bundled file of a stated vintage, read by the columns the dataset names, so that the
geography of a dataset is data with a date (the lookup and its `geography_vintage`), not code: a new
ward vintage, an ICB merger or a corrected lookup is a new file and a changed entry, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import pandas as pd

from ..errors import InputError, Problem
from .ingest import read_input

# The column a lookup is keyed by: an LSOA, or the district the LSOA edition puts the LSOA in (a
# district-to-region lookup, for instance).
KEYS = ("lsoa", "lad")


@dataclass(frozen=True)
class AreaLookup:
    """Columns of one lookup file: the area ``code`` of each row (keyed by ``by``), and optionally the
    area's ``name`` and its ``parent`` area's code."""

    file: str
    code: str
    by: str = "lsoa"
    name: str = ""
    parent: str = ""

    @classmethod
    def of(cls, entry: dict, where: str) -> AreaLookup:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(entry) - known)
        if unknown or not {"file", "code"} <= entry.keys():
            raise ValueError(
                f"{where}: a lookup is {{ file = ..., code = ..., by = 'lsoa' | 'lad', name = ..., "
                f"parent = ... }} (unknown: {', '.join(unknown) or 'none'}; file and code are required)"
            )
        lookup = cls(**entry)
        if lookup.by not in KEYS:
            raise ValueError(f"{where}: lookup key by = {lookup.by!r}; expected one of {', '.join(KEYS)}")
        return lookup

    def assignments(self, spec) -> pd.Series:
        """The area code of each key (an LSOA or a district), from rows unique by key."""
        frame = read_input(spec.input_path(self.file), {self.by: "code", self.code: "code"})
        frame = frame.drop_duplicates()
        _refuse_duplicates(frame[self.by], self.file, self.by)
        return pd.Series(frame[self.code].to_numpy(), index=frame[self.by].to_numpy())

    def areas(self, spec) -> pd.DataFrame:
        """code, name and parent ('' where the lookup has no such column) of each area, once."""
        columns = {self.code: "code"} | {c: k for c, k in ((self.name, "text"), (self.parent, "code")) if c}
        frame = read_input(spec.input_path(self.file), columns).drop_duplicates()
        frame = pd.DataFrame(
            {
                "code": frame[self.code],
                "name": frame[self.name] if self.name else "",
                "parent": frame[self.parent] if self.parent else "",
            }
        )
        _refuse_duplicates(frame["code"], self.file, self.code)
        return frame


def _refuse_duplicates(keys: pd.Series, file: str, column: str) -> None:
    """A best-fit lookup gives one area per key; two would make an area's figures ambiguous."""
    codes = sorted(set(keys[keys.duplicated(keep=False)]))
    if codes:
        raise InputError(
            [Problem(file, None, column, f"{c} has rows naming different areas") for c in codes[:20]]
        )


def grouping(spec, lsoa_areas: pd.DataFrame) -> pd.DataFrame:
    """Best-fit (lsoa, group, share) rows for the LSOAs of ``lsoa_areas`` (code, parent): by the
    dataset's lookup, else the districts the LSOA edition itself names. An LSOA the lookup misses
    is an error, never a silent gap in an area's figures."""
    if not spec.lookup:
        return pd.DataFrame({"lsoa": lsoa_areas["code"], "group": lsoa_areas["parent"], "share": 1.0})
    lookup = AreaLookup.of(spec.lookup, spec.name)
    keys = lsoa_areas["code"] if lookup.by == "lsoa" else lsoa_areas["parent"]
    groups = keys.map(lookup.assignments(spec))
    missing = sorted(set(keys[groups.isna()]))
    if missing:
        raise InputError(
            [Problem(lookup.file, None, lookup.by, f"no row for {lookup.by} {c}") for c in missing[:20]]
        )
    return pd.DataFrame({"lsoa": lsoa_areas["code"].to_numpy(), "group": groups.to_numpy(), "share": 1.0})


def describe(spec, codes: list[str], lsoa_areas: pd.DataFrame) -> pd.DataFrame:
    """Code, name and parent of each area: from the dataset's ``parents`` lookup where it names them,
    else its ``lookup``, else (districts) the LSOA edition's own names."""
    names: dict[str, str] = dict(zip(lsoa_areas["parent"], lsoa_areas.get("parent_name", ""), strict=True))
    parents: dict[str, str] = {}
    for entry in (spec.lookup, spec.parents):
        if entry:
            rows = AreaLookup.of(entry, spec.name).areas(spec)
            names.update({c: n for c, n in zip(rows["code"], rows["name"], strict=True) if n})
            parents.update({c: p for c, p in zip(rows["code"], rows["parent"], strict=True) if p})
    return pd.DataFrame(
        {
            "code": codes,
            "name": [names.get(c, "") for c in codes],
            "parent": [parents.get(c, "") for c in codes],
        }
    )
