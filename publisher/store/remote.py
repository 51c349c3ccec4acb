"""An external SPARQL 1.1 store (Virtuoso, Fuseki, GraphDB, Oxigraph server) as localindex's store.

Releases go in through the Graph Store Protocol, each into its own named graph, where no query can
see them yet: every query localindex sends names its dataset (``default-graph-uri`` /
``named-graph-uri``) from the published snapshot's manifest, so a graph becomes visible only when a
manifest naming it is published (var/snapshots/CURRENT swapped) — the same atomic switch as the
embedded store. Each load is verified by counting the graph afterwards and only then recorded in
its ledger (var/store-graphs.json); a load cut short is not recorded, so the next build reloads it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
from SPARQLWrapper import DIGEST, POST, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from ..config import Settings
from ..paths import QUERIES_DIR
from .registry import write_json_atomically
from .snapshots import publish_manifest

DESCRIBE_QUERY = QUERIES_DIR / "describe.rq"
GRAPH_FORMS = {"CONSTRUCT", "DESCRIBE"}
NTRIPLES = "application/n-triples"
RESULTS_JSON = "application/sparql-results+json"


class ExternalStoreError(RuntimeError):
    """The external store refused or failed; ``status`` is the HTTP status to pass on to a client."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class GraphStore:
    """The store's Graph Store Protocol endpoint: replace, add to and delete named graphs."""

    def __init__(self, settings: Settings):
        self.endpoint = settings.sparql_graph_store_endpoint
        self.timeout = max(settings.query_timeout_s, 300.0)
        handlers = []
        if settings.sparql_user:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(None, self.endpoint, settings.sparql_user, settings.sparql_secret)
            handler = (
                urllib.request.HTTPDigestAuthHandler
                if settings.sparql_auth == "digest"
                else urllib.request.HTTPBasicAuthHandler
            )
            handlers.append(handler(passwords))
        self.opener = urllib.request.build_opener(*handlers)
        self.chunk = settings.sparql_load_chunk_triples

    def send(self, method: str, graph: str, body: bytes | None = None) -> int:
        url = f"{self.endpoint}?{urllib.parse.urlencode({'graph': graph})}"
        headers = {"Content-Type": NTRIPLES} if body is not None else {}
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return response.status
        except urllib.error.HTTPError as error:
            if method == "DELETE" and error.code == 404:
                return 404  # nothing to delete
            detail = error.read()[:500].decode("utf-8", "replace").strip()
            raise ExternalStoreError(
                502, f"{method} {graph} at {self.endpoint}: {error.code} {detail}"
            ) from None
        except OSError as error:
            raise ExternalStoreError(
                503, f"the SPARQL store at {self.endpoint} is unreachable: {error}"
            ) from None

    def load(self, graph: str, chunks: Iterator[bytes]) -> None:
        """Replace ``graph`` by the triples of ``chunks`` (each a whole-triples N-Triples document)."""
        self.send("DELETE", graph)
        for chunk in chunks:
            self.send("POST", graph, chunk)

    def delete(self, graph: str) -> None:
        self.send("DELETE", graph)


def ntriples_chunks(path: Path, size: int, counter: list[int]) -> Iterator[bytes]:
    """The gzipped N-Triples file as documents of at most ``size`` triples, counting into ``counter``.

    A blank node is scoped to one request, so every triple that mentions one goes in a single last
    chunk (they are the release's metadata: a few hundred at most).
    """
    with gzip.open(path, "rb") as handle:
        batch: list[bytes] = []
        with_blank_nodes: list[bytes] = []
        for line in handle:
            if not line.strip() or line.startswith(b"#"):
                continue
            counter[0] += 1
            (with_blank_nodes if b"_:" in line else batch).append(line)
            if len(batch) >= size:
                yield b"".join(batch)
                batch = []
        for rest in (batch, with_blank_nodes):
            if rest:
                yield b"".join(rest)


class RemoteReader:
    """Queries over a chosen set of the store's graphs: the same calls the API makes on pyoxigraph."""

    def __init__(self, settings: Settings, graphs: list[str]):
        self.settings = settings
        self.graphs = list(graphs)

    def query(self, text: str, *, form: str = "SELECT", default_graph=None, named_graphs=None):
        """Run ``text``; return QuerySolutions, a bool (ASK) or a list of triples, as pyoxigraph would."""
        client = SPARQLWrapper(self.settings.sparql_query_endpoint)
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setTimeout(int(self.settings.query_timeout_s) + 5)
        client.setOnlyConneg(True)
        client.addCustomHttpHeader("Accept", NTRIPLES if form in GRAPH_FORMS else RESULTS_JSON)
        if self.settings.sparql_user:
            client.setCredentials(self.settings.sparql_user, self.settings.sparql_secret)
            if self.settings.sparql_auth == "digest":
                client.setHTTPAuth(DIGEST)
        client.setQuery(text)
        for graph in default_graph or []:
            client.addDefaultGraph(iri_of(graph))
        for graph in named_graphs or []:
            client.addNamedGraph(iri_of(graph))
        try:
            body = client.query().response.read()
        except SPARQLWrapperException as error:
            raise ExternalStoreError(
                400, f"the SPARQL store refused the query: {_first_line(error)}"
            ) from None
        except OSError as error:  # timeouts and refused connections
            raise ExternalStoreError(503, f"the SPARQL store did not answer: {error}") from None
        if form in GRAPH_FORMS:
            return list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        results = ox.parse_query_results(_valid_blank_nodes(body), format=ox.QueryResultsFormat.JSON)
        if form == "ASK":
            return _boolean(results)
        return results

    def select(self, text: str) -> list:
        """A SELECT over the union of this reader's graphs."""
        return list(self.query(text, default_graph=self.graphs, named_graphs=self.graphs))

    def quads_for_pattern(self, subject=None, predicate=None, obj=None, graph=None) -> list[ox.Quad]:
        """Like pyoxigraph's ``quads_for_pattern`` for IRIs and literals (not blank nodes)."""
        terms = {"s": subject, "p": predicate, "o": obj}
        pattern = " ".join(str(term) if term is not None else f"?{name}" for name, term in terms.items())
        scope = [graph.value] if graph is not None else self.graphs
        rows = self.query(
            f"SELECT * WHERE {{ GRAPH ?g {{ {pattern} }} }}", default_graph=scope, named_graphs=scope
        )
        return [
            ox.Quad(*(term if term is not None else row[name] for name, term in terms.items()), row["g"])
            for row in rows
        ]

    def describe(self, iri: str, limit: int) -> list[ox.Triple]:
        text = DESCRIBE_QUERY.read_text().replace("$subject", str(ox.NamedNode(iri)))
        subject = ox.NamedNode(iri)
        found: dict[ox.Triple, None] = {}
        for row in self.select(f"{text} LIMIT {limit}"):
            found[ox.Triple(subject, row["p"], row["o"])] = None
            if row["p2"] is not None:
                found[ox.Triple(row["o"], row["p2"], row["o2"])] = None
            if row["p3"] is not None:
                found[ox.Triple(row["o2"], row["p3"], row["o3"])] = None
        return list(found)

    def label_triples(self, subjects: list, predicates: tuple, batch: int = 200) -> list[ox.Triple]:
        """Like the embedded reader's, in one query per ``batch`` subjects rather than one per pair."""
        found = []
        chosen = " ".join(str(p) for p in predicates)
        for start in range(0, len(subjects), batch):
            values = " ".join(str(s) for s in subjects[start : start + batch])
            rows = self.select(
                f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} VALUES ?p {{ {chosen} }} ?s ?p ?o }}"
            )
            found += [ox.Triple(row["s"], row["p"], row["o"]) for row in rows]
        return found

    def count(self, graph: str) -> int:
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return int(rows[0]["n"].value)


def iri_of(graph) -> str:
    return graph.value if isinstance(graph, ox.NamedNode) else str(graph)


def _valid_blank_nodes(body: bytes) -> bytes:
    """Blank node labels as pyoxigraph accepts them: Virtuoso sends ``nodeID://b10006``."""
    if b'"bnode"' not in body:
        return body
    document = json.loads(body)
    for row in document.get("results", {}).get("bindings", []):
        for term in row.values():
            if term.get("type") == "bnode":
                term["value"] = "b" + hashlib.blake2b(term["value"].encode(), digest_size=8).hexdigest()
    return json.dumps(document).encode()


def _boolean(results) -> bool:
    """ASK's answer. Virtuoso 7 sends it as one row binding ``__ASK_RETVAL`` to 0 or 1."""
    if isinstance(results, ox.QueryBoolean):
        return bool(results)
    rows = list(results)
    return bool(rows) and rows[0][0] is not None and rows[0][0].value not in ("0", "false")


def _first_line(error: Exception) -> str:
    return next((line for line in str(error).splitlines() if line.strip()), "unknown error")[:500]


class RemoteWritableStore:
    """The build's handle on the external store; its loads become visible only with a snapshot."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.graph_store = GraphStore(settings)
        self.ledger_path = settings.store_ledger
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        self.ledger: dict = json.loads(self.ledger_path.read_text()) if self.ledger_path.exists() else {}
        self.pending: dict[str, bytes] = {}

    def replace_graph(self, graph: str, triples_nt: bytes) -> None:
        """Queue a small graph (vocabulary, catalogue); it is loaded just before the next snapshot."""
        self.pending[graph] = triples_nt

    def load_release(self, graph: str, ntriples: Path) -> None:
        """Releases reach the external store at sync, by the Graph Store Protocol, from their .nt.gz."""
        ntriples.unlink()

    def sync(self, registry, small_graphs: dict[str, bytes], progress) -> bool:
        """Load every release graph the registry names that the store does not hold yet."""
        wanted = registry.release_files()
        missing = [g for g in sorted(wanted) if self.ledger.get(g, {}).get("source") != str(wanted[g])]
        for graph in missing:
            progress(f"  loading {wanted[graph].name} into the SPARQL store")
            self._loading(graph)
            self._record(graph, str(wanted[graph]), self._load_file(graph, wanted[graph]))
        for graph, content in small_graphs.items():
            if self.ledger.get(graph, {}).get("source") != _digest(content):
                self.pending[graph] = content
        return bool(missing or self.pending)

    def _load_file(self, graph: str, path: Path) -> int:
        """Replace ``graph`` by a release's .nt.gz through the Graph Store Protocol; triples sent."""
        counted = [0]
        self.graph_store.load(graph, ntriples_chunks(path, self.graph_store.chunk, counted))
        return counted[0]

    def snapshot(self, registry) -> Path:
        """Load the queued small graphs, publish the manifest, then drop graphs nothing names."""
        for graph, content in sorted(self.pending.items()):
            self._loading(graph)
            self.graph_store.load(graph, iter([content]))
            self._record(graph, _digest(content), sum(1 for line in content.splitlines() if line.strip()))
        self.pending.clear()
        path = publish_manifest(self.settings, registry, store="sparql")
        named = set(registry.release_files()) | set(registry.graphs())
        for graph in sorted(set(self.ledger) - named):
            self.graph_store.delete(graph)
            del self.ledger[graph]
            self._save()
        return path

    def _loading(self, graph: str) -> None:
        """Note a graph before loading it: a load cut short is then reloaded, and a server hides it."""
        self.ledger[graph] = {"source": None, "loading": True}
        self._save()

    def _record(self, graph: str, source: str, expected: int) -> None:
        held = RemoteReader(self.settings, [graph]).count(graph)
        if held != expected:
            raise ExternalStoreError(
                502, f"the SPARQL store holds {held:,} triples in {graph} after loading {expected:,}"
            )
        self.ledger[graph] = {"source": source, "triples": held}
        self._save()

    def _save(self) -> None:
        write_json_atomically(self.ledger_path, self.ledger)


def _digest(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()
