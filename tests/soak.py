"""Soak: `wrk` holds 32 connections on a running server for a while, rotating over a REST observation
lookup, a REST aggregate and a SPARQL area query; no request may fail and the server's memory (the
whole process tree: gunicorn and its query workers) may not grow by 10 % after warming up.

`make soak` runs it for 10 minutes over the built var/ (`make build` first); CI runs 60 seconds over
the small test build (tests/test_soak.py). Prints what it measured.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from publisher.config import Settings, load_settings
from tests.conftest import Server, start_server

WARM_UP_S = 10
PATHS = (
    "/api/v1/observations?dataset=imd-lsoa/2019&area={lsoa}&component=imd",
    "/api/v1/aggregate?dataset=imd-lsoa/2019&level=lad&component=imd&measure=average-score",
    "/sparql?query=SELECT%20%3Fo%20%3Fv%20WHERE%20%7B%20%3Fo%20%3Chttp%3A%2F%2Fpurl.org%2Flinked-data%2F"
    "sdmx%2F2009%2Fdimension%23refArea%3E%20%3Chttp%3A%2F%2Fstatistics.data.gov.uk%2Fid%2F"
    "statistical-geography%2F{lsoa}%3E%20%3B%20%3Fp%20%3Fv%20%7D",
)
ROTATE = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], {["Accept"] = "application/json"})
end
"""


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


def wrk(url: str, seconds: int, script: Path) -> tuple[int, int]:
    """Run wrk; return (requests, errors: socket errors and non-2xx/3xx responses)."""
    output = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds}s", "--timeout", "30s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    errors += sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    return requests, errors


def soak(server: Server, seconds: int, lsoa: str) -> SoakResult:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: run `sudo .ci/install-system-packages`")
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "rotate.lua"
        script.write_text(ROTATE % ", ".join(f'"{p.format(lsoa=lsoa)}"' for p in PATHS))
        base = server.url.rstrip("/")
        wrk(base, WARM_UP_S, script)  # caches filled, workers started
        before = tree_rss_mb(server.process.pid)
        requests, errors = wrk(base, seconds, script)
        after = tree_rss_mb(server.process.pid)
    return SoakResult(seconds, requests, errors, before, after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--lsoa", default="E01000027")
    arguments = parser.parse_args()
    settings: Settings = load_settings()
    with tempfile.TemporaryDirectory() as scratch:
        server = start_server(Path(scratch), settings)
        try:
            time.sleep(1)
            result = soak(server, arguments.seconds, arguments.lsoa)
        finally:
            server.stop()
    print(result.report())
    sys.exit(0 if result.errors == 0 and result.growth < 0.10 else 1)


if __name__ == "__main__":
    main()
