"""REST API under /api/v1 (described by api/openapi.json): datasets, areas, search, observations
and aggregation, answered from the in-memory tables of api/tables.py. One module per resource
(datasets.py, areas.py, history.py, search.py, observations.py, aggregate.py); what they share is
in common.py.
"""

from __future__ import annotations

import json

from flask import jsonify

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
