"""View models for the human pages: triples and registry records turned into what templates show."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

import pandas as pd
import pyoxigraph as ox

from publisher.published import (
    GEOGRAPHY,
    QB,
    SDMX_ATTRIBUTE,
    SDMX_DIMENSION,
    Minter,
    Release,
    vocabulary_measures,
)

from .citation import Citation, cite

PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "prov": "http://www.w3.org/ns/prov#",
    "void": "http://rdfs.org/ns/void#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "qb": QB,
    "sdmx-dimension": SDMX_DIMENSION,
    "sdmx-attribute": SDMX_ATTRIBUTE,
    "spdx": "http://spdx.org/rdf/terms#",
    "sh": "http://www.w3.org/ns/shacl#",
    "geo": GEOGRAPHY,
}
RDF_TYPE = PREFIXES["rdf"] + "type"
COMMENTS = (PREFIXES["rdfs"] + "comment", PREFIXES["skos"] + "definition", PREFIXES["dct"] + "description")


@dataclass
class Term:
    uri: str
    label: str
    href: str | None


@dataclass
class Value:
    kind: str  # uri | literal
    uri: str = ""
    label: str = ""
    href: str | None = None
    text: str = ""
    lang: str = ""
    datatype_label: str = ""


@dataclass
class Property:
    predicate: Term
    values: list[Value] = field(default_factory=list)


class Labeller:
    """Labels and links for IRIs: our own IRIs link to their pages, ONS areas to our area page."""

    def __init__(self, minter: Minter, labels: dict[str, str]):
        self.minter, self.known = minter, labels

    def compact(self, iri: str) -> str:
        for prefix, namespace in PREFIXES.items():
            if iri.startswith(namespace) and len(iri) > len(namespace):
                return f"{prefix}:{iri[len(namespace) :]}"
        if iri.startswith(self.minter.base):
            return iri[len(self.minter.base) - 1 :]
        return iri

    def href(self, iri: str) -> str | None:
        if iri.startswith(GEOGRAPHY):
            return f"{self.minter.base}area/{quote(iri[len(GEOGRAPHY) :])}"
        if iri.startswith(("http://", "https://")):
            return iri
        return None

    def term(self, iri: str) -> Term:
        return Term(iri, self.known.get(iri) or self.compact(iri), self.href(iri))

    def value(self, node) -> Value:
        if isinstance(node, ox.NamedNode):
            term = self.term(node.value)
            return Value("uri", uri=term.uri, label=term.label, href=term.href)
        if isinstance(node, ox.BlankNode):
            return Value("literal", text="(a blank node: see the Turtle)")
        datatype = node.datatype.value if node.datatype else ""
        shown = "" if node.language or datatype.endswith("#string") else self.compact(datatype)
        return Value("literal", text=node.value, lang=node.language or "", datatype_label=shown)


def properties(subject: str, triples: Iterable[ox.Triple], labeller: Labeller) -> list[Property]:
    """The subject's own statements, grouped by predicate, rdf:type first."""
    grouped: dict[str, Property] = {}
    for triple in triples:
        if triple.subject.value != subject or not isinstance(triple.subject, ox.NamedNode):
            continue
        predicate = triple.predicate.value
        grouped.setdefault(predicate, Property(labeller.term(predicate))).values.append(
            labeller.value(triple.object)
        )
    return sorted(grouped.values(), key=lambda p: (p.predicate.uri != RDF_TYPE, p.predicate.label))


def literal(triples: Iterable[ox.Triple], subject: str, predicates: Iterable[str]) -> str | None:
    """The first (English) literal of ``subject`` for any of ``predicates``."""
    wanted = set(predicates)
    best = None
    for triple in triples:
        if triple.subject.value != subject or triple.predicate.value not in wanted:
            continue
        if isinstance(triple.object, ox.Literal) and (best is None or triple.object.language == "en"):
            best = triple.object.value
    return best


def objects(triples: Iterable[ox.Triple], subject: str, predicate: str) -> list[str]:
    return [
        t.object.value
        for t in triples
        if t.subject.value == subject
        and t.predicate.value == predicate
        and isinstance(t.object, ox.NamedNode)
    ]


def resource_view(iri: str, triples: list[ox.Triple], labeller: Labeller, members: list[dict]) -> dict:
    return {
        "uri": iri,
        "label": labeller.known.get(iri) or labeller.compact(iri),
        "comment": literal(triples, iri, COMMENTS),
        "types": [labeller.term(t) for t in objects(triples, iri, RDF_TYPE)],
        "properties": properties(iri, triples, labeller),
        "members": members,
    }


def words(measure: str, value: float, universe: int, rank_direction: str, rank_measures: set[str]) -> str:
    """A rank or decile in plain words, e.g. 'rank 1,234 of 32,844 (rank 1 = most deprived)'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    direction = rank_direction.split("=", 1)[-1].strip()
    if measure in rank_measures:
        return f"Rank {int(value):,} of {universe:,} (rank 1 = {direction})"
    if measure == "decile":
        return f"Decile {int(value)} of 10 (decile 1 = the {direction} tenth of areas)"
    return ""


def number_text(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no value"
    if float(value).is_integer() and unit != "score":
        return f"{int(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def area_rows(table: pd.DataFrame, release: Release, minter: Minter, labels: dict[str, str]) -> list[dict]:
    """One row per observation of an area in one release, explained in words."""
    ranks = {m for m, d in vocabulary_measures(minter.defs).items() if d.rank_of}
    scheme = release.component_scheme
    rows = []
    for row in table.itertuples(index=False):
        uri = release.observation_uri(row.area, row.period, row.component, row.measure)
        rows.append(
            {
                "component": labels.get(minter.concept(scheme, row.component), row.component),
                "measure": labels.get(minter.measure(row.measure), row.measure),
                "text": number_text(row.value, str(row.unit)) if row.status != "missing" else "missing",
                "href": uri,
                "words": words(row.measure, row.value, release.universe, release.rank_direction, ranks),
            }
        )
    return rows


def cite_release(release: Release, publisher: str, uri: str | None = None, what: str = "") -> Citation:
    """Cite a revision (or something in it, ``what`` at ``uri``)."""
    revision = f"revision {release.revision}"
    issued = release.issued or ""
    if what:
        return cite(uri, what, publisher, issued, f"In: {release.title}, {revision}")
    return cite(uri or release.dataset, f"{release.title} ({revision})", publisher, issued)
