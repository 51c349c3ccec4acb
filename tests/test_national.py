"""Acceptance on the full national build, exactly as `make run` publishes it."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from publisher.store import current_snapshot
from tests.conftest import build_quietly, start_server
from tests.test_sparql import get

LSOAS = 32_844
EXPECTED = {"imd-lsoa/2019": LSOAS * 10 * 4, "imd-lsoa/2015": LSOAS * 1 * 3}
QB = "http://purl.org/linked-data/cube#"
SKOS = "http://www.w3.org/2004/02/skos/core#"


@pytest.fixture(scope="module")
def server(national_settings, tmp_path_factory):
    running = start_server(
        tmp_path_factory.mktemp("national-server"), national_settings, query_timeout_s=120.0
    )
    yield running
    running.stop()


def rows(body: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body)))


def test_the_readme_query_returns_every_observation_of_both_editions(server):
    status, _, body = get(
        server, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?o a <{QB}Observation> }}", accept="text/csv"
    )
    assert status == 200 and int(rows(body)[0]["n"]) == sum(EXPECTED.values())


@pytest.mark.parametrize("edition", ["2019", "2015"])
def test_every_measure_covers_all_32844_lsoas(server, national_settings, edition):
    """Per-measure counts in the release graph, the area list, and the CSV download agree: every LSOA
    has every measure (the gate has already proven no duplicates and complete points, IC-12/IC-17)."""
    release = current_snapshot(national_settings).releases[f"imd-lsoa/{edition}"]
    graph = f"<{release['graph']}>"
    per_measure = f"SELECT ?m (COUNT(?o) AS ?n) FROM {graph} WHERE {{ ?o <{QB}measureType> ?m }} GROUP BY ?m"
    counts = rows(get(server, per_measure, accept="text/csv")[2])
    components = 10 if edition == "2019" else 1
    assert len(counts) * components * LSOAS == EXPECTED[f"imd-lsoa/{edition}"]
    assert {int(r["n"]) for r in counts} == {components * LSOAS}
    area_list = f"<http://127.0.0.1:8080/data/imd-lsoa/{edition}/areas>"
    members = f"SELECT (COUNT(?a) AS ?n) FROM {graph} WHERE {{ {area_list} <{SKOS}member> ?a }}"
    assert int(rows(get(server, members, accept="text/csv")[2])[0]["n"]) == LSOAS

    table = pd.read_csv(Path(release["dir"]) / f"imd-lsoa-{edition}.csv", dtype=str, keep_default_na=False)
    status = Path(release["dir"]) / f"imd-lsoa-{edition}-status.csv"
    stated = (
        pd.read_csv(status, dtype=str) if status.exists() else pd.DataFrame(columns=["area", "component"])
    )
    for component, part in table.groupby("component"):
        for measure in [c for c in table.columns if c in ("score", "rank", "decile", "population")]:
            with_value = set(part.loc[part[measure] != "", "area"])
            explicit = (
                set(stated.loc[stated["component"] == component, "area"]) if measure == "score" else set()
            )
            assert len(with_value | explicit) == LSOAS, (component, measure)


def test_missing_domain_scores_are_explicit_outside_london(server):
    query = f"""SELECT ?status (COUNT(?o) AS ?n) WHERE {{
        ?o <{QB}dataSet> <http://127.0.0.1:8080/data/imd-lsoa/2019> ;
           <{QB}measureType> <http://127.0.0.1:8080/def/measure/score> ;
           <http://purl.org/linked-data/sdmx/2009/attribute#obsStatus> ?status }} GROUP BY ?status"""
    counts = rows(get(server, query, accept="text/csv")[2])
    assert counts == [
        {"status": "http://127.0.0.1:8080/def/concept/obs-status/missing", "n": str((LSOAS - 4835) * 9)}
    ]


def test_dataset_metadata_states_universe_vintage_licence_and_sources(national_settings):
    snapshot = current_snapshot(national_settings)
    text = (Path(snapshot.releases["imd-lsoa/2019"]["dir"]) / "imd-lsoa-2019-metadata.ttl").read_text()
    for expected in [
        "32844",
        '"LSOA11"',
        "1 = most deprived",
        "open-government-licence/version/3",
        "checksumValue",
        "File 9",
        "missing",
    ]:
        assert expected in text, expected


def test_a_second_build_reuses_the_published_releases(national_settings):
    outcomes = build_quietly(national_settings)
    assert [o.status for o in outcomes] == ["unchanged", "unchanged"]


def test_cli_validate_reports_the_published_releases_valid(national_settings, tmp_path):
    from tests.conftest import settings_file

    config = settings_file(tmp_path, var_dir=str(national_settings.var_dir))
    result = subprocess.run(
        [sys.executable, "-m", "publisher.cli", "--config", str(config), "validate", "imd-lsoa/2015"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "imd-lsoa/2015" in result.stdout and "valid" in result.stdout
