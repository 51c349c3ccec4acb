"""Run SPARQL queries in confined worker processes that are killed at the wall-clock limit.

pyoxigraph evaluates a query in native code that Python cannot interrupt, so each query runs in a
separate process; when it overruns it is killed and replaced while the server and the other workers
go on answering. The worker also does the query's safety check and format choice, so that parsing
a hostile query is bounded by the same limit, and it has no network and a memory limit (sandbox).
Workers open the published snapshot read-only, or with an external store (``store = "sparql"``) send
the query there, naming the snapshot's graphs as its dataset.
"""

from __future__ import annotations

import functools
import json
import logging
import multiprocessing
import queue
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from itertools import islice

import pyoxigraph as ox

from publisher.published import ExternalStoreError, Settings, open_reader

from .formats import GRAPH_FORMATS, SELECT_FORMATS
from .guard import CheckedQuery, RefusedQuery, check_query
from .negotiation import is_graph_form, negotiate
from .sandbox import confine

log = logging.getLogger(__name__)


PAGING_ADVICE = "page with LIMIT and OFFSET, or download the whole dataset from /downloads/."


class QueryRejected(Exception):
    """The client's query cannot be answered; ``status`` is the HTTP status to send."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Job:
    snapshot: str
    query: str
    known_graphs: tuple[str, ...]  # every graph a query may name, replaced revisions included
    union_graphs: tuple[str, ...]  # the default graph when the query names none: current revisions
    default_graphs: tuple[str, ...]  # protocol parameters, already checked
    named_graphs: tuple[str, ...]
    accept: tuple[tuple[str, float], ...]
    format_alias: str | None
    row_cap: int
    max_query_chars: int
    max_result_bytes: int


@dataclass(frozen=True)
class Answer:
    media_type: str
    body: bytes


@functools.lru_cache(maxsize=256)
def _checked(text: str, known_graphs: tuple[str, ...], max_query_chars: int) -> CheckedQuery:
    """The check parses the query with rdflib: about 1 ms, often as long as answering it. Clients such
    as dashboards send the same queries again and again. Refusals are not cached."""
    return check_query(text, set(known_graphs), max_query_chars)


def answer(job: Job, store) -> Answer:
    """Check, negotiate, evaluate and serialise ``job``; raise QueryRejected for the client's faults."""
    try:
        checked = _checked(job.query, job.known_graphs, job.max_query_chars)
    except RefusedQuery as error:
        raise QueryRejected(400, str(error)) from None
    media_type = negotiate(checked.form, list(job.accept), job.format_alias)
    if media_type is None:
        raise QueryRejected(406, f"no acceptable result format for a {checked.form} query")
    options = {}
    if job.default_graphs or job.named_graphs:  # protocol parameters override FROM (SPARQL 1.1 Protocol)
        options = {
            "default_graph": [ox.NamedNode(g) for g in job.default_graphs],
            "named_graphs": [ox.NamedNode(g) for g in job.named_graphs],
        }
    elif not (checked.default_graphs or checked.named_graphs):  # no FROM: union of the current graphs
        options = {
            "default_graph": [ox.NamedNode(g) for g in job.union_graphs],
            "named_graphs": [ox.NamedNode(g) for g in job.known_graphs],
        }
    result = store.query(checked.capped(job.row_cap + 1), form=checked.form, **options)
    if is_graph_form(checked.form):
        triples = list(islice(result, job.row_cap + 1))
        if len(triples) > job.row_cap:
            raise QueryRejected(400, f"the result has more than {job.row_cap:,} triples; " + PAGING_ADVICE)
        body = ox.serialize(triples, format=GRAPH_FORMATS[media_type])
    else:
        if checked.form == "ASK":
            document = {"head": {}, "boolean": bool(result)}
        else:
            names = [v.value for v in result.variables]
            rows = list(islice(result, job.row_cap + 1))
            if len(rows) > job.row_cap:
                raise QueryRejected(400, f"the result has more than {job.row_cap:,} rows; " + PAGING_ADVICE)
            terms: dict = {}  # a term recurs across rows (predicates, areas): convert it once
            bindings = [
                {n: terms.get(t) or terms.setdefault(t, _term(t)) for n in names if (t := row[n]) is not None}
                for row in rows
            ]
            document = {"head": {"vars": names}, "results": {"bindings": bindings}}
        body = json.dumps(document).encode()
        if media_type != "application/sparql-results+json":
            parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            body = parsed.serialize(format=SELECT_FORMATS[media_type])
    if len(body) > job.max_result_bytes:
        raise QueryRejected(400, f"the result is {len(body):,} bytes; the limit is {job.max_result_bytes:,}")
    return Answer(media_type, body)


def _term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    return {"type": "literal", "value": str(term)}


def _worker_main(connection, memory_mb: int, settings: Settings) -> None:
    # A worker that asks an external store needs the network; the guard still refuses SERVICE.
    isolated = confine(memory_mb, isolate_network=not settings.external_store)
    connection.send(("ready", isolated or settings.external_store))
    stores: dict[str, object] = {}
    while True:
        try:
            job = connection.recv()
        except EOFError:  # the server went away: nothing left to answer
            return
        if job is None:
            return
        try:
            if job.snapshot not in stores:
                stores.clear()  # a newer snapshot was published: let the old one go
                stores[job.snapshot] = open_reader(settings, job.snapshot, list(job.known_graphs))
            connection.send(("ok", answer(job, stores[job.snapshot])))
        except (QueryRejected, ExternalStoreError) as error:
            connection.send(("rejected", (error.status, str(error))))
        except MemoryError:
            connection.send(
                ("rejected", (400, f"the query needs more than the {memory_mb:,} MB a query may use"))
            )
        except (SyntaxError, ValueError, OSError, RuntimeError) as error:
            connection.send(("rejected", (400, f"query failed: {error}")))


class _Worker:
    def __init__(self, context, memory_mb: int, settings: Settings):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, memory_mb, settings), daemon=True)
        self.process.start()
        child.close()
        status, isolated = self.connection.recv()
        if not isolated:
            log.warning(
                "query worker %s could not drop network access; relying on the query guard", self.process.pid
            )

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class QueryPool:
    """A fixed number of confined query processes. A job may wait ``timeout`` seconds for a free
    worker, then has ``timeout`` seconds to run; an overrunning worker is killed and replaced.

    Two rules keep every client answered while others send runaway queries:
    - one client (by address) holds at most ``per_client`` workers at once;
    - a query still running after ``quick`` seconds is long, and at most ``long_slots`` long queries
      run at once, from all clients together. A query that turns long when the slots are taken is
      stopped, so the remaining workers are never held longer than ``quick`` seconds and a small
      query from anyone waits at most about that long, however many addresses send runaways.
    """

    def __init__(self, settings: Settings):
        self.timeout = settings.query_timeout_s
        self.memory_mb = settings.query_memory_mb
        self.settings = settings
        self.per_client = settings.query_workers_per_client or max(1, settings.query_workers // 2)
        self.quick = min(settings.query_quick_s, self.timeout)
        self.long_slots = settings.long_query_slots
        self._long = threading.BoundedSemaphore(self.long_slots)
        self._heavy_until: dict[str, float] = {}
        self._running: dict[str, int] = {}
        self._turns = threading.Condition()
        # Workers are forked from a small process (multiprocessing's forkserver) that imported this
        # module once: a stopped worker is replaced in about 10 ms, where spawning a fresh interpreter
        # takes about a second, and seconds on a busy machine, while everyone else waits for a worker.
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload([__name__])
        self._idle: queue.Queue[_Worker] = queue.Queue()
        for _ in range(settings.query_workers):
            self._idle.put(self._new_worker())

    def _new_worker(self) -> _Worker:
        return _Worker(self._context, self.memory_mb, self.settings)

    def run(self, job: Job, client: str = "") -> Answer:
        with self._client_turn(client), ExitStack() as slots:
            heavy = self._is_heavy(client)
            if heavy:
                self._wait_for_long_slot()
                slots.callback(self._long.release)
            return self._run(job, client, slots, heavy)

    @contextmanager
    def _client_turn(self, client: str):
        """Wait (up to the timeout) until ``client`` has fewer than ``per_client`` queries running."""
        deadline = time.monotonic() + self.timeout
        with self._turns:
            while self._running.get(client, 0) >= self.per_client:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise QueryRejected(
                        503,
                        f"you already have {self.per_client} quer{'y' if self.per_client == 1 else 'ies'} "
                        "running, the most one client may run at once; try again when it has finished",
                    )
                self._turns.wait(remaining)
            self._running[client] = self._running.get(client, 0) + 1
        try:
            yield
        finally:
            with self._turns:
                self._running[client] -= 1
                if not self._running[client]:
                    del self._running[client]
                self._turns.notify_all()

    def _is_heavy(self, client: str) -> bool:
        """Whether ``client`` sent a long query within the last wall-clock limit: its queries then
        start only in a long slot, leaving the other workers to everyone else."""
        with self._turns:
            return self._heavy_until.get(client, 0.0) > time.monotonic()

    def _mark_heavy(self, client: str) -> None:
        now = time.monotonic()
        with self._turns:
            self._heavy_until = {c: t for c, t in self._heavy_until.items() if t > now}
            self._heavy_until[client] = now + self.timeout

    def _wait_for_long_slot(self) -> None:
        if not self._long.acquire(timeout=self.timeout):
            raise QueryRejected(
                503,
                f"your recent queries ran long, and long queries run only {self.long_slots} at a time; "
                "all were taken for the whole time limit. Try again later, or narrow the query.",
            )

    def _run(self, job: Job, client: str, slots: ExitStack, holding_slot: bool) -> Answer:
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise QueryRejected(503, "every query worker is busy; try again shortly") from None
        try:
            worker.connection.send(job)
            status, payload = self._await(worker, client, slots, holding_slot)
        except QueryRejected:
            raise
        except Exception:  # the worker died or the pipe broke: never reuse it
            self._replace(worker)
            raise QueryRejected(
                400, "the query stopped its worker (too much memory?) and was abandoned"
            ) from None
        self._idle.put(worker)  # a complete round trip: the worker is clean
        if status == "rejected":
            raise QueryRejected(*payload)
        return payload

    def _await(
        self, worker: _Worker, client: str, slots: ExitStack, holding_slot: bool
    ) -> tuple[str, object]:
        """The worker's reply: within the quick limit, or holding a long slot, the wall-clock limit.
        A slot taken here is released by ``slots`` when the query is over."""
        started = time.monotonic()
        if not holding_slot and not worker.connection.poll(self.quick):
            self._mark_heavy(client)
            if not self._long.acquire(blocking=False):
                self._replace(worker)
                raise QueryRejected(
                    503,
                    f"the query ran past {self.quick:g} s while {self.long_slots} long "
                    f"{'query was' if self.long_slots == 1 else 'queries were'} already running, the most "
                    "this server runs at once, and was stopped. Try again shortly, narrow the query "
                    "(filters, LIMIT), or use the downloads under /downloads/.",
                )
            slots.callback(self._long.release)
        if not worker.connection.poll(max(0.0, self.timeout - (time.monotonic() - started))):
            self._mark_heavy(client)
            self._replace(worker)
            raise QueryRejected(
                503,
                f"the query ran longer than the {self.timeout:g} s limit and was stopped. "
                "Narrow the query (filters, LIMIT) or use the downloads under /downloads/.",
            )
        return worker.connection.recv()

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        threading.Thread(target=self._respawn, daemon=True).start()

    def _respawn(self) -> None:
        for attempt in range(5):
            try:
                self._idle.put(self._new_worker())
                return
            except Exception:
                log.exception("could not start a query worker (attempt %d)", attempt + 1)
                time.sleep(1)
