"""Summaries a hub computes over the LSOAs its member councils publish (publisher/hub/harvest.py).

The inputs are the member releases the hub harvested (each an LSOA edition of the IMD). For every
area of the level that any member LSOA falls in, the official summary measures are computed over
the member LSOAs only, with the population covered and its share of the area's whole population.
A share below 1 marks every observation of the area 'partial': a summary of the members' part,
never the area's figure; such summaries are not ranked.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import PROV

from ...inputs.datasets import DatasetSpec
from ...inputs.geography import Geography
from ...inputs.ingest import read_input
from ...paths import DATA_DIR, QUERIES_DIR
from ...rdf.uris import Minter
from .. import tidy
from ..summaries import area_summaries
from .table import BuiltTable

QUERY = QUERIES_DIR / "member-lsoa-imd.rq"
WHOLE_POPULATION = DATA_DIR / "iod2019" / "file6_population.csv.gz"  # the IMD's own denominator
UNITS = {
    "average-score": "index-score",
    "average-rank": "reversed-rank",
    "proportion-most-deprived-10pc": "proportion",
    "population": "persons",
    "population-coverage": "proportion",
}


def member_values(path: Path, minter: Minter) -> tuple[pd.DataFrame, int]:
    """(dataset, lsoa, score, rank, decile, population) of one harvested release, and the number of
    LSOAs its ranks run over."""
    store = ox.Store()
    with gzip.open(path, "rb") as handle:
        store.bulk_load(handle, format=ox.RdfFormat.N_TRIPLES)
    universe = {
        int(q.object.value)
        for q in store.quads_for_pattern(None, ox.NamedNode(minter.ontology("rankingUniverse")), None)
    }
    rows = [
        (s["dataset"].value, s["area"].value.rsplit("/", 1)[-1], s["measure"].value.rsplit("/", 1)[-1],
         float(s["value"].value))
        for s in store.query(QUERY.read_text(), base_iri=minter.defs)
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["dataset", "lsoa", "measure", "value"])
    wide = frame.pivot_table(index=["dataset", "lsoa"], columns="measure", values="value").reset_index()
    if len(universe) != 1:
        raise ValueError(f"{path}: expected one li:rankingUniverse, found {sorted(universe)}")
    return wide.reindex(columns=["dataset", "lsoa", "score", "rank", "decile", "population"]), universe.pop()


def build(spec: DatasetSpec, minter: Minter, only_areas: set[str] | None = None) -> BuiltTable:
    parts = [member_values(spec.input_path(p), minter) for p in spec.inputs["lsoa"]]
    universes = {universe for _, universe in parts}
    if len(universes) != 1:
        raise ValueError(f"{spec.name}: member editions rank over different numbers of LSOAs: {universes}")
    values = pd.concat([frame for frame, _ in parts], ignore_index=True)
    duplicated = values[values["lsoa"].duplicated(keep=False)]
    if len(duplicated):  # two members claiming one LSOA: the union is ambiguous
        raise ValueError(
            f"{spec.name}: LSOAs published by more than one member: {sorted(set(duplicated['lsoa']))[:5]}"
        )
    geography = Geography.load(DATA_DIR)
    grouping = geography.grouping(spec.geography_level)
    whole = read_input(WHOLE_POPULATION, {"lsoa": "code", "total": "decimal"}, key="lsoa")
    grouping = grouping.merge(whole, on="lsoa")
    pieces = grouping.merge(values, on="lsoa")
    covered_groups = sorted(set(pieces["group"]))
    summaries = area_summaries(pieces, universes.pop(), "imd")
    population = summaries["population"]
    area_population = (
        grouping.assign(weighted=grouping["total"] * grouping["share"]).groupby("group")["weighted"].sum()
    )
    coverage = (population / area_population.reindex(population.index)).clip(upper=1.0)
    summaries["population"] = population.round(2)
    summaries["population-coverage"] = coverage.round(6)
    codes = pd.Series(covered_groups)
    frames = []
    for measure in spec.measures:
        column = summaries[measure].round(6)
        frame = tidy.observations(codes, spec.period, "imd", measure, column, UNITS[measure])
        partial = frame["area"].map(coverage).lt(1.0) & frame["status"].eq("")
        frame.loc[partial, "status"] = "partial"
        frames.append(frame)
    members = sorted(set(values["dataset"]))
    share_text = ", ".join(f"{c} {coverage[c]:.1%}" for c in covered_groups)

    def describe(metadata: Graph, dataset: URIRef, minter: Minter) -> None:
        for member_dataset in members:
            metadata.add((dataset, PROV.wasDerivedFrom, URIRef(member_dataset)))

    return BuiltTable(
        tidy.concat(frames),
        geography.describe(spec.geography_level, covered_groups),
        component_dimension="imd-domain",
        method="federated-area-summaries",
        checks=[
            f"{len(values):,} LSOAs from {len(members)} member release(s): {', '.join(members)}",
            f"population covered per {spec.geography_level}: {share_text}",
        ],
        describe=describe,
    )
