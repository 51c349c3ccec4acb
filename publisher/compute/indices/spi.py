"""A Social Progress Index for wards or districts from LSOA-level indicators (method: data/spi/*.toml).

Each indicator is averaged from LSOA to area, weighted by the population the method names for it
and by the share of the LSOA in the area: LSOAs of another vintage than the areas' are carried across
through the ONS change lookup (publisher/inputs/gazetteer.py). An area lacking any of its LSOAs'
values lacks the indicator, and the method's coverage and imputation rules decide what follows. The
area values are then scored with the method (publisher/compute/spi/) and ranked among the areas,
1 = highest score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import XSD

from ...inputs.datasets import DatasetSpec
from ...inputs.gazetteer import gazetteer
from ...inputs.ingest import read_input
from ...paths import VOCAB_DIR
from ...rdf.uris import Minter
from .. import tidy
from ..spi import Method, MethodError, Scores, score
from ..spi.diagnostics import ComponentDiagnostics, diagnose
from ..spi.method import INDEX
from ..spi.vocabulary import method_turtle
from .table import BuiltTable

GROUP_OF = {"ward": "lad", "lad": "region"}  # whose mean fills a gap under group-mean imputation


@dataclass
class AreaPanel:
    """Raw indicator values per (unit, period), each unit's imputation group, and the areas."""

    raw: pd.DataFrame
    groups: pd.Series
    areas: pd.DataFrame
    lsoas: int
    areas_without_data: list[str]  # wards of the districts covered that receive no LSOA
    fates: dict[str, int]  # LSOAs carried from another vintage, by what became of them (unchanged, split…)


def load_method(spec: DatasetSpec) -> Method:
    """The dataset's method, refused unless vocab/ publishes exactly its parameters."""
    path = spec.input_path(spec.inputs["method"])
    method = Method.from_toml(path)
    published = VOCAB_DIR / f"{method.id}.ttl"
    if not published.exists() or published.read_text(encoding="utf-8") != method_turtle(method):
        raise MethodError(
            f"{published} does not state the parameters of {path}; run `localindex spi vocab {path}` "
            "so that what is published is what was used"
        )
    return method


def build(spec: DatasetSpec, minter: Minter, only_areas: set[str] | None = None) -> BuiltTable:
    method = load_method(spec)
    panel = area_panel(spec, method, only_areas)
    scores = score(method, panel.raw, panel.groups)
    diagnostics = component_diagnostics(method, scores)
    empty = panel.areas_without_data
    imputed = int(scores.imputed.to_numpy().sum())
    checks = [
        f"{len(panel.areas):,} {spec.geography_level} areas ({spec.geography_vintage}) from {panel.lsoas:,} "
        f"LSOAs; {len(empty):,} areas of their districts receive no LSOA",
        *_carried_check(spec, panel),
        f"scored with method {method.notation}: {len(method.indicators)} indicators in "
        f"{len(method.scored_components)} of {len(method.components)} components; {imputed} indicator "
        f"value(s) imputed ({method.imputation})",
    ]
    return BuiltTable(
        observations(method, scores, spec.period),
        panel.areas,
        component_dimension=method.id,
        method=method.notation,
        checks=checks,
        areas_without_data=empty,
        describe=lambda graph, dataset, minter: describe_release(
            graph, dataset, minter, method, scores, diagnostics
        ),
    )


def _carried_check(spec: DatasetSpec, panel: AreaPanel) -> list[str]:
    """What became of the LSOAs carried from another vintage, for the build's checks."""
    if not panel.fates:
        return []
    said = ", ".join(f"{n:,} {fate}" for fate, n in sorted(panel.fates.items()))
    return [f"LSOAs ({spec.lsoa_vintage}) carried to the areas by the ONS change lookup: {said}"]


def area_panel(spec: DatasetSpec, method: Method, only_areas: set[str] | None = None) -> AreaPanel:
    """Population-weighted area means of every indicator, for the dataset's level and period."""
    files = spec.inputs["indicators"]  # a list of files, or (a method for several editions) role → file
    paths = files if isinstance(files, dict) else {name: name for name in files}
    rates = _rates(spec)
    rated = {}  # column of the panel read as a numerator → the population it is a rate over
    lsoa_values = None
    for name in dict.fromkeys(i.source["file"] for i in method.indicators):
        if name not in paths:
            raise ValueError(f"{spec.name}: method file uses {name!r}, which is not among inputs.indicators")
        columns = sorted({i.source["column"] for i in method.indicators if i.source["file"] == name})
        read = {rates[c][0] if c in rates else c: c for c in columns}  # file column → method column
        frame = read_input(
            spec.input_path(paths[name]), {"lsoa": "code", **dict.fromkeys(read, "optional-decimal")}
        )
        frame = frame.rename(columns={source: f"{name}:{c}" for source, c in read.items()})
        rated |= {f"{name}:{c}": rates[c][1] for c in columns if c in rates}
        lsoa_values = frame if lsoa_values is None else lsoa_values.merge(frame, on="lsoa")
    bases = sorted({i.source.get("population", "total") for i in method.indicators} | set(rated.values()))
    wanted = {base: spec.denominator_columns(base) for base in bases}
    columns = sorted({column for names in wanted.values() for column in names})
    people = read_input(
        spec.input_path(spec.inputs["population"]),
        {"lsoa": "code", **dict.fromkeys(columns, "decimal")},
        key="lsoa",
    )
    population = pd.DataFrame(
        {"lsoa": people["lsoa"], **{b: people[c].sum(axis=1) for b, c in wanted.items()}}
    )
    places = gazetteer(spec.root)
    grouping = places.carried(spec.lsoa_vintage, spec.geography_vintage)
    group_vintage = places.parent_vintage(spec.geography_vintage, GROUP_OF[spec.geography_level])
    if grouping.empty or group_vintage is None:
        raise MethodError(
            f"{spec.name}: data/geography.toml has no lookup from LSOAs of {spec.lsoa_vintage!r} to areas "
            f"of {spec.geography_vintage!r} and their {GROUP_OF[spec.geography_level]}s"
        )
    lsoa_values = lsoa_values.merge(population, on="lsoa")
    for column, base in rated.items():
        lsoa_values[column] /= lsoa_values[base]
    lsoas = lsoa_values.merge(grouping, on="lsoa")
    if only_areas is not None:
        lsoas = lsoas[lsoas["lsoa"].isin(only_areas)]
    values = {}
    for indicator in method.indicators:
        column = f"{indicator.source['file']}:{indicator.source['column']}"
        weight = lsoas[indicator.source.get("population", "total")] * lsoas["share"]
        parts = pd.DataFrame({"unit": lsoas["group"], "wx": weight * lsoas[column], "w": weight})
        sums = parts.groupby("unit").agg(wx=("wx", lambda s: s.sum(min_count=len(s))), w=("w", "sum"))
        values[indicator.id] = sums["wx"] / sums["w"]  # NaN when any LSOA lacks the value
    raw = pd.DataFrame(values)
    raw.index = pd.MultiIndex.from_arrays([raw.index, [spec.period] * len(raw)], names=["unit", "period"])
    parent = places.parent_of(spec.geography_vintage, group_vintage)
    units = sorted(raw.index.get_level_values("unit"))
    groups = parent.reindex(units)
    names = places.names_in(spec.geography_vintage)
    areas = pd.DataFrame(
        {"code": units, "name": names.reindex(units).fillna("").to_list(), "parent": groups.to_list()}
    )
    empty = []
    if spec.geography_level == "ward":  # the wards of the districts covered that no LSOA falls in
        empty = sorted(set(parent.index[parent.isin(set(groups))]) - set(units))
    carried = places.lsoa_base(spec.geography_vintage) != spec.lsoa_vintage
    fates = places.fates(spec.lsoa_vintage, lsoas["lsoa"].drop_duplicates()) if carried else {}
    return AreaPanel(raw, groups, areas, lsoas["lsoa"].nunique(), empty, fates)


def _rates(spec: DatasetSpec) -> dict[str, tuple[str, str]]:
    """The dataset's ``rates``: method column → (numerator column, population), each checked."""
    found = {}
    for column, rate in spec.rates.items():
        if not (
            isinstance(rate, dict)
            and set(rate) == {"numerator", "population"}
            and all(isinstance(v, str) for v in rate.values())
        ):
            raise ValueError(
                f"{spec.name}: rates.{column} must be a table of a numerator column and a population, "
                f"not {rate!r}"
            )
        found[column] = (rate["numerator"], rate["population"])
    return found


def observations(method: Method, scores: Scores, period: str) -> pd.DataFrame:
    """The tidy table: spi-score and spi-rank of every concept, indicator-value of indicators."""
    ranks = scores.ranks()
    units = pd.Series(scores.index.index.get_level_values("unit"))
    in_period = scores.index.index.get_level_values("period") == period
    frames = []

    def add(concept: str, measure: str, values: pd.Series, unit: str, imputed: pd.Series | None = None):
        frame = tidy.observations(
            units[in_period], period, concept, measure, _by_unit(values[in_period]), unit
        )
        if imputed is not None:
            frame.loc[imputed[in_period].to_numpy(), "status"] = "imputed"
        frames.append(frame)

    levels = [
        (INDEX, scores.index, ranks["index"]["index"], None),
        *[(d.id, scores.dimensions[d.id], ranks["dimension"][d.id], None) for d in method.dimensions],
        *[(c.id, scores.components[c.id], ranks["component"][c.id], None) for c in method.scored_components],
        *[(i.id, scores.indicators[i.id], ranks["indicator"][i.id], i) for i in method.indicators],
    ]
    for concept, values, rank, indicator in levels:
        flags = None if indicator is None else scores.imputed[indicator.id]
        add(concept, "spi-score", values.round(6), "spi-score", flags)
        add(concept, "spi-rank", rank, "rank-highest-first")
        raw = scores.raw[indicator.id] if indicator else pd.Series(np.nan, index=values.index)
        add(concept, "indicator-value", raw.round(6), indicator.unit if indicator else "spi-score", flags)
    return tidy.concat(frames)


def _by_unit(values: pd.Series) -> pd.Series:
    return pd.Series(values.to_numpy(), index=values.index.get_level_values("unit"))


def component_diagnostics(method: Method, scores: Scores) -> list[ComponentDiagnostics]:
    """Diagnostics of every scored component over the areas' indicator scores."""
    found = []
    for component in method.scored_components:
        names = [i.id for i in method.indicators_of(component.id)]
        found.append(diagnose(component.id, names, scores.indicators[names].to_numpy()))
    return found


def describe_release(
    graph: Graph,
    dataset: URIRef,
    minter: Minter,
    method: Method,
    scores: Scores,
    diagnostics: list[ComponentDiagnostics],
) -> None:
    """State in the release metadata the weights used and each component's diagnostics."""
    li = Namespace(minter.ontology(""))
    for result in diagnostics:
        node = BNode()
        graph.add((dataset, li.componentDiagnostics, node))
        graph.add((node, li.component, URIRef(minter.concept(method.id, result.component))))
        graph.add((node, li.completeUnits, Literal(result.units, datatype=XSD.integer)))
        for term, value in (
            (li.cronbachAlpha, result.alpha),
            (li.kmo, result.kmo),
            (li.firstComponentShare, result.pc1_share),
        ):
            if value is not None:
                graph.add((node, term, Literal(round(value, 6), datatype=XSD.decimal)))
        suggested = result.pca_weights or [None] * len(result.indicators)
        used = scores.weights[result.component]
        for name, pca in zip(result.indicators, suggested, strict=True):
            weight = BNode()
            graph.add((node, li.indicatorParameters, weight))
            graph.add((weight, li.indicator, URIRef(minter.concept(method.id, name))))
            graph.add((weight, li.weightUsed, Literal(round(float(used[name]), 6), datatype=XSD.decimal)))
            if pca is not None:
                graph.add((weight, li.suggestedWeight, Literal(round(pca, 6), datatype=XSD.decimal)))
