"""The external SPARQL store (Virtuoso on 127.0.0.1): a correction is loaded into a graph no query
can see, becomes visible only when its manifest is published, and a store that fails mid-load
publishes nothing. The endpoint, formats and dereferencing run against it in test_sparql.py and
test_linked_data.py (fixture ``published``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

from publisher.config import Settings
from publisher.paths import DATA_DIR
from publisher.store import current_snapshot, remote
from publisher.store.remote import ExternalStoreError, RemoteReader

from .conftest import build_quietly, fixture_areas, settings_file, start_server
from .test_revisions import CORRECTED_LSOA, correct_population

DATASET = "imd-lsoa/2019"


def population_query(lsoa: str) -> str:
    """The IMD population of ``lsoa`` in whichever revision the default graph holds."""
    return f"""SELECT ?value WHERE {{
      ?o a <http://purl.org/linked-data/cube#Observation> ; ?measure ?value .
      FILTER(STRENDS(STR(?o), "/obs/{lsoa}/2019/imd/population"))
      FILTER(STRENDS(STR(?measure), "/def/measure/population"))
    }}"""


def served_population(server, lsoa: str) -> list[float]:
    query = urllib.parse.urlencode({"query": population_query(lsoa)})
    request = urllib.request.Request(f"{server.url}sparql?{query}", headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        rows = json.load(response)["results"]["bindings"]
    return sorted(float(row["value"]["value"]) for row in rows)


@pytest.fixture(scope="module")
def external(virtuoso, tmp_path_factory):
    """imd-lsoa/2019 for the fixture districts, published into Virtuoso, served; its own data copy."""
    root = tmp_path_factory.mktemp("external")
    data_dir = root / "data"
    shutil.copytree(DATA_DIR, data_dir)
    settings = Settings(var_dir=root / "var", datasets_file=data_dir / "datasets.toml", **virtuoso.settings())
    outcomes = build_quietly(settings, (DATASET,), only_areas=fixture_areas())
    assert [o.status for o in outcomes] == ["published"], [o.error or o.report for o in outcomes]
    server = start_server(root, settings, datasets_file=str(data_dir / "datasets.toml"))
    yield {"settings": settings, "data_dir": data_dir, "server": server, "root": root}
    server.stop()


def test_the_population_measure_is_served_from_the_external_store(external):
    # (the measure query finds the value the bundled File 6 gives; checked again after the correction)
    assert len(served_population(external["server"], CORRECTED_LSOA)) == 1


def test_a_load_cut_short_publishes_nothing_and_the_next_build_completes_it(external, monkeypatch):
    settings, server = external["settings"], external["server"]
    before_snapshot = current_snapshot(settings).manifest
    before_value = served_population(server, CORRECTED_LSOA)
    old, new = correct_population(external["data_dir"], CORRECTED_LSOA)
    assert before_value == [old]

    real_send, posts = remote.GraphStore.send, []

    def failing_send(self, method, graph, body=None):
        if method == "POST":
            posts.append(graph)
            if len(posts) == 2:  # the store goes away in the middle of the new release's load
                raise ExternalStoreError(503, "the SPARQL store at test is unreachable: connection reset")
        return real_send(self, method, graph, body)

    monkeypatch.setattr(remote.GraphStore, "send", failing_send)
    with pytest.raises(ExternalStoreError):  # small chunks: the release goes in several requests
        build_quietly(
            settings.with_overrides(sparql_load_chunk_triples=20_000), (DATASET,), only_areas=fixture_areas()
        )
    monkeypatch.undo()
    partial = posts[0]
    assert current_snapshot(settings).manifest == before_snapshot  # nothing new was published
    assert served_population(server, CORRECTED_LSOA) == [old]
    ledger = json.loads((settings.var_dir / "store-graphs.json").read_text())
    assert ledger[partial] == {"source": None, "loading": True}  # recorded as being loaded, not held ...
    assert RemoteReader(settings, [partial]).count(partial) > 0  # ... though part of it is in the store

    # The release was built and validated before the store failed: the next build only loads it.
    outcomes = build_quietly(settings, (DATASET,), only_areas=fixture_areas())
    assert [o.status for o in outcomes] == ["unchanged"]
    ledger = json.loads((settings.var_dir / "store-graphs.json").read_text())
    assert RemoteReader(settings, [partial]).count(partial) == ledger[partial]["triples"]
    assert served_population(server, CORRECTED_LSOA) == [new]


def test_a_new_revision_is_invisible_until_its_manifest_is_published(external, monkeypatch):
    """Between the load and the switch, every query (through the server) still sees revision N only."""
    settings, server = external["settings"], external["server"]
    old = served_population(server, CORRECTED_LSOA)[0]
    _, new = correct_population(external["data_dir"], CORRECTED_LSOA)
    seen_before_switch = {}
    real_publish = remote.publish_manifest

    def observe_then_publish(settings_, registry, store):
        graph = registry.releases[DATASET]["graph"]
        seen_before_switch["served"] = served_population(server, CORRECTED_LSOA)
        seen_before_switch["held"] = RemoteReader(settings, [graph]).count(graph)
        seen_before_switch["graph"] = graph
        return real_publish(settings_, registry, store)

    monkeypatch.setattr(remote, "publish_manifest", observe_then_publish)
    outcomes = build_quietly(settings, (DATASET,), only_areas=fixture_areas())
    assert [o.status for o in outcomes] == ["published"]
    ledger = json.loads((settings.var_dir / "store-graphs.json").read_text())
    assert seen_before_switch["served"] == [old]  # the new graph was loaded ...
    assert seen_before_switch["held"] == ledger[seen_before_switch["graph"]]["triples"]  # ... in full
    assert served_population(server, CORRECTED_LSOA) == [new]  # after the switch, everyone does
    manifest = current_snapshot(settings).manifest
    assert seen_before_switch["graph"] in manifest["graphs"] and manifest["store"] == "sparql"
    # the replaced revision stays in the store (its URIs resolve for ever), outside the default graph
    archived = manifest["archived_graphs"]
    assert archived and all(RemoteReader(settings, [g]).count(g) > 0 for g in archived)


def test_an_unreachable_store_is_a_clear_error_and_changes_nothing(external, tmp_path):
    settings = external["settings"]
    before = current_snapshot(settings).manifest
    config = settings_file(
        tmp_path,
        var_dir=str(settings.var_dir),
        datasets_file=str(external["data_dir"] / "datasets.toml"),
        store="sparql",
        sparql_query_endpoint="http://127.0.0.1:9/sparql",
        sparql_graph_store_endpoint="http://127.0.0.1:9/sparql-graph-crud-auth",
    )
    (settings.var_dir / "store-graphs.json").rename(tmp_path / "ledger")  # as if the store were new
    try:
        result = subprocess.run(
            [sys.executable, "-m", "publisher.cli", "--config", str(config), "build", "spi-lad/london-2019"],
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        (tmp_path / "ledger").rename(settings.var_dir / "store-graphs.json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "unreachable" in result.stderr and "Nothing new was published" in result.stderr
    assert "Traceback" not in result.stderr
    assert current_snapshot(settings).manifest == before
