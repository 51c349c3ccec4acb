"""Soak: `wrk` holds 32 connections on a running server for a while, rotating over a REST observation
lookup, a REST aggregate and a SPARQL area query; no request may fail and the server's memory (the
whole process tree: gunicorn and its query workers) may not grow by 10 % after warming up.

`make soak` runs it for 10 minutes over the built var/ (`make build` first); CI runs 60 seconds over
the small test build (tests/test_soak.py). Prints what it measured.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from publisher.config import Settings, load_settings
from tests.conftest import Server, start_server
from tests.wrk import AREA, area_query_path, require_wrk, run_wrk

WARM_UP_S = 10
PATHS = (
    f"/api/v1/observations?dataset=imd-lsoa/2019&area={AREA}&component=imd",
    "/api/v1/aggregate?dataset=imd-lsoa/2019&level=lad&component=imd&measure=average-score",
    area_query_path(),
)


@dataclass
class SoakResult:
    seconds: int
    requests: int
    errors: int
    rss_after_warm_up_mb: float
    rss_at_end_mb: float

    @property
    def growth(self) -> float:
        return self.rss_at_end_mb / self.rss_after_warm_up_mb - 1

    def report(self) -> str:
        return (
            f"soak {self.seconds} s at 32 connections: {self.requests:,} requests "
            f"({self.requests / self.seconds:,.0f}/s), {self.errors} errors; server RSS "
            f"{self.rss_after_warm_up_mb:,.0f} MB after {WARM_UP_S} s -> "
            f"{self.rss_at_end_mb:,.0f} MB at the end ({self.growth:+.1%})"
        )


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants (gunicorn worker, query workers)."""
    children = subprocess.run(["ps", "-o", "pid=,ppid=,rss=", "-e"], capture_output=True, text=True).stdout
    rows = [tuple(int(x) for x in line.split()) for line in children.splitlines() if line.strip()]
    family, total, grown = {pid}, 0, True
    while grown:
        grown = False
        for child, parent, _ in rows:
            if parent in family and child not in family:
                family.add(child)
                grown = True
    total = sum(rss for child, _, rss in rows if child in family)
    return total / 1024


def soak(server: Server, seconds: int) -> SoakResult:
    require_wrk()
    paths = list(PATHS)
    with tempfile.TemporaryDirectory() as scratch:
        base = server.url.rstrip("/")
        run_wrk(base, paths, "application/json", 32, WARM_UP_S, Path(scratch))  # caches filled, workers up
        before = tree_rss_mb(server.process.pid)
        run = run_wrk(base, paths, "application/json", 32, seconds, Path(scratch))
        after = tree_rss_mb(server.process.pid)
    return SoakResult(seconds, run.requests, run.errors, before, after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=600)
    arguments = parser.parse_args()
    settings: Settings = load_settings()
    with tempfile.TemporaryDirectory() as scratch:
        server = start_server(Path(scratch), settings)
        try:
            time.sleep(1)
            result = soak(server, arguments.seconds)
        finally:
            server.stop()
    print(result.report())
    sys.exit(0 if result.errors == 0 and result.growth < 0.10 else 1)


if __name__ == "__main__":
    main()
