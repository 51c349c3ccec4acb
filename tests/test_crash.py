"""`kill -9` of a publication at random points, twenty times, while a server keeps serving: the
previous release is always served whole, no partial release is ever visible, and the store reopens
cleanly for the next publication (make hardening; CI runs it after make test)."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from publisher.config import Settings
from publisher.inputs.submission.ingest import ingest
from tests.conftest import assert_whole, settings_file, start_server
from tests.submissions.helpers import copy_sample, edit_rows

pytestmark = pytest.mark.hardening

KILLS = 20
SAMPLE, PUBLISHER = "lbbd-spi-2018", "lbbd"
AREA, INDICATOR = "E09000008", "personal-safety"  # Croydon's Personal Safety score
VALUE_QUERY = f"""SELECT ?value WHERE {{
  ?o a <http://purl.org/linked-data/cube#Observation> ; ?measure ?value .
  FILTER(STRENDS(STR(?o), "/obs/{AREA}/2018/{INDICATOR}/indicator-value"))
  FILTER(STRENDS(STR(?measure), "/def/measure/indicator-value"))
}}"""


def submission(directory, value: float):
    """The LBBD sample with Croydon's Personal Safety score set to ``value``."""
    copy_sample(SAMPLE, directory)

    def change(rows):
        for row in rows:
            if row["area_code"] == AREA and row["indicator_id"] == INDICATOR:
                row["value"] = f"{value:.6f}"
        return rows

    edit_rows(directory / "observations.csv", change)
    return directory


def served_value(server) -> float:
    query = urllib.parse.urlencode({"query": VALUE_QUERY})
    request = urllib.request.Request(f"{server.url}sparql?{query}", headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        [row] = json.load(response)["results"]["bindings"]
    return round(float(row["value"]["value"]), 6)


def test_kill_9_at_random_points_never_shows_a_partial_release(tmp_path):
    settings = Settings(var_dir=tmp_path / "var")
    first = ingest(submission(tmp_path / "sub-0", 50.0), PUBLISHER, settings, progress=lambda _: None)
    assert first.status == "published", first.message
    config = settings_file(tmp_path, var_dir=str(settings.var_dir))
    server = start_server(tmp_path, settings)
    command = [sys.executable, "-m", "publisher.cli", "--config", str(config), "ingest"]
    try:
        assert served_value(server) == 50.0
        started = time.perf_counter()  # one publication uninterrupted: how long the window is
        source = submission(tmp_path / "sub-1", 51.0)
        subprocess.run([*command, str(source), "--publisher", PUBLISHER], check=True, capture_output=True)
        window = time.perf_counter() - started
        assert served_value(server) == 51.0
        assert_whole(settings)

        chance = random.Random(9)
        published, killed = 51.0, 0
        for attempt in range(KILLS):
            value = 60.0 + attempt
            source = submission(tmp_path / f"kill-{attempt}", value)
            process = subprocess.Popen(
                [*command, str(source), "--publisher", PUBLISHER],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(chance.uniform(0.0, window))
            process.send_signal(signal.SIGKILL)
            killed += process.wait() == -signal.SIGKILL
            now = served_value(server)
            assert now in (published, value), (attempt, now)  # the old release or the whole new one
            assert_whole(settings)
            published = now
        assert killed >= KILLS // 2, f"only {killed} of {KILLS} publications were still running when killed"

        final = submission(tmp_path / "final", 99.0)
        result = subprocess.run(
            [*command, str(final), "--publisher", PUBLISHER], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr  # the store reopened cleanly
        assert served_value(server) == 99.0
        assert_whole(settings)
    finally:
        server.stop()
