"""Serving benchmark: `wrk` against `localindex serve` (gunicorn, as `make run` serves) over a built
var/, at 1, 16 and 64 connections: a REST observation lookup (rotating over 1,000 real LSOAs), a REST
aggregate to districts, and a SPARQL query for every observation of one LSOA. Peer in the same run:
rdflib-endpoint (in its own virtual environment) serving the 100k-observation slice of imd-lsoa/2019
that bench/sparql.py uses (all 10 M triples do not fit rdflib in reasonable time and memory), asked
the same SPARQL query for an LSOA in the slice. The SPARQL query is measured twice on localindex: as
configured (one client holds at most query_workers_per_client workers) and with every worker open
to the one client wrk is. Prints requests/s, p50, p99, errors, the load average at the start and end
of each run, and localindex ÷ rdflib-endpoint requests/s.
Usage: python bench/serve.py [--var DIR] [--seconds 30]   (run `make build` first)"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import urllib.request
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.sparql import SLICE_AREAS, slice_ntriples  # noqa: E402
from bench.timing import load_average, peer_venv, peer_version  # noqa: E402
from publisher.config import load_settings  # noqa: E402
from publisher.paths import DATA_DIR  # noqa: E402
from publisher.store import current_snapshot  # noqa: E402
from tests.conftest import start_server  # noqa: E402
from tests.processes import free_port, stop, wait_until_listening  # noqa: E402
from tests.wrk import AREA, area_query_path, require_wrk, run_wrk  # noqa: E402

CONNECTIONS = (1, 16, 64)
WARM_UP_S = 3
ROTATED_LSOAS = 1_000
JSON, SPARQL_JSON = "application/json", "application/sparql-results+json"


def rotated_lsoas() -> list[str]:
    """Real LSOA codes spread over England, from the bundled IMD file."""
    with gzip.open(DATA_DIR / "iod2019" / "file1_imd.csv.gz", "rt") as handle:
        header = handle.readline().strip().split(",")
        codes = sorted(line.split(",")[header.index("lsoa")] for line in handle)
    return codes[:: len(codes) // ROTATED_LSOAS][:ROTATED_LSOAS]


def rows(base: str, path: str, accept: str) -> int:
    """GET once before the benchmark: the answer must be 200 with rows; return how many."""
    request = urllib.request.Request(base + path, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=120) as response:
        assert response.status == 200, (path, response.status)
        body = json.loads(response.read())
    found = body["results"]["bindings"] if "results" in body else body.get("observations", body.get("rows"))
    assert found, (path, body)
    return len(found)


def measure(base: str, paths: list[str], accept: str, connections: int, seconds: int, scratch: Path) -> dict:
    """One wrk run, with the load average at its start and end (the machine may be shared)."""
    load = load_average()
    run = run_wrk(base, paths, accept, connections, seconds, scratch)
    return {"run": run, "load": f"{load} -> {load_average()}"}


def benchmark(name: str, base: str, paths: list[str], accept: str, seconds: int, scratch: Path) -> dict:
    """Check the target once, warm it up, then wrk at each number of connections; print and return."""
    print(f"{name}: {rows(base, paths[0], accept)} rows in the first answer")
    run_wrk(base, paths, accept, 2, WARM_UP_S, scratch)
    results = {}
    for connections in CONNECTIONS:
        found = results[connections] = measure(base, paths, accept, connections, seconds, scratch)
        run = found["run"]
        print(
            f"  {connections:3d} connections: {run.per_second:9,.1f} req/s  p50 {run.p50_ms:8.1f} ms  "
            f"p99 {run.p99_ms:8.1f} ms  errors {run.errors}  [load {found['load']}]",
            flush=True,
        )
    return results


class RdflibEndpoint:
    """`rdflib-endpoint serve FILE` on 127.0.0.1 (it parses the file before it listens)."""

    def __init__(self, data: Path, scratch: Path):
        self.bin = peer_venv("rdflib-endpoint", "rdflib-endpoint>=0.6,<0.7", "uvicorn")
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = scratch / "rdflib-endpoint.log"
        self.log = self.log_path.open("w")
        command = [str(self.bin / "rdflib-endpoint"), "serve", "--host", "127.0.0.1", "--port", str(port)]
        self.process = subprocess.Popen([*command, str(data)], stdout=self.log, stderr=subprocess.STDOUT)
        self.load_seconds = wait_until_listening(self.process, port, self.log_path, seconds=600)

    def stop(self) -> None:
        stop(self.process)
        self.log.close()


def write_slice(release_dir: Path, path: Path) -> None:
    data = slice_ntriples(release_dir)
    path.write_bytes(data)
    observations = data.count(b"#type> <http://purl.org/linked-data/cube#Observation>")
    triples = data.count(b"\n")
    print(f"slice: the first {SLICE_AREAS:,} LSOAs of imd-lsoa/2019: {observations:,} observations, ", end="")
    print(f"{triples:,} triples")


def targets(graph: str) -> dict[str, tuple[list[str], str]]:
    """localindex's three targets: name -> (paths wrk rotates over, Accept)."""
    lookups = [
        f"/api/v1/observations?dataset=imd-lsoa/2019&area={code}&component=imd&measure=score"
        for code in rotated_lsoas()
    ]
    aggregate = "/api/v1/aggregate?dataset=imd-lsoa/2019&level=lad&component=imd&measure=average-score"
    return {
        f"(a) REST observation lookup, rotating over {len(lookups):,} LSOAs": (lookups, JSON),
        "(b) REST aggregate to 317 districts": ([aggregate], JSON),
        f"(c) SPARQL all observations of {AREA}, localindex": (
            [area_query_path("/sparql", graph)],
            SPARQL_JSON,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--var", type=Path, help="a built var/ (default: var_dir of localindex.toml)")
    parser.add_argument("--seconds", type=int, default=30, help="duration of each wrk run")
    args = parser.parse_args()
    try:
        require_wrk()
    except RuntimeError as error:
        sys.exit(str(error))
    settings = load_settings(var_dir=args.var.resolve() if args.var else None)
    snapshot = current_snapshot(settings)
    if snapshot is None or "imd-lsoa/2019" not in snapshot.releases:
        sys.exit(f"no published imd-lsoa/2019 under {settings.var_dir}: run `make build` first")
    release = snapshot.releases["imd-lsoa/2019"]

    with tempfile.TemporaryDirectory(prefix="localindex-bench-serve-") as folder, ExitStack() as stack:
        scratch = Path(folder)
        write_slice(Path(release["dir"]), scratch / "slice.nt")
        peer = RdflibEndpoint(scratch / "slice.nt", scratch)
        stack.callback(peer.stop)
        server = start_server(scratch, settings)
        stack.callback(server.stop)
        versions = ", ".join(
            f"{p} {peer_version(peer.bin, p)}" for p in ("rdflib-endpoint", "rdflib", "uvicorn")
        )
        print(f"peer: {versions}; slice parsed and listening after {peer.load_seconds:.0f} s")
        print(
            f"localindex over {settings.var_dir}: {settings.server_threads} server threads, "
            f"{settings.query_workers} query workers, query_workers_per_client "
            f"{settings.query_workers_per_client} (0: half the workers)"
        )
        print(f"wrk: {args.seconds} s per run, threads = min(connections, 2)\n")
        base = server.url.rstrip("/")
        # localindex is given the 2019 release as its default graph, so that both answer the same rows
        # (without it localindex also answers the 2015 edition's); AREA is inside the peer's slice
        ours_query, peer_query = area_query_path("/sparql", release["graph"]), area_query_path("/")
        answered = rows(base, ours_query, SPARQL_JSON), rows(peer.url, peer_query, SPARQL_JSON)
        if answered[0] != answered[1]:
            sys.exit(
                f"not like for like: localindex answers {answered[0]} rows, rdflib-endpoint {answered[1]}"
            )
        for name, target in targets(release["graph"]).items():
            ours = benchmark(name, base, *target, args.seconds, scratch)  # the last: the SPARQL query
        server.stop()  # frees its memory and cores; stopping it again on the way out is harmless
        # One client may hold only query_workers_per_client workers (default half): wrk is one client.
        # Measured again with every worker open to it, as a deployment for trusted clients may set it.
        trusted = start_server(scratch, settings, query_workers_per_client=settings.query_workers)
        stack.callback(trusted.stop)
        name = f"(c) the same, localindex, query_workers_per_client = {settings.query_workers}"
        trusting = benchmark(name, trusted.url.rstrip("/"), [ours_query], SPARQL_JSON, args.seconds, scratch)
        peer_name = "(c) the same query, rdflib-endpoint"
        theirs = benchmark(peer_name, peer.url, [peer_query], SPARQL_JSON, args.seconds, scratch)
    print("\nSPARQL, all observations of one LSOA: localindex / rdflib-endpoint requests/s")
    for connections in CONNECTIONS:
        b = theirs[connections]["run"].per_second
        for label, found in (("default", ours), ("all workers", trusting)):
            a = found[connections]["run"].per_second
            ratio = f"{a / b:.1f}x" if b else "(rdflib-endpoint completed no request)"
            print(f"  {connections:3d} connections, {label:11s}: {a:9,.1f} / {b:9,.1f} = {ratio}")


if __name__ == "__main__":
    main()
