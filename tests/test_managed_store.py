"""store = "virtuoso": the Virtuoso localindex runs itself (publisher/store/virtuoso.py), started by the
commands that need it and stopped by them, on loopback, with a password of its own."""

from __future__ import annotations

import json
import stat

import pytest

from publisher.config import Settings, load_settings
from publisher.store import serving
from publisher.store.virtuoso import VirtuosoError, VirtuosoWritableStore, server_of
from tests.conftest import Server, all_published, ask, build_quietly, settings_file
from tests.processes import free_port
from tests.virtuoso import require_virtuoso

OBSERVATIONS = "SELECT (COUNT(*) AS ?n) WHERE { ?o a <http://purl.org/linked-data/cube#Observation> }"


@pytest.fixture(scope="module")
def managed(tmp_path_factory):
    """The London SPI by district, built into a Virtuoso of its own: (config file, settings, outcome)."""
    require_virtuoso()
    root = tmp_path_factory.mktemp("managed")
    config = settings_file(
        root,
        var_dir=str(root / "var"),
        store="virtuoso",
        virtuoso_http_port=free_port(),
        virtuoso_sql_port=free_port(),
    )
    settings = load_settings(config)
    outcomes = build_quietly(settings, ("spi-lad",))
    assert all_published(outcomes), [o.error or o.report for o in outcomes]
    return config, settings, outcomes[0]


def test_a_build_leaves_no_server_behind_and_its_ledger_counts_the_release(managed):
    _, settings, outcome = managed
    assert not server_of(settings).answering()
    ledger = json.loads(settings.store_ledger.read_text())
    assert ledger[outcome.graph]["triples"] == outcome.triples
    assert ledger[outcome.graph]["source"].endswith(".nt.gz")
    assert not list(outcome.release_dir.glob("*.nt")), "the plain N-Triples are dropped once loaded"


def test_the_default_password_is_replaced_by_one_only_its_owner_reads(managed):
    _, settings, _ = managed
    mode = stat.S_IMODE(settings.virtuoso_password_file.stat().st_mode)
    assert mode == 0o600
    with serving(settings):
        server = server_of(settings)
        with pytest.raises(VirtuosoError, match="Bad login"):
            server.isql("dba", "SELECT 1;\n")
        assert "1 Rows" in server.isql(settings.sparql_secret, "SELECT 1;\n")


def test_serve_answers_from_its_virtuoso_and_stops_it(managed):
    config, settings, outcome = managed
    server = Server(config, free_port())
    try:
        status, body = ask(server, OBSERVATIONS, "127.0.0.1")
        assert status == 200
        assert body.splitlines()[1] == str(outcome.observations)
        assert server_of(settings).answering()
    finally:
        server.stop()
    assert not server_of(settings).answering()


def test_the_served_default_graph_is_the_published_graphs_and_no_other(managed, tmp_path):
    """Excluding graphs instead of listing them (publisher/store/virtuoso.py) hides a graph still
    being loaded and Virtuoso's own graphs: every triple counted is in a published graph."""
    config, settings, _ = managed
    everything = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    with serving(settings) as virtuoso:
        loading = "http://127.0.0.1:8080/graph/being-loaded"
        store = VirtuosoWritableStore(settings, virtuoso)
        store._loading(loading)
        store.graph_store.load(loading, iter([b"<urn:a> <urn:b> <urn:c> .\n"]))
        server = Server(config, free_port())
        try:
            status, body = ask(server, everything, "127.0.0.1")
        finally:
            server.stop()
        store.graph_store.delete(loading)
    ledger = json.loads(settings.store_ledger.read_text())
    published = sum(entry["triples"] for graph, entry in ledger.items() if graph != loading)
    assert status == 200 and int(body.splitlines()[1]) == published


def test_a_build_while_serving_loads_into_the_running_server_and_leaves_it_up(managed):
    _, settings, _ = managed
    with serving(settings):
        outcomes = build_quietly(settings, ("spi-lad",), force=True)
        assert all_published(outcomes)
        assert server_of(settings).answering()
        ledger = json.loads(settings.store_ledger.read_text())
        assert ledger[outcomes[0].graph]["triples"] == outcomes[0].triples
    assert not server_of(settings).answering()


def test_auto_is_virtuoso_where_it_is_installed_and_else_the_embedded_store(monkeypatch, tmp_path):
    require_virtuoso()
    assert Settings(store="auto").store == "virtuoso"
    monkeypatch.setenv("PATH", str(tmp_path))
    assert Settings(store="auto").store == "embedded"
    assert not Settings(store="auto").external_store
