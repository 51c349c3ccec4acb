"""The SPARQL endpoint, through a real `localindex serve` process: protocol, formats, safety, limits."""

from __future__ import annotations

import gzip
import http.server
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pandas as pd
import pytest

from api.guard import check_query
from publisher.paths import DATA_DIR
from publisher.store import current_snapshot
from tests.conftest import ask, fixture_areas, start_server

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?o a <http://purl.org/linked-data/cube#Observation> }"
OBSERVATION_TYPE = (
    b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://purl.org/linked-data/cube#Observation>"
)


def published_observations(settings) -> int:
    """The observations of every current release, counted in its N-Triples file, not through SPARQL."""
    total = 0
    for release in current_snapshot(settings).releases.values():
        with gzip.open(f"{release['dir']}/{release['stem']}.nt.gz", "rb") as handle:
            total += sum(OBSERVATION_TYPE in line for line in handle)
    return total


@pytest.fixture(scope="module")
def fixture_observations(published) -> int:
    count = published_observations(published)
    assert count > 20_000  # three LSOA editions, their summaries and the London SPI of the fixture areas
    return count


def request(url: str, *, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=120) as response:
            return response.status, response.headers.get_content_type(), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read().decode()


def get(server, query: str, accept: str = "application/sparql-results+json", **params):
    query_string = urllib.parse.urlencode({"query": query, **params}, doseq=True)
    return request(f"{server.url}sparql?{query_string}", headers={"Accept": accept})


def post_form(server, query: str, accept: str = "application/sparql-results+json"):
    body = urllib.parse.urlencode({"query": query}).encode()
    return request(
        f"{server.url}sparql",
        data=body,
        headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
    )


def post_direct(server, query: str, accept: str = "application/sparql-results+json"):
    return request(
        f"{server.url}sparql",
        data=query.encode(),
        headers={"Accept": accept, "Content-Type": "application/sparql-query"},
    )


@pytest.fixture(scope="module")
def server(published, tmp_path_factory):
    """`localindex serve` over the small build, in the embedded store and in the external one."""
    directory = tmp_path_factory.mktemp("server")
    running = start_server(directory, published, query_timeout_s=3.0, query_row_cap=1000)
    yield running
    running.stop()


@pytest.mark.parametrize("send", [get, post_form, post_direct], ids=["GET", "POST form", "POST direct"])
def test_count_by_every_protocol_binding(server, send, fixture_observations):
    status, media_type, body = send(server, COUNT, accept="text/csv")
    assert (status, media_type) == (200, "text/csv")
    assert body.split() == ["n", str(fixture_observations)]


@pytest.mark.parametrize(
    ("accept", "check"),
    [
        ("application/sparql-results+json", lambda b: json.loads(b)["results"]["bindings"][0]["n"]["value"]),
        (
            "application/sparql-results+xml",
            lambda b: b.split('<literal datatype="')[1].split(">")[1].split("<")[0],
        ),
        ("text/csv", lambda b: b.split()[1]),
        ("text/tab-separated-values", lambda b: b.split()[1]),
    ],
)
def test_select_result_formats(server, accept, check, fixture_observations):
    status, media_type, body = get(server, COUNT, accept=accept)
    assert (status, media_type) == (200, accept)
    assert check(body) == str(fixture_observations)


@pytest.mark.parametrize("accept", ["text/turtle", "application/n-triples", "application/ld+json"])
def test_construct_result_formats(server, accept):
    area = sorted(fixture_areas())[0]
    query = (
        f"CONSTRUCT {{ ?o ?p ?v }} WHERE {{ ?o <http://purl.org/linked-data/sdmx/2009/dimension#refArea> "
        f"<http://statistics.data.gov.uk/id/statistical-geography/{area}> ; ?p ?v }}"
    )
    status, media_type, body = get(server, query, accept=accept)
    assert (status, media_type) == (200, accept)
    assert f"/obs/{area}/2019/imd/score" in body


def test_ask_and_real_values(server):
    status, _, body = get(server, "ASK { ?o <http://127.0.0.1:8080/def/measure/rank> 0 }")
    assert status == 200 and json.loads(body)["boolean"] is False
    # An LSOA of Barking and Dagenham: the IMD rank as published in File 1.
    published = pd.read_csv(DATA_DIR / "iod2019" / "file1_imd.csv.gz").set_index("lsoa").loc["E01000027"]
    query = (
        "SELECT ?rank WHERE { <http://127.0.0.1:8080/data/imd-lsoa/2019/obs/E01000027/2019/imd/rank> "
        "<http://127.0.0.1:8080/def/measure/rank> ?rank }"
    )
    status, _, body = get(server, query, accept="text/csv")
    assert status == 200 and body.split()[1] == str(published["imd_rank"])


def test_service_description_on_a_bare_get(server):
    status, media_type, body = request(f"{server.url}sparql", headers={"Accept": "text/turtle"})
    assert (status, media_type) == (200, "text/turtle")
    assert "a sd:Service" in body and "/graph/imd-lsoa/2019/" in body


def test_syntax_error_is_a_readable_400(server):
    status, media_type, body = get(server, "SELEC ?x WHERE { ?x ?y ?z }")
    assert (status, media_type) == (400, "text/plain")
    assert body.startswith("SPARQL syntax error")


def test_row_cap_gives_a_clear_message(server):
    status, _, body = get(server, "SELECT * WHERE { ?s ?p ?o }")
    assert status == 400
    assert "more than 1,000 rows" in body and "LIMIT" in body


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        self.requests.append(f"GET {self.path}")
        self.send_response(200)
        self.send_header("Content-Type", "text/turtle")
        self.end_headers()
        self.wfile.write(b"<http://x/s> <http://x/p> <http://x/o> .\n")

    do_POST = do_GET  # noqa: N815

    def log_message(self, *args):
        pass


def test_no_query_makes_an_outbound_request(server):
    """SSRF: SERVICE, FROM, FROM NAMED, graph parameters, LOAD and updates are refused unexecuted."""
    recorder = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=recorder.serve_forever, daemon=True).start()
    target = f"http://127.0.0.1:{recorder.server_address[1]}/data.ttl"
    try:
        refused = [
            get(server, f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"),
            get(server, f"SELECT * WHERE {{ OPTIONAL {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }} }}"),
            post_direct(server, f"SELECT * FROM <{target}> WHERE {{ ?s ?p ?o }}"),
            post_form(server, f"SELECT * FROM NAMED <{target}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"),
            get(server, "SELECT * WHERE { ?s ?p ?o } LIMIT 1", **{"default-graph-uri": target}),
            get(server, "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1", **{"named-graph-uri": target}),
            get(server, f"LOAD <{target}>"),
            request(
                f"{server.url}sparql",
                data=urllib.parse.urlencode({"update": f"LOAD <{target}>"}).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
            request(
                f"{server.url}sparql",
                data=f"LOAD <{target}>".encode(),
                headers={"Content-Type": "application/sparql-update"},
            ),
            post_direct(server, "INSERT DATA { <http://x/s> <http://x/p> <http://x/o> }"),
        ]
        # A SERVICE that a checker expanding \u escapes reads inside a string literal, and an engine
        # that does not expand them would call: the expanded text is what runs, so nothing is called.
        hidden = 'SELECT * WHERE { BIND("a\\u0022 AS ?u) BIND(" AS ?v) SERVICE <' + target + "> { ?s ?p ?o } "
        hidden += 'BIND(" + \\u0022b" AS ?w) }'
        status, _, _ = get(server, hidden)
    finally:
        recorder.shutdown()
    assert status == 200
    assert [status for status, _, _ in refused] == [400] * len(refused), refused
    assert "SERVICE is not allowed" in refused[0][2]
    assert "read-only" in refused[-1][2]
    assert _Recorder.requests == []


def test_query_workers_have_no_network(tmp_path):
    """Second wall: even a SERVICE call that got past the guard could not leave the worker."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    probe = (
        "import socket, sys\n"
        "from api.sandbox import confine\n"
        "print('isolated' if confine(1024) else 'not isolated')\n"
        f"try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n    print('connected')\n"
        "except OSError as error:\n    print('refused', error)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    listener.close()
    if result.stdout.startswith("not isolated"):
        pytest.skip("this kernel refuses network namespaces; the query guard is the only wall here")
    assert result.stdout.startswith("isolated") and "refused" in result.stdout, result.stdout


def test_long_ordinary_queries_are_answered(server):
    """A user's list of areas: every fixture LSOA in VALUES (about 12,000 characters, sent by POST)."""
    areas = " ".join(
        f"<http://statistics.data.gov.uk/id/statistical-geography/{a}>" for a in sorted(fixture_areas())
    )
    query = (
        f"SELECT ?area ?score WHERE {{ VALUES ?area {{ {areas} }} "
        "?o <http://purl.org/linked-data/sdmx/2009/dimension#refArea> ?area ; "
        "<http://purl.org/linked-data/cube#dataSet> <http://127.0.0.1:8080/data/imd-lsoa/2019> ; "
        "<http://127.0.0.1:8080/def/dimension/imd-domain> <http://127.0.0.1:8080/def/concept/imd/imd> ; "
        "<http://127.0.0.1:8080/def/measure/score> ?score }"
    )
    assert len(query) > 10_000
    status, _, body = post_direct(server, query, accept="text/csv")
    assert status == 200, body
    assert len(rows := body.split()[1:]) == len(fixture_areas()), rows[:3]


def test_runaway_query_is_cut_while_another_client_is_answered(server, fixture_observations):
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    finished: list[tuple[str, int, str]] = []

    def client(name: str, query: str, source: str):
        status, body = ask(server, query, source, accept="application/sparql-results+json")
        finished.append((name, status, body))

    # two clients: one client may hold only half the workers, so they must come from two addresses
    slow = threading.Thread(target=client, args=("runaway", runaway, "127.0.0.2"))
    slow.start()
    time.sleep(0.5)  # let the runaway query reach a worker first (ordering, not a timing assertion)
    client("quick", COUNT, "127.0.0.1")
    slow.join()
    assert [name for name, _, _ in finished] == ["quick", "runaway"]
    quick, runaway_result = finished
    assert quick[1] == 200 and str(fixture_observations) in quick[2]
    assert runaway_result[1] == 503 and "3 s limit" in runaway_result[2]
    assert get(server, COUNT)[0] == 200  # the killed worker was replaced


def test_downloads_serve_only_release_files(server):
    status, _, listing = request(f"{server.url}downloads/")
    files = json.loads(listing)["imd-lsoa/2019"]
    assert any(f.endswith("imd-lsoa-2019.csv-metadata.json") for f in files)
    status, media_type, body = request(f"{server.url}downloads/imd-lsoa/2019/imd-lsoa-2019.csv")
    assert (status, media_type) == (200, "text/csv") and body.startswith(
        "Area code,Area name,Period,Deprivation index or domain,Score"
    )
    for name in ["..%2F..%2Fregistry.json", "registry.json", "%2Fetc%2Fpasswd"]:
        assert request(f"{server.url}downloads/imd-lsoa/2019/{name}")[0] == 404


@pytest.mark.parametrize(
    ("query", "runs_as"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT * WHERE { ?s ?p ?o }\nLIMIT 1001"),
        ("SELECT * WHERE { ?s ?p ?o } # note", "SELECT * WHERE { ?s ?p ?o } # note\nLIMIT 1001"),
        ("SELECT * WHERE { ?s ?p ?o } OFFSET 5", "SELECT * WHERE { ?s ?p ?o } OFFSET 5\nLIMIT 1001"),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 5000", None),  # the client's own LIMIT stays (and is capped)
        ("SELECT * WHERE { ?s ?p ?o } VALUES ?s { <urn:a> }", None),  # LIMIT cannot follow VALUES
        ("CONSTRUCT WHERE { ?s ?p ?o }", None),  # a LIMIT counts solutions, not triples
        ("ASK { ?s ?p ?o }", None),
    ],
)
def test_a_select_is_limited_to_one_row_past_the_cap_before_it_runs(query, runs_as):
    """So that an engine (an external store above all) stops computing at the row cap."""
    assert check_query(query, set(), 10_000).capped(1001) == (runs_as or query)
