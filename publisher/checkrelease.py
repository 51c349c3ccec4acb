"""Validate a release directory as published (all three layers), e.g. `localindex validate DIR`."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from .config import Settings
from .csvw import read_csvw_table
from .cube import CubeShape
from .datasets import DatasetSpec
from .metadata import QB
from .release import StepClock, check_release_graph
from .uris import Minter
from .validate import TABLE_RULES, Report, check_table, stage_file

VALIDATION_GRAPH = "urn:localindex:validation"


def validate_release(
    directory: Path, specs: list[DatasetSpec], settings: Settings, full: bool = False
) -> Report:
    minter = Minter.of(settings)
    spec, revision = _spec_of(directory, specs, minter)
    stem = f"{spec.series}-{spec.edition}"
    report = Report(f"{spec.name} ({directory})")
    metadata = Graph().parse(directory / f"{stem}-metadata.ttl", format="turtle")
    component_dimension = _component_dimension(metadata, minter)
    shape = CubeShape.of(spec, minter, component_dimension, revision, vocabulary=metadata)

    staged = stage_file(directory / f"{stem}.nt.gz", VALIDATION_GRAPH)
    member = (
        f"SELECT ?area WHERE {{ <{shape.area_list}> <http://www.w3.org/2004/02/skos/core#member> ?area }}"
    )
    solutions = staged.query(member, default_graph=ox.NamedNode(VALIDATION_GRAPH))
    areas = {s["area"].value.rsplit("/", 1)[-1] for s in solutions}
    table = read_csvw_table(directory / f"{stem}.csv-metadata.json")
    report.extend("tabular", TABLE_RULES, check_table(table, spec, shape, minter, areas))
    check_release_graph(
        report,
        staged,
        VALIDATION_GRAPH,
        spec,
        shape,
        minter,
        settings,
        areas,
        full,
        StepClock(lambda _: None, spec.name),
    )
    return report


def _spec_of(directory: Path, specs: list[DatasetSpec], minter: Minter) -> tuple[DatasetSpec, int]:
    """The dataset definition a release directory was built from, and which revision it is."""
    for metadata_file in directory.glob("*-metadata.ttl"):
        graph = Graph().parse(metadata_file, format="turtle")
        for dataset in graph.subjects(RDF.type, QB.DataSet):
            edition = graph.value(dataset, URIRef(minter.ontology("edition")), default=dataset)
            revision = graph.value(dataset, URIRef(minter.ontology("revision")))
            for spec in specs:
                if str(edition) == minter.edition(spec.series, spec.edition):
                    return spec, int(revision) if revision is not None else 1
    raise ValueError(f"{directory}: no *-metadata.ttl describing a known dataset")


def _component_dimension(metadata: Graph, minter: Minter) -> str:
    prefix = minter.dimension("")
    for prop in metadata.objects(None, QB.dimension):
        if str(prop).startswith(prefix):
            return str(prop)[len(prefix) :]
    raise ValueError("the structure has no localindex component dimension")
