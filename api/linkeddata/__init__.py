"""Dereferencing: every URI localindex mints answers with HTML, Turtle, JSON-LD or N-Triples.

All URIs answer 200 directly (no /id/ → 303 → /doc/ indirection): the description of a thing is
served at the thing's URI, and each representation also has its own URL with a suffix. Responses
carry ``Vary: Accept``, ``Link: rel=alternate`` for every representation, a strong ETag (304 on a
matching conditional GET) and Cache-Control: a revision's observations, structure and area list
never change, so their RDF is cacheable for a year; pages that also show catalogue state (which
revision is current) are cacheable for minutes.

The routes are in routes.py (area pages in area.py), the HTML of datasets, observations and other
resources in html.py, and what they share (responses, the app's URIs and descriptions) in common.py.
"""

from __future__ import annotations

from . import area, routes
from .common import blueprint, not_found
from .routes import dereference

__all__ = ["area", "blueprint", "dereference", "not_found", "routes"]
