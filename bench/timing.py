"""Shared timing helper for the benchmark scripts: median and 95th percentile in milliseconds."""

from __future__ import annotations

import statistics
import time

import numpy as np


def timed(run, repeats: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), float(np.percentile(samples, 95))
