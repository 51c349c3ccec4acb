"""Acceptance on the full national build, exactly as `make run` publishes it (`make national`: the
build takes about seven minutes of one core, so it runs beside make test in CI, not inside it)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import SKOS as SKOS_TERMS

from api import create_app
from publisher.paths import DATA_DIR
from publisher.store import current_snapshot
from tests.conftest import build_quietly, release_csv, start_server
from tests.test_aggregate import _file10, _rank_column
from tests.test_sparql import get

pytestmark = pytest.mark.national
LSOAS = 32_844
SUMMARY_MEASURES = 11  # five summaries, their five ranks, population
AREAS = {"ward": 7_180, "lad": 317, "region": 9, "stp": 42}
EXPECTED = {
    "imd-lsoa/2019": LSOAS * 10 * 4,
    "imd-lsoa/2015": LSOAS * 1 * 3,
    **{f"imd-{level}/2019": n * 10 * SUMMARY_MEASURES for level, n in AREAS.items()},
    **{f"imd-{level}/2015": n * 1 * SUMMARY_MEASURES for level, n in (AREAS | {"lad": 326}).items()},
    "imd-lsoa/2025": 33_755 * 10 * 3,
    **{
        f"imd-{level}/2025": n * 10 * SUMMARY_MEASURES
        for level, n in {
            "ward": 6_793,
            "lad": 296,
            "region": 9,
            "icb": 42,
            "sub-icb": 106,
            "pcon": 543,
        }.items()
    },
    # every London ward (637) or borough (33) × (index + 3 dimensions + 8 components + 20 indicators) × 3
    "spi-ward/london-2019": 637 * 32 * 3,
    "spi-lad/london-2019": 33 * 32 * 3,
    # every ward of England (6,793, WD25) × (index + 3 dimensions + 5 components + 7 indicators) × 3
    "spi-ward/england-2019": 6_793 * 16 * 3,
    "spi-ward/england-2025": 6_793 * 16 * 3,
    # the sample submissions: LBBD's 32 boroughs × 10 scores (one measure); Hackney's 21 wards × 8
    # indicators × 4 measures (count, indicator-value, numerator, denominator)
    "lbbd-spi-lad/2018": 32 * 10,
    "hackney-ward-indicators/2019": 21 * 8 * 4,
}
QB = "http://purl.org/linked-data/cube#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SKOS_NOTE = SKOS_TERMS.note
LI = Namespace("http://127.0.0.1:8080/def/ontology/")


@pytest.fixture(scope="module")
def server(national_settings, tmp_path_factory):
    running = start_server(
        tmp_path_factory.mktemp("national-server"), national_settings, query_timeout_s=120.0
    )
    yield running
    running.stop()


def rows(body: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body)))


def test_the_readme_query_returns_every_observation_of_every_dataset(server):
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

    directory, stem = Path(release["dir"]), f"imd-lsoa-{edition}"
    table = release_csv(directory, stem, dtype=str, keep_default_na=False)
    stated = (
        release_csv(directory, stem, status=True, dtype=str)
        if (directory / f"{stem}-status.csv").exists()
        else pd.DataFrame(columns=["area", "component"])
    )
    for component, part in table.groupby("component"):
        for measure in [c for c in table.columns if c in ("score", "rank", "decile", "population")]:
            with_value = set(part.loc[part[measure] != "", "area"])
            explicit = (
                set(stated.loc[stated["component"] == component, "area"]) if measure == "score" else set()
            )
            assert len(with_value | explicit) == LSOAS, (component, measure)


def test_missing_domain_scores_are_explicit_outside_london(server, national_settings):
    graph = current_snapshot(national_settings).releases["imd-lsoa/2019"]["graph"]
    query = f"""SELECT ?status (COUNT(?o) AS ?n) FROM <{graph}> WHERE {{
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
    assert len(outcomes) == len(EXPECTED) and {o.status for o in outcomes} == {"unchanged"}


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


def test_api_aggregates_to_317_districts_42_stps_and_9_regions(national_settings):
    client = create_app(national_settings).test_client()
    query = "/api/v1/aggregate?dataset=imd-lsoa/2019&level={}&component=imd&measure=average-score"
    districts = client.get(query.format("lad")).get_json()
    assert districts["count"] == 317
    barking = next(r for r in districts["rows"] if r["area"] == "E09000002")
    assert round(barking["value"], 3) == 32.768 and barking["rank"] == 21
    assert barking["observation"].endswith("/data/imd-lad/2019/obs/E09000002/2019/imd/average-score")
    assert client.get(query.format("stp")).get_json()["count"] == 42
    assert client.get(query.format("region")).get_json()["count"] == 9
    wards = client.get(query.format("ward")).get_json()
    assert wards["count"] == AREAS["ward"]
    by_rule = "/api/v1/aggregate?dataset=imd-lad/2019&level=stp&component=imd&measure=population"
    refused = client.get(by_rule)  # 15 of England's districts span two STPs
    assert refused.status_code == 400 and "do not nest" in refused.get_json()["error"]["message"]


def test_the_published_district_dataset_reproduces_file_10(national_settings):
    """The cube itself, not only the function behind it: IMD summaries of imd-lad/2019 against File 10."""
    official = _file10("IMD")
    release = current_snapshot(national_settings).releases["imd-lad/2019"]
    table = release_csv(Path(release["dir"]), "imd-lad-2019")
    ours = table[table["component"] == "imd"].set_index("area").reindex(official.index)
    tolerance = {
        "average-score": ("IMD - Average score", 0.001),
        "average-rank": ("IMD - Average rank", 0.2),
        "proportion-most-deprived-10pc": (
            "IMD - Proportion of LSOAs in most deprived 10% nationally",
            5e-5 + 1e-9,
        ),
        "extent": ("IMD 2019 - Extent", 1e-4),
        "local-concentration": ("IMD 2019 - Local concentration", 0.2),
    }
    for measure, (column, allowed) in tolerance.items():
        assert (ours[measure] - official[column]).abs().max() <= allowed, measure
        same = (ours[f"rank-of-{measure}"] == _rank_column(official, column)).mean()
        assert same >= 0.99, (measure, same)


def test_iod2025_on_current_geography_nationally(national_settings):
    """Issue 20's national checks: the 42 ICBs of 2024 from imd-lsoa/2025, the corrected LSOA placed in
    West Northamptonshire, and England's 296 districts of 2024 drawn on the map."""
    client = create_app(national_settings).test_client()
    icbs = client.get(
        "/api/v1/aggregate?dataset=imd-lsoa/2025&level=icb&component=imd&measure=average-score"
    ).get_json()
    assert (icbs["count"], icbs["geography_vintage"]) == (42, "ICB24")
    assert client.get("/api/v1/areas/E01027305").get_json()["parents"]["LAD24"]["code"] == "E06000062"
    drawn = client.get("/api/v1/map?dataset=imd-lad/2025").get_json()
    assert len(drawn["features"]) == 296 and all(
        f["properties"]["value"] is not None for f in drawn["features"]
    )
    assert client.get("/map?dataset=imd-lad/2025").status_code == 200


def test_history_answers_every_edition_on_todays_districts(national_settings):
    """Issue 20, point 5: Barking and Dagenham in 2015, 2019 (File 10: 32.768) and 2025, as published;
    West Northamptonshire (a 2021 unitary) has 2015 and 2019 carried from 2011 LSOAs, and because
    it is exactly the three districts it replaced, the carried value is their published figures
    weighted by their published populations."""
    client = create_app(national_settings).test_client()
    barking = client.get("/api/v1/areas/E09000002/history?component=imd&measure=average-score").get_json()
    editions = {e["edition"]: e for e in barking["editions"]}
    assert list(editions) == ["2015", "2019", "2025"] and round(editions["2019"]["value"], 3) == 32.768
    assert all(e["how"] == "published" and e["method"] for e in editions.values())
    west = client.get("/api/v1/areas/E06000062/history?component=imd&measure=average-score").get_json()
    carried = {e["edition"]: e for e in west["editions"]}
    assert carried["2025"]["how"] == "published"
    replaced = ("E07000151", "E07000154", "E07000155")  # Daventry, Northampton, South Northamptonshire
    for year in ("2015", "2019"):
        assert carried[year]["how"] == "carried" and carried[year]["peers"] == 296
        published = {}
        for measure in ("average-score", "population"):
            found = client.get(
                "/api/v1/observations",
                query_string={"dataset": f"imd-lad/{year}", "area": ",".join(replaced), "measure": measure},
            ).get_json()["observations"]
            published[measure] = {o["area"]: o["value"] for o in found if o["component"] == "imd"}
        population = sum(published["population"].values())
        weighted = sum(published["average-score"][a] * published["population"][a] for a in replaced)
        assert carried[year]["population"] == pytest.approx(population)
        assert carried[year]["value"] == pytest.approx(weighted / population, abs=1e-6)
    icb = client.get("/api/v1/areas/E54000029/history").get_json()
    assert [e["how"] for e in icb["editions"]] == ["carried", "carried", "published"]
    assert all(e["peers"] == 42 for e in icb["editions"])


def test_both_england_spi_editions_score_every_2025_ward_under_one_method(national_settings):
    """Issue 22: 6,793 wards of May 2025, each with an index score in both editions, one method URI."""
    client = create_app(national_settings).test_client()
    lookup = pd.read_csv(DATA_DIR / "lookups" / "lsoa21_wd25_lad25.csv.gz", dtype=str)
    wards = set(lookup.loc[lookup["ward"].str.startswith("E05"), "ward"])  # England's, not Wales'
    methods = set()
    for edition in ("2019", "2025"):
        described = client.get(f"/api/v1/datasets/spi-ward/england-{edition}").get_json()
        methods.add(described["method"])
        assert described["geography_vintage"] == "WD25"
        release = current_snapshot(national_settings).releases[f"spi-ward/england-{edition}"]
        table = release_csv(Path(release["dir"]), f"spi-ward-england-{edition}")
        index = table[table["component"] == "spi"].set_index("area")["spi-score"]
        assert set(index.index) == wards and len(wards) == 6_793 and index.between(0, 100).all()
        metadata = Graph().parse(Path(release["dir"]) / f"spi-ward-england-{edition}-metadata.ttl")
        diagnostics = list(metadata.objects(URIRef(described["uri"]), LI.componentDiagnostics))
        alphas = [metadata.value(d, LI.cronbachAlpha) for d in diagnostics]
        assert len(diagnostics) == 5 and sum(a is not None for a in alphas) == 2  # Shelter, Health
    assert len(methods) == 1 and methods.pop().endswith("/def/method/spi-england-v1")


def test_the_england_spi_aggregates_by_population_to_296_districts_and_42_icbs(national_settings):
    """Issue 22: borough and ICB layers of the ward SPI through the one aggregation (wards of 2025 nest
    in their districts; an ICB takes a ward spanning two by the population of each part)."""
    client = create_app(national_settings).test_client()
    query = "/api/v1/aggregate?dataset=spi-ward/england-2025&level={}&component=spi&measure=spi-score"
    for level, count in (("lad", 296), ("icb", 42)):
        answer = client.get(query.format(level)).get_json()
        assert answer["count"] == count, answer
        assert answer["rule"] == "population-weighted-mean" and answer["geography_vintage"] in (
            "LAD25",
            "ICB24",
        )
        assert all(0 <= r["value"] <= 100 and r["coverage"] == 1 for r in answer["rows"])


def test_the_borough_health_of_the_england_spi_ranks_with_lbbds_2018_scores(national_settings):
    """Issue 22, point 5: the borough layer's Health and Wellness (population-weighted from wards)
    against LBBD's own 2018 borough scores (the published lbbd-spi-lad/2018): the Spearman correlation
    the method's notes state, for both editions."""
    client = create_app(national_settings).test_client()
    lbbd = client.get(
        "/api/v1/observations?dataset=lbbd-spi-lad/2018&component=health-and-wellness"
    ).get_json()["observations"]
    theirs = pd.Series({o["area"]: o["value"] for o in lbbd})
    assert len(theirs) == 32
    method = Graph().parse(
        data=client.get("/def/method/spi-england-v1", headers={"Accept": "text/turtle"}).get_data(
            as_text=True
        ),
        format="turtle",
    )
    notes = " ".join(str(n) for n in method.objects(None, SKOS_NOTE))
    for edition in ("2019", "2025"):
        answer = client.get(
            f"/api/v1/aggregate?dataset=spi-ward/england-{edition}&level=lad"
            "&component=health-and-wellness&measure=spi-score"
        ).get_json()
        ours = pd.Series({r["area"]: r["value"] for r in answer["rows"]}).reindex(theirs.index)
        rho = theirs.rank().corr(ours.rank())
        assert f"{edition} edition {rho:.2f}" in notes, (edition, rho)
        assert rho > 0.5
