"""Area summaries of the English Indices of Deprivation (ward, district, region, STP) computed from
an LSOA edition with the official measures of publisher/compute/summaries.py, then ranked among the
areas.

Each summary uses the index's own population denominator: the LSOA edition's population measure,
or, for an edition without one, the population input the derived dataset names. Extent and local
concentration exist for the IMD only; an average score exists only where every LSOA has a score;
a rank among areas exists only where every area has the value ranked. Everything else is stated
missing, never partial.
"""

from __future__ import annotations

import pandas as pd

from ...inputs.datasets import DatasetSpec
from ...inputs.geography import Geography
from ...inputs.ingest import read_input
from ...rdf.uris import Minter
from ...rdf.vocab import scheme_concepts
from .. import tidy
from ..summaries import area_summaries, with_ranks
from . import imd
from .table import BuiltTable

DECIMALS = {"average-rank": 3, "local-concentration": 3, "population": 2}
UNITS = {"average-rank": "reversed-rank", "local-concentration": "reversed-rank", "population": "persons"}


def build(spec: DatasetSpec, minter: Minter, only_areas: set[str] | None = None) -> BuiltTable:
    source = spec.source
    if source is None or source.builder != "imd":
        raise ValueError(f"{spec.name}: derived_from must name an LSOA edition of the IMD")
    lsoa = imd.build_once(source, minter, only_areas=only_areas)
    values = lsoa.table.pivot_table(
        index=["area", "component"], columns="measure", values="value", observed=True, dropna=False
    ).reset_index()
    values = values.rename(columns={"area": "lsoa"}).drop(columns="population", errors="ignore")
    values = values.merge(_populations(spec, lsoa.table), on=["lsoa", "component"])
    geography = Geography.load(spec.root)
    grouping = _grouping(spec, lsoa.areas, geography)
    pieces = grouping.merge(values, on="lsoa")
    concepts = {c.notation: c for c in scheme_concepts(minter.defs, "imd")}

    frames = []
    for component in spec.components:
        part = pieces[pieces["component"] == component]
        summaries = with_ranks(area_summaries(part, source.ranking_universe, component))
        codes = pd.Series(summaries.index)
        for measure in spec.measures:
            unit = UNITS.get(measure, "rank" if measure.startswith("rank-of-") else "proportion")
            if measure == "average-score":
                unit = concepts[component].score_unit.rsplit("/", 1)[-1]
            column = summaries[measure]
            if not measure.startswith("rank-of-"):
                column = column.round(DECIMALS.get(measure, 6))
            frames.append(tidy.observations(codes, spec.period, component, measure, column, unit))

    areas = _areas(spec, grouping, geography, lsoa.areas)
    empty = []
    if spec.geography_level == "ward":
        empty = geography.wards_without_lsoas(set(lsoa.areas["parent"]))
    check = (
        f"{len(areas):,} {spec.geography_level} areas ({spec.geography_vintage}) from "
        f"{grouping['lsoa'].nunique():,} LSOAs of {source.name}; {len(empty):,} areas receive no LSOA"
    )
    return BuiltTable(
        tidy.concat(frames),
        areas,
        component_dimension="imd-domain",
        method="imd-area-summaries",
        checks=[*lsoa.checks, check],
        areas_without_data=empty,
    )


def _populations(spec: DatasetSpec, table: pd.DataFrame) -> pd.DataFrame:
    """(lsoa, component, population): the LSOA edition's denominators, else the named input."""
    own = table[table["measure"] == "population"]
    if len(own):
        return own[["area", "component", "value"]].rename(columns={"area": "lsoa", "value": "population"})
    path = spec.input_path(spec.inputs["population"])
    columns = sorted(set(spec.denominators.values()))
    frame = read_input(path, {"lsoa": "code", **dict.fromkeys(columns, "decimal")}, key="lsoa")
    return pd.concat(
        [
            pd.DataFrame({"lsoa": frame["lsoa"], "component": c, "population": frame[spec.denominators[c]]})
            for c in spec.components
        ],
        ignore_index=True,
    )


def _grouping(spec: DatasetSpec, lsoa_areas: pd.DataFrame, geography: Geography) -> pd.DataFrame:
    """(lsoa, group, share): districts of the LSOA edition's own vintage, else the ONS lookups."""
    if spec.geography_level == "lad":
        grouping = pd.DataFrame({"lsoa": lsoa_areas["code"], "group": lsoa_areas["parent"], "share": 1.0})
    else:
        grouping = geography.grouping(spec.geography_level)
    return grouping[grouping["lsoa"].isin(set(lsoa_areas["code"]))].reset_index(drop=True)


def _areas(spec: DatasetSpec, grouping: pd.DataFrame, geography: Geography, lsoa_areas) -> pd.DataFrame:
    """The areas with their names and parents; districts named as in the LSOA edition's own vintage."""
    areas = geography.describe(spec.geography_level, sorted(set(grouping["group"])))
    if spec.geography_level == "lad":
        own = dict(zip(lsoa_areas["parent"], lsoa_areas["parent_name"], strict=True))
        areas["name"] = [own.get(c, n) for c, n in zip(areas["code"], areas["name"], strict=True)]
    return areas
