"""Search benchmark: /api/v1/search over every area of every bundled vintage (the national geography:
it is bundled data, so no build is needed). Times building the index, then 1,000 queries made of
random real names (seeded; present and former names alike), as typed in full, as their first four
letters, and with one letter dropped; p50, p95 and the worst in milliseconds, first from the index
alone, then as whole requests to /api/v1/search (Flask's test client: parameters checked, results
described with their districts, JSON written; no network). Baseline in the same process: the same
queries answered by a scan of every name (pandas str.contains), as a search without an index would.
Figures go to bench/RESULTS.md.
Usage: python bench/search.py"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api import create_app  # noqa: E402
from bench.timing import load_average  # noqa: E402
from publisher.config import Settings  # noqa: E402
from publisher.inputs.search import SearchIndex, normalise  # noqa: E402
from publisher.published import gazetteer  # noqa: E402

QUERIES = 1_000
LIMIT = 10


def queries(names: list[str]) -> list[str]:
    """Real names in full, their first four letters, and with one letter dropped."""
    chosen = random.Random(20261205).sample(names, QUERIES)
    made = []
    for i, name in enumerate(chosen):
        if i % 3 == 0:
            made.append(name[:4])
        elif i % 3 == 1 and len(name) > 5:
            cut = len(name) // 2
            made.append(name[:cut] + name[cut + 1 :])
        else:
            made.append(name)
    return made


def timings(run, asked: list[str]) -> list[float]:
    samples = []
    for query in asked:
        started = time.perf_counter()
        run(query)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> str:
    return (
        f"p50 {statistics.median(samples):6.2f} ms   p95 {np.percentile(samples, 95):6.2f} ms   "
        f"worst {max(samples):7.2f} ms"
    )


def requested(client, query: str) -> None:
    answer = client.get("/api/v1/search", query_string={"q": query, "limit": LIMIT})
    assert answer.status_code == 200, (query, answer.get_json())


def main() -> None:
    print(f"== search benchmark == [load {load_average()}]")
    places = gazetteer()
    started = time.perf_counter()
    index = SearchIndex(places)
    print(
        f"index of {len(index.entries):,} areas by {len(index.names):,} names "
        f"({sum(f is not None for f in index.formers):,} former; {len(index.words):,} words) built in "
        f"{time.perf_counter() - started:.1f} s"
    )
    named = zip(index.name_entry, index.formers, strict=True)
    asked = queries([f.name if f else index.entries[i].name for i, f in named])
    (cold,) = timings(lambda q: index.search(q, LIMIT), ["Gascoigne"])
    print(f"the first query: {cold:.1f} ms (pandas builds its hash index of the gazetteer's links)")
    ours = timings(lambda q: index.search(q, LIMIT), asked)
    with tempfile.TemporaryDirectory() as empty:
        client = create_app(Settings(var_dir=Path(empty) / "var")).test_client()
        requested(client, asked[-1])  # the app's own first request (its index, templates) is not timed
        whole = timings(lambda q: requested(client, q), asked)
    scanned = pd.Series(index.names)
    scan = timings(
        lambda q: scanned[scanned.str.contains(normalise(q), regex=False)].head(LIMIT), asked[:200]
    )
    print(f"{QUERIES:,} queries, {LIMIT} results each")
    print(f"  the index:              {summary(ours)}")
    print(f"  GET /api/v1/search:     {summary(whole)}")
    print(f"  baseline, a scan of every name (200 of the queries): {summary(scan)}")
    print(f"  scan / index, median: {statistics.median(scan) / statistics.median(ours):.1f}x")
    found = sum(1 for q in asked[1::3] if index.search(q, LIMIT)[0])
    print(f"misspelt names that still find something: {found:,} of {len(asked[1::3]):,}")
    print(f"[load {load_average()}]")


if __name__ == "__main__":
    main()
