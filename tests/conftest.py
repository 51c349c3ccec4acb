"""Shared fixtures: small real-data releases (two districts) and the full national build."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import gzip
import http.client
import json
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest

from publisher.build import build_all
from publisher.config import Settings, load_settings
from publisher.inputs.datasets import all_datasets, select
from publisher.inputs.submission.ingest import ingest
from publisher.paths import DATA_DIR
from publisher.store import current_snapshot
from tests.processes import free_port, stop, wait_until_listening
from tests.virtuoso import Virtuoso, require_virtuoso

# Barking and Dagenham (London: every domain score present) and Hartlepool (outside London:
# domain scores explicitly missing). 110 + 58 real LSOAs.
FIXTURE_DISTRICTS = ("E09000002", "E06000001")


@functools.cache
def fixture_areas() -> frozenset[str]:
    file1 = pd.read_csv(DATA_DIR / "iod2019" / "file1_imd.csv.gz", dtype=str)
    return frozenset(file1.loc[file1["lad"].isin(FIXTURE_DISTRICTS), "lsoa"])


def settings_file(directory: Path, **values) -> Path:
    """Write a localindex.toml for a test server or build."""
    lines = ["[localindex]"]
    for key, value in values.items():
        lines.append(f"{key} = {value!r}" if not isinstance(value, str) else f'{key} = "{value}"')
    path = directory / "localindex.toml"
    path.write_text("\n".join(lines).replace("'", '"') + "\n")
    return path


def release_csv(directory: Path, stem: str, status: bool = False, **options) -> pd.DataFrame:
    """A release's CSV (or its status CSV) with its columns named as its CSVW metadata names them: its
    header is for people, and a CSVW reader matches columns by position."""
    tables = json.loads((directory / f"{stem}.csv-metadata.json").read_text())["tables"]
    table = tables[1] if status else tables[0]
    names = [c["name"] for c in table["tableSchema"]["columns"] if not c.get("virtual")]
    return pd.read_csv(directory / table["url"], header=0, names=names, **options)


def build_quietly(settings: Settings, names: tuple[str, ...] = (), **options):
    """Build every bundled dataset (or those ``names``: series or series/edition) without output."""
    specs = select(all_datasets(settings), list(names))
    return build_all(settings, specs, progress=lambda _: None, **options)


def all_published(outcomes) -> bool:
    return bool(outcomes) and all(o.status == "published" for o in outcomes)


def shared_directory(tmp_path_factory, name: str) -> Path:
    """A directory every test process of this run shares (pytest-xdist gives each its own basetemp
    under one parent), for a build they can all read."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if base.name.startswith("popen-gw") else base) / name


@pytest.fixture(scope="session")
def small_settings(tmp_path_factory) -> Settings:
    """Every bundled dataset for the fixture districts (pyshacl on every observation is tested by
    tests/test_gate.py on the LSOA edition). Built once per run: the first test process to need it
    builds it under a lock, the other waits and reads the same published snapshot."""
    directory = shared_directory(tmp_path_factory, "small")
    directory.mkdir(exist_ok=True)
    settings = Settings(var_dir=directory / "var")
    with _locked(directory):
        if not (directory / "built").exists():
            outcomes = build_quietly(settings, only_areas=fixture_areas())
            assert all_published(outcomes), [o.error or o.report for o in outcomes]
            (directory / "built").touch()
    return settings


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory):
    """A Virtuoso on 127.0.0.1 for the whole session, stopped at the end."""
    require_virtuoso()
    server = Virtuoso(tmp_path_factory.mktemp("virtuoso"), free_port(), free_port(), query_seconds=5)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def small_external_settings(tmp_path_factory) -> Settings:
    """The small build again, published into an external store (a Virtuoso) instead of var/store.
    Built once per run, like small_settings: the test processes share one Virtuoso on one database.
    The one that started it stops it once no other process uses it; a process that needs it later
    starts it again on the same database (Virtuoso checkpoints when it stops)."""
    require_virtuoso()
    directory = shared_directory(tmp_path_factory, "small-external")
    directory.mkdir(exist_ok=True)
    users = directory / "users"
    with _locked(directory):
        if not (directory / "ports.json").exists():
            (directory / "ports.json").write_text(json.dumps([free_port(), free_port()]))
        server = Virtuoso(directory / "virtuoso", *json.loads((directory / "ports.json").read_text()), 5)
        users.write_text(str(int(users.read_text() if users.exists() else 0) + 1))
        settings = Settings(var_dir=directory / "var", **server.settings())
        if not (directory / "built").exists():
            outcomes = build_quietly(settings, only_areas=fixture_areas())
            assert all_published(outcomes), [o.error or o.report for o in outcomes]
            (directory / "built").touch()
    yield settings
    with _locked(directory):
        users.write_text(str(int(users.read_text()) - 1))
    if server.process is not None:
        while int(users.read_text()):  # another test process still queries it
            time.sleep(1)
        with _locked(directory):
            server.stop()


@contextlib.contextmanager
def _locked(directory: Path):
    """Hold ``directory``'s lock: one test process at a time builds or starts what it shares."""
    with open(directory / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session", params=["embedded", "external"])
def published(request) -> Settings:
    """The small build in each kind of store: tests that take this run against both."""
    name = "small_settings" if request.param == "embedded" else "small_external_settings"
    return request.getfixturevalue(name)


@pytest.fixture(scope="session")
def national_settings(tmp_path_factory) -> Settings:
    """Every bundled dataset at national scale and the sample submissions, as `make run` builds them
    (so into a Virtuoso of its own where Virtuoso is installed: ``store = "auto"``); `make national`."""
    settings = Settings(
        var_dir=tmp_path_factory.mktemp("national") / "var",
        store="auto",
        virtuoso_http_port=free_port(),
        virtuoso_sql_port=free_port(),
    )
    outcomes = build_quietly(settings)
    assert all_published(outcomes), [o.error or o.report for o in outcomes]
    for sample, publisher in (("lbbd-spi-2018", "lbbd"), ("hackney-wards-2019", "hackney")):
        result = ingest(DATA_DIR / "submissions" / sample, publisher, settings, progress=lambda _: None)
        assert result.status == "published", result.message
    return settings


class Server:
    """`localindex serve` in a subprocess on 127.0.0.1, as a user would run it. Its output goes to a
    file beside its config: a pipe nobody reads would fill up with access-log lines and stall it."""

    def __init__(self, config: Path, port: int):
        self.url = f"http://127.0.0.1:{port}/"
        self.log_path = config.with_name(f"server-{port}.log")
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "publisher.cli", "--config", str(config), "serve", "--port", str(port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_until_listening(self.process, port, self.log_path, seconds=120)  # a store to start first

    def stop(self) -> str:
        """Stop the server; return everything it printed."""
        stop(self.process)
        self.log.close()
        return self.log_path.read_text()


def ask(server: Server, query: str, source: str, accept: str = "text/csv") -> tuple[int, str]:
    """GET /sparql from ``source``, a loopback address (all of 127.0.0.0/8), as a separate client."""
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(source, 0))
    try:
        connection.request(
            "GET", "/sparql?" + urllib.parse.urlencode({"query": query}), headers={"Accept": accept}
        )
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def assert_whole(settings: Settings) -> None:
    """Every graph the current manifest names is in its snapshot with exactly its release file's triples."""
    snapshot = current_snapshot(settings)
    store = ox.Store.read_only(str(snapshot.path))
    held = {g.value for g in store.named_graphs()}
    assert set(snapshot.graphs) <= held, set(snapshot.graphs) - held
    for name, release in snapshot.releases.items():
        with gzip.open(f"{release['dir']}/{release['stem']}.nt.gz", "rb") as handle:
            expected = sum(1 for line in handle if line.strip())
        graph = ox.NamedNode(release["graph"])
        assert sum(1 for _ in store.quads_for_pattern(None, None, None, graph)) == expected, name


STORE_FIELDS = (
    "store",
    "sparql_query_endpoint",
    "sparql_graph_store_endpoint",
    "sparql_user",
    "sparql_password",
    "virtuoso_http_port",
    "virtuoso_sql_port",
)


def start_server(tmp_path: Path, settings: Settings, port: int | None = None, **overrides) -> Server:
    port = port or free_port()
    store = {key: getattr(settings, key) for key in STORE_FIELDS} if settings.external_store else {}
    config = settings_file(tmp_path, var_dir=str(settings.var_dir), port=port, **store, **overrides)
    assert load_settings(config).var_dir == settings.var_dir
    return Server(config, port)
