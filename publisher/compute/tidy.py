"""The tidy observation table: the spine every output is generated from (DESIGN.md §1); the builders
of compute/indices/ return it."""

from __future__ import annotations

import pandas as pd

COLUMNS = ["area", "period", "component", "measure", "value", "unit", "status"]
KEY = ["area", "period", "component", "measure"]


def observations(
    areas: pd.Series, period: str, component: str, measure: str, values: pd.Series, unit: str
) -> pd.DataFrame:
    """One measure of one component for every area; a missing value gets status 'missing'."""
    values = values.reindex(areas.to_numpy())
    return pd.DataFrame(
        {
            "area": areas.to_numpy(),
            "period": period,
            "component": component,
            "measure": measure,
            "value": values.to_numpy(dtype="float64"),
            "unit": unit,
            "status": values.isna().map({True: "missing", False: ""}).to_numpy(),
        }
    )


def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    table = pd.concat(frames, ignore_index=True)
    for column in ("period", "component", "measure", "unit", "status"):
        table[column] = table[column].astype("category")
    return table[COLUMNS]
