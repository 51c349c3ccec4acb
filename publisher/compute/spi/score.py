"""Score a panel of raw indicator values with a method: indicators → components → dimensions → index.

The panel is a DataFrame indexed by (unit, period) with one column per indicator. Every step
looks only at the same period, or (carrying forward) at earlier ones, so adding a later period
never changes an earlier score (methods.md T-SPI-5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..summaries import rank_descending
from .diagnostics import pca_weights
from .method import Component, Method


@dataclass
class Scores:
    raw: pd.DataFrame  # raw values after imputation
    imputed: pd.DataFrame  # True where a raw value was imputed
    indicators: pd.DataFrame  # 0-100
    components: pd.DataFrame
    dimensions: pd.DataFrame
    index: pd.Series
    weights: dict[str, pd.Series]  # component → the indicator weights used

    def ranks(self) -> dict[str, pd.DataFrame]:
        """Rank of every score among the units of the same period: 1 = highest, ties share the lowest."""
        frames = {
            "indicator": self.indicators,
            "component": self.components,
            "dimension": self.dimensions,
            "index": self.index.to_frame("index"),
        }
        return {
            level: frame.groupby(level="period").transform(rank_descending).astype("float64")
            for level, frame in frames.items()
        }


def score(method: Method, raw: pd.DataFrame, groups: pd.Series | None = None) -> Scores:
    """Score ``raw`` (index unit, period; one column per indicator) with ``method``.

    ``groups`` (indexed by unit) names each unit's group for group-mean imputation.
    """
    ids = [i.id for i in method.indicators]
    missing = [i for i in ids if i not in raw.columns]
    if missing:
        raise KeyError(f"the data have no column for indicator(s) {', '.join(missing)}")
    if list(raw.index.names) != ["unit", "period"]:
        raise ValueError("raw values must be indexed by (unit, period)")
    raw = raw[ids].astype("float64").sort_index()
    covered = _coverage_ok(method, raw)
    filled = _impute(method, raw, groups)
    # Impute only inside components that have enough data of their own.
    for component in method.scored_components:
        members = [i.id for i in method.indicators_of(component.id)]
        keep = covered[component.id].to_numpy()[:, None]
        filled[members] = np.where(keep, filled[members], raw[members])
    imputed = raw.isna() & filled.notna()

    indicator_scores = pd.DataFrame(
        {i.id: i.score(filled[i.id].to_numpy()) for i in method.indicators}, index=raw.index
    )
    weights = {c.id: _weights(method, c, indicator_scores) for c in method.scored_components}
    components = pd.DataFrame(index=raw.index)
    for component in method.scored_components:
        members = [i.id for i in method.indicators_of(component.id)]
        values = method.component_aggregation(
            indicator_scores[members].to_numpy(), weights[component.id].to_numpy()
        )
        components[component.id] = np.where(covered[component.id], values, np.nan)
    dimensions = pd.DataFrame(index=raw.index)
    for dimension in method.dimensions:
        members = [c.id for c in method.components_of(dimension.id)]
        dimensions[dimension.id] = _complete_mean(method.dimension_aggregation, components[members])
    index = pd.Series(_complete_mean(method.index_aggregation, dimensions), index=raw.index, name="index")
    return Scores(filled, imputed, indicator_scores, components, dimensions, index, weights)


def _complete_mean(aggregation, children: pd.DataFrame) -> np.ndarray:
    """Equal-weight mean of the children, missing when any child is missing (never partial)."""
    values = children.to_numpy()
    result = aggregation(values, np.full(values.shape[1], 1.0 / values.shape[1]))
    return np.where(np.isnan(values).any(axis=1), np.nan, result)


def _coverage_ok(method: Method, raw: pd.DataFrame) -> pd.DataFrame:
    """Per component, whether the present indicators carry at least the minimum share of weight."""
    result = {}
    for component in method.scored_components:
        members = method.indicators_of(component.id)
        weights = method.fixed_weights(component)
        if weights is None:  # PCA: coverage by count
            weights = np.full(len(members), 1.0 / len(members))
        present = raw[[i.id for i in members]].notna().to_numpy()
        result[component.id] = (present * weights).sum(axis=1) >= component.coverage(method) - 1e-12
    return pd.DataFrame(result, index=raw.index)


def _impute(method: Method, raw: pd.DataFrame, groups: pd.Series | None) -> pd.DataFrame:
    if method.imputation == "none":
        return raw.copy()
    if method.imputation == "mean":
        return raw.fillna(raw.groupby(level="period").transform("mean"))
    if method.imputation == "group-mean":
        if groups is None:
            raise ValueError("group-mean imputation needs a group for every unit")
        group = raw.index.get_level_values("unit").map(groups)
        if group.isna().any():
            raise ValueError("group-mean imputation: some units have no group")
        keys = [pd.Index(group, name="group"), raw.index.get_level_values("period")]
        return raw.fillna(raw.groupby(keys).transform("mean"))
    # last observation carried forward, within each unit, in period order
    return raw.groupby(level="unit").ffill()


def _weights(method: Method, component: Component, indicator_scores: pd.DataFrame) -> pd.Series:
    members = [i.id for i in method.indicators_of(component.id)]
    fixed = method.fixed_weights(component)
    if fixed is None:
        reference = indicator_scores.xs(method.pca_reference_period, level="period")[members].dropna()
        if len(reference) <= len(members):
            raise ValueError(
                f"component {component.id}: PCA weights need more complete units in period "
                f"{method.pca_reference_period} than indicators (found {len(reference)})"
            )
        fixed = pca_weights(reference.to_numpy())
    return pd.Series(fixed, index=members)
