"""`wrk` (Debian) against a server, rotating over a list of request paths, and the SPARQL request both
its users send: the soak (tests/soak.py) and the serving benchmark (bench/serve.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROTATE = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], {["Accept"] = "%s"})
end
"""
AREA = "E01000027"  # the LSOA of area-observations.rq
AREA_QUERY = Path(__file__).with_name("area-observations.rq").read_text()
MILLISECONDS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class WrkRun:
    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors (connect, read, write, timeout) and responses >= 400


def area_query_path(path: str = "/sparql", graph: str = "") -> str:
    """GET ``path`` with the area query, over ``graph`` as the default graph when one is given."""
    parameters = {"query": AREA_QUERY} | ({"default-graph-uri": graph} if graph else {})
    return f"{path}?{urllib.parse.urlencode(parameters)}"


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: run `make system-packages` (root)")


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()
    return float(number) * MILLISECONDS[unit]


def run_wrk(
    base: str, paths: list[str], accept: str, connections: int, seconds: int, scratch: Path
) -> WrkRun:
    """One run of ``seconds`` at ``connections`` (on min(connections, 2) threads), each request the
    next of ``paths`` in turn, with the ``Accept`` header ``accept``."""
    script = scratch / "rotate.lua"
    script.write_text(ROTATE % (", ".join(f'"{p}"' for p in paths), accept))
    command = ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
    output = subprocess.run(
        [*command, "--latency", "-s", str(script), base], capture_output=True, text=True, check=True
    ).stdout
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    errors += sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    return WrkRun(
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
        per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_milliseconds(re.search(r"\s50%\s+(\S+)", output).group(1)),
        p99_ms=_milliseconds(re.search(r"\s99%\s+(\S+)", output).group(1)),
        errors=errors,
    )
