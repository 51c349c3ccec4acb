"""Read the Turtle vocabularies in vocab/ (resolved against the base URI)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDFS, SKOS, XSD

from ..paths import VOCAB_DIR


def vocabulary_files() -> list:
    return sorted(VOCAB_DIR.glob("*.ttl"))


def vocabulary_ntriples(base: str) -> bytes:
    """All vocabularies as N-Triples with IRIs resolved against ``base``."""
    triples = []
    for path in vocabulary_files():
        triples.extend(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=base))
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)


@lru_cache(maxsize=4)
def vocabulary_graph(base: str) -> Graph:
    graph = Graph()
    for path in vocabulary_files():
        graph.parse(path, format="turtle", publicID=base)
    return graph


@dataclass(frozen=True)
class Concept:
    notation: str
    uri: str
    label: str
    order: int
    weight: float | None
    score_unit: str | None
    score_minimum: float | None
    score_maximum: float | None


def scheme_concepts(base: str, scheme: str, extra: Graph | None = None) -> list[Concept]:
    """Concepts of a scheme in display order, with their method parameters; ``extra`` holds the
    concept schemes a release states itself (a submission's own indicators)."""
    graph = vocabulary_graph(base) if extra is None else vocabulary_graph(base) + extra
    li = Namespace(base + "def/ontology/")
    scheme_uri = URIRef(f"{base}def/concept-scheme/{scheme}")

    def value(subject, predicate):
        found = graph.value(subject, predicate)
        return None if found is None else found.toPython()

    concepts = [
        Concept(
            notation=str(graph.value(c, SKOS.notation)),
            uri=str(c),
            label=str(graph.value(c, SKOS.prefLabel)),
            order=int(value(c, li.order) or 0),
            weight=None if value(c, li.weight) is None else float(value(c, li.weight)),
            score_unit=None if value(c, li.scoreUnit) is None else str(value(c, li.scoreUnit)),
            score_minimum=value(c, li.scoreMinimum),
            score_maximum=value(c, li.scoreMaximum),
        )
        for c in graph.subjects(SKOS.inScheme, scheme_uri)
    ]
    if not concepts:
        raise LookupError(f"concept scheme {scheme!r} not found in vocab/")
    return sorted(concepts, key=lambda c: c.order)


@dataclass(frozen=True)
class Measure:
    notation: str
    uri: str
    label: str
    aggregation_rule: str  # notation in the aggregation scheme (vocab/summaries.ttl)
    rank_of: str | None  # notation of the measure this one ranks
    integer: bool  # values are xsd:integer
    minimum: float | None  # li:minimumValue, checked by every layer of the gate
    maximum: float | None


@lru_cache(maxsize=4)
def measures(base: str) -> dict[str, Measure]:
    """Every measure under /def/measure/ with the rule by which it aggregates over areas."""
    graph = vocabulary_graph(base)
    li = Namespace(base + "def/ontology/")
    prefix = base + "def/measure/"
    found = {}
    for subject in set(graph.subjects(li.aggregationRule, None)):
        if not str(subject).startswith(prefix):
            continue
        rank_of = graph.value(subject, li.rankOf)
        low, high = graph.value(subject, li.minimumValue), graph.value(subject, li.maximumValue)
        notation = str(subject)[len(prefix) :]
        found[notation] = Measure(
            notation=notation,
            uri=str(subject),
            label=str(graph.value(subject, RDFS.label)),
            aggregation_rule=str(graph.value(subject, li.aggregationRule)).rsplit("/", 1)[-1],
            rank_of=None if rank_of is None else str(rank_of)[len(prefix) :],
            integer=graph.value(subject, RDFS.range) == XSD.integer,
            minimum=None if low is None else float(low.toPython()),
            maximum=None if high is None else float(high.toPython()),
        )
    return found
