"""Validate a release directory as published (every layer), e.g. `localindex validate DIR`."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from ..config import Settings
from ..inputs.datasets import DatasetSpec
from ..rdf.csvw import read_csvw_table
from ..rdf.cube import CubeShape
from ..rdf.metadata import QB
from ..rdf.uris import Minter
from .rdf import check_release_rdf
from .report import Report
from .shacl import sample_points
from .table import TABLE_RULES, check_table


def validate_release(
    directory: Path, specs: list[DatasetSpec], settings: Settings, full: bool = False
) -> Report:
    """Every layer of the gate on what the directory holds: its N-Triples are checked themselves,
    whatever its CSV says, and its CSVW is read by position against them."""
    minter = Minter.of(settings)
    spec, revision = _spec_of(directory, specs, minter)
    stem = f"{spec.series}-{spec.edition}"
    report = Report(f"{spec.name} ({directory})")
    metadata = Graph().parse(directory / f"{stem}-metadata.ttl", format="turtle")
    component_dimension = _component_dimension(metadata, minter)
    shape = CubeShape.of(spec, minter, component_dimension, revision, vocabulary=metadata)
    csvw_metadata = directory / f"{stem}.csv-metadata.json"
    table = read_csvw_table(csvw_metadata)
    components = [c.notation for c in shape.concepts if c.notation in set(table["component"])]
    points = None if full else sample_points(table["area"].unique(), components, settings.shacl_sample_points)
    rdf = directory / f"{stem}.nt.gz"
    checked = check_release_rdf(report, rdf, csvw_metadata, spec, shape, minter, points)
    report.extend("tabular", TABLE_RULES, check_table(table, spec, shape, minter, checked.area_codes))
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
