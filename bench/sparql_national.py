"""National SPARQL questions (issue 18): every query of bench/queries/*.rq on the published national
snapshot, asked of pyoxigraph as the server asks it and of Virtuoso 7 on the same data, with the
target of ../shared/DESIGN.md §6: p50 <= 2 s and <= 3x Virtuoso, within the server's limits.

pyoxigraph runs in a child process that opens the snapshot read-only, as a query worker does, and is
killed at the query time limit (30 s). Two plans are measured:
  union    today's server: the default graph is the union of the current graphs;
  release  the prototype plan_dataset() below: a query that names only current datasets
           (qb:dataSet <X>) and no graph runs over those releases' named graphs alone, plus the
           releases holding the area facts (names, foi:within) of the levels above them.
Virtuoso (Debian's virtuoso-opensource-7-bin, started on 127.0.0.1 by tests/virtuoso.py) bulk-loads
the release dumps of the current manifest (.nt.gz, ld_add + rdf_loader_run) and the vocabulary and
catalogue graphs, and is asked over HTTP with the manifest's graphs as default-graph-uri, as the
server asks an external store. Answers are compared (row counts) between the engines.

A build made with ``store = "virtuoso"`` (what `make run` does where Virtuoso is installed) is
measured as it is served instead: each query sent to `localindex serve` over that var/ (its /sparql,
with the query checks, worker pool and limits a client meets), against the same Virtuoso asked
directly over HTTP in the same run.

Usage: python bench/sparql_national.py [VAR_DIR | --config FILE] [--runs 5] [--plans union,release]
[--only 2,4] (default: the var/ of ./localindex.toml; run `make build` first)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.timing import load_average  # noqa: E402
from publisher.config import Settings, load_settings  # noqa: E402
from publisher.store import Snapshot, current_snapshot  # noqa: E402
from publisher.store.virtuoso import server_of  # noqa: E402
from tests.conftest import Server  # noqa: E402
from tests.processes import free_port  # noqa: E402
from tests.virtuoso import Virtuoso  # noqa: E402

QUERIES = Path(__file__).with_name("queries")
TIMEOUT_S = 30  # the server's query_timeout_s
ROW_CAP = 100_000  # the server's query_row_cap
TARGET_S, TARGET_RATIO = 2.0, 3.0
DATASET = re.compile(r"<http://purl\.org/linked-data/cube#dataSet>\s*<([^>]+)>|qb:dataSet\s*<([^>]+)>")
GRAPH_CLAUSE = re.compile(r"\b(FROM|GRAPH)\b", re.IGNORECASE)
PARENTS = {"lsoa": ("lad", "region"), "ward": ("lad", "region"), "lad": ("region",)}  # foi:within chain


def plan_dataset(text: str, snapshot: Snapshot) -> dict:
    """Prototype of the server's plan: pyoxigraph's dataset options for ``text``.

    A query that names only current datasets (qb:dataSet <X>) and no FROM or GRAPH runs over those
    releases' named graphs alone, which hold their observations and their areas' names and parents.
    A query that walks foi:within more than one level also needs the releases of the levels above
    (in production those few facts would be copied into each release graph at build time, so that
    one graph always suffices). Anything else runs over the union of the current graphs, as today."""
    text = re.sub(r"(?m)^\s*#.*$", "", text)
    named = {a or b for a, b in DATASET.findall(text)}
    releases = {r["dataset"]: name for name, r in snapshot.releases.items()}
    if not named or GRAPH_CLAUSE.search(text) or not named <= set(releases):
        return {"use_default_graph_as_union": True}
    hops = len(re.findall(r"foi:within|ontology/foi/within>", text))
    graphs = set()
    for iri in named:
        series, edition = releases[iri].split("/", 1)
        family, level = series.rsplit("-", 1)
        graphs.add(snapshot.releases[releases[iri]]["graph"])
        for parent in PARENTS.get(level, ()) if hops > 1 else ():
            if f"{family}-{parent}/{edition}" in snapshot.releases:
                graphs.add(snapshot.releases[f"{family}-{parent}/{edition}"]["graph"])
    return {"default_graph": sorted(graphs)}


# ---------------------------------------------------------------------------------------------- pyoxigraph


def _oxigraph_worker(path: str, text: str, options: dict, runs: int, out) -> None:
    import pyoxigraph as ox

    store = ox.Store.read_only(path)
    if "default_graph" in options:
        options = {"default_graph": [ox.NamedNode(g) for g in options["default_graph"]]}
    capped = text if re.search(r"\bLIMIT\b", text, re.IGNORECASE) else f"{text}\nLIMIT {ROW_CAP + 1}"
    for _ in range(runs):
        started = time.perf_counter()
        rows = sum(1 for _ in store.query(capped, **options))
        out.send((time.perf_counter() - started, rows))
    out.close()


def time_oxigraph(snapshot: Snapshot, text: str, options: dict, runs: int) -> tuple[list[float], int | None]:
    """Seconds of each run (stopping at the first that overruns TIMEOUT_S) and the row count."""
    receive, send = multiprocessing.get_context("spawn").Pipe(duplex=False)
    process = multiprocessing.get_context("spawn").Process(
        target=_oxigraph_worker, args=(str(snapshot.path), text, options, runs, send)
    )
    process.start()
    send.close()
    seconds, rows = [], None
    for _ in range(runs):
        if not receive.poll(TIMEOUT_S + 5):  # +5: opening the store
            seconds.append(float("inf"))
            break
        elapsed, rows = receive.recv()
        seconds.append(elapsed)
        if elapsed > TIMEOUT_S:
            break
    process.kill()
    process.join()
    return seconds, rows


# ---------------------------------------------------------------------------------------------- Virtuoso


def isql(virtuoso: Virtuoso, *statements: str) -> str:
    done = subprocess.run(
        ["isql-vt", virtuoso.sql, "dba", "dba", "exec=" + " ".join(statements)],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def load_virtuoso(virtuoso: Virtuoso, snapshot: Snapshot) -> tuple[int, float]:
    """Bulk-load every current release dump, plus the vocabulary and catalogue graphs dumped from the
    snapshot; return (triples, seconds)."""
    import pyoxigraph as ox

    started = time.perf_counter()
    files = {}
    for release in snapshot.releases.values():
        dump = Path(release["dir"]) / f"{release['stem']}.nt.gz"
        link = virtuoso.directory / f"{release['stem']}.nt.gz"  # DirsAllowed is the server's folder
        link.symlink_to(dump)
        files[link.name] = release["graph"]
    small = set(snapshot.graphs) - set(files.values())
    store = ox.Store.read_only(str(snapshot.path))
    for number, graph in enumerate(sorted(small)):
        name = f"small-{number}.nt"
        store.dump(
            str(virtuoso.directory / name), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph)
        )
        files[name] = graph
    del store
    isql(virtuoso, *(f"ld_add('{name}', '{graph}');" for name, graph in files.items()))
    loaders = [
        subprocess.Popen(
            ["isql-vt", virtuoso.sql, "dba", "dba", "exec=rdf_loader_run();"], stdout=subprocess.DEVNULL
        )
        for _ in range(2)
    ]
    for loader in loaders:
        loader.wait()
    isql(virtuoso, "checkpoint;")
    errors = isql(virtuoso, "SELECT COUNT(*) FROM DB.DBA.load_list WHERE ll_error IS NOT NULL;")
    if not re.search(r"^\s*0\s*$", errors, re.MULTILINE):
        raise RuntimeError(
            f"Virtuoso load errors: {isql(virtuoso, 'SELECT ll_file, ll_error FROM DB.DBA.load_list;')}"
        )
    triples = sum(r["triples"] for r in snapshot.releases.values())
    return triples, time.perf_counter() - started


def ask_endpoint(url: str, text: str, graphs: list[str]) -> int:
    """Rows of a SELECT sent to a SPARQL endpoint (``graphs`` as its default graph, if any)."""
    fields = [("query", text)] + [("default-graph-uri", g) for g in graphs]
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Accept": "application/sparql-results+json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S + 5) as response:
            return len(json.load(response)["results"]["bindings"])
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"{url}: {error.code} {error.read()[:500].decode(errors='replace')}") from None


def time_endpoint(url: str, text: str, graphs: list[str], runs: int) -> tuple[list[float], int]:
    seconds, rows = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        rows = ask_endpoint(url, text, graphs)
        seconds.append(time.perf_counter() - started)
    return seconds, rows


# ---------------------------------------------------------------------------------------------- report


def served_against_virtuoso(config: Path, settings: Settings, queries: list[Path], runs: int) -> None:
    """Each query through `localindex serve` on its Virtuoso, against that Virtuoso asked directly
    over its whole database (its union default graph, as the issue measured it)."""
    server = Server(config, free_port())
    try:
        direct = server_of(settings).url + "sparql"
        header = f"{'query':34s} {'served p50':>11s} {'Virtuoso p50':>13s} {'ratio':>7s}  rows  pass"
        print("\n" + header + "\n" + "-" * len(header))
        for path in queries:
            text = path.read_text()
            time_endpoint(direct, text, [], 1)  # warm its buffers once
            v_seconds, v_rows = time_endpoint(direct, text, [], runs)  # its union default graph
            s_seconds, s_rows = time_endpoint(server.url + "sparql", text, [], runs)
            v_p50, s_p50 = statistics.median(v_seconds), statistics.median(s_seconds)
            ratio = s_p50 / v_p50
            passed = s_p50 <= TARGET_S and ratio <= TARGET_RATIO
            rows = f"{s_rows}" if s_rows == v_rows else f"{s_rows}≠{v_rows}"
            print(
                f"{path.stem:34s} {s_p50 * 1000:8.0f} ms {v_p50 * 1000:10.1f} ms {ratio:6.1f}x {rows:>5s}  "
                f"{'PASS' if passed else 'fail'}",
                flush=True,
            )
        print(f"\nload average after: {load_average()} (2 cores; medians of {runs} runs)")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("var_dir", nargs="?", type=Path, default=None)
    parser.add_argument("--config", type=Path, default=Path("localindex.toml"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--plans", default="union,release")
    parser.add_argument("--only", default="", help="comma-separated query numbers, e.g. 2,3a")
    arguments = parser.parse_args()
    settings = Settings(var_dir=arguments.var_dir) if arguments.var_dir else load_settings(arguments.config)
    snapshot = current_snapshot(settings)
    if snapshot is None or "imd-lsoa/2019" not in snapshot.releases:
        sys.exit(f"no national build under {settings.var_dir}: run `make build` first")
    queries = sorted(QUERIES.glob("*.rq"))
    if arguments.only:
        queries = [q for q in queries if q.name.split("-", 1)[0] in arguments.only.split(",")]
    plans = arguments.plans.split(",")
    print(f"snapshot {snapshot.path.name}: {sum(r['triples'] for r in snapshot.releases.values()):,} triples")
    print(f"load average before: {load_average()}")
    if settings.store == "virtuoso":
        served_against_virtuoso(arguments.config.resolve(), settings, queries, arguments.runs)
        return

    with tempfile.TemporaryDirectory(prefix="virtuoso-national-") as scratch:
        virtuoso = Virtuoso(Path(scratch) / "virtuoso", free_port(), free_port(), query_seconds=TIMEOUT_S)
        try:
            triples, seconds = load_virtuoso(virtuoso, snapshot)
            print(f"Virtuoso loaded {triples:,} release triples in {seconds:.0f} s; load {load_average()}")
            header = f"{'query':34s} {'plan':8s} {'oxigraph p50':>13s} {'Virtuoso p50':>13s} {'ratio':>7s}"
            header += "  rows  pass"
            print("\n" + header + "\n" + "-" * len(header))
            for path in queries:
                text = path.read_text()
                endpoint = virtuoso.url + "sparql"
                time_endpoint(endpoint, text, snapshot.graphs, 1)  # warm its buffers once
                v_seconds, v_rows = time_endpoint(endpoint, text, snapshot.graphs, arguments.runs)
                v_p50 = statistics.median(v_seconds)
                for plan in plans:
                    options = (
                        plan_dataset(text, snapshot)
                        if plan == "release"
                        else {"use_default_graph_as_union": True}
                    )
                    o_seconds, o_rows = time_oxigraph(snapshot, text, options, arguments.runs)
                    o_p50 = statistics.median(o_seconds)
                    overran = any(s > TIMEOUT_S for s in o_seconds)
                    ratio = o_p50 / v_p50
                    passed = o_p50 <= TARGET_S and ratio <= TARGET_RATIO and not overran
                    shown = f">{TIMEOUT_S} s" if overran else f"{o_p50 * 1000:10.0f} ms"
                    rows = "-" if overran else f"{o_rows}" if o_rows == v_rows else f"{o_rows}≠{v_rows}"
                    print(
                        f"{path.stem:34s} {plan:8s} {shown:>13s} {v_p50 * 1000:10.1f} ms "
                        f"{'-' if overran else f'{ratio:6.1f}x':>7s} {rows:>5s}  "
                        f"{'PASS' if passed else 'fail'} (2 s: {'ok' if o_p50 <= TARGET_S else 'no'}, "
                        f"3x: {'ok' if ratio <= TARGET_RATIO else 'no'})",
                        flush=True,
                    )
            print(f"\nload average after: {load_average()} (2 cores; medians of {arguments.runs} runs)")
        finally:
            virtuoso.stop()


if __name__ == "__main__":
    main()
