"""/sparql: the SPARQL 1.1 Protocol for queries (GET, POST form, POST direct), read-only and bounded."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request

from .guard import RefusedQuery, check_graph_parameters, check_query
from .pool import (
    GRAPH_FORMATS,
    SELECT_FORMATS,
    Job,
    PoolBusy,
    QueryFailed,
    QueryTimeout,
    RowCapExceeded,
)

blueprint = Blueprint("sparql", __name__)
FORMAT_ALIASES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "ttl": "text/turtle",
    "ntriples": "application/n-triples",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
}
SERVICE_DESCRIPTION = Path(__file__).with_name("service-description.ttl")


def _error(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def _negotiate(form: str) -> str | None:
    offered = list(GRAPH_FORMATS if form in ("CONSTRUCT", "DESCRIBE") else SELECT_FORMATS)
    alias = request.values.get("format")
    if alias:
        wanted = FORMAT_ALIASES.get(alias, alias)
        return wanted if wanted in offered else None
    accept = request.accept_mimetypes
    if not accept or accept.best == "*/*":
        return offered[0]
    best = accept.best_match(offered + ["application/json", "text/plain"])
    if best == "application/json":
        return "application/sparql-results+json" if form in ("SELECT", "ASK") else "application/ld+json"
    if best == "text/plain":
        return "application/n-triples" if form in ("CONSTRUCT", "DESCRIBE") else "text/tab-separated-values"
    return best


def _query_text() -> str | None:
    if request.method == "POST" and request.mimetype == "application/sparql-query":
        return request.get_data(as_text=True)
    return request.values.get("query")


@blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    settings = current_app.config["LOCALINDEX_SETTINGS"]
    if request.values.get("update") is not None or request.mimetype == "application/sparql-update":
        return _error(400, "updates are not allowed: this endpoint is read-only")
    text = _query_text()
    snapshot = current_app.extensions["localindex_snapshots"].current()
    if text is None:
        return service_description(snapshot)
    if snapshot is None:
        return _error(503, "nothing is published yet: run `localindex build`")
    graphs = set(snapshot.graphs)
    try:
        checked = check_query(text, graphs, settings.max_query_bytes)
        default_graphs = check_graph_parameters(request.values.getlist("default-graph-uri"), graphs)
        named_graphs = check_graph_parameters(request.values.getlist("named-graph-uri"), graphs)
    except RefusedQuery as error:
        return _error(400, str(error))
    media_type = _negotiate(checked.form)
    if media_type is None:
        return _error(406, f"no acceptable result format for a {checked.form} query")
    uses_clauses = bool(checked.default_graphs or checked.named_graphs)
    job = Job(
        snapshot=str(snapshot.path),
        query=text,
        form=checked.form,
        default_graphs=default_graphs or sorted(graphs),
        named_graphs=named_graphs or sorted(graphs),
        use_dataset_clauses=uses_clauses and not (default_graphs or named_graphs),
        media_type=media_type,
        row_cap=settings.query_row_cap,
    )
    pool = current_app.extensions["localindex_pool"]()
    try:
        body = pool.run(job)
    except QueryTimeout as error:
        return _error(
            503, f"{error}. Narrow the query (filters, LIMIT) or use the downloads under /downloads/."
        )
    except RowCapExceeded as error:
        return _error(
            400,
            f"{error}; the cap is {settings.query_row_cap:,}. Page with LIMIT and OFFSET, "
            "or download the whole dataset from /downloads/.",
        )
    except PoolBusy as error:
        return _error(503, str(error))
    except QueryFailed as error:
        return _error(400, f"query failed: {error}")
    response = Response(body, mimetype=media_type)
    response.headers["Vary"] = "Accept"
    return response


def service_description(snapshot) -> Response:
    settings = current_app.config["LOCALINDEX_SETTINGS"]
    triples = list(
        ox.parse(path=str(SERVICE_DESCRIPTION), format=ox.RdfFormat.TURTLE, base_iri=settings.base_uri)
    )
    sd = "http://www.w3.org/ns/sparql-service-description#"
    dataset = ox.NamedNode(settings.base_uri + "sparql#dataset")
    for graph in snapshot.graphs if snapshot else []:
        node = ox.BlankNode()
        triples.append(ox.Triple(dataset, ox.NamedNode(sd + "namedGraph"), node))
        triples.append(ox.Triple(node, ox.NamedNode(sd + "name"), ox.NamedNode(graph)))
    offered = list(GRAPH_FORMATS)
    media_type = FORMAT_ALIASES.get(request.values.get("format", "")) or (
        request.accept_mimetypes.best_match(offered) if request.accept_mimetypes.best != "*/*" else None
    )
    media_type = media_type if media_type in GRAPH_FORMATS else "text/turtle"
    body = ox.serialize(triples, format=GRAPH_FORMATS[media_type])
    response = Response(body, mimetype=media_type)
    response.headers["Vary"] = "Accept"
    return response
