"""What the published store says about one URI: the triples a dereference returns.

A description is the resource's concise bounded description (its triples, following blank nodes),
from every graph of the snapshot, replaced revisions included (so that they resolve for ever), plus
the members a reader expects on the same page: the terms of a hash-IRI document, the concepts of a
scheme, the editions of a series. Lookups are index scans on the subject, bounded by ``MAX_TRIPLES``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import cached_property
from itertools import islice

import pyoxigraph as ox

from publisher.published import PublishedSnapshot, Settings, open_reader

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
IN_SCHEME = ox.NamedNode("http://www.w3.org/2004/02/skos/core#inScheme")
IN_SERIES = ox.NamedNode("http://www.w3.org/ns/dcat#inSeries")
LABELS = tuple(
    ox.NamedNode(p)
    for p in (
        "http://www.w3.org/2004/02/skos/core#prefLabel",
        "http://www.w3.org/2000/01/rdf-schema#label",
        "http://purl.org/dc/terms/title",
        "http://xmlns.com/foaf/0.1/name",
    )
)
MEMBER_LINKS = (IN_SCHEME, IN_SERIES)  # members shown with what they belong to
MAX_TRIPLES = 50_000


class Described:
    """The store of one snapshot, opened read-only, with the lookups dereferencing needs."""

    def __init__(self, snapshot: PublishedSnapshot, settings: Settings):
        self.snapshot = snapshot
        self.store = open_reader(settings, snapshot.path, [*snapshot.graphs, *snapshot.archived_graphs])

    def triples(self, iri: str) -> list[ox.Triple]:
        """The description of ``iri``: empty when nothing is said about it."""
        subject = ox.NamedNode(iri)
        found = dict.fromkeys(self.store.describe(iri, MAX_TRIPLES))
        if not found:
            return []
        for member in self.hash_members(iri):
            found.update(dict.fromkeys(self.store.describe(member, MAX_TRIPLES)))
        members = []
        for link in MEMBER_LINKS:
            for quad in islice(self.store.quads_for_pattern(None, link, subject), MAX_TRIPLES):
                found.setdefault(ox.Triple(quad.subject, quad.predicate, quad.object))
                members.append(quad.subject)
        found.update(dict.fromkeys(self.store.label_triples(members, LABELS)))
        return list(found)

    def exists(self, iri: str) -> bool:
        """Whether anything is said about ``iri``; a string that is not an IRI names nothing."""
        try:
            subject = ox.NamedNode(iri)
        except ValueError:
            return False
        return next(iter(self.store.quads_for_pattern(subject, None, None)), None) is not None

    def hash_members(self, document: str) -> list[str]:
        return self._hash_documents.get(document, [])

    @cached_property
    def _hash_documents(self) -> dict[str, list[str]]:
        """Document IRI → its '#' terms, over the small graphs (vocabulary and catalogue)."""
        documents: dict[str, list[str]] = {}
        small = [g for g in self.snapshot.graphs if g.endswith(("/graph/vocabulary", "/graph/catalog"))]
        for graph in small:
            for quad in self.store.quads_for_pattern(None, RDF_TYPE, None, ox.NamedNode(graph)):
                if isinstance(quad.subject, ox.NamedNode) and "#" in quad.subject.value:
                    document = quad.subject.value.split("#", 1)[0]
                    documents.setdefault(document, [])
                    if quad.subject.value not in documents[document]:
                        documents[document].append(quad.subject.value)
        return documents

    def labels(self, iris: Iterable[str]) -> dict[str, str]:
        """A human label for each IRI that has one (English preferred)."""
        candidates: dict[str, dict[int, list[ox.Literal]]] = {}
        for triple in self.store.label_triples([ox.NamedNode(i) for i in set(iris)], LABELS):
            if isinstance(triple.object, ox.Literal):
                by_predicate = candidates.setdefault(triple.subject.value, {})
                by_predicate.setdefault(LABELS.index(triple.predicate), []).append(triple.object)
        labels: dict[str, str] = {}
        for iri, by_predicate in candidates.items():
            values = by_predicate[min(by_predicate)]  # the first kind of label in LABELS' order
            labels[iri] = next((v.value for v in values if v.language == "en"), values[0].value)
        return labels


class DescribedSnapshots:
    """One read-only store handle per published snapshot, reopened when a build publishes."""

    def __init__(self, snapshots, settings: Settings):
        self.snapshots = snapshots
        self.settings = settings
        self._lock = threading.Lock()
        self._current: Described | None = None

    def current(self) -> Described | None:
        snapshot = self.snapshots.current()
        if snapshot is None:
            return None
        with self._lock:
            if self._current is None or self._current.snapshot.path != snapshot.path:
                self._current = Described(snapshot, self.settings)
            return self._current
