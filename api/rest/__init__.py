"""REST API under /api/v1 (described by api/openapi.json): datasets, areas, search, observations
and aggregation, answered from the in-memory tables of api/tables.py. One module per resource
(datasets.py, areas.py, history.py, search.py, observations.py, aggregate.py); what they share is
in common.py.
"""

from __future__ import annotations

import json

from flask import jsonify, make_response, render_template, url_for

from . import aggregate, areas, datasets, history, observations, search
from .common import OPENAPI, ApiError, blueprint, minter

__all__ = [
    "OPENAPI",
    "ApiError",
    "aggregate",
    "areas",
    "blueprint",
    "datasets",
    "history",
    "observations",
    "search",
]


@blueprint.route("/openapi.json")
def openapi():
    document = json.loads(OPENAPI.read_text())
    document["servers"] = [{"url": minter().base + "api/v1"}]
    return jsonify(document)


DOCS_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'"
)


@blueprint.route("/docs")
def docs():
    """The OpenAPI document for people, drawn by Redoc (/static/vendor/redoc/); without JavaScript, a
    table of the operations and a link to the document."""
    document = json.loads(OPENAPI.read_text())
    operations = [
        {"method": method.upper(), "path": "/api/v1" + path, "summary": operation.get("summary", "")}
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    html = render_template(
        "api_docs.html", info=document["info"], operations=operations, openapi=url_for("rest.openapi")
    )
    response = make_response(html)
    # Redoc's sidebar shows Redocly's logo from their CDN: the page fetches nothing from elsewhere
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response
