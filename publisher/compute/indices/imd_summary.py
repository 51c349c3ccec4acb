"""Area summaries of the English Indices of Deprivation (ward, district, region, STP, ICB, sub-ICB,
constituency) computed from an LSOA edition with the official measures of
publisher/compute/summaries.py, then ranked among the areas.

LSOAs fall into areas by the lookup the dataset names (publisher/inputs/lookups.py), else by the
LSOA edition's own districts or the bundled 2011-based lookups. Each summary uses the index's own
population denominator: the LSOA edition's population measure, or, for an edition without one, the
population input the derived dataset names, each index's denominator one column or the sum of several
(age bands). Extent and local concentration exist for the IMD only; an average score exists only where
every LSOA has a score, a population-weighted measure only where every LSOA has a population; a rank
among areas exists only where every area has the value ranked. Everything else is stated missing,
never partial.
"""

from __future__ import annotations

import pandas as pd

from ...inputs import lookups
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
    # A left join: an LSOA without a population keeps its row, and its areas' weighted measures are missing.
    values = values.merge(lsoa_populations(spec, lsoa.table), on=["lsoa", "component"], how="left")
    geography = None if _own_geography(spec) else Geography.load(spec.root)
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
    if spec.geography_level == "ward" and geography is not None:
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


def lsoa_populations(spec: DatasetSpec, table: pd.DataFrame) -> pd.DataFrame:
    """(lsoa, component, population): the LSOA edition's denominators, else the named input, where
    a denominator is a column or a list of columns summed (Census age bands)."""
    own = table[table["measure"] == "population"]
    if len(own):
        return own[["area", "component", "value"]].rename(columns={"area": "lsoa", "value": "population"})
    path = spec.input_path(spec.inputs["population"])
    wanted = {c: spec.denominator_columns(c) for c in spec.components}
    columns = sorted({column for names in wanted.values() for column in names})
    frame = read_input(path, {"lsoa": "code", **dict.fromkeys(columns, "decimal")}, key="lsoa")
    return pd.concat(
        [
            pd.DataFrame({"lsoa": frame["lsoa"], "component": c, "population": frame[names].sum(axis=1)})
            for c, names in wanted.items()
        ],
        ignore_index=True,
    )


def _own_geography(spec: DatasetSpec) -> bool:
    """Whether the dataset's areas come from its own lookups (or the LSOA edition's districts) rather
    than the bundled 2011-based geography."""
    return bool(spec.lookup or spec.parents)


def _grouping(spec: DatasetSpec, lsoa_areas: pd.DataFrame, geography: Geography | None) -> pd.DataFrame:
    """(lsoa, group, share): the dataset's lookup, the LSOA edition's own districts, else the ONS
    2011-based lookups."""
    if geography is None or spec.geography_level == "lad":
        grouping = lookups.grouping(spec, lsoa_areas)
    else:
        grouping = geography.grouping(spec.geography_level)
    return grouping[grouping["lsoa"].isin(set(lsoa_areas["code"]))].reset_index(drop=True)


def _areas(
    spec: DatasetSpec, grouping: pd.DataFrame, geography: Geography | None, lsoa_areas
) -> pd.DataFrame:
    """The areas with their names and parents; districts named as in the LSOA edition's own vintage."""
    codes = sorted(set(grouping["group"]))
    if geography is None:
        return lookups.describe(spec, codes, lsoa_areas)
    areas = geography.describe(spec.geography_level, codes)
    if spec.geography_level == "lad":
        own = dict(zip(lsoa_areas["parent"], lsoa_areas["parent_name"], strict=True))
        areas["name"] = [own.get(c, n) for c, n in zip(areas["code"], areas["name"], strict=True)]
    return areas
