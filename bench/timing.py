"""Shared helpers for the benchmark scripts: timing (median and 95th percentile in milliseconds) and
the published national build they measure."""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np


def timed(run, repeats: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), float(np.percentile(samples, 95))


def national_build(needed: str):
    """(settings, snapshot) of the build named by --config (default ./localindex.toml); exits with
    advice when ``needed`` (a 'series/edition') is not published there."""
    from publisher.config import load_settings
    from publisher.store import current_snapshot

    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default=None)
    settings = load_settings(parser.parse_args().config)
    snapshot = current_snapshot(settings)
    if snapshot is None or needed not in snapshot.releases:
        sys.exit(f"no published {needed} under {settings.var_dir}: run `make build` first")
    return settings, snapshot
