"""IoD2025 on today's geography (issue 20) against the official files: the LSOA edition against File 7's
spot values, the district summaries against File 10 v2 (and, for the first publication, File 10 v1),
with the official mid-2022 populations where File 7 has them all; and the reissue published as two
revisions of imd-lad/2025.

Expected values come from the official files in ../shared/data/raw/iod2025 (see SOURCES.md there),
never from the code under test.
"""

from __future__ import annotations

import shutil
from dataclasses import replace

import pandas as pd
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS

from api import create_app
from publisher.compute.indices import imd, imd_summary
from publisher.config import Settings
from publisher.inputs.datasets import DatasetSpec, load_datasets
from publisher.paths import DATA_DIR, SHARED_RAW_DIR
from publisher.rdf.uris import Minter
from publisher.store import current_snapshot

from .conftest import build_quietly

RAW = SHARED_RAW_DIR / "iod2025"
BASE = "http://127.0.0.1:8080/"
CORRECTED_LSOA = "E01027305"  # West Northamptonshire 048E
CHERWELL, WEST_NORTHANTS = "E07000177", "E06000062"
# Column prefixes of File 10 v2 and index names of File 10 v1 for each component.
FILE10V2 = {
    "imd": "imd",
    "income": "income",
    "employment": "employment",
    "education": "education_skills_and_training",
    "health": "health_deprivation_and_disability",
    "crime": "crime",
    "barriers": "barriers_to_housing_and_services",
    "living-environment": "living_environment",
}
FILE10V1 = {
    "imd": "Index of Multiple Deprivation",
    "income": "Income Deprivation",
    "employment": "Employment Deprivation",
    "education": "Education, Skills and Training Deprivation",
    "health": "Health Deprivation and Disability",
    "crime": "Crime",
    "barriers": "Barriers to Housing and Services",
    "living-environment": "Living Environment Deprivation",
    "idaci": "Income Deprivation Affecting Children",
    "idaopi": "Income Deprivation Affecting Older People",
}
# Indices whose official denominator is the total population (File 7 has only that one).
TOTAL_POPULATION = ["imd", "income", "education", "health", "crime", "barriers", "living-environment"]


@pytest.fixture(scope="module")
def specs() -> dict[str, DatasetSpec]:
    return {s.name: s for s in load_datasets(DATA_DIR / "datasets.toml") if s.edition == "2025"}


@pytest.fixture(scope="module")
def minter() -> Minter:
    return Minter(BASE)


@pytest.fixture(scope="module")
def lsoa(specs, minter):
    return imd.build_once(specs["imd-lsoa/2025"], minter)


def file10v2() -> pd.DataFrame:
    return pd.read_csv(RAW / "IoD2025_File10v2_LAD_summaries_IMD_domains.csv").set_index("ltla24_code")


def file10v1() -> pd.DataFrame:
    frame = pd.read_csv(RAW / "IoD2025_File10v1_LAD_summaries_all_indices_long.csv")
    return frame.set_index(["area_code", "index_domain"])


def measure(table: pd.DataFrame, component: str, name: str) -> pd.Series:
    rows = table[(table["component"] == component) & (table["measure"] == name)]
    return rows.set_index("area")["value"]


def with_official_population(spec: DatasetSpec, tmp_path) -> DatasetSpec:
    """``spec`` with File 7's total mid-2022 population as its population input, the way a deployment
    that has File 6 sets it: a bundled-style file (lsoa, total) and denominators naming its column."""
    file7 = pd.read_csv(RAW / "IoD2025_File7_total_population_mid2022_partial.csv", dtype=str)
    file7 = file7.rename(columns={"lsoa21cd": "lsoa", "population_2022": "total"})[["lsoa", "total"]]
    (tmp_path / "population").mkdir()
    file7.to_csv(tmp_path / "population" / "file6_total.csv", index=False)
    for entry in (spec.lookup, spec.parents):
        if entry:
            (tmp_path / entry["file"]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(DATA_DIR / entry["file"], tmp_path / entry["file"])
    return replace(
        spec,
        root=tmp_path,
        inputs={"population": "population/file6_total.csv"},
        denominators=dict.fromkeys(TOTAL_POPULATION, "total"),
        components=TOTAL_POPULATION,
    )


def test_lsoa_edition_has_file7_spot_values(lsoa):
    table = lsoa.table.set_index(["area", "component", "measure"])["value"]
    expected = {  # SOURCES.md: from the official File 7 (reissued)
        ("E01000027", "imd"): (33.245, 6841, 3),
        ("E01000027", "income"): (0.402, 5267, 2),
        ("E01000027", "employment"): (0.207, 6179, 2),
        ("E01000027", "education"): (32.911, 7812, 3),
        ("E01000027", "health"): (0.509, 9552, 3),
        ("E01000027", "crime"): (0.586, 8413, 3),
        ("E01000027", "barriers"): (29.577, 6875, 3),
        ("E01000027", "living-environment"): (13.533, 20382, 7),
        ("E01000001", "imd"): (8.742, 26525, 8),
    }
    for (area, component), (score, rank, decile) in expected.items():
        assert table[(area, component, "score")] == score, (area, component)
        assert (table[(area, component, "rank")], table[(area, component, "decile")]) == (rank, decile)
    for area, idaci, idaopi in (("E01000027", (9147, 3), (2793, 1)), ("E01000001", (33304, 10), (33721, 10))):
        assert (table[(area, "idaci", "rank")], table[(area, "idaci", "decile")]) == idaci
        assert (table[(area, "idaopi", "rank")], table[(area, "idaopi", "decile")]) == idaopi


def test_lsoa_edition_covers_every_2021_lsoa_and_states_absent_scores(lsoa):
    assert len(lsoa.areas) == 33_755 and lsoa.areas["code"].is_unique
    assert lsoa.areas.set_index("code").loc[CORRECTED_LSOA, "parent"] == WEST_NORTHANTS  # as reissued
    table = lsoa.table
    absent = table[table["value"].isna()]
    assert set(zip(absent["component"], absent["measure"], strict=True)) == {
        ("idaci", "score"),
        ("idaopi", "score"),
    }
    assert len(absent) == 2 * 33_755 and (absent["status"] == "missing").all()
    assert any("domain ranks" in check and "33,755" in check for check in lsoa.checks)


def test_a_published_imd_score_that_disagrees_with_the_domain_ranks_is_refused(specs, minter, tmp_path):
    """The check on copied scores can fail: one LSOA's IMD score moved by 0.01 stops the build, naming it."""
    spec = specs["imd-lsoa/2025"]
    scores = pd.read_csv(DATA_DIR / spec.inputs["published_imd_scores"], dtype=str)
    scores.loc[scores["lsoa"] == "E01000027", "imd"] = "33.255"
    scores.to_csv(tmp_path / "scores.csv", index=False)
    shutil.copy(DATA_DIR / spec.inputs["areas"], tmp_path / "areas.csv.gz")
    changed = replace(
        spec,
        root=tmp_path,
        inputs={
            **spec.inputs,
            "areas": "areas.csv.gz",
            "ranks": ["scores.csv"],
            "scores": ["scores.csv"],
            "published_imd_scores": "scores.csv",
        },
        components=["imd", *list(FILE10V2)[1:]],
    )
    with pytest.raises(Exception, match="E01000027: IMD score reconstructed from the domain ranks differs"):
        imd.build(changed, minter)


def test_proportion_most_deprived_equals_file10v2_for_all_296_districts_and_8_indices(specs, minter, lsoa):
    built = imd_summary.build(specs["imd-lad/2025"], minter)
    official = file10v2()
    assert len(official) == 296 and set(built.areas["code"]) == set(official.index)
    for component, prefix in FILE10V2.items():
        column = f"{prefix}_proportion_of_lso_as_in_most_deprived_10_percent_nationally"
        ours = measure(built.table, component, "proportion-most-deprived-10pc").reindex(official.index)
        assert (ours - official[column]).abs().max() < 0.00005 + 1e-9, component  # File 10: 4 decimals


def test_average_scores_with_official_populations_equal_file10v2(specs, minter, lsoa, tmp_path):
    """The 186 districts whose LSOAs all have a File 7 population reproduce File 10 v2's average score
    within 0.001 for the IMD and the six indices weighted by total population; every other district's
    average is stated missing, never computed from part of its LSOAs."""
    spec = with_official_population(specs["imd-lad/2025"], tmp_path)
    built = imd_summary.build(spec, minter)
    official = file10v2()
    file1 = pd.read_csv(DATA_DIR / "iod2025" / "file1_imd.csv.gz")
    populated = set(pd.read_csv(RAW / "IoD2025_File7_total_population_mid2022_partial.csv")["lsoa21cd"])
    complete = file1.assign(has=file1["lsoa"].isin(populated)).groupby("lad")["has"].all()
    complete = sorted(complete[complete].index)
    assert len(complete) == 186
    for component in TOTAL_POPULATION:
        ours = measure(built.table, component, "average-score")
        assert sorted(ours.dropna().index) == complete, component
        column = f"{FILE10V2[component]}_average_score"
        difference = (ours[complete] - official.loc[complete, column]).abs()
        assert difference.max() < 0.001, (component, difference.idxmax(), difference.max())


def test_revision_1_reproduces_file10v1_and_revision_2_file10v2_for_the_corrected_districts(
    specs, minter, lsoa, tmp_path
):
    """Revision 1 (the lookup before the ONS correction, E01027305 in Cherwell) reproduces File 10 v1
    and revision 2 reproduces File 10 v2, for Cherwell and West Northamptonshire: the proportion of
    LSOAs in the most deprived 10% for every index in the file (10 in v1, 8 in v2), and, with File 7's
    populations (complete for both districts), the average score of the indices weighted by total
    population. The two revisions differ for both districts."""
    first, second = specs["imd-lad/2025"].revisions()
    v1, v2 = file10v1(), file10v2()
    districts = [CHERWELL, WEST_NORTHANTS]
    tables = {}
    for number, spec in ((1, first), (2, second)):
        proportions = imd_summary.build(spec, minter).table
        folder = tmp_path / f"revision-{number}"
        folder.mkdir()
        scores = imd_summary.build(with_official_population(spec, folder), minter).table
        tables[number] = (proportions, scores)
    for district in districts:
        proportions, scores = tables[1]
        for component, index in FILE10V1.items():
            expected = v1.loc[(district, index), "proportion_bottom_decile"]
            assert measure(proportions, component, "proportion-most-deprived-10pc")[
                district
            ] == pytest.approx(expected, abs=0.00005), (1, district, component)
        for component in TOTAL_POPULATION:
            expected = v1.loc[(district, FILE10V1[component]), "average_score"]
            assert abs(measure(scores, component, "average-score")[district] - expected) < 0.001
        proportions, scores = tables[2]
        for component, prefix in FILE10V2.items():
            expected = v2.loc[
                district, f"{prefix}_proportion_of_lso_as_in_most_deprived_10_percent_nationally"
            ]
            assert measure(proportions, component, "proportion-most-deprived-10pc")[
                district
            ] == pytest.approx(expected, abs=0.00005), (2, district, component)
        for component in TOTAL_POPULATION:
            expected = v2.loc[district, f"{FILE10V2[component]}_average_score"]
            assert abs(measure(scores, component, "average-score")[district] - expected) < 0.001
        assert measure(tables[1][1], "imd", "average-score")[district] != pytest.approx(
            measure(tables[2][1], "imd", "average-score")[district], abs=0.001
        )


def test_every_level_has_its_vintage_and_all_its_areas(specs, minter, lsoa):
    expected = {
        "imd-ward/2025": ("WD25", 6793),
        "imd-lad/2025": ("LAD24", 296),
        "imd-region/2025": ("RGN24", 9),
        "imd-icb/2025": ("ICB24", 42),
        "imd-sub-icb/2025": ("SICBL24", 106),
        "imd-pcon/2025": ("PCON24", 543),
    }
    assert {name for name in specs if name != "imd-lsoa/2025"} == set(expected)
    for name, (vintage, count) in expected.items():
        spec = specs[name]
        assert (spec.geography_vintage, spec.ranking_universe) == (vintage, count)
        assert "Census 2021" in spec.description and "SUBSTITUTE" in spec.description
    sub_icb = imd_summary.build(specs["imd-sub-icb/2025"], minter)
    assert len(sub_icb.areas) == 106 and sub_icb.areas["parent"].str.startswith("E54").all()
    counts = sub_icb.table[sub_icb.table["measure"] == "rank-of-average-score"]
    imd_ranks = counts[counts["component"] == "imd"]["value"]
    assert sorted(imd_ranks.astype(int)) == list(range(1, 107))  # ranked among all 106 peers


def test_reissue_is_published_as_two_revisions(tmp_path):
    """A new deployment publishes imd-lad/2025 as it was first published (revision 1), then the
    correction (revision 2, dct:replaces, the reason in words); both are in the store, and a rebuild
    publishes nothing new."""
    file1 = pd.read_csv(DATA_DIR / "iod2025" / "file1_imd.csv.gz")
    areas = set(file1.loc[file1["lad"].isin([CHERWELL, WEST_NORTHANTS]), "lsoa"])
    settings = Settings(var_dir=tmp_path / "var", base_uri=BASE)
    names = ("imd-lsoa/2025", "imd-lad/2025")
    outcomes = build_quietly(settings, names, only_areas=areas)
    assert [(o.dataset, o.status) for o in outcomes] == [
        ("imd-lsoa/2025", "published"),
        ("imd-lad/2025", "published"),
        ("imd-lad/2025", "published"),
    ]
    minter = Minter(BASE)
    release = current_snapshot(settings).releases["imd-lad/2025"]
    edition, revision_2 = minter.edition("imd-lad", "2025"), minter.revision("imd-lad", "2025", 2)
    assert release["revision"] == 2 and release["replaces"] == edition
    [revision_1] = release["history"]
    assert revision_1["dataset"] == edition and revision_1["replaced_by"] == revision_2
    assert revision_1["graph"] in current_snapshot(settings).archived_graphs

    metadata = Graph().parse(f"{release['dir']}/{release['stem']}-metadata.ttl")
    assert (URIRef(revision_2), DCTERMS.replaces, URIRef(edition)) in metadata
    [note] = metadata.objects(URIRef(revision_2), Namespace("http://www.w3.org/ns/adms#").versionNotes)
    assert CORRECTED_LSOA in note and "File 1" in note and "13 November 2025" in note
    old = Graph().parse(f"{revision_1['dir']}/{revision_1['stem']}-metadata.ttl")
    assert (URIRef(edition), DCTERMS.issued, None) in old and not list(
        old.triples((None, DCTERMS.replaces, None))
    )
    assert (URIRef(edition), URIRef(minter.ontology("geographyVintage")), Literal("LAD24")) in old

    answer = create_app(settings).test_client().get("/api/v1/datasets/imd-lad/2025").get_json()
    assert answer["revision"] == 2 and answer["geography_vintage"] == "LAD24"
    assert "Census 2021 usual residents" in answer["description"]  # the substitute weights, stated

    again = build_quietly(settings, names, only_areas=areas)
    assert [o.status for o in again] == ["unchanged", "unchanged"]
    assert current_snapshot(settings).releases["imd-lad/2025"]["revision"] == 2
