"""Run SPARQL queries in worker processes that can be killed at the wall-clock limit.

pyoxigraph evaluates a query in native code that cannot be interrupted from Python, so each query
runs in a separate process; when it overruns, the process is killed and replaced while the server
and the other workers go on answering. Workers open the published snapshot read-only.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from dataclasses import dataclass
from itertools import islice

import pyoxigraph as ox

SELECT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}


class QueryTimeout(Exception):
    pass


class PoolBusy(Exception):
    pass


class RowCapExceeded(Exception):
    pass


class QueryFailed(Exception):
    pass


@dataclass(frozen=True)
class Job:
    snapshot: str
    query: str
    form: str
    default_graphs: list[str]
    named_graphs: list[str]
    use_dataset_clauses: bool
    media_type: str
    row_cap: int


def execute(job: Job, store: ox.Store) -> bytes:
    """Evaluate ``job`` and serialise its result; raise RowCapExceeded past the cap."""
    options = {}
    if not job.use_dataset_clauses:
        options["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
        options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    result = store.query(job.query, **options)
    if job.form in ("CONSTRUCT", "DESCRIBE"):
        triples = list(islice(result, job.row_cap + 1))
        if len(triples) > job.row_cap:
            raise RowCapExceeded(f"the result has more than {job.row_cap:,} triples")
        return ox.serialize(triples, format=GRAPH_FORMATS[job.media_type])
    if job.form == "ASK":
        document = b'{"head":{},"boolean":%s}' % (b"true" if bool(result) else b"false")
    else:
        names = [v.value for v in result.variables]
        rows = list(islice(result, job.row_cap + 1))
        if len(rows) > job.row_cap:
            raise RowCapExceeded(f"the result has more than {job.row_cap:,} rows")
        document = _json_results(names, rows)
    if job.media_type == "application/sparql-results+json":
        return document
    parsed = ox.parse_query_results(document, format=ox.QueryResultsFormat.JSON)
    return parsed.serialize(format=SELECT_FORMATS[job.media_type])


def _json_results(names: list[str], rows: list) -> bytes:
    import json

    bindings = []
    for row in rows:
        binding = {}
        for name in names:
            term = row[name]
            if term is not None:
                binding[name] = _term(term)
        bindings.append(binding)
    return json.dumps({"head": {"vars": names}, "results": {"bindings": bindings}}).encode()


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


def _worker_main(connection) -> None:
    stores: dict[str, ox.Store] = {}
    while True:
        job = connection.recv()
        if job is None:
            return
        try:
            if job.snapshot not in stores:
                stores.clear()  # a newer snapshot was published: let the old one go
                stores[job.snapshot] = ox.Store.read_only(job.snapshot)
            connection.send(("ok", execute(job, stores[job.snapshot])))
        except RowCapExceeded as error:
            connection.send(("rowcap", str(error)))
        except (SyntaxError, ValueError, OSError, RuntimeError) as error:
            connection.send(("error", str(error)))


class _Worker:
    def __init__(self, context):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child,), daemon=True)
        self.process.start()
        child.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class QueryPool:
    """A fixed number of query processes; a job waits at most ``timeout`` seconds in all."""

    def __init__(self, size: int, timeout: float):
        self.timeout = timeout
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        for _ in range(size):
            self._idle.put(_Worker(self._context))

    def run(self, job: Job) -> bytes:
        import time

        deadline = time.monotonic() + self.timeout
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise PoolBusy("every query worker is busy; try again shortly") from None
        try:
            worker.connection.send(job)
            if not worker.connection.poll(max(0.0, deadline - time.monotonic())):
                worker.kill()
                worker = _Worker(self._context)
                raise QueryTimeout(f"the query ran longer than the {self.timeout:g} s limit and was stopped")
            status, payload = worker.connection.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError):
            worker.kill()
            worker = _Worker(self._context)
            raise QueryFailed("the query worker stopped unexpectedly") from None
        finally:
            self._idle.put(worker)
        if status == "rowcap":
            raise RowCapExceeded(payload)
        if status == "error":
            raise QueryFailed(payload)
        return payload

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait().kill()
