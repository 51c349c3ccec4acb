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

from .errors import InputError, Problem
from .ingest import read_input

LEVELS = {"ward": "WD19", "lad": "LAD19", "region": "RGN19", "stp": "STP20"}


@dataclass(frozen=True)
class Geography:
    """One row per English LSOA: lsoa, ward, lad, region, ccg, stp (codes) and their names."""

    lsoas: pd.DataFrame
    names: dict[str, str]

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
            {"ward": "code", "lad": "code", "region": "optional-text", "region_name": "optional-text"},
            key="ward",
        )
        regions = regions[regions["ward"].str.startswith("E")]  # UK-wide; only England has regions
        ccgs = read_input(lookups / "lsoa11_ccg20.csv.gz", {"lsoa": "code", "ccg": "code"}, key="lsoa")
        stps = read_input(
            lookups / "ccg20_stp20.csv.gz", {"ccg": "code", "stp": "code", "stp_name": "text"}, key="ccg"
        )
        lsoas = (
            wards.merge(regions[["ward", "region", "region_name"]], on="ward", how="left")
            .merge(ccgs, on="lsoa", how="left")
            .merge(stps, on="ccg", how="left")
        )
        unmatched = lsoas[lsoas[["region", "ccg", "stp"]].isna().any(axis=1)]
        if len(unmatched):
            raise InputError(
                [
                    Problem(str(lookups), None, "lsoa", f"{code} has no region, CCG or STP")
                    for code in unmatched["lsoa"].head(20)
                ]
            )
        names = {}
        for code, name in (
            ("ward", "ward_name"),
            ("lad", "lad_name"),
            ("region", "region_name"),
            ("stp", "stp_name"),
        ):
            names.update(dict(zip(lsoas[code], lsoas[name], strict=True)))
        return cls(lsoas.sort_values("lsoa").reset_index(drop=True), names)

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
