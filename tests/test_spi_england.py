"""The Social Progress Index for England (data/spi/england.toml): one method scoring the 2019 and 2025
editions on the wards of 2025, built here for Barking and Dagenham and its partner Hackney (whole
districts, so every ward's score is what the national build publishes); history, recomputation from
what is published, and direction of travel on the scorecards in a browser. The national counts and the
borough and ICB layers are checked by tests/test_national.py."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from api import create_app
from publisher.compute.indices.spi import area_panel, load_method
from publisher.config import Settings
from publisher.inputs.datasets import load_datasets, select
from publisher.paths import DATA_DIR
from tests.conftest import all_published, build_quietly, start_server
from tests.spi_checks import assert_recomputed, dereferenced_method, published_long
from tests.test_browser import browser, page_of  # noqa: F401  (fixtures)

BASE = Settings().base_uri
BARKING, HACKNEY = "E09000002", "E09000012"
EDITIONS = ("spi-ward/england-2019", "spi-ward/england-2025")
WARDS = pd.read_csv(DATA_DIR / "lookups" / "lsoa21_wd25_lad25.csv.gz", dtype=str)


def wards_of(district: str) -> list[str]:
    return sorted(set(WARDS.loc[WARDS["lad25"] == district, "ward"]))


def lsoas_of(*districts: str) -> set[str]:
    """The districts' LSOAs of 2011 (the 2019 edition's) and of 2021 (the 2025 edition's)."""
    lsoa11 = pd.read_csv(DATA_DIR / "iod2019" / "file1_imd.csv.gz", dtype=str)
    return set(lsoa11.loc[lsoa11["lad"].isin(districts), "lsoa"]) | set(
        WARDS.loc[WARDS["lad25"].isin(districts), "lsoa"]
    )


@pytest.fixture(scope="module")
def england_settings(tmp_path_factory) -> Settings:
    settings = Settings(var_dir=tmp_path_factory.mktemp("spi-england") / "var")
    outcomes = build_quietly(settings, EDITIONS, only_areas=lsoas_of(BARKING, HACKNEY))
    assert all_published(outcomes), [o.error or o.report for o in outcomes]
    return settings


@pytest.fixture(scope="module")
def client(england_settings):
    return create_app(england_settings).test_client()


@pytest.fixture(scope="module")
def england_server(england_settings, tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("spi-england-server"), england_settings)
    yield server
    server.stop()


def test_both_editions_score_every_ward_of_both_districts_on_2025_wards(england_settings):
    expected = set(wards_of(BARKING)) | set(wards_of(HACKNEY))
    assert len(wards_of(BARKING)) == 19 and len(wards_of(HACKNEY)) == 21
    for name in EDITIONS:
        table = published_long(england_settings, name)
        index = table[(table["component"] == "spi") & (table["measure"] == "spi-score")]
        assert set(index["area"]) == expected, name
        assert index["value"].between(0, 100).all() and index["value"].notna().all()
        concepts = table.groupby(["area", "measure"])["component"].nunique()
        assert (concepts == 1 + 3 + 5 + 7).all()  # index, dimensions, scored components, indicators


def test_history_gives_2019_and_2025_for_each_of_barking_and_dagenhams_wards(client):
    for ward in wards_of(BARKING):
        answer = client.get(
            f"/api/v1/areas/{ward}/history",
            query_string={"dataset": "spi-ward", "component": "spi", "measure": "score"},
        ).get_json()
        found = {e["period"]: e["value"] for e in answer["editions"] if e.get("value") is not None}
        assert set(found) == {"2019", "2025"}, (ward, answer)
        assert answer["measure"] == "spi-score" and answer["comparable_across_editions"] is True
        assert "spi-england-v1" in answer["comparability"]


def test_anyone_can_recompute_a_wards_scores_in_both_editions_from_the_csvs_and_method_graph(client):
    """The method graph as the server publishes it at its URI, the values from each release's CSV."""
    method = dereferenced_method(client, BASE, "spi-england-v1")
    ward = wards_of(BARKING)[0]
    settings = client.application.config["LOCALINDEX_SETTINGS"]
    index = {}
    for name in EDITIONS:
        table = published_long(settings, name)
        values = table[table["area"] == ward].pivot(index="component", columns="measure", values="value")
        index[name] = assert_recomputed(method, BASE, "spi-england-v1", values)
    assert index[EDITIONS[0]] != index[EDITIONS[1]]


def test_a_carried_2019_indicator_is_the_weighted_mean_of_its_2011_lsoas():
    """A 2025 ward whose 2021 LSOAs are all unchanged since 2011: its 2019 employment rate is the sum of
    File 8's numerators over the sum of File 6's working-age population, recomputed from the bundled
    files here; the builder reaches it through the change lookup."""
    changes = pd.read_csv(DATA_DIR / "lookups" / "lsoa11_lsoa21.csv.gz", dtype=str)
    unchanged = set(changes.loc[changes["change"] == "U", "lsoa21"])
    barking = WARDS[WARDS["lad25"] == BARKING]
    whole = barking.groupby("ward")["lsoa"].apply(lambda s: set(s) <= unchanged)
    ward = whole[whole].index[0]
    lsoas = sorted(barking.loc[barking["ward"] == ward, "lsoa"])
    file8 = pd.read_csv(DATA_DIR / "iod2019" / "file8_indicators.csv.gz").set_index("lsoa")
    file6 = pd.read_csv(DATA_DIR / "iod2019" / "file6_population.csv.gz").set_index("lsoa")
    expected = file8.loc[lsoas, "employment_numerator"].sum() / file6.loc[lsoas, "working_age"].sum()
    spec = select(load_datasets(DATA_DIR / "datasets.toml"), [EDITIONS[0]])[0]
    panel = area_panel(spec, load_method(spec), only_areas=lsoas_of(BARKING))
    assert panel.raw.loc[(ward, "2019"), "employment-deprivation"] == pytest.approx(expected, rel=1e-12)


def test_the_2019_edition_states_what_became_of_every_2011_lsoa():
    """Unchanged, split, merged and irregular LSOAs as the ONS lookup codes them (counted here from the
    bundled lookup), as the build's checks and the dataset's description state them."""
    changes = pd.read_csv(DATA_DIR / "lookups" / "lsoa11_lsoa21.csv.gz", dtype=str)
    english = changes[changes["lsoa11"].str.startswith("E")].drop_duplicates("lsoa11")
    codes = {"U": "unchanged", "S": "split", "M": "merged", "X": "irregular"}
    expected = english["change"].map(codes).value_counts().to_dict()
    spec = select(load_datasets(DATA_DIR / "datasets.toml"), [EDITIONS[0]])[0]
    assert area_panel(spec, load_method(spec)).fates == expected
    assert sum(expected.values()) == 32_844
    description = " ".join(spec.description.split())
    for fate, count in expected.items():
        assert f"{count:,} {fate}" in description.replace("irregularly redrawn", "irregular"), fate


def test_the_2019_employment_rate_is_the_published_score_within_the_numerators_rounding():
    """The 2019 Employment score is the domain's numerator over File 6's working-age population. File 8
    rounds the numerator to a multiple of 5 (and suppresses it below 10), so the rate made here is within
    5 people of the published score: checked against the GLA's copy of every London LSOA's score."""
    file8 = pd.read_csv(DATA_DIR / "iod2019" / "file8_indicators.csv.gz").set_index("lsoa")
    working_age = pd.read_csv(DATA_DIR / "iod2019" / "file6_population.csv.gz").set_index("lsoa")[
        "working_age"
    ]
    published = pd.read_csv(DATA_DIR / "gla" / "lsoa_domain_scores_2019.csv.gz").set_index("lsoa")[
        "employment"
    ]
    numerator = file8["employment_numerator"].reindex(published.index)
    assert len(published) == 4835 and (numerator.dropna() % 5 == 0).all() and numerator.min() >= 10
    gap = (numerator / working_age.reindex(published.index) - published).abs().dropna()
    assert len(gap) == 4835 - 37  # London's LSOAs with a suppressed numerator
    assert (gap <= 5 / working_age.reindex(gap.index) + 0.0005).all()  # published to 3 decimals
    assert gap.mean() < 0.002


@pytest.mark.parametrize(("district", "name"), [(BARKING, "barking"), (HACKNEY, "hackney")])
def test_ward_scorecards_show_direction_of_travel_in_words(browser, england_server, district, name):  # noqa: F811
    page = page_of(browser, f"scorecard-spi-england-{name}")
    ward = wards_of(district)[0]
    page.goto(f"{england_server.url}area/{ward}")
    card = page.locator("section.scorecard", has_text="spi-ward/england-2025").locator(
        "table.scorecard-table"
    )
    index = card.locator("tbody tr", has_text="Social Progress Index")
    words = index.locator("td").nth(3).inner_text()  # value, rank, decile, change, rating
    assert re.search(
        r"(better|worse|no significant change) since 2019: rank [\d,]+ of 6,793 then; "
        r"(better: up \d+\.\d points|worse: down \d+\.\d points|no significant change)",
        words,
    )
    overcrowding = card.locator("tbody tr", has_text="Household overcrowding").locator(".underlying")
    assert re.search(r"\d+\.\d %, (up|down) from \d+\.\d % in 2019", overcrowding.inner_text())
    rows = card.locator("tbody tr")
    assert rows.count() == 1 + 3 + 5 + 7
    assert card.locator("td .rating").count() >= 2 * rows.count()  # a rating and a change on every row
    page.shot()
    assert page.errors == []
