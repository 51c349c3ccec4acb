"""Which result format to send, from Accept or a `format` parameter, for a given query form."""

from __future__ import annotations

from werkzeug.datastructures import MIMEAccept

from .formats import GRAPH_FORMATS, SELECT_FORMATS

FORMAT_ALIASES = {
    "json": ("application/sparql-results+json", "application/ld+json"),
    "xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "rdfxml": (None, "application/rdf+xml"),
    "rdf": (None, "application/rdf+xml"),
    "rdf+xml": (None, "application/rdf+xml"),
    "json-ld": (None, "application/ld+json"),
    "n3": (None, "text/turtle"),  # Turtle is N3
    "csv": ("text/csv", None),
    "tsv": ("text/tab-separated-values", None),
    "turtle": (None, "text/turtle"),
    "ttl": (None, "text/turtle"),
    "ntriples": (None, "application/n-triples"),
    "nt": (None, "application/n-triples"),
    "jsonld": (None, "application/ld+json"),
}


def is_graph_form(form: str) -> bool:
    return form in ("CONSTRUCT", "DESCRIBE")


def negotiate(form: str, accept: list[tuple[str, float]], alias: str | None) -> str | None:
    """The media type to answer with, or None when nothing acceptable is offered."""
    graph = is_graph_form(form)
    offered = list(GRAPH_FORMATS if graph else SELECT_FORMATS)
    if alias:
        select_type, graph_type = FORMAT_ALIASES.get(alias, (alias, alias))
        wanted = graph_type if graph else select_type
        return wanted if wanted in offered else None
    accepted = MIMEAccept(accept)
    if not accepted or accepted.best == "*/*":
        return offered[0]
    best = accepted.best_match([*offered, "application/json", "text/plain"])
    if best == "application/json":
        return "application/ld+json" if graph else "application/sparql-results+json"
    if best == "text/plain":
        return "application/n-triples" if graph else "text/tab-separated-values"
    return best


HTML_TYPES = ("text/html", "application/xhtml+xml")


def prefers_html(accept: MIMEAccept, machine_types: list[str]) -> bool:
    """Whether a client asks for a page rather than any of ``machine_types``: a browser names text/html
    first, while a client accepting anything (``*/*``) or no Accept header at all gets the first
    machine type, as before pages existed."""
    if not accept:
        return False
    return accept.best_match([*machine_types, *HTML_TYPES]) in HTML_TYPES
