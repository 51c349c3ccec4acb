"""Content negotiation for dereferenced URIs: which representation, from a suffix or Accept.

A suffix (``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``, ``.html``, ``.csv``) names a representation and overrides
Accept, so that a representation has its own URL to link and cite; without one, Accept decides, and
a browser (or a client that accepts anything) gets HTML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept


@dataclass(frozen=True)
class Representation:
    suffix: str
    media_type: str
    label: str
    rdf_format: ox.RdfFormat | None = None


REPRESENTATIONS = {
    r.suffix: r
    for r in (
        Representation("html", "text/html", "HTML"),
        Representation("ttl", "text/turtle", "Turtle", ox.RdfFormat.TURTLE),
        Representation("jsonld", "application/ld+json", "JSON-LD", ox.RdfFormat.JSON_LD),
        Representation("nt", "application/n-triples", "N-Triples", ox.RdfFormat.N_TRIPLES),
        Representation("rdf", "application/rdf+xml", "RDF/XML", ox.RdfFormat.RDF_XML),
        Representation("csv", "text/csv", "CSV"),
    )
}
RDF_SUFFIXES = ("html", "ttl", "jsonld", "nt", "rdf")
ALIASES = {"application/json": "jsonld", "text/plain": "nt", "application/xhtml+xml": "html"}


def split_suffix(path: str) -> tuple[str, str | None]:
    """'data/x/2019.ttl' → ('data/x/2019', 'ttl'); paths without a known suffix are left alone."""
    head, dot, suffix = path.rpartition(".")
    if dot and "/" not in suffix and suffix in REPRESENTATIONS:
        return head, suffix
    return path, None


def choose(suffix: str | None, accept: MIMEAccept, offered: tuple[str, ...]) -> Representation | None:
    """The representation to send, or None when the client accepts none of those ``offered``."""
    if suffix is not None:
        return REPRESENTATIONS[suffix] if suffix in offered else None
    if not accept:
        return REPRESENTATIONS[offered[0]]
    candidates = [REPRESENTATIONS[s].media_type for s in offered]
    candidates += [alias for alias, target in ALIASES.items() if target in offered]
    best = accept.best_match(candidates)
    if best is None:
        return None
    return REPRESENTATIONS[
        ALIASES.get(best) or next(s for s in offered if REPRESENTATIONS[s].media_type == best)
    ]


def serialize(triples: list, representation: Representation, prefixes: dict[str, str]) -> bytes:
    """The triples in ``representation``'s RDF syntax. JSON-LD gets an ``@context`` of ``prefixes`` and
    compact property and type names (``dct:title``), so that it reads as JSON; identifiers stay whole."""
    if representation.rdf_format != ox.RdfFormat.JSON_LD:
        return ox.serialize(triples, format=representation.rdf_format, prefixes=prefixes)
    nodes = json.loads(ox.serialize(triples, format=ox.RdfFormat.JSON_LD))
    namespaces = sorted(prefixes.items(), key=lambda item: -len(item[1]))  # the longest namespace wins

    def compact(iri: str) -> str:
        for prefix, namespace in namespaces:
            local = iri[len(namespace) :]
            if iri.startswith(namespace) and local and not local.startswith("//") and ":" not in local:
                return f"{prefix}:{local}"
        return iri

    def compact_node(node: dict) -> dict:
        out = {}
        for key, value in node.items():
            if key == "@type":
                out[key] = [compact(t) for t in value] if isinstance(value, list) else compact(value)
            elif key == "@graph":
                out[key] = [compact_node(n) for n in value]
            elif key.startswith("@"):
                out[key] = value
            else:
                out[compact(key)] = value
        return out

    document = {"@context": prefixes, "@graph": [compact_node(n) for n in nodes]}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
