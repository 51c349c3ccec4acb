"""A 200 MB observation table is checked row by row in bounded memory: the whole file is read (its
last row holds the one problem) while the process never holds more than a fraction of it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.submissions.helpers import large_submission

TARGET_BYTES = 200 * 1024 * 1024
MEASURE = """
import json, sys
from pathlib import Path
from publisher.config import Settings
from publisher.inputs.submission.ingest import ingest
# what ingest imports, before the baseline
import publisher.inputs.submission.observations, publisher.build, pandas
from publisher.inputs.submission.observations import AreaCodes
from publisher.paths import DATA_DIR
AreaCodes.load(DATA_DIR)
def peak_mb():  # /proc's VmHWM: getrusage's ru_maxrss carries the parent's peak over fork
    return [int(line.split()[1]) / 1024 for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
baseline_mb = peak_mb()
result = ingest(Path(sys.argv[1]), "hackney", Settings(var_dir=Path(sys.argv[2])), progress=lambda _: None)
print(json.dumps({"status": result.status, "message": result.message, "growth_mb": peak_mb() - baseline_mb}))
"""


def test_200_mb_file_is_streamed(tmp_path: Path):
    folder, rows = large_submission(tmp_path / "submission", TARGET_BYTES)
    path = folder / "observations.csv"
    size = path.stat().st_size
    assert size > TARGET_BYTES
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE, str(folder), str(tmp_path / "var")],
        capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent,
    )  # fmt: skip
    result = json.loads(measured.stdout)
    assert result["status"] == "refused"
    assert f"observations.csv:{rows + 2}:value: [not-a-number]" in result["message"]
    assert "1 problem(s)" in result["message"]
    assert result["growth_mb"] < 0.25 * size / 1024 / 1024, result  # never loaded whole
    print(f"{size / 1e6:.0f} MB, {rows:,} rows: memory grew {result['growth_mb']:.0f} MB while reading it")
