"""A Virtuoso that localindex runs itself (``store = "virtuoso"``, or ``"auto"`` where it is installed).

Why: the embedded store answers what a page needs in milliseconds but not national aggregates
(bench/RESULTS.md, issue 18: counting the distinct LSOAs of an edition runs past the 30 s limit),
which Virtuoso answers in a second or two. Debian's virtuoso-opensource-7-bin; the database lives in
var/virtuoso/ and the server listens on 127.0.0.1 only. A command that needs the store (build,
ingest, harvest, serve) starts it when nothing answers on its port and stops what it started. The
`dba` password of a new database is replaced by a random one kept in var/virtuoso/ (mode 600).
Releases go in with Virtuoso's bulk loader, straight from their N-Triples files, each into its own
named graph, which no query sees until a snapshot's manifest names it (publisher/store/remote.py).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..config import VIRTUOSO_BINARIES, Settings
from .remote import ExternalStoreError, RemoteReader, RemoteWritableStore, iri_of

INI = Path(__file__).with_name("virtuoso.ini")
DATABASE = "virtuoso.db"
STARTUP_SECONDS = 120
STOP_SECONDS = 60
# Virtuoso's own graphs. It keeps its quad maps in VIRTRDF, which queries exclude, and puts the others
# back at every start; they are deleted then, since every graph a query must exclude costs it time
# (two exclusions take three times as long as one: bench/RESULTS.md).
VIRTRDF = "http://www.openlinksw.com/schemas/virtrdf#"
STARTUP_GRAPHS = ("http://www.w3.org/ns/ldp#", "http://localuriqaserver/sparql")


class VirtuosoError(ExternalStoreError):
    """Virtuoso is missing, would not start, or refused a statement (the CLI says so and exits 1)."""

    def __init__(self, message: str):
        super().__init__(503, message)


class VirtuosoServer:
    """One Virtuoso database in ``directory``, run as a child process on loopback ports."""

    def __init__(
        self,
        directory: Path,
        http_port: int,
        sql_port: int,
        query_seconds: int,
        readable: tuple[Path, ...] = (),
    ):
        self.directory = directory
        self.http_port, self.sql_port = http_port, sql_port
        self.query_seconds = query_seconds
        self.readable = readable
        self.url = f"http://127.0.0.1:{http_port}/"
        self.sql = f"127.0.0.1:{sql_port}"
        self.process: subprocess.Popen | None = None

    @property
    def fresh(self) -> bool:
        """No database yet: the next start creates one, with Virtuoso's default `dba` password."""
        return not (self.directory / DATABASE).exists()

    def answering(self) -> bool:
        """Something accepts connections on the SQL port (a Virtuoso started by another command)."""
        try:
            socket.create_connection(("127.0.0.1", self.sql_port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def start(self) -> None:
        missing = [binary for binary in VIRTUOSO_BINARIES if shutil.which(binary) is None]
        if missing:
            raise VirtuosoError(
                f"{', '.join(missing)} not found: install Debian's virtuoso-opensource-7-bin "
                '(`sudo .ci/install-system-packages`), or set store = "embedded"'
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        dirs = ", ".join(str(path) for path in (Path("."), *self.readable))
        ini = INI.read_text().format(
            sql_port=self.sql_port,
            http_port=self.http_port,
            query_seconds=self.query_seconds,
            dirs_allowed=dirs,
        )
        (self.directory / "virtuoso.ini").write_text(ini)
        log = (self.directory / "server.out").open("w")
        self.process = subprocess.Popen(
            ["virtuoso-t", "+configfile", "virtuoso.ini", "+foreground"],
            cwd=self.directory,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise VirtuosoError(f"Virtuoso exited: {self._log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "sparql?query=ASK%7B%7D", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise VirtuosoError(f"Virtuoso did not answer within {STARTUP_SECONDS} s: {self._log_tail()}")

    def _log_tail(self) -> str:
        log = self.directory / "server.out"
        return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"

    def stop(self) -> None:
        """A clean shutdown (Virtuoso checkpoints on SIGTERM), killed if it takes too long."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def isql(self, password: str, statements: str) -> str:
        """Run SQL statements (given on standard input, so that none shows in a process list)."""
        done = subprocess.run(
            ["isql-vt", self.sql, "dba", password],
            input=statements,
            capture_output=True,
            text=True,
            timeout=24 * 3600,
        )
        errors = [line for line in done.stdout.splitlines() if line.startswith("*** Error")]
        if done.returncode != 0 or errors:
            detail = "; ".join(errors) or done.stderr.strip() or f"exit status {done.returncode}"
            raise VirtuosoError(f"Virtuoso refused a statement: {detail[:500]}")
        return done.stdout

    def bulk_load(self, password: str, path: Path, graph: str) -> None:
        """Replace ``graph`` by the triples of one N-Triples file (plain or .gz) with the bulk loader."""
        file, iri = _sql_string(str(path.resolve())), _sql_string(graph)
        self.isql(
            password,
            _clear_graph(graph) + f"DELETE FROM DB.DBA.load_list WHERE ll_file = {file};\n"
            f"ld_add({file}, {iri});\n"
            "rdf_loader_run();\n"
            "checkpoint;\n",
        )
        failed = self.isql(
            password,
            f"SELECT COUNT(*) FROM DB.DBA.load_list WHERE ll_file = {file} AND ll_error IS NOT NULL;\n",
        )
        if not re.search(r"^\s*0\s*$", failed, re.MULTILINE):
            why = self.isql(password, f"SELECT ll_error FROM DB.DBA.load_list WHERE ll_file = {file};\n")
            raise VirtuosoError(f"Virtuoso could not load {path.name}: {why.strip()[-500:]}")


def _clear_graph(graph: str) -> str:
    """The statement that empties a graph (by its index on G, without a transaction log)."""
    return f"DELETE FROM DB.DBA.RDF_QUAD WHERE G = iri_to_id({_sql_string(graph)});\n"


def _sql_string(value: str) -> str:
    if "'" in value or "\\" in value:
        raise VirtuosoError(f"not loadable by path: {value!r}")
    return f"'{value}'"


def server_of(settings: Settings) -> VirtuosoServer:
    return VirtuosoServer(
        settings.virtuoso_dir,
        settings.virtuoso_http_port,
        settings.virtuoso_sql_port,
        int(settings.query_timeout_s),
        readable=(settings.releases_dir.resolve(),),
    )


@contextmanager
def running(settings: Settings) -> Iterator[VirtuosoServer]:
    """The settings' Virtuoso, started for the duration unless it already answers."""
    server = server_of(settings)
    if server.answering():
        yield server
        return
    fresh = server.fresh
    server.start()
    try:
        if fresh:
            _new_database(server, settings)
        server.isql(
            settings.sparql_secret,
            "".join(_clear_graph(graph) for graph in STARTUP_GRAPHS),
        )
        yield server
    finally:
        try:
            server.isql(settings.sparql_secret, "checkpoint;\n")  # SIGTERM alone shuts down without one
        finally:
            server.stop()


def _new_database(server: VirtuosoServer, settings: Settings) -> None:
    """A new database: replace its default `dba` password; what the old ledger said is void."""
    password = secrets.token_hex(16)
    server.isql("dba", f"USER_SET_PASSWORD('dba', '{password}');\n")
    path = settings.virtuoso_password_file
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(password)
    settings.store_ledger.unlink(missing_ok=True)


class VirtuosoReader(RemoteReader):
    """Queries scoped by excluding graphs rather than listing them. Virtuoso answers a query over a
    list of 16 default graphs up to 100 times slower than over its whole database (observations per
    measure of imd-lsoa/2019: 14 s against 0.1 s), and almost as fast when it excludes a few graphs
    (bench/RESULTS.md). It knows every graph of its database: the ledger (which notes a graph before
    loading it) and VIRTRDF, so excluding the rest is the same scope as listing the wanted."""

    def query(self, text: str, *, form: str = "SELECT", default_graph=None, named_graphs=None):
        if default_graph is None and named_graphs is None:
            return super().query(text, form=form)
        known = self._known_graphs()
        pragmas, lists = [], {}
        for kind, wanted in (("default", default_graph), ("named", named_graphs)):
            if wanted is None:
                continue
            wanted = {iri_of(graph) for graph in wanted}
            hidden = sorted(known - wanted)
            if len(hidden) < len(wanted):
                pragmas += [f"DEFINE input:{kind}-graph-exclude <{graph}>" for graph in hidden]
            else:
                lists[kind] = sorted(wanted)
        scoped = "\n".join([*pragmas, text]) if pragmas else text
        return super().query(
            scoped, form=form, default_graph=lists.get("default"), named_graphs=lists.get("named")
        )

    def _known_graphs(self) -> set[str]:
        ledger = self.settings.store_ledger
        return {VIRTRDF, *(json.loads(ledger.read_text()) if ledger.exists() else ())}


class VirtuosoWritableStore(RemoteWritableStore):
    """The external store's publishing, with Virtuoso's bulk loader in place of the Graph Store
    Protocol: twice as fast (bench/RESULTS.md), and each release loads as soon as it is built."""

    def __init__(self, settings: Settings, server: VirtuosoServer):
        super().__init__(settings)
        self.server = server

    def load_release(self, graph: str, ntriples: Path) -> None:
        """Load a release from its plain N-Triples (in the build's loader thread), then drop them."""
        compressed = ntriples.with_name(ntriples.name + ".gz")
        self._loading(graph)
        self._record(graph, str(compressed), self._load_file(graph, ntriples))
        ntriples.unlink()

    def _load_file(self, graph: str, path: Path) -> int:
        self.server.bulk_load(self.settings.sparql_secret, path, graph)
        return _count_lines(path)


def _count_lines(path: Path) -> int:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
