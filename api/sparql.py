"""/sparql: the SPARQL 1.1 Protocol for queries (GET, POST form, POST direct), read-only and bounded.

The request thread only reads the request; checking, evaluating and serialising happen in a
confined worker process under the wall-clock limit (pool.py). A GET without a query answers the
service description, or, to a browser (text/html preferred), the page of sparql_page.py.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request

from .formats import GRAPH_FORMATS
from .guard import RefusedQuery, check_graph_parameters
from .negotiation import negotiate, prefers_html
from .pool import Job, QueryRejected
from .sparql_page import page

blueprint = Blueprint("sparql", __name__)
SERVICE_DESCRIPTION = Path(__file__).with_name("service-description.ttl")
DESCRIPTION_TYPES = [*GRAPH_FORMATS, "application/json", "text/plain"]  # what negotiate() can make of them


def _error(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


class AmbiguousQuery(ValueError):
    """More than one query in one request: running either would silently ignore the other."""


def _query_text() -> str | None:
    """The one query of the request: a `query` parameter (URL or form body) or a direct POST body."""
    given = [*request.args.getlist("query"), *request.form.getlist("query")]
    if request.method == "POST" and request.mimetype == "application/sparql-query":
        given.append(request.get_data(as_text=True))
    if len(given) > 1:
        raise AmbiguousQuery(
            f"{len(given)} queries in one request (the URL, the form body and a direct POST body "
            "each count): send exactly one"
        )
    return given[0] if given else None


@blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    settings = current_app.config["LOCALINDEX_SETTINGS"]
    if request.values.get("update") is not None or request.mimetype == "application/sparql-update":
        return _error(400, "updates are not allowed: this endpoint is read-only")
    try:
        text = _query_text()
    except AmbiguousQuery as error:
        return _error(400, str(error))
    snapshot = current_app.extensions["localindex_snapshots"].current()
    if text is None:
        if request.method == "POST":
            return _error(400, "no query: send it as the 'query' parameter or as application/sparql-query")
        if request.values.get("format") is None and prefers_html(request.accept_mimetypes, DESCRIPTION_TYPES):
            return page(snapshot)  # a browser: the editor, examples and a plain form
        return service_description(snapshot)
    if snapshot is None:
        return _error(503, "nothing is published yet: run `localindex build`")
    graphs = set(snapshot.graphs) | set(snapshot.archived_graphs)
    try:
        default_graphs = check_graph_parameters(request.values.getlist("default-graph-uri"), graphs)
        named_graphs = check_graph_parameters(request.values.getlist("named-graph-uri"), graphs)
    except RefusedQuery as error:
        return _error(400, str(error))
    job = Job(
        snapshot=str(snapshot.path),
        query=text,
        known_graphs=tuple(sorted(graphs)),
        union_graphs=tuple(sorted(snapshot.graphs)),
        default_graphs=tuple(default_graphs),
        named_graphs=tuple(named_graphs),
        accept=tuple(request.accept_mimetypes),
        format_alias=request.values.get("format"),
        row_cap=settings.query_row_cap,
        max_query_chars=settings.max_query_chars,
        max_result_bytes=settings.query_result_max_bytes,
    )
    try:
        result = current_app.extensions["localindex_pool"]().run(job, client=request.remote_addr or "")
    except QueryRejected as error:
        return _error(error.status, str(error))
    response = Response(result.body, mimetype=result.media_type)
    response.headers["Vary"] = "Accept"
    return response


def service_description(snapshot) -> Response:
    settings = current_app.config["LOCALINDEX_SETTINGS"]
    triples = list(
        ox.parse(path=str(SERVICE_DESCRIPTION), format=ox.RdfFormat.TURTLE, base_iri=settings.base_uri)
    )
    sd = "http://www.w3.org/ns/sparql-service-description#"
    dataset = ox.NamedNode(settings.base_uri + "sparql#dataset")
    for graph in [*snapshot.graphs, *snapshot.archived_graphs] if snapshot else []:
        node = ox.BlankNode()
        triples.append(ox.Triple(dataset, ox.NamedNode(sd + "namedGraph"), node))
        triples.append(ox.Triple(node, ox.NamedNode(sd + "name"), ox.NamedNode(graph)))
    media_type = (
        negotiate("CONSTRUCT", list(request.accept_mimetypes), request.values.get("format")) or "text/turtle"
    )
    prefixes = {
        "sd": sd,
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "formats": "http://www.w3.org/ns/formats/",
    }
    options = {"prefixes": prefixes} if media_type == "text/turtle" else {}
    body = ox.serialize(triples, format=GRAPH_FORMATS[media_type], **options)
    response = Response(body, mimetype=media_type)
    response.headers["Vary"] = "Accept"
    return response
