"""Shared helpers for the benchmark scripts: timing (median and 95th percentile in milliseconds), runs
in a child process with their peak memory, the machine's load while measuring (it may be shared),
peers installed in their own virtual environments, and the published national build they measure."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PEERS_DIR = Path("/tmp/localindex-bench")


def timed(run, repeats: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), float(np.percentile(samples, 95))


def load_average() -> str:
    """The 1, 5 and 15-minute load averages, printed beside figures taken on a shared machine."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


MEASURE = """
import json, sys, time
{setup}
def status(key):  # /proc, not getrusage: ru_maxrss carries the parent's peak over fork
    return [int(line.split()[1]) // 1024 for line in open("/proc/self/status") if line.startswith(key)][0]
rss = status("VmRSS:")
started = time.perf_counter()
{run}
seconds = time.perf_counter() - started
peak = status("VmHWM:")
print(json.dumps({{"seconds": seconds, "before": rss, "peak": peak, "result": globals().get("result")}}))
"""


def measured(setup: str, run: str, *args: str) -> dict:
    """Run ``run`` (after the untimed ``setup``) in a fresh interpreter: its seconds, RSS before and peak
    RSS (MB), and whatever it leaves in ``result``. Its stderr is passed through, for progress."""
    code = MEASURE.format(setup=setup, run=run)
    found = subprocess.run(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True, check=True, cwd=ROOT
    )
    return json.loads(found.stdout.strip().splitlines()[-1])


def peer_venv(name: str, *requirements: str) -> Path:
    """The bin/ of a virtual environment of its own for a peer tool (created and installed once), so
    that its dependencies never meet the project's."""
    venv = PEERS_DIR / f"{name}-venv"
    marker = venv / ".installed"
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(venv / "bin" / "pip"), "install", "--quiet"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, *requirements], check=True)
        marker.touch()
    return venv / "bin"


def peer_version(bin_dir: Path, package: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    return subprocess.run(
        [str(bin_dir / "python"), "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


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
