"""Statistical disclosure control of a submission's counts of people and households.

Primary: a count from 1 to threshold-1 is withheld. Secondary, so that no withheld count can be
worked out from what is published:
- a rate or proportion is withheld with its numerator or denominator (value = numerator/denominator);
- a numerator is withheld when its complement (denominator - numerator) is a small count;
- among the areas that make up one larger area (wards of a district, districts of a region), if only
  one count is withheld, the smallest other count is withheld too: otherwise the larger area's total,
  published by its council or by localindex's own aggregation, minus the rest would reveal it.
Zero is published: a count of none discloses nothing about a person.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COUNT_CELLS = ("value", "numerator", "denominator")


def suppress(
    frame: pd.DataFrame, people_counts: set[str], threshold: int, parent_of: pd.Series
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Withhold cells of ``frame`` (clean observations); returns it with NaNs and per-cell statuses,
    and how many cells each rule withheld. ``people_counts``: indicators whose value counts people."""
    frame = frame.copy()
    counts_people = frame["indicator"].isin(people_counts)
    withheld = pd.DataFrame(False, index=frame.index, columns=list(COUNT_CELLS))
    countable = pd.DataFrame(
        {"value": counts_people, "numerator": True, "denominator": True}, index=frame.index
    )
    # Cells the submitter withheld count as withheld for the secondary rules.
    withheld["value"] = frame["status"].eq("suppressed") & counts_people

    def small(cells: pd.Series) -> pd.Series:
        return cells.notna() & (cells > 0) & (cells < threshold)

    primary = pd.DataFrame({c: small(frame[c]) & countable[c] for c in COUNT_CELLS})
    withheld |= primary
    tally = {"primary": int(primary.to_numpy().sum())}
    complement = frame["denominator"] - frame["numerator"]
    hidden_complement = small(complement) & ~withheld["numerator"]
    withheld["numerator"] |= hidden_complement
    tally["complement"] = int(hidden_complement.sum())
    tally["rate"] = tally["area-total"] = 0
    parents = frame["area"].map(parent_of)
    for _ in range(10):  # each pass can only add cells; stops when nothing more must go
        rate = (withheld["numerator"] | withheld["denominator"]) & ~withheld["value"] & frame["value"].notna()
        withheld["value"] |= rate
        tally["rate"] += int(rate.sum())
        added = 0
        for cell in COUNT_CELLS:
            extra = _lone_in_group(frame, cell, withheld[cell], countable[cell], parents)
            withheld[cell] |= extra
            added += int(extra.sum())
        tally["area-total"] += added
        if not added and not rate.any():
            break
    for cell in COUNT_CELLS:
        frame.loc[withheld[cell], cell] = np.nan
        frame[f"{cell}_status"] = np.where(withheld[cell], "suppressed", "")
    frame["value_status"] = np.where(withheld["value"], "suppressed", frame["status"].fillna(""))
    return frame.drop(columns="status"), tally


def _lone_in_group(
    frame: pd.DataFrame, cell: str, withheld: pd.Series, countable: pd.Series, parents: pd.Series
) -> pd.Series:
    """Cells to withhold because they are the smallest other count of a group with one withheld."""
    candidates = countable & parents.notna()
    keys = [frame["indicator"], frame["period"], parents]
    lone = withheld[candidates].groupby([k[candidates] for k in keys]).transform("sum").eq(1)
    groups_with_one = lone.reindex(frame.index, fill_value=False) & candidates
    open_cells = groups_with_one & ~withheld & frame[cell].notna()
    if not open_cells.any():
        return pd.Series(False, index=frame.index)
    values = frame.loc[open_cells, cell]
    smallest = values.groupby([k[open_cells] for k in keys]).idxmin()
    extra = pd.Series(False, index=frame.index)
    extra[smallest.to_numpy()] = True
    return extra
