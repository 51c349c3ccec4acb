"""Ingest benchmark: the two sample submissions end to end (checks, suppression, gated build,
publish) in a fresh var/, and the row-by-row check of a 225 MB observation table against two
baselines in the same run: a bare csv.reader pass over the same file (the ceiling for reading it
row by row in Python) and pandas.read_csv of the whole file (what loading it whole would cost in
memory). Prints times, rows/s and memory; figures go to bench/RESULTS.md. Usage: python bench/ingest.py"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.timing import measured  # noqa: E402
from publisher.config import Settings  # noqa: E402
from publisher.inputs.submission.ingest import ingest  # noqa: E402
from publisher.paths import DATA_DIR  # noqa: E402
from tests.submissions.helpers import large_submission  # noqa: E402


def samples(repeats: int = 3) -> None:
    for sample, publisher in (("lbbd-spi-2018", "lbbd"), ("hackney-wards-2019", "hackney")):
        seconds = []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as folder:
                settings = Settings(var_dir=Path(folder) / "var")
                started = time.perf_counter()
                result = ingest(
                    DATA_DIR / "submissions" / sample, publisher, settings, progress=lambda _: None
                )
                seconds.append(time.perf_counter() - started)
                assert result.status == "published", result.message
        print(f"{sample}: ingest and publish, median of {repeats}: {statistics.median(seconds):.2f} s")


RUNS = {
    "localindex check (refused at the last row)": (
        "from pathlib import Path\nfrom publisher.config import Settings\n"
        "from publisher.inputs.submission.ingest import ingest\n"
        "from publisher.inputs.submission.observations import AreaCodes\n"
        "from publisher.paths import DATA_DIR\nAreaCodes.load(DATA_DIR)",
        "settings = Settings(var_dir=Path(sys.argv[2]))\n"
        "result = ingest(Path(sys.argv[1]).parent, 'hackney', settings, progress=lambda _: None)\n"
        "assert result.status == 'refused'",
    ),
    "baseline: bare csv.reader pass": (
        "import csv\ncsv.field_size_limit(10_000)",
        "rows = sum(1 for _ in csv.reader(open(sys.argv[1], encoding='utf-8', newline='')))",
    ),
    "baseline: pandas.read_csv, whole": (
        "import pandas as pd",
        "frame = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)",
    ),
}


def large() -> None:
    with tempfile.TemporaryDirectory() as folder:
        submission, rows = large_submission(Path(folder) / "submission")
        path = submission / "observations.csv"
        size = path.stat().st_size / 1e6
        results = {
            label: measured(*code, str(path), str(Path(folder) / "var")) for label, code in RUNS.items()
        }
    print(f"large table: {size:.0f} MB, {rows + 1:,} rows")
    for label, found in results.items():
        rate = (rows + 1) / found["seconds"]
        memory = f"RSS {found['before']} MB before, peak {found['peak']} MB"
        print(f"  {label}: {found['seconds']:.1f} s, {rate:,.0f} rows/s, {memory}")
    check, bare, whole = results.values()
    print(
        f"  check / bare read: {check['seconds'] / bare['seconds']:.1f}x the time; "
        f"peak RSS {check['peak']} MB against {whole['peak']} MB loaded whole"
    )


if __name__ == "__main__":
    samples()
    large()
