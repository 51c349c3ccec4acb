"""England's statistical geography from the bundled ONS lookups: each LSOA (2011) with its ward
(Dec 2019, best fit), district (2019), region (2019), CCG (Apr 2020) and STP (Apr 2020).

Aggregation works on (lsoa, group, share) rows: best-fit lookups give a share of 1; a lookup with
shares (an LSOA split between wards) is accepted as it is, provided each LSOA's shares sum to 1.
STPs are built from LSOAs through CCGs, never from districts (15 districts span two STPs).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from .ingest import read_input

LEVELS = {"ward": "WD19", "lad": "LAD19", "region": "RGN19", "stp": "STP20"}
# Vintage of each column of Geography.lsoas, for parents and children "per vintage".
VINTAGES = {
    "lsoa": "LSOA11",
    "ward": "WD19",
    "lad": "LAD19",
    "region": "RGN19",
    "ccg": "CCG20",
    "stp": "STP20",
}
ENGLAND = "E92000001"
# ONS statistical entities (GSS code prefixes) of the areas localindex knows.
ENTITIES = {
    "E01": ("lsoa", "Lower layer Super Output Area"),
    "E05": ("ward", "Electoral ward"),
    "E06": ("lad", "Unitary authority"),
    "E07": ("lad", "Non-metropolitan district"),
    "E08": ("lad", "Metropolitan district"),
    "E09": ("lad", "London borough"),
    "E12": ("region", "Region"),
    "E38": ("ccg", "Clinical commissioning group"),
    "E54": ("stp", "Sustainability and transformation partnership"),
    "E92": ("country", "Country"),
}


@dataclass(frozen=True)
class Geography:
    """One row per English LSOA: lsoa, ward, lad, region, ccg, stp (codes) and their names."""

    lsoas: pd.DataFrame
    names: dict[str, str]
    wards: pd.DataFrame  # every English ward of the vintage (ward, lad), including wards with no LSOA

    @classmethod
    def load(cls, data_dir: Path) -> Geography:
        lookups = data_dir / "lookups"
        wards = read_input(
            lookups / "lsoa11_wd19_lad19.csv.gz",
            {"lsoa": "code", "ward": "code", "ward_name": "text", "lad": "code", "lad_name": "text"},
            key="lsoa",
        )
        wards = wards[wards["lsoa"].str.startswith("E")]
        regions = read_input(
            lookups / "wd19_lad19_rgn19.csv.gz",
            {
                "ward": "code",
                "ward_name": "text",
                "lad": "code",
                "lad_name": "text",
                "region": "optional-text",
                "region_name": "optional-text",
            },
            key="ward",
        )
        regions = regions[regions["ward"].str.startswith("E")]  # UK-wide; only England has regions
        ccgs = read_input(
            lookups / "lsoa11_ccg20.csv.gz", {"lsoa": "code", "ccg": "code", "ccg_name": "text"}, key="lsoa"
        )
        lsoa_names = read_input(
            data_dir / "population" / "lsoa_mid2018.csv.gz", {"lsoa": "code", "lsoa_name": "text"}, key="lsoa"
        )
        stps = read_input(
            lookups / "ccg20_stp20.csv.gz", {"ccg": "code", "stp": "code", "stp_name": "text"}, key="ccg"
        )
        lsoas = (
            wards.merge(regions[["ward", "region", "region_name"]], on="ward", how="left")
            .merge(ccgs, on="lsoa", how="left")
            .merge(stps, on="ccg", how="left")
            .merge(lsoa_names, on="lsoa", how="left")
        )
        unmatched = lsoas[lsoas[["region", "ccg", "stp"]].isna().any(axis=1)]
        if len(unmatched):
            raise InputError(
                [
                    Problem(str(lookups), None, "lsoa", f"{code} has no region, CCG or STP")
                    for code in unmatched["lsoa"].head(20)
                ]
            )
        names = {ENGLAND: "England"}
        for frame, code in (
            (regions, "ward"),
            (regions, "lad"),
            (lsoas, "region"),
            (lsoas, "ccg"),
            (lsoas, "stp"),
        ):
            names.update(dict(zip(frame[code], frame[f"{code}_name"], strict=True)))
        names.update(dict(zip(lsoas["lsoa"], lsoas["lsoa_name"].fillna(""), strict=True)))
        columns = ["lsoa", *[level for level in VINTAGES if level != "lsoa"]]
        wards = regions.loc[regions["lad"].isin(set(lsoas["lad"])), ["ward", "lad"]]
        return cls(lsoas[columns].sort_values("lsoa").reset_index(drop=True), names, wards)

    def level_of(self, code: str) -> str | None:
        """Level of a known area code (lsoa, ward, lad, region, ccg, stp, country), else None."""
        entity = ENTITIES.get(code[:3])
        if entity is None or code not in self.names:
            return None
        return entity[0]

    def parents(self, code: str) -> dict[str, str]:
        """The areas that contain ``code``, keyed by vintage (LSOA11 → WD19, LAD19, …, STP20)."""
        level = self.level_of(code)
        if level == "country" or level is None:
            return {}
        if level == "ward":
            row = self.wards[self.wards["ward"] == code].iloc[0]
            region = self.lsoas.loc[self.lsoas["lad"] == row["lad"], "region"].iloc[0]
            return {"LAD19": row["lad"], "RGN19": region, "CTRY": ENGLAND}
        row = self.lsoas[self.lsoas[level] == code].iloc[0]
        above = {
            "lsoa": ["ward", "lad", "region", "ccg", "stp"],
            "lad": ["region"],
            "region": [],
            "ccg": ["stp"],
            "stp": [],
        }[level]
        return {VINTAGES[p]: row[p] for p in above} | {"CTRY": ENGLAND}

    def children(self, code: str) -> dict[str, list[str]]:
        """The areas directly inside ``code``, keyed by vintage; wards include those with no LSOA."""
        level = self.level_of(code)
        below = {
            "country": ["region"],
            "region": ["lad"],
            "lad": ["ward", "lsoa"],
            "ward": ["lsoa"],
            "stp": ["ccg", "lsoa"],
            "ccg": ["lsoa"],
        }.get(level or "", [])
        inside = self.lsoas if level == "country" else self.lsoas[self.lsoas[level] == code]
        found = {}
        for child in below:
            codes = set(inside[child])
            if child == "ward":
                codes |= set(self.wards.loc[self.wards["lad"] == code, "ward"])
            found[VINTAGES[child]] = sorted(codes)
        return found

    def wards_without_lsoas(self, lads: set[str] | None = None) -> list[str]:
        """English wards (of districts in ``lads``, or all) that no LSOA is best-fitted to."""
        wards = self.wards if lads is None else self.wards[self.wards["lad"].isin(lads)]
        return sorted(set(wards["ward"]) - set(self.lsoas["ward"]))

    def describe(self, level: str, codes: list[str]) -> pd.DataFrame:
        """Code, name and parent of each area (ward → district, district → region, region → England)."""
        parent_column = {"ward": "lad", "lad": "region"}.get(level)
        parents: dict[str, str] = {}
        if parent_column:
            links = self.lsoas[[level, parent_column]].drop_duplicates()
            parents = dict(zip(links[level], links[parent_column], strict=True))
        elif level == "region":
            parents = dict.fromkeys(codes, ENGLAND)
        return pd.DataFrame(
            {
                "code": codes,
                "name": [self.names.get(c, "") for c in codes],
                "parent": [parents.get(c, "") for c in codes],
            }
        )

    def grouping(self, level: str) -> pd.DataFrame:
        """Best-fit (lsoa, group, share) rows for a level: ward, lad, region or stp."""
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
        return pd.DataFrame({"lsoa": self.lsoas["lsoa"], "group": self.lsoas[level], "share": 1.0})


def check_shares(lookup: pd.DataFrame, source: str) -> pd.DataFrame:
    """Accept an (lsoa, group, share) lookup whose shares are in (0, 1] and sum to 1 per LSOA."""
    problems = []
    bad_share = ~lookup["share"].between(0, 1, inclusive="right")
    problems += [
        Problem(source, int(i) + 2, "share", f"share {lookup['share'].iat[i]} is not in (0, 1]")
        for i in np.flatnonzero(bad_share.to_numpy())
    ]
    totals = lookup.groupby("lsoa")["share"].sum()
    problems += [
        Problem(source, None, "share", f"shares of {code} sum to {total:.6f}, not 1")
        for code, total in totals[~np.isclose(totals, 1.0)].items()
    ]
    if problems:
        raise InputError(problems)
    return lookup
