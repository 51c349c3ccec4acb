"""Aggregation of area values by the rule each measure declares (vocab/summaries.ttl): any dataset's
measures combined over coarser areas or a list of areas. The IoD's own summary measures are not
aggregation by rule; they live in summaries.py.
"""

from __future__ import annotations

import pandas as pd

from .summaries import summarise  # bench/aggregate.py imports it from here

__all__ = ["NotAggregable", "aggregate_by_rule", "summarise"]


class NotAggregable(ValueError):
    """A measure whose values cannot be combined over areas (ranks, deciles, local concentration)."""


def aggregate_by_rule(parts: pd.DataFrame, rule: str) -> pd.DataFrame:
    """Combine part values per group by a measure's declared rule (vocab/summaries.ttl).

    ``parts`` has one row per part area: group, value, population, lsoas (number of LSOAs).
    Returns per group: value (NaN if any part lacks one: never a partial result), population, parts.
    """
    if rule == "not-aggregable":
        raise NotAggregable("values of this measure cannot be combined over areas")
    frame = parts.assign(
        weighted=parts["value"] * parts["population"], counted=parts["value"] * parts["lsoas"]
    )
    groups = frame.groupby("group", sort=True)
    totals = groups[["value", "weighted", "counted", "population", "lsoas"]].sum(min_count=1)
    if rule == "population-weighted-mean":
        value = totals["weighted"] / totals["population"]
    elif rule == "sum":
        value = totals["value"]
    elif rule == "lsoa-count-weighted-mean":
        value = totals["counted"] / totals["lsoas"]
    else:
        raise ValueError(f"unknown aggregation rule {rule!r}")
    complete = groups["value"].count() == groups["value"].size()
    return pd.DataFrame(
        {"value": value.where(complete), "population": totals["population"], "parts": groups.size()}
    )
