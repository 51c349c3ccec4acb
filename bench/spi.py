"""SPI benchmark: scoring the 2,595-row global series (all 57 indicators, 12 components) and building
the London ward SPI (LSOA → ward means, scoring, tidy table, and the whole gated build). Each is
compared, in the same run, with a bare numpy computation of the same scores (the floor for this
method). Prints medians and p95; figures go to bench/RESULTS.md. Usage: python bench/spi.py"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.timing import timed  # noqa: E402
from publisher.build import build_all  # noqa: E402
from publisher.compute.indices.spi import area_panel, load_method, observations  # noqa: E402
from publisher.compute.spi import score  # noqa: E402
from publisher.config import Settings  # noqa: E402
from publisher.inputs.datasets import load_datasets, select  # noqa: E402
from publisher.paths import DATA_DIR  # noqa: E402
from tests.spi_global_fixture import load_global_spi  # noqa: E402


def bare_numpy(method, raw: np.ndarray) -> np.ndarray:
    """The same index with plain arrays: no coverage, imputation or pandas (complete data only)."""
    scores = np.column_stack([i.score(raw[:, k]) for k, i in enumerate(method.indicators)])
    position = {i.id: k for k, i in enumerate(method.indicators)}
    components = {}
    for c in method.scored_components:
        members = method.indicators_of(c.id)
        weights = method.fixed_weights(c)
        components[c.id] = scores[:, [position[i.id] for i in members]] @ weights
    dimensions = [
        np.mean([components[c.id] for c in method.components_of(d.id)], axis=0) for d in method.dimensions
    ]
    return np.mean(dimensions, axis=0)


def report(label: str, rows: int, median: float, p95: float, floor: float | None = None) -> None:
    ratio = f"{median / floor:6.1f}×" if floor else ""
    print(f"{label:52s} {rows:7,d} {median:9.1f} ms {p95:9.1f} ms {ratio}")


def main() -> None:
    print(f"{'step':52s} {'rows':>7s} {'median':>12s} {'p95':>12s} ÷ numpy")
    try:
        method, raw, _ = load_global_spi()
    except FileNotFoundError as missing:
        print(f"global series skipped: {missing}")
    else:
        floor, _ = timed(lambda: bare_numpy(method, raw.to_numpy()), 20)
        median, p95 = timed(lambda: score(method, raw), 20)
        report("global SPI 2011-2025: score every row", len(raw), median, p95, floor)
        report("  bare numpy, same arithmetic", len(raw), floor, floor)

    spec = select(load_datasets(DATA_DIR / "datasets.toml"), ["spi-ward/london-2019"])[0]
    london = load_method(spec)
    median, p95 = timed(lambda: load_method(spec), 5)
    report("London: read and check the method file", 20, median, p95)
    panel = area_panel(spec, london)
    median, p95 = timed(lambda: area_panel(spec, london), 5)
    report("London: 4,835 LSOAs → 637 ward means (20 indicators)", len(panel.raw), median, p95)
    complete = panel.raw.fillna(panel.raw.mean())
    floor, _ = timed(lambda: bare_numpy(london, complete.to_numpy()), 50)
    median, p95 = timed(lambda: score(london, panel.raw, panel.groups), 20)
    report("London: score 637 wards (with imputation)", len(panel.raw), median, p95, floor)
    scores = score(london, panel.raw, panel.groups)
    median, p95 = timed(lambda: observations(london, scores, "2019"), 20)
    report("London: tidy table (61,152 observations)", 61_152, median, p95)
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(var_dir=Path(directory) / "var")
        started = time.perf_counter()
        outcomes = build_all(settings, [spec], progress=lambda _: None)
        seconds = time.perf_counter() - started
        assert [o.status for o in outcomes] == ["published"], outcomes
    print(f"London: whole gated build of spi-ward/london-2019 (tables, gate, files, store): {seconds:.1f} s")


if __name__ == "__main__":
    main()
