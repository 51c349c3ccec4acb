"""The page a browser gets at /sparql: an editor (YASGUI, served from /static/vendor/yasgui/) over this
endpoint, with runnable examples (api/queries/examples/*.rq). Without JavaScript it is a plain form
that sends the query to /sparql, and each example opens in that form (``/sparql?example=name``)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Response, current_app, render_template, request

EXAMPLES_DIR = Path(__file__).with_name("queries") / "examples"
HEADER = re.compile(r"^# (title|description): (.*)$")
# What the plain form offers; the editor asks for JSON results (or N-Triples for a graph) itself.
RESULT_FORMATS = (
    ("", "SPARQL JSON results (Turtle for CONSTRUCT and DESCRIBE)"),
    ("csv", "CSV (SELECT)"),
    ("tsv", "Tab-separated values (SELECT)"),
    ("xml", "SPARQL XML results, or RDF/XML for CONSTRUCT and DESCRIBE"),
    ("turtle", "Turtle (CONSTRUCT and DESCRIBE)"),
    ("jsonld", "JSON-LD (CONSTRUCT and DESCRIBE)"),
)


@dataclass(frozen=True)
class Example:
    name: str  # the file's name without its number and .rq: 'wards-of-a-district'
    title: str
    description: str
    body: str  # the query below its title and description, with relative IRIs

    def query(self, base: str) -> str:
        """The runnable query: its relative IRIs (``<data/imd-lad>``) resolve against this deployment."""
        return f"BASE <{base}>\n{self.body}"


@functools.cache
def examples() -> tuple[Example, ...]:
    """Every example, in the order of the number that starts its file name."""
    found = []
    for path in sorted(EXAMPLES_DIR.glob("*.rq"), key=lambda p: int(p.name.split("-", 1)[0])):
        lines = path.read_text().splitlines()
        header = {}
        while lines and (match := HEADER.match(lines[0])):
            header[match[1]] = match[2]
            lines.pop(0)
        name = path.stem.split("-", 1)[1]
        found.append(Example(name, header["title"], header["description"], "\n".join(lines) + "\n"))
    return tuple(found)


def page(snapshot) -> Response:
    settings = current_app.config["LOCALINDEX_SETTINGS"]
    base = settings.base_uri
    chosen = next((e for e in examples() if e.name == request.args.get("example")), None)
    shown = [{"example": e, "query": e.query(base)} for e in examples()]
    html = render_template(
        "sparql.html",
        endpoint=base + "sparql",
        examples=shown,
        chosen=chosen,
        query=chosen.query(base) if chosen else shown[0]["query"],
        formats=RESULT_FORMATS,
        timeout=f"{settings.query_timeout_s:g}",
        row_cap=f"{settings.query_row_cap:,}",
        graphs=len(snapshot.graphs) if snapshot else 0,
        alternates=[
            {
                "href": "/sparql?format=turtle",
                "media_type": "text/turtle",
                "label": "Service description (Turtle)",
            }
        ],
    )
    response = Response(html, mimetype="text/html")
    response.headers["Vary"] = "Accept"
    return response
