"""Disk full in the middle of a publication: a clear error, exit 1, the previous release still served
whole, and the next publication (with room again) succeeds. var/ lives on a small tmpfs (root)."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from publisher.config import Settings
from publisher.inputs.submission.ingest import ingest
from publisher.paths import DATA_DIR
from publisher.store import current_snapshot
from tests.conftest import assert_whole, settings_file

SAMPLES = DATA_DIR / "submissions"


@contextmanager
def small_filesystem(path: Path, megabytes: int):
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=True)


def fill(directory: Path, leave_bytes: int) -> Path:
    """Fill the file system of ``directory`` up to ``leave_bytes`` free."""
    filler = directory / "filler"
    stats = os.statvfs(directory)
    filler.write_bytes(b"\0" * max(0, stats.f_bavail * stats.f_frsize - leave_bytes))
    return filler


def test_a_full_disk_during_publication_is_a_clear_error_and_changes_nothing(tmp_path):
    with small_filesystem(tmp_path / "fs", 96) as root:
        settings = Settings(var_dir=root / "var")
        first = ingest(SAMPLES / "lbbd-spi-2018", "lbbd", settings, progress=lambda _: None)
        assert first.status == "published", first.message
        before = current_snapshot(settings).manifest
        config = settings_file(tmp_path, var_dir=str(settings.var_dir))
        command = [sys.executable, "-m", "publisher.cli", "--config", str(config), "ingest"]
        filler = fill(root, leave_bytes=512 * 1024)

        full = subprocess.run(
            [*command, str(SAMPLES / "hackney-wards-2019"), "--publisher", "hackney"],
            capture_output=True,
            text=True,
        )
        assert full.returncode == 1, full.stdout + full.stderr
        assert "No space left on device" in full.stderr and "nothing new was published" in full.stderr.lower()
        assert "Traceback" not in full.stderr, full.stderr
        assert current_snapshot(settings).manifest == before
        assert_whole(settings)

        filler.unlink()
        again = subprocess.run(
            [*command, str(SAMPLES / "hackney-wards-2019"), "--publisher", "hackney"],
            capture_output=True,
            text=True,
        )
        assert again.returncode == 0, again.stdout + again.stderr
        assert "hackney-ward-indicators/2019" in current_snapshot(settings).releases
        assert_whole(settings)
