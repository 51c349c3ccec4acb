"""Requests no route can mean, refused before any route sees them.

Every path this server answers is an IRI path (RFC 3987): valid UTF-8, with no controls, spaces,
``<>"{}|\\^``` or bidirectional controls, and, joined to the base URI, an IRI the store's own parser
(pyoxigraph) accepts, since that is what the linked-data routes make of it. A path failing any of
those names nothing here, and letting one through made routes fail deep inside (an invalid IRI for
pyoxigraph, CR/LF in a redirect's Location, a backslash read as a host by browsers), answering 500.
Refusing them once, here, answers 404 for all routes alike.
Input nested beyond Python's recursion limit (JSON posted to the API, say) is a 400, not a crash.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import NotFound

NOT_IN_AN_IRI_PATH = re.compile(r'[\x00-\x20\x7f-\x9f<>"{}|\\^`\ufffd\u202a-\u202e\u2066-\u2069]')


def refuse_what_no_route_means(app: Flask) -> None:
    """Register the check on every request and the answer to input nested too deeply."""

    @app.before_request
    def iri_paths_only():
        path = request.path
        if NOT_IN_AN_IRI_PATH.search(path) or not _utf8(request.environ.get("PATH_INFO", "")):
            raise NotFound("no resource has this path: it holds characters an IRI path cannot")
        if not _iri(path):
            raise NotFound("no resource has this path: it holds characters an IRI path cannot")

    @app.errorhandler(RecursionError)
    def nested_too_deeply(_error):
        message = "the request is nested too deeply to read"
        if request.path.startswith("/api/"):
            return jsonify({"error": {"status": 400, "message": message}}), 400
        return message + "\n", 400, {"Content-Type": "text/plain; charset=utf-8"}


def _iri(path: str) -> bool:
    base = current_app.config["LOCALINDEX_SETTINGS"].base_uri
    try:
        ox.NamedNode(base + path.lstrip("/"))
    except ValueError:
        return False
    return True


def _utf8(path_info: str) -> bool:
    """WSGI gives the path as latin-1 characters of its bytes; they must be UTF-8 (no overlongs)."""
    try:
        path_info.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return True
