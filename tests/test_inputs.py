"""Bad input: a clear error naming file, row, column and reason; non-zero exit; nothing published."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from publisher.errors import InputError
from publisher.inputs.ingest import read_input
from publisher.paths import DATA_DIR
from tests.conftest import settings_file
from tests.test_gate import _published_state

COLUMNS = {"lsoa": "code", "imd_rank": "integer", "imd_decile": "integer"}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "lsoa,imd_rank,imd_decile\nE01000001,12,1\nE01000002,twelve,1\n",
            ":3:imd_rank: not a number: 'twelve'",
        ),
        ("lsoa,imd_rank,imd_decile\nE01000001,12.5,1\n", ":2:imd_rank: not a whole number: '12.5'"),
        ("lsoa,imd_rank,imd_decile\nE01000001,,1\n", ":2:imd_rank: empty value"),
        ("lsoa,imd_rank,imd_decile\nX1,12,1\n", ":2:lsoa: not a GSS area code"),
        ("lsoa,imd_rank,imd_decile\nE01000001,12,1\nE01000001,13,2\n", ":3:lsoa: duplicate lsoa 'E01000001'"),
        ("lsoa,imd_decile\nE01000001,1\n", ":1:imd_rank: required column missing"),
        (" LSOA ,imd_rank,imd_decile\nE01000001,1,1\n", ":1:lsoa: required column missing (found: LSOA"),
    ],
)
def test_each_bad_cell_is_named_by_file_row_and_column(tmp_path, text, expected):
    path = write(tmp_path / "ranks.csv", text)
    with pytest.raises(InputError) as caught:
        read_input(path, COLUMNS, key="lsoa")
    assert f"{path}{expected}" in str(caught.value)
    assert "nothing was published" in str(caught.value)


def test_all_problems_are_reported_at_once(tmp_path):
    path = write(tmp_path / "ranks.csv", "lsoa,imd_rank,imd_decile\nE01000001,x,1\nE01000002,2,y\n")
    with pytest.raises(InputError) as caught:
        read_input(path, COLUMNS)
    assert len(caught.value.problems) == 2


def test_non_utf8_input_is_refused_clearly(tmp_path):
    path = tmp_path / "ranks.csv"
    path.write_bytes("lsoa,imd_rank,imd_decile\nE01000001,1,1\n# Côte\n".encode("cp1252"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        read_input(path, COLUMNS)


def test_a_build_with_a_bad_input_exits_non_zero_and_changes_nothing(small_settings, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    bad = data / "iod2019" / "file2_domains.csv.gz"
    with gzip.open(bad, "rt") as handle:
        lines = handle.read().splitlines()
    lines[4] = lines[4].replace(",", ",oops,", 1).rsplit(",", 1)[0]  # row 5: a word where a rank belongs
    with gzip.open(bad, "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    before = _published_state(small_settings)
    config = settings_file(
        tmp_path, var_dir=str(small_settings.var_dir), datasets_file=str(data / "datasets.toml")
    )
    result = subprocess.run(
        [sys.executable, "-m", "publisher.cli", "--config", str(config), "build", "imd-lsoa/2019"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert f"{bad}:5:income_rank: not a number: 'oops'" in result.stdout
    assert "FAILED: imd-lsoa/2019" in result.stdout
    assert _published_state(small_settings) == before


@pytest.mark.parametrize("command", ["build", "validate", "serve"])
def test_every_command_has_help(command):
    result = subprocess.run(
        [sys.executable, "-m", "publisher.cli", command, "--help"], capture_output=True, text=True, check=True
    )
    assert "Usage:" in result.stdout and len(result.stdout.splitlines()) > 4
