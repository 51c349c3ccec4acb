"""What a hub checks before it loads a member's release: the member's catalogue offers it, and the
release passes the same Data Cube checks the member's own gate ran, uses the hub's shared
definitions and geography vintage, and makes no statement about anyone else's resources."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import RDF

from ..gate import check_shacl, constants, generic_shapes, run_checks
from ..inputs.geography import VINTAGES
from ..rdf import uris
from ..rdf.catalog import VOID, catalog_shapes
from ..rdf.metadata import DCAT, QB
from ..rdf.uris import Minter
from .config import Member
from .fetch import HarvestError

HARVEST_GRAPH = "urn:localindex:harvest"


@dataclass(frozen=True)
class Offered:
    """A current release a member's catalogue offers."""

    dataset: str
    series: str
    edition: str
    dump: str
    triples: int
    catalog: Graph = field(compare=False, repr=False)  # the member's catalogue it was offered in


def offered_releases(member: Member, catalog_turtle: bytes) -> list[Offered]:
    """The member's current releases in the series the hub expects, from its DCAT/VoID catalogue."""
    graph = Graph()
    try:
        graph.parse(data=catalog_turtle, format="turtle", publicID=member.base_uri)
    except Exception as error:  # rdflib raises many parser types
        raise HarvestError(f"{member.catalog}: not a Turtle catalogue ({type(error).__name__})") from None
    offered = []
    for catalog in graph.subjects(RDF.type, DCAT.Catalog):
        for dataset in graph.objects(catalog, DCAT.dataset):
            dump = graph.value(dataset, VOID.dataDump)
            prefix = member.base_uri + "data/"
            if dump is None or not str(dataset).startswith(prefix):
                continue  # a series, or something not the member's own
            series, _, edition = str(dataset)[len(prefix) :].partition("/")
            if series in member.series:
                triples = graph.value(dataset, VOID.triples)
                offered.append(Offered(str(dataset), series, edition, str(dump), int(triples or 0), graph))
    return sorted(offered, key=lambda o: o.dataset)


def check_release(
    member: Member, offered: Offered, ntriples: bytes, minter: Minter, vocabulary: bytes
) -> list[str]:
    """Problems with a member's release (empty when the hub may load it)."""
    try:
        store = staged(ntriples, minter, vocabulary)
    except SyntaxError as error:
        return [f"not valid N-Triples: {error}"]
    return check_staged(store, member, offered, minter, vocabulary)


def staged(ntriples: bytes, minter: Minter, vocabulary: bytes) -> ox.Store:
    """A member release with the hub's vocabulary in an in-memory store, for checking and reading."""
    store = ox.Store()
    store.load(ntriples, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(HARVEST_GRAPH))
    store.load(vocabulary, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(minter.vocabulary_graph))
    return store


def check_staged(
    store: ox.Store, member: Member, offered: Offered, minter: Minter, vocabulary: bytes
) -> list[str]:
    graph = ox.NamedNode(HARVEST_GRAPH)
    dataset = ox.NamedNode(offered.dataset)
    problems = []

    def value(predicate: str) -> str | None:
        found = next(iter(store.quads_for_pattern(dataset, ox.NamedNode(predicate), None, graph)), None)
        return None if found is None else found.object.value

    if not any(
        store.quads_for_pattern(dataset, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(QB.DataSet)), graph)
    ):
        return [f"the dump does not describe {offered.dataset} as a qb:DataSet"]
    problems += _foreign_subjects(store, graph, member)
    problems += _metadata_shapes(store, graph, offered, minter, vocabulary)
    problems += _unknown_definitions(store, graph, minter)
    level, vintage = value(minter.ontology("geographyLevel")), value(minter.ontology("geographyVintage"))
    if level not in VINTAGES or vintage != VINTAGES[level]:
        problems.append(f"geography {level!r} {vintage!r} is not the hub's ({level}: {VINTAGES.get(level)})")
    structure = value(str(QB.structure))
    dimension = component_dimension(store, graph, structure, minter)
    missing = [
        name
        for name, v in (("rankingUniverse", value(minter.ontology("rankingUniverse"))),
                        ("areaList", value(minter.ontology("areaList"))),
                        ("areaCodePattern", value(minter.ontology("areaCodePattern"))),
                        ("structure", structure), ("component dimension", dimension))
        if v is None
    ]  # fmt: skip
    if missing:
        return problems + [f"the metadata lacks {', '.join(missing)}"]
    bound = constants(
        offered.dataset,
        int(value(minter.ontology("rankingUniverse"))),
        value(minter.ontology("areaList")),
        value(minter.ontology("areaCodePattern")),
        dimension,
    )
    _, findings = run_checks(store, [HARVEST_GRAPH, minter.vocabulary_graph], bound, minter.defs)
    problems += [f"{f.rule}: {f.message} ({f.count} found, e.g. {', '.join(f.focus[:2])})" for f in findings]
    return problems


def _metadata_shapes(
    store: ox.Store, graph: ox.NamedNode, offered: Offered, minter: Minter, vocabulary: bytes
) -> list[str]:
    """The catalogue profile and the generic Data Cube shapes, on the release's metadata with the
    member's catalogue (the observations are covered by the SPARQL checks, which state the same
    constraints over every observation)."""
    prefix = offered.dataset + "/obs/"
    metadata = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, graph)
        if not q.subject.value.startswith(prefix)
    ]
    data = Graph().parse(data=ox.serialize(metadata, format=ox.RdfFormat.N_TRIPLES), format="nt")
    data.parse(data=vocabulary, format="nt")
    data += offered.catalog
    findings = check_shacl(data, generic_shapes() + catalog_shapes(minter.defs))
    return [f"{f.rule}: {f.message} ({f.count} found, e.g. {', '.join(f.focus[:2])})" for f in findings]


def _foreign_subjects(store: ox.Store, graph: ox.NamedNode, member: Member) -> list[str]:
    """A member speaks only about its own resources (and the ONS areas it publishes)."""
    foreign = set()
    for quad in store.quads_for_pattern(None, None, None, graph):
        subject = quad.subject
        if isinstance(subject, ox.NamedNode) and not (
            member.allows(subject.value) or subject.value.startswith(uris.GEOGRAPHY)
        ):
            foreign.add(subject.value)
            if len(foreign) >= 3:
                break
    return (
        [f"statements about resources that are not {member.id}'s: {', '.join(sorted(foreign))}"]
        if foreign
        else []
    )


def _unknown_definitions(store: ox.Store, graph: ox.NamedNode, minter: Minter) -> list[str]:
    """Every shared definition a release uses must be one the hub defines (same /def/ terms)."""
    used: set[str] = set()
    for quad in store.quads_for_pattern(None, None, None, graph):
        for node in (quad.predicate, quad.object):
            if isinstance(node, ox.NamedNode) and node.value.startswith(minter.defs + "def/"):
                used.add(node.value)
    vocabulary = ox.NamedNode(minter.vocabulary_graph)
    unknown = sorted(
        iri
        for iri in used
        if not iri.startswith(minter.defs + "def/method/")  # methods: described by their publisher
        and next(iter(store.quads_for_pattern(ox.NamedNode(iri), None, None, vocabulary)), None) is None
    )
    if not unknown:
        return []
    return [f"{len(unknown)} definition(s) the hub does not have, e.g. {', '.join(unknown[:3])}"]


def component_dimension(
    store: ox.Store, graph: ox.NamedNode, structure: str | None, minter: Minter
) -> str | None:
    if structure is None:
        return None
    component, dimension = ox.NamedNode(str(QB.component)), ox.NamedNode(str(QB.dimension))
    for spec in store.quads_for_pattern(ox.NamedNode(structure), component, None, graph):
        for found in store.quads_for_pattern(spec.object, dimension, None, graph):
            if found.object.value.startswith(minter.dimension("")):
                return found.object.value
    return None
