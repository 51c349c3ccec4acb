"""Property-based fuzz of every route of the Flask URL map (issue 19, class 3): whatever fills a
route's variables, its query string and, where it takes one, its body, the answer is never a server
error, and an error under /api/ is the JSON error the API documents.

The OpenAPI operations are fuzzed against their schema by tests/test_schema_fuzz.py; this covers the
routes no schema describes (linked-data pages, downloads, maps, embeds, static files, SPARQL) as well.
Bounded and repeatable: derandomised generation, a fixed number of examples per route."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import create_app
from publisher.config import Settings

EXAMPLES_PER_ROUTE = 40
METHODS = ("GET", "POST")

# Real values reach the code behind a route's first checks; hostile ones try its parsers.
REAL = (
    "imd-lsoa/2019",
    "imd-lad/2019",
    "spi-ward/london-2019",
    "imd-lsoa",
    "imd-lad",
    "spi-ward",
    "2019",
    "2015",
    "london-2019",
    "E01000027",
    "E09000002",
    "E05009367",
    "observations.csv",
    "imd",
    "average-score",
    "rank",
    "lad",
    "ward",
    "region",
    "stp",
    "turtle",
    "json",
    "csv",
    "ttl",
    "jsonld",
    "html",
    "1",
    "0",
    "-1",
    "99999999999999999999",
)
HOSTILE = (
    "..",
    "../..",
    "..%2F..",
    "%2e%2e",
    "/etc/passwd",
    "\\evil.example",
    "a b",
    "<script>",
    '"',
    "{x}",
    "\r\nLocation: http://evil.example",
    "\x00",
    "\u202e",
    "\ufeff",
    "é",
    "𝟙",
    "%",
    "%zz",
    "%c0%ae",
    "?",
    "#",
    ";",
    "x" * 5000,
)
QUERY_KEYS = (
    "dataset",
    "level",
    "component",
    "measure",
    "area",
    "areas",
    "within",
    "period",
    "rank",
    "format",
    "query",
    "update",
    "default-graph-uri",
    "named-graph-uri",
    "page",
    "limit",
    "q",
)

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
values = st.one_of(st.sampled_from(REAL), st.sampled_from(HOSTILE), text)
raw_bytes = st.binary(max_size=40).map(lambda b: urllib.parse.quote_from_bytes(b, safe=""))
segments = st.one_of(
    values.map(lambda v: urllib.parse.quote(v, safe="")), raw_bytes, st.sampled_from(HOSTILE)
)
json_documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | text,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(QUERY_KEYS) | text, inner, max_size=4)
    ),
    max_leaves=20,
)
bodies = st.one_of(
    st.none(),
    json_documents.map(lambda d: ("application/json", json.dumps(d).encode())),
    st.integers(1, 50_000).map(lambda depth: ("application/json", b"[" * depth + b"]" * depth)),
    st.binary(max_size=200).map(lambda b: ("application/json", b)),
    st.dictionaries(st.sampled_from(QUERY_KEYS), values, max_size=3).map(
        lambda form: ("application/x-www-form-urlencoded", urllib.parse.urlencode(form).encode())
    ),
    values.map(lambda v: ("application/sparql-query", v.encode())),
)


ROUTES = sorted(
    (rule.rule, method)
    for rule in create_app(Settings()).url_map.iter_rules()
    for method in rule.methods
    if method in METHODS
)


@pytest.fixture(scope="module")
def app(small_settings):
    return create_app(small_settings)


@pytest.mark.parametrize(("rule", "method"), ROUTES, ids=[f"{m} {r}" for r, m in ROUTES])
def test_no_input_makes_a_route_fail(app, rule, method):
    client = app.test_client()
    variables = [part.split(":")[-1].rstrip(">") for part in rule.split("<")[1:]]

    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        fill=st.fixed_dictionaries({name: segments for name in variables}),
        query=st.dictionaries(st.sampled_from(QUERY_KEYS) | text, values, max_size=4),
        body=bodies,
    )
    def check(fill, query, body):
        path = rule
        for name in variables:
            start = path.index("<")
            path = path[:start] + fill[name] + path[path.index(">", start) + 1 :]
        url = path + ("?" + urllib.parse.urlencode(query) if query else "")
        options = {"data": body[1], "content_type": body[0]} if body and method == "POST" else {}
        response = client.open(url, method=method, **options)
        assert response.status_code < 500, (method, url[:300], body and body[1][:100], response.status_code)
        if response.status_code >= 400 and path.startswith("/api/"):
            assert response.is_json and "error" in response.get_json(), (url[:300], response.data[:200])

    check()
