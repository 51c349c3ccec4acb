"""Aggregation benchmark: every summary measure of the IMD 2019 from all 32,844 LSOAs to each level
(ward, district, region, STP), and a posted list of 1,000 LSOAs, with the in-memory columnar method
(pandas). Prints medians and p95; figures go to bench/RESULTS.md. Usage: python bench/aggregate.py"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.timing import timed  # noqa: E402
from publisher.compute.aggregate import summarise  # noqa: E402
from publisher.compute.indices import imd  # noqa: E402
from publisher.inputs.datasets import load_datasets  # noqa: E402
from publisher.inputs.geography import Geography  # noqa: E402
from publisher.paths import DATA_DIR  # noqa: E402
from publisher.rdf.uris import Minter  # noqa: E402

N = 32_844


def main() -> None:
    spec = next(s for s in load_datasets(DATA_DIR / "datasets.toml") if s.edition == "2019")
    table = imd.build(spec, Minter("http://127.0.0.1:8080/")).table
    lsoas = table[table["component"] == "imd"].pivot(index="area", columns="measure", values="value")
    lsoas = lsoas.rename_axis("lsoa").reset_index()
    geography = Geography.load(DATA_DIR)
    print(f"{'aggregation':36s} {'groups':>7s} {'median':>10s} {'p95':>10s}")
    for level in ("ward", "lad", "region", "stp"):
        pieces = geography.grouping(level).merge(lsoas, on="lsoa")
        groups = len(summarise(pieces, N))
        median, p95 = timed(lambda p=pieces: summarise(p, N), 20)
        print(f"{'all 32,844 LSOAs to ' + level:36s} {groups:7,d} {median:8.1f} ms {p95:8.1f} ms")
    sample = lsoas.sample(1000, random_state=20261121).assign(group="posted")
    median, p95 = timed(lambda: summarise(sample, N), 200)
    print(f"{'a posted list of 1,000 LSOAs':36s} {1:7,d} {median:8.1f} ms {p95:8.1f} ms")
    everything = pd.concat(
        [
            geography.grouping(level).assign(group=lambda f, lv=level: lv + ":" + f["group"])
            for level in ("ward", "lad", "region", "stp")
        ]
    ).merge(lsoas, on="lsoa")
    median, p95 = timed(lambda: summarise(everything, N), 10)
    print(
        f"{'all four levels at once':36s} {len(summarise(everything, N)):7,d} {median:8.1f} ms {p95:8.1f} ms"
    )


if __name__ == "__main__":
    main()
