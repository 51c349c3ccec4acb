"""Search benchmark: /api/v1/search's index over every area of every bundled vintage (the national
geography: it is bundled data, so no build is needed). Times building the index, then 1,000 queries
made of random real names (seeded), as typed in full and as their first four letters, with a
misspelt half of them (one letter dropped); p50, p95 and the worst in milliseconds. Baseline in the
same process: the same queries answered by a scan of every name (pandas str.contains), the way a
search without an index would. Figures go to bench/RESULTS.md.
Usage: python bench/search.py"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.timing import load_average  # noqa: E402
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


def main() -> None:
    print(f"== search benchmark == [load {load_average()}]")
    places = gazetteer()
    started = time.perf_counter()
    index = SearchIndex(places)
    print(
        f"index of {len(index.entries):,} areas ({len(index.words):,} words) built in "
        f"{time.perf_counter() - started:.1f} s"
    )
    asked = queries([e.name for e in index.entries if e.name != e.code])
    ours = timings(lambda q: index.search(q, LIMIT), asked)
    names = pd.Series(index.names)
    scan = timings(lambda q: names[names.str.contains(normalise(q), regex=False)].head(LIMIT), asked[:200])
    print(f"{QUERIES:,} queries, {LIMIT} results each: {summary(ours)}")
    print(f"baseline, a scan of every name (200 of the queries): {summary(scan)}")
    print(f"scan / index, median: {statistics.median(scan) / statistics.median(ours):.1f}x")
    found = sum(1 for q in asked[1::3] if index.search(q, LIMIT))
    print(f"misspelt names that still find something: {found:,} of {len(asked[1::3]):,}")
    print(f"[load {load_average()}]")


if __name__ == "__main__":
    main()
