"""Requests no route can mean answer 4xx on every route, never 500 (api/requests.py): paths with
characters an IRI path cannot hold, CR/LF, overlong or invalid UTF-8, bidirectional controls, a
backslash read as a host; JSON nested beyond the recursion limit; and a SPARQL request carrying two
queries, of which either would be silently ignored (api/sparql.py)."""

from __future__ import annotations

import json

import pytest

from api import create_app

PREFIXES = (
    "/data/imd-lsoa/",
    "/def/measure/",
    "/id/publisher/",
    "/graph/",
    "/static/",
    "/embed/",
    "/area/",
    "/api/v1/datasets/",
    "/downloads/",
    "/scorecard/",
    "/map/",
    "/",
)
PAYLOADS = (
    "a%20b",
    "%3Cscript%3E",
    "%3E",
    "%22quoted%22",
    "%7Bx%7D",
    "%5Cevil.example",
    "x%00y",
    "x%0D%0ALocation:%20http://evil.example",
    "x%0Ay",
    "%c0%ae%c0%ae/",
    "%ff%fe",
    "%e2%80%ae-reversed",
    "%60tick%60",
    "a%7Cb",
    "%5E",
    "%7F",
)


@pytest.fixture(scope="module")
def client(small_settings):
    return create_app(small_settings).test_client()


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_hostile_path_is_a_404_on_every_route(client, prefix):
    answers = {payload: client.get(prefix + payload).status_code for payload in PAYLOADS}
    assert answers == dict.fromkeys(PAYLOADS, 404)


def test_a_backslash_path_is_not_a_redirect_anywhere(client):
    for path in ("/%5Cevil.example/downloads", "/%5C%5Cevil.example", "/downloads/%5C"):
        response = client.get(path)
        assert response.status_code == 404 and "Location" not in response.headers, path


def test_api_errors_stay_json(client):
    response = client.get("/api/v1/datasets/a%20b")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ('{"a":', "}")])
def test_json_nested_past_the_recursion_limit_is_a_400(client, opening, closing):
    body = opening * 30_000 + "1" + closing * 30_000
    response = client.post("/api/v1/aggregate", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.get_json()["error"]["message"]


def test_ordinary_paths_still_answer(client):
    good = ("/data/imd-lsoa/2019", "/api/v1/datasets", "/downloads/", "/static/localindex.css")
    assert {path: client.get(path).status_code < 400 for path in good} == dict.fromkeys(good, True)


def test_an_ordinary_posted_aggregate_is_still_read(client):
    body = json.dumps({"dataset": "imd-lsoa/2019", "areas": ["E01000027"]})
    response = client.post("/api/v1/aggregate", data=body, content_type="application/json")
    assert response.status_code == 200


COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
OTHER = "ASK { ?s ?p ?o }"


@pytest.mark.parametrize(
    "request_of",
    [
        lambda c: c.post("/sparql?query=" + OTHER, data={"query": COUNT}),
        lambda c: c.post("/sparql?query=" + OTHER, data=COUNT, content_type="application/sparql-query"),
        lambda c: c.post("/sparql", data={"query": [COUNT, OTHER]}),
        lambda c: c.get("/sparql", query_string=[("query", COUNT), ("query", OTHER)]),
    ],
    ids=["url-and-form", "url-and-direct-body", "two-in-the-form", "two-in-the-url"],
)
def test_two_queries_in_one_request_are_refused_not_one_ignored(client, request_of):
    response = request_of(client)
    assert response.status_code == 400
    assert "send exactly one" in response.get_data(as_text=True)


def test_one_query_by_each_binding_is_still_answered(client):
    json_results = {"Accept": "application/sparql-results+json"}
    answers = [
        client.get("/sparql", query_string={"query": COUNT}, headers=json_results),
        client.post("/sparql", data={"query": COUNT}, headers=json_results),
        client.post("/sparql", data=COUNT, content_type="application/sparql-query", headers=json_results),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len({a.get_json()["results"]["bindings"][0]["n"]["value"] for a in answers}) == 1
