"""The catalogue graph: what is published, as DCAT, VoID and revision links (DESIGN.md §7).

A release's own graph never changes once published; what changes as releases come and go (which
revision is current, what replaced what, triple counts of the whole) is stated here, in one small
graph rebuilt from the registry whenever a snapshot is published. Shapes: shapes/catalog.ttl.
"""

from __future__ import annotations

import hashlib
from functools import cache

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, XSD

from .. import __version__
from ..paths import SHAPES_DIR
from . import uris
from .metadata import DCAT, software_agent
from .uris import Minter

VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")
OPENAPI = URIRef("https://spec.openapis.org/oas/v3.0.3")
DATA_CUBE = URIRef(uris.QB[:-1])
CATALOG_SHAPES = SHAPES_DIR / "catalog.ttl"


def catalog_graph(releases: dict, minter: Minter, publisher: tuple[str, str]) -> Graph:
    """DCAT catalogue, data services, series, revision links and VoID for the registry's releases."""
    graph = Graph()
    for prefix, namespace in (("dcat", DCAT), ("dct", DCTERMS), ("void", VOID), ("prov", PROV)):
        graph.bind(prefix, namespace)
    li = Namespace(minter.ontology(""))
    graph.bind("li", li)
    add = graph.add
    catalog, agent = URIRef(minter.catalog), URIRef(publisher[1])
    agents = {publisher[1]: {"name": publisher[0], "uri": publisher[1]}}
    agents |= {r["publisher"]["uri"]: r["publisher"] for r in releases.values() if r.get("publisher")}
    for described in agents.values():
        node = URIRef(described["uri"])
        add((node, RDF.type, FOAF.Agent))
        add((node, FOAF.name, Literal(described["name"])))
        add((node, RDFS.label, Literal(described["name"])))
        if described.get("homepage"):
            add((node, FOAF.homepage, URIRef(described["homepage"])))
    add((catalog, RDF.type, DCAT.Catalog))
    add((catalog, DCTERMS.title, Literal(f"{publisher[0]}: catalogue", lang="en")))
    add((catalog, DCTERMS.description, Literal(CATALOG_DESCRIPTION, lang="en")))
    add((catalog, DCTERMS.publisher, agent))
    add((catalog, DCTERMS.license, URIRef(uris.OGL_V3)))
    add((catalog, FOAF.homepage, URIRef(minter.base)))

    current = [r for _, r in sorted(releases.items())]
    for service, title, endpoint, description, standard in (
        (minter.sparql_endpoint, "SPARQL 1.1 endpoint (read-only)", minter.sparql_endpoint,
         minter.sparql_endpoint, SPARQL_PROTOCOL),
        (minter.rest_api, "REST API", f"{minter.rest_api}/", f"{minter.rest_api}/openapi.json", OPENAPI),
    ):  # fmt: skip
        node = URIRef(service)
        add((catalog, DCAT.service, node))
        add((node, RDF.type, DCAT.DataService))
        add((node, DCTERMS.title, Literal(title, lang="en")))
        add((node, DCAT.endpointURL, URIRef(endpoint)))
        add((node, DCAT.endpointDescription, URIRef(description)))
        add((node, DCTERMS.conformsTo, standard))
        add((node, DCTERMS.license, URIRef(uris.OGL_V3)))
        add((node, DCTERMS.publisher, agent))
        for release in current:
            add((node, DCAT.servesDataset, URIRef(release["dataset"])))

    sources: dict[str, dict] = {}
    versions: set[str] = set()
    for release in current:
        series = URIRef(minter.series(release["series"]))
        edition = URIRef(minter.edition(release["series"], release["edition"]))
        dataset = URIRef(release["dataset"])
        add((catalog, DCAT.dataset, series))
        add((catalog, DCAT.dataset, dataset))
        add((series, RDF.type, DCAT.DatasetSeries))
        add((series, DCTERMS.title, Literal(release["series_title"], lang="en")))
        add((series, DCTERMS.publisher, URIRef(release.get("publisher", {}).get("uri", publisher[1]))))
        add((edition, li.currentRevision, dataset))
        for record in [*release.get("history", []), release]:
            add((URIRef(record["dataset"]), li.namedGraph, URIRef(record["graph"])))
            for filename, size in record.get("sizes", {}).items():  # files that hold the release's metadata
                download = URIRef(
                    minter.download(record["series"], record["edition"], filename, record["revision"])
                )
                add((download, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))
            if record.get("replaced_by"):
                add((URIRef(record["dataset"]), DCTERMS.isReplacedBy, URIRef(record["replaced_by"])))
            for source in record.get("sources", []):
                sources[source["path"]] = source
            versions.add(record.get("software", __version__))
    for series_name, latest in _latest_per_series(current).items():
        add((URIRef(minter.series(series_name)), DCAT.last, URIRef(latest["dataset"])))

    for source in sources.values():  # described once here; each release states the checksum it used
        entity = URIRef(minter.source(source["path"]))
        add((entity, RDF.type, PROV.Entity))
        add((entity, DCTERMS.title, Literal(source["title"], lang="en")))
        add((entity, DCTERMS.license, URIRef(source["licence"])))
        if source["publisher"]:
            add((entity, DCTERMS.creator, Literal(source["publisher"])))
        if source["url"]:
            add((entity, DCAT.landingPage, URIRef(source["url"])))
    for version in sorted(versions):  # the software every build names in prov:wasAssociatedWith
        software = URIRef(software_agent(version))
        add((software, RDF.type, PROV.SoftwareAgent))
        add((software, RDFS.label, Literal(f"localindex {version}")))
        add((software, DCAT.version, Literal(version)))
    graph += void_graph(releases, minter)
    return graph


def void_graph(releases: dict, minter: Minter) -> Graph:
    """VoID (served at /.well-known/void): the whole and one subset per current release, with counts."""
    graph = Graph()
    graph.bind("void", VOID)
    add = graph.add
    whole, document = URIRef(minter.catalog), URIRef(minter.void)
    add((document, RDF.type, VOID.DatasetDescription))
    add((document, FOAF.primaryTopic, whole))
    add((whole, RDF.type, VOID.Dataset))
    add((whole, VOID.sparqlEndpoint, URIRef(minter.sparql_endpoint)))
    add((whole, VOID.uriSpace, Literal(f"{minter.base}data/")))
    add((whole, VOID.vocabulary, DATA_CUBE))
    total = 0
    for _, release in sorted(releases.items()):
        subset = URIRef(release["dataset"])
        total += release["triples"]
        add((whole, VOID.subset, subset))
        add((subset, RDF.type, VOID.Dataset))
        add((subset, VOID.triples, Literal(release["triples"], datatype=XSD.integer)))
        add((subset, VOID.entities, Literal(release["observations"], datatype=XSD.integer)))
        add((subset, VOID["class"], URIRef(uris.QB + "Observation")))
        add((subset, VOID.uriSpace, Literal(f"{release['dataset']}/obs/")))  # its endpoint: in its metadata
        add((subset, VOID.dataDump, URIRef(_download(minter, release, ".nt.gz"))))
    add((whole, VOID.triples, Literal(total, datatype=XSD.integer)))
    return graph


def _download(minter: Minter, release: dict, suffix: str) -> str:
    return minter.download(
        release["series"], release["edition"], release["stem"] + suffix, release["revision"]
    )


def _latest_per_series(releases: list[dict]) -> dict[str, dict]:
    """The newest edition of each series, by period then edition name."""
    latest: dict[str, dict] = {}
    for release in releases:
        best = latest.get(release["series"])
        if best is None or (release["period"], release["edition"]) > (best["period"], best["edition"]):
            latest[release["series"]] = release
    return latest


def latest_release(releases: dict, series: str) -> dict | None:
    return _latest_per_series(list(releases.values())).get(series)


def catalog_ntriples(releases: dict, minter: Minter, publisher: tuple[str, str]) -> tuple[str, bytes]:
    """The catalogue graph as sorted N-Triples (stable across processes) and its checksum."""
    content = catalog_graph(releases, minter, publisher).serialize(format="nt", encoding="utf-8")
    content = b"".join(sorted(set(content.splitlines(keepends=True))))
    return hashlib.sha256(content).hexdigest(), content


@cache
def catalog_shapes(base: str) -> Graph:
    """shapes/catalog.ttl, whose relative IRIs (localindex's own terms) resolve against ``base``."""
    return Graph().parse(CATALOG_SHAPES, format="turtle", publicID=base)


CATALOG_DESCRIPTION = (
    "English local-area indices published as validated RDF Data Cube: every edition and revision, "
    "with CSVW downloads, a read-only SPARQL endpoint and a REST API. A published revision never "
    "changes; a correction is a new revision, and the one it replaces keeps resolving."
)
