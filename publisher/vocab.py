"""Read the Turtle vocabularies in vocab/ (resolved against the base URI)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import SKOS

from .paths import VOCAB_DIR


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


def scheme_concepts(base: str, scheme: str) -> list[Concept]:
    """Concepts of a scheme in display order, with their method parameters."""
    graph = vocabulary_graph(base)
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
