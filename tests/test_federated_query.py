"""`localindex query`: one SELECT over two real councils' servers (each its own base URI and
districts), a dead member and a misbehaving stub, merged into one table; all on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from publisher.config import Settings
from publisher.hub.config import HubConfig
from publisher.hub.query import federated_select
from publisher.paths import DATA_DIR

from .conftest import all_published, build_quietly, start_server
from .processes import free_port

COUNCILS = {"barking-dagenham": "E09000002", "havering": "E09000016"}
GEOGRAPHY = "http://statistics.data.gov.uk/id/statistical-geography/"

# The councils share their definitions (definitions_base), written in full here; each council's
# own dataset is a relative IRI, which resolves against that member's base URI.
SHARED = "http://127.0.0.1:9/"  # a definitions base no server needs to answer for
RANKS = f"""PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
SELECT ?area ?rank WHERE {{
  ?obs qb:dataSet <data/imd-lsoa/2019> ;
       sdmx-dimension:refArea ?area ;
       <{SHARED}def/dimension/imd-domain> <{SHARED}def/concept/imd/imd> ;
       qb:measureType <{SHARED}def/measure/rank> ;
       <{SHARED}def/measure/rank> ?rank }}"""

COUNT = f"""PREFIX qb: <http://purl.org/linked-data/cube#>
SELECT (COUNT(?obs) AS ?n) WHERE {{
  ?obs qb:dataSet <data/imd-lsoa/2019> ;
       <{SHARED}def/dimension/imd-domain> <{SHARED}def/concept/imd/imd> ;
       qb:measureType <{SHARED}def/measure/rank> }}"""


def run_query(hub: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "publisher.cli", "query", "--config", str(hub), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def hub_toml(path: Path, members: dict[str, str], timeout_s: float = 20) -> Path:
    """A hub.toml with one [[member]] per (id, base_uri)."""
    lines = ['[hub]\nid = "test-hub"', f"timeout_s = {timeout_s}"]
    for member_id, base in members.items():
        lines.append(f'[[member]]\nid = "{member_id}"\nbase_uri = "{base}"\nseries = ["imd-lsoa"]')
    path.write_text("\n".join(lines) + "\n")
    return path


class Stub(BaseHTTPRequestHandler):
    """A member that misbehaves by path: /html/ answers HTML, /slow/ takes 5 s, /error/ answers
    500, /redirect/ points elsewhere, /a/ and /b/ answer fixed SELECT results. Records requests."""

    requests: list[str] = []

    def do_POST(self) -> None:
        self.requests.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        kind = self.path.split("/")[1]
        if kind == "slow":
            time.sleep(5)
        if kind == "redirect":
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/elsewhere/sparql")
            self.end_headers()
            return
        status, media_type, body = {
            "html": (200, "text/html", "<html>maintenance</html>"),
            "error": (500, "text/plain", "store unavailable\n"),
            "a": (200, "application/sparql-results+json", _results(["x", "y"], [{"x": "1", "y": "2"}])),
            "b": (200, "application/sparql-results+json", _results(["y", "z"], [{"z": "_b0"}])),
        }.get(kind, (404, "text/plain", "no"))
        data = body.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except BrokenPipeError:  # the slow member's client gave up, as it should
            pass

    def log_message(self, *args) -> None:
        pass


def _results(variables: list[str], rows: list[dict[str, str]]) -> str:
    def term(value: str) -> dict:
        return (
            {"type": "bnode", "value": value[1:]}
            if value.startswith("_")
            else {"type": "literal", "value": value}
        )

    bindings = [{k: term(v) for k, v in row.items()} for row in rows]
    return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}})


@pytest.fixture(scope="module")
def stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def councils(tmp_path_factory, stub):
    """imd-lsoa/2019 for each council's own LSOAs, each served under its own base URI."""
    file1 = pd.read_csv(
        DATA_DIR / "iod2019" / "file1_imd.csv.gz", dtype=str, usecols=["lsoa", "lad", "imd_rank"]
    )
    expected, servers, members = {}, [], {}
    try:
        for member_id, district in COUNCILS.items():
            root = tmp_path_factory.mktemp(member_id)
            port = free_port()
            settings = Settings(
                var_dir=root / "var", base_uri=f"http://127.0.0.1:{port}/", definitions_base=SHARED
            )
            rows = file1[file1["lad"] == district]
            outcomes = build_quietly(settings, ("imd-lsoa/2019",), only_areas=frozenset(rows["lsoa"]))
            assert all_published(outcomes), [o.error or o.report for o in outcomes]
            servers.append(
                start_server(root, settings, port, base_uri=settings.base_uri, definitions_base=SHARED)
            )
            members[member_id] = settings.base_uri
            expected[member_id] = dict(zip(rows["lsoa"], rows["imd_rank"].astype(int), strict=True))
        members["offline"] = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
        hub = hub_toml(tmp_path_factory.mktemp("hub") / "hub.toml", members)
        yield {"hub": hub, "expected": expected, "stub": stub}
    finally:
        for server in servers:
            server.stop()


def test_one_select_merges_both_councils_and_reports_the_dead_member(councils):
    answer = run_query(councils["hub"], RANKS)
    assert answer.returncode == 2, answer.stderr
    assert answer.stderr.splitlines() == [line for line in answer.stderr.splitlines() if "offline" in line]
    assert answer.stderr.startswith("member offline: unreachable:"), answer.stderr
    table = list(csv.reader(io.StringIO(answer.stdout)))
    assert table[0] == ["member", "area", "rank"]
    found: dict[str, dict[str, int]] = {}
    for member_id, area, rank in table[1:]:
        found.setdefault(member_id, {})[area.removeprefix(GEOGRAPHY)] = int(rank)
    assert found == councils["expected"]  # every LSOA of each district, with its official rank, once
    assert len(table) - 1 == 110 + 150
    assert len(found["barking-dagenham"]) == 110 and len(found["havering"]) == 150


def test_member_selection_json_and_query_file(councils, tmp_path):
    query_file = tmp_path / "count.rq"
    query_file.write_text(COUNT)
    answer = run_query(
        councils["hub"],
        "--member",
        "havering",
        "--member",
        "barking-dagenham",
        "--format",
        "json",
        f"@{query_file}",
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stderr == ""
    document = json.loads(answer.stdout)
    assert list(document["members"]) == ["havering", "barking-dagenham"]
    for outcome in document["members"].values():
        assert outcome["status"] == "ok" and outcome["rows"] == 1 and outcome["error"] is None
        assert 0 < outcome["seconds"] < 20
    assert document["head"] == ["member", "n"]
    assert document["rows"] == [
        {"member": "havering", "n": "150"},
        {"member": "barking-dagenham", "n": "110"},
    ]


@pytest.mark.parametrize(
    "query, form",
    [("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"), ("ASK { ?s ?p ?o }", "ASK")],
)
def test_other_query_forms_are_refused_before_any_request(councils, tmp_path, query, form):
    Stub.requests.clear()
    hub = hub_toml(tmp_path / "hub.toml", {"recorder": councils["stub"] + "a/"})
    answer = run_query(hub, query)
    assert answer.returncode == 1
    assert answer.stdout == ""
    assert f"only SELECT queries can be federated into one table; this is a {form} query" in answer.stderr
    assert Stub.requests == []


def test_invalid_sparql_and_a_bad_query_file_are_clear_errors(councils, tmp_path):
    answer = run_query(councils["hub"], "SELECT ?x WHERE { ?x ex:p ?o }")
    assert answer.returncode == 1 and "not a valid SPARQL query" in answer.stderr and "ex" in answer.stderr
    answer = run_query(councils["hub"], f"@{tmp_path / 'missing.rq'}")
    assert answer.returncode == 1 and "cannot read the query file" in answer.stderr


def test_an_unknown_member_is_a_clear_error(councils):
    answer = run_query(councils["hub"], "--member", "havering", "--member", "romford", RANKS)
    assert answer.returncode == 1
    assert answer.stdout == ""
    assert "no member 'romford' (members: barking-dagenham, havering, offline)" in answer.stderr


def test_misbehaving_members_fail_alone_within_the_timeout(councils, tmp_path):
    Stub.requests.clear()
    base = councils["stub"]
    names = ("html", "slow", "error", "redirect")
    hub = hub_toml(tmp_path / "hub.toml", {name: base + name + "/" for name in names})
    started = time.monotonic()
    answer = run_query(hub, "--timeout", "1", RANKS)
    elapsed = time.monotonic() - started
    assert answer.returncode == 1, answer.stderr  # nobody answered
    assert elapsed < 4.5  # the slow member takes 5 s; the process does not wait for it
    reasons = dict(line.removeprefix("member ").split(": ", 1) for line in answer.stderr.splitlines())
    assert reasons == {
        "html": "answered text/html, not SPARQL JSON results",
        "slow": "no answer within 1 s",
        "error": "HTTP 500: store unavailable",
        "redirect": (
            f"redirected (HTTP 302) to {base}elsewhere/sparql; only the configured sparql URL is queried"
        ),
    }
    assert sorted(Stub.requests) == sorted(f"/{name}/sparql" for name in names)  # never /elsewhere/
    assert answer.stdout.strip() == "member"


def test_merge_takes_the_union_of_variables_in_order_first_seen(councils, tmp_path):
    base = councils["stub"]
    hub = HubConfig.load(hub_toml(tmp_path / "hub.toml", {"a": base + "a/", "b": base + "b/"}))
    result = federated_select(hub.members, "SELECT * WHERE { ?x ?y ?z }", timeout=10)
    assert result.exit_status == 0
    assert result.head == ["member", "x", "y", "z"]
    assert result.rows == [
        {"member": "a", "x": "1", "y": "2", "z": None},
        {"member": "b", "x": None, "y": None, "z": "_:b-b0"},  # blank nodes are the member's own
    ]
