"""Area summaries of the Indices of Deprivation: the one place they are computed, for every caller.

The official IoD2019 summary measures of an area from its LSOAs (methods.md §2.4, technical report
Appendix N), the population they cover and their ranks among the areas. Three callers summarise
areas: the derived datasets (indices/imd_summary.py), a hub's summaries over its members' LSOAs
(indices/federated.py) and the REST API's aggregation on the fly (api/rest/aggregate.py); they
differ only in where the pieces come from, so each builds its pieces and calls ``area_summaries``
(and ``ranks_where_complete``) here, and their figures cannot drift apart.

Input is one row per piece: an LSOA, or the part of an LSOA that a lookup with shares puts in a
group. Each piece carries its group, national rank (1 = most deprived), decile, score (may be
missing), population denominator (may be missing) and share (1 for best-fit lookups). Everything is
vectorised.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MEASURES = ["average-score", "average-rank", "proportion-most-deprived-10pc", "extent", "local-concentration"]
IMD_ONLY = ("extent", "local-concentration")  # defined for the overall IMD only (technical report Table 3.3)


def extent_weight(rank: np.ndarray, universe: int) -> np.ndarray:
    """Sliding weight of an LSOA's national percentile: 1 in the most deprived 10%, falling linearly
    from 0.95 at percentile 11 to 0.05 at 30, then 0. Percentile = ceil(100 rank / N)."""
    percentile = np.ceil(100 * np.asarray(rank, dtype="float64") / universe)
    sliding = 0.95 - (0.90 / 19) * (percentile - 11)
    return np.where(percentile <= 10, 1.0, np.where(percentile <= 30, sliding, 0.0))


def summarise(pieces: pd.DataFrame, universe: int) -> pd.DataFrame:
    """Summary measures per group (index: group). Columns follow MEASURES; average-score is NaN for a
    group where any piece lacks a score, and every population-weighted measure NaN for a group where
    any piece lacks a population (the measure is then missing, never a partial mean)."""
    frame = pieces.assign(share=pieces.get("share", 1.0))
    frame = frame.assign(weight=frame["population"] * frame["share"])
    frame["weighted_rank"] = frame["weight"] * frame["rank"]
    frame["weighted_score"] = frame["weight"] * frame["score"]
    frame["weighted_extent"] = frame["weight"] * extent_weight(frame["rank"], universe)
    frame["most_deprived_share"] = frame["share"] * (frame["decile"] == 1)
    groups = frame.groupby("group", sort=True)
    totals = groups[
        ["weight", "weighted_rank", "weighted_score", "weighted_extent", "share", "most_deprived_share"]
    ].sum(min_count=1)
    score_complete = groups["score"].count() == groups["score"].size()
    weighted = groups["weight"].count() == groups["weight"].size()
    result = pd.DataFrame(index=totals.index)
    result["average-score"] = (totals["weighted_score"] / totals["weight"]).where(score_complete & weighted)
    result["average-rank"] = ((universe + 1) - totals["weighted_rank"] / totals["weight"]).where(weighted)
    result["proportion-most-deprived-10pc"] = totals["most_deprived_share"] / totals["share"]
    result["extent"] = (totals["weighted_extent"] / totals["weight"]).where(weighted)
    result["local-concentration"] = _local_concentration(frame, universe).where(weighted)
    return result[MEASURES]


def summarise_index(pieces: pd.DataFrame, universe: int, component: str) -> pd.DataFrame:
    """``summarise`` for one index of the IoD: extent and local concentration only for the IMD."""
    result = summarise(pieces, universe)
    if component != "imd":
        result[list(IMD_ONLY)] = float("nan")
    return result


def covered_population(pieces: pd.DataFrame) -> pd.Series:
    """Population per group: each piece's denominator times its share of the LSOA; missing where a
    piece has no population."""
    weights = (pieces["population"] * pieces["share"]).groupby(pieces["group"])
    return weights.sum().where(weights.count() == weights.size())


def area_summaries(pieces: pd.DataFrame, universe: int, component: str) -> pd.DataFrame:
    """The summary measures of one index per group (MEASURES) and the population they cover."""
    result = summarise_index(pieces, universe, component)
    result["population"] = covered_population(pieces)
    return result


def ranks_where_complete(values: pd.Series) -> pd.Series | None:
    """Ranks of the areas by a measure (1 = largest), or None when any area lacks the value: a rank
    among some of the areas would be a different statistic, so it is stated missing instead."""
    return rank_descending(values) if values.notna().all() else None


def with_ranks(summaries: pd.DataFrame) -> pd.DataFrame:
    """``summaries`` with a rank-of-{measure} column for every measure of MEASURES, as floats
    (missing ranks NaN), the form the derived datasets publish."""
    result = summaries.copy()
    for measure in MEASURES:
        ranks = ranks_where_complete(result[measure])
        ranked = ranks if ranks is not None else pd.Series(pd.NA, index=result.index)
        result[f"rank-of-{measure}"] = ranked.astype("Float64")
    return result.astype("float64")


def _local_concentration(frame: pd.DataFrame, universe: int) -> pd.Series:
    """Population-weighted reversed rank of the most deprived pieces that hold exactly 10% of the
    group's population; the last piece counts in part."""
    ordered = frame.sort_values(["group", "rank"], kind="stable")
    target = ordered.groupby("group")["weight"].transform("sum") * 0.10
    before = ordered.groupby("group")["weight"].cumsum() - ordered["weight"]
    taken = (target - before).clip(lower=0).clip(upper=ordered["weight"])
    weighted = (taken * ordered["rank"]).groupby(ordered["group"]).sum()
    return (universe + 1) - weighted / target.groupby(ordered["group"]).first()


def rank_descending(values: pd.Series) -> pd.Series:
    """Rank 1 = largest value (most deprived; for the SPI, most progress); ties share the lowest rank
    (1, 2, 2, 4); unrounded values."""
    return values.rank(method="min", ascending=False).astype("Int64")
