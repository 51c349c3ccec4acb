"""Dataset metadata as a small rdflib graph: DCAT + Data Cube structure + PROV (DESIGN.md §4, §7)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from .. import __version__
from ..inputs.datasets import DatasetSpec
from . import uris
from .cube import CubeShape
from .uris import Minter

QB = Namespace(uris.QB)
SDMX_DIMENSION = Namespace(uris.SDMX_DIMENSION)
SDMX_ATTRIBUTE = Namespace(uris.SDMX_ATTRIBUTE)
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")  # versionNotes: what a revision changed
ENGLAND = URIRef(uris.area("E92000001"))


@dataclass(frozen=True)
class SourceFile:
    """One input file with what PROVENANCE records about it and its checksum as read."""

    path: str
    sha256: str
    title: str
    publisher: str
    url: str
    licence: str

    @classmethod
    def load_all(cls, spec: DatasetSpec, checksums: dict[Path, str]) -> list[SourceFile]:
        provenance_file = spec.root / "provenance.json"
        records = {}
        if provenance_file.exists():
            records = {r["path"]: r for r in json.loads(provenance_file.read_text())}
        files = []
        for path, digest in checksums.items():
            relative = path.relative_to(spec.root.resolve()).as_posix()
            record = records.get(relative, {})
            files.append(
                cls(
                    path=relative,
                    sha256=digest,
                    title=record.get("title", relative),
                    publisher=record.get("publisher", ""),
                    url=record.get("url", ""),
                    licence=record.get("licence", uris.OGL_V3),
                )
            )
        return files


@dataclass(frozen=True)
class Build:
    """The build activity that generated a release (PROV): when, by which software, with which config."""

    release_key: str
    started: datetime
    ended: datetime
    config_sha256: str
    software_sha256: str
    checks: list[str]


@dataclass(frozen=True)
class Revision:
    """Which revision of its edition a release is, and what it corrects."""

    number: int
    issued: str  # ISO date this revision was first published
    content: str  # li:contentSha256: what makes it this revision and not the next
    replaces: str | None = None  # the dataset URI of the revision it corrects
    note: str = ""  # why it replaces that revision, in words


@dataclass(frozen=True)
class Distribution:
    filename: str
    media_type: str
    title: str
    conforms_to: str
    byte_size: int | None  # None: stated by the catalogue (a file that holds this metadata), or made later
    on_request: bool = False  # made when first asked for (a large table's workbook): no size yet


def dataset_metadata(
    spec: DatasetSpec,
    shape: CubeShape,
    minter: Minter,
    *,
    publisher: tuple[str, str],
    build: Build,
    revision: Revision,
    sources: list[SourceFile],
    distributions: list[Distribution],
    method: str,
    derived_from: str | None = None,
    areas_without_data: list[str] = (),
) -> Graph:
    """Describe one release; ``derived_from`` is the dataset URI of the release it is computed from."""
    graph = Graph()
    graph.bind("qb", QB)
    graph.bind("dcat", DCAT)
    graph.bind("dct", DCTERMS)
    graph.bind("prov", PROV)
    graph.bind("li", Namespace(minter.ontology("")))
    li = Namespace(minter.ontology(""))
    dataset = URIRef(shape.dataset)
    series = URIRef(minter.series(spec.series))
    activity = URIRef(minter.release_activity(spec.series, spec.edition, build.release_key))
    publisher_uri = URIRef(publisher[1])

    add = graph.add
    for kind in (QB.DataSet, DCAT.Dataset):
        add((dataset, RDF.type, kind))
    add((dataset, RDFS.label, Literal(spec.title, lang="en")))
    add((dataset, DCTERMS.title, Literal(spec.title, lang="en")))
    add((dataset, DCTERMS.description, Literal(" ".join(spec.description.split()), lang="en")))
    add((dataset, li.missingValues, Literal(" ".join(spec.missing_values.split()), lang="en")))
    add((dataset, DCTERMS.license, URIRef(spec.licence_uri)))
    add((dataset, DCTERMS.publisher, publisher_uri))
    add((dataset, DCTERMS.issued, Literal(revision.issued, datatype=XSD.date)))
    add((dataset, DCTERMS.temporal, URIRef(uris.period(spec.period))))
    add((dataset, DCTERMS.spatial, ENGLAND))
    add((dataset, DCAT.inSeries, series))
    add((dataset, DCAT.version, Literal(spec.edition)))
    add((dataset, li.revision, Literal(revision.number, datatype=XSD.integer)))
    add((dataset, li.contentSha256, Literal(revision.content)))
    add((dataset, li.edition, URIRef(minter.edition(spec.series, spec.edition))))
    if revision.replaces:
        add((dataset, DCTERMS.replaces, URIRef(revision.replaces)))
        add((dataset, PROV.wasRevisionOf, URIRef(revision.replaces)))
        if revision.note:
            add((dataset, ADMS.versionNotes, Literal(" ".join(revision.note.split()), lang="en")))
    add((dataset, QB.structure, URIRef(shape.structure)))
    add((dataset, li.geographyLevel, Literal(spec.geography_level)))
    add((dataset, li.geographyVintage, Literal(spec.geography_vintage)))
    add((dataset, li.areaCodePattern, Literal(spec.area_code_pattern)))
    add((dataset, li.rankingUniverse, Literal(spec.ranking_universe, datatype=XSD.integer)))
    add((dataset, li.rankDirection, Literal(spec.rank_direction, lang="en")))
    add((dataset, li.releaseKey, Literal(build.release_key)))
    add((dataset, URIRef("http://rdfs.org/ns/void#sparqlEndpoint"), URIRef(minter.sparql_endpoint)))
    add((dataset, PROV.wasGeneratedBy, activity))
    area_list = URIRef(shape.area_list)
    add((dataset, URIRef(minter.ontology("areaList")), area_list))
    add((area_list, li.geographyVintage, Literal(spec.geography_vintage)))
    add((dataset, li.method, URIRef(minter.method(method))))
    if derived_from:
        add((dataset, RDF.type, li.DerivedDataset))
        add((dataset, PROV.wasDerivedFrom, URIRef(derived_from)))
        add((activity, PROV.used, URIRef(derived_from)))
    for code in areas_without_data:
        add((dataset, li.areaWithoutData, URIRef(uris.area(code))))

    for source in sources:  # described once in the shared graph; the checksum as used, here
        entity = URIRef(minter.source(source.path))
        add((dataset, PROV.wasDerivedFrom, entity))
        add((dataset, DCTERMS.source, entity))
        add((activity, PROV.used, entity))
        usage = BNode()
        add((activity, PROV.qualifiedUsage, usage))
        add((usage, RDF.type, PROV.Usage))
        add((usage, PROV.entity, entity))
        add((usage, li.sha256, Literal(source.sha256)))
        checksum = BNode()
        add((usage, SPDX.checksum, checksum))
        add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        add((checksum, SPDX.checksumValue, Literal(source.sha256, datatype=XSD.hexBinary)))

    add((activity, RDF.type, PROV.Activity))
    add((activity, RDFS.label, Literal(f"localindex build of {spec.name}", lang="en")))
    add((activity, PROV.startedAtTime, Literal(build.started.isoformat(), datatype=XSD.dateTime)))
    add((activity, PROV.endedAtTime, Literal(build.ended.isoformat(), datatype=XSD.dateTime)))
    add((activity, li.configSha256, Literal(build.config_sha256)))
    add((activity, PROV.wasAssociatedWith, URIRef(software_agent(__version__))))  # described in the catalogue
    add((activity, li.softwareSha256, Literal(build.software_sha256)))
    add((activity, PROV.qualifiedAssociation, _association(graph, minter.method(method))))
    add((activity, PROV.generated, dataset))
    for check in build.checks:
        add((activity, RDFS.comment, Literal(check, lang="en")))

    for item in distributions:
        node = URIRef(minter.download(spec.series, spec.edition, item.filename, revision.number))
        add((dataset, DCAT.distribution, node))
        add((node, RDF.type, DCAT.Distribution))
        add((node, DCTERMS.title, Literal(item.title, lang="en")))
        add((node, DCAT.downloadURL, node))
        add((node, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{item.media_type}")))
        add((node, DCTERMS.conformsTo, URIRef(item.conforms_to)))
        add((node, DCTERMS.license, URIRef(spec.licence_uri)))
        if item.byte_size is not None:
            add((node, DCAT.byteSize, Literal(item.byte_size, datatype=XSD.nonNegativeInteger)))
        if item.on_request:
            add((node, li.madeOnRequest, Literal(True)))

    _structure(graph, spec, shape, minter)
    return graph


def software_agent(version: str) -> str:
    return f"https://pypi.org/project/localindex/{version}"


def _association(graph: Graph, method: str) -> BNode:
    node = BNode()
    graph.add((node, RDF.type, PROV.Association))
    graph.add((node, PROV.hadPlan, URIRef(method)))
    return node


def _structure(graph: Graph, spec: DatasetSpec, shape: CubeShape, minter: Minter) -> None:
    """The DSD in normalised form: every component spec has qb:componentProperty and qb:order."""
    structure = URIRef(shape.structure)
    graph.add((structure, RDF.type, QB.DataStructureDefinition))
    graph.add((structure, RDFS.label, Literal(f"Structure of {spec.title}", lang="en")))
    dimensions = [
        ("ref-area", SDMX_DIMENSION.refArea),
        ("ref-period", SDMX_DIMENSION.refPeriod),
        (shape.component_dimension.rsplit("/", 1)[-1], URIRef(shape.component_dimension)),
        ("measure-type", QB.measureType),
    ]
    order = 0
    for name, prop in dimensions:
        order += 1
        node = _component(graph, shape, structure, name, order)
        graph.add((node, QB.dimension, prop))
        graph.add((node, QB.componentProperty, prop))
    for notation, iri in shape.measures.items():
        order += 1
        node = _component(graph, shape, structure, f"measure-{notation}", order)
        graph.add((node, QB.measure, URIRef(iri)))
        graph.add((node, QB.componentProperty, URIRef(iri)))
    for name, prop, required in (
        ("unit", SDMX_ATTRIBUTE.unitMeasure, True),
        ("obs-status", SDMX_ATTRIBUTE.obsStatus, False),
    ):
        order += 1
        node = _component(graph, shape, structure, name, order)
        graph.add((node, QB.attribute, prop))
        graph.add((node, QB.componentProperty, prop))
        graph.add((node, QB.componentRequired, Literal(required)))
    graph.add(
        (
            URIRef(shape.area_list),
            SKOS.prefLabel,
            Literal(f"Areas of {spec.title} ({spec.geography_vintage})", lang="en"),
        )
    )


def _component(graph, shape, structure, name, order) -> URIRef:
    node = URIRef(f"{shape.dataset}/component/{name}")
    graph.add((structure, QB.component, node))
    graph.add((node, RDF.type, QB.ComponentSpecification))
    graph.add((node, QB.order, Literal(order)))
    return node
