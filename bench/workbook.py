"""Workbook benchmark: what writing the Excel workbook costs a national build of one large table
(imd-lsoa/2019: 328,440 rows, 9 columns, and 252,081 status rows). The same build, in turn with the
workbook written by the build (a thread of its process, holding the GIL), left to be made on the first
request (publisher/downloads.py; the time to make it then is printed too), and, as the baseline, not
written (an empty file in its place), twice each (or `python bench/workbook.py ROUNDS` times), in one
run; wall time of each and the best against the baseline. Figures go to bench/RESULTS.md.
Usage: python bench/workbook.py [ROUNDS]"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.timing import load_average  # noqa: E402
from publisher import downloads  # noqa: E402
from publisher.build import build_all  # noqa: E402
from publisher.config import Settings  # noqa: E402
from publisher.downloads import WorkbookWriter, requested_names, requested_workbook  # noqa: E402
from publisher.inputs.datasets import all_datasets, select  # noqa: E402
from publisher.store import current_snapshot  # noqa: E402

DATASET = "imd-lsoa/2019"
WRITE = downloads.write_workbook


def _empty(path: Path, *_) -> Path:
    path.touch()
    return path


WAYS = {"no workbook (baseline)": None, "written by the build": 10**15, "made on the first request": 250_000}


def build_once(large: int | None) -> float:
    downloads.write_workbook = _empty if large is None else WRITE
    WorkbookWriter.LARGE = 10**15 if large is None else large
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(var_dir=Path(directory) / "var")
        started = time.perf_counter()
        outcomes = build_all(settings, select(all_datasets(settings), [DATASET]), progress=lambda _: None)
        elapsed = time.perf_counter() - started
        assert [o.status for o in outcomes] == ["published"], outcomes
        release = Path(current_snapshot(settings).releases[DATASET]["dir"])
        for name in requested_names(release):
            started = time.perf_counter()
            requested_workbook(release, name, settings.var_dir / "workbooks")
            print(f"  {name} made on request in {time.perf_counter() - started:.1f} s", flush=True)
    return elapsed


def main(rounds: int) -> None:
    times: dict[str, list[float]] = {way: [] for way in WAYS}
    for _ in range(rounds):
        for way, large in WAYS.items():
            load = load_average()
            times[way].append(build_once(large))
            print(f"{way}: {times[way][-1]:.1f} s [load {load} -> {load_average()}]", flush=True)
    baseline = min(next(iter(times.values())))
    for way, taken in times.items():
        print(f"best of {len(taken)}, {way}: {min(taken):.1f} s ({min(taken) / baseline:.2f}x the baseline)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
