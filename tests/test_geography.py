"""Geography from the bundled ONS lookups, and aggregation over it: region figures of methods.md
T-IMD-R1 and the invariants of issue 8 (decomposable measures agree whichever way they are built)."""

from __future__ import annotations

import pandas as pd
import pytest

from publisher.compute.indices import imd
from publisher.compute.summaries import summarise
from publisher.errors import InputError
from publisher.inputs.datasets import load_datasets
from publisher.inputs.geography import Geography, check_shares
from publisher.paths import DATA_DIR
from publisher.rdf.uris import Minter

N = 32_844


@pytest.fixture(scope="module")
def geography() -> Geography:
    return Geography.load(DATA_DIR)


@pytest.fixture(scope="module")
def imd_lsoas() -> pd.DataFrame:
    spec = next(s for s in load_datasets(DATA_DIR / "datasets.toml") if s.name == "imd-lsoa/2019")
    table = imd.build(spec, Minter("http://127.0.0.1:8080/")).table
    imd_only = table[table["component"] == "imd"]
    return imd_only.pivot(index="area", columns="measure", values="value").rename_axis("lsoa").reset_index()


def pieces(imd_lsoas: pd.DataFrame, grouping: pd.DataFrame) -> pd.DataFrame:
    return grouping.merge(imd_lsoas, on="lsoa")


def test_every_english_lsoa_has_a_ward_district_region_and_stp(geography):
    lsoas = geography.lsoas
    assert len(lsoas) == N
    assert (lsoas["lad"].nunique(), lsoas["region"].nunique(), lsoas["stp"].nunique()) == (317, 9, 42)
    assert lsoas.groupby("lad")["stp"].nunique().gt(1).sum() == 15  # why STPs are built from LSOAs
    file1 = pd.read_csv(DATA_DIR / "iod2019" / "file1_imd.csv.gz").set_index("lsoa")["lad"]
    assert (lsoas.set_index("lsoa")["lad"] == file1.reindex(lsoas["lsoa"])).all()


def test_london_region_figures(geography, imd_lsoas):  # T-IMD-R1
    regions = summarise(pieces(imd_lsoas, geography.grouping("region")), N)
    london = regions.loc["E12000007"]
    assert london["average-score"] == pytest.approx(21.8013, abs=5e-5)
    assert london["average-rank"] == pytest.approx(17946.56, abs=0.005)
    assert london["extent"] == pytest.approx(0.1691, abs=5e-5)
    assert london["proportion-most-deprived-10pc"] == pytest.approx(107 / 4835)
    assert london["local-concentration"] == pytest.approx(28819.84, abs=0.005)


def test_england_figures(imd_lsoas):
    england = summarise(imd_lsoas.assign(group="E92000001"), N).loc["E92000001"]
    assert england["average-score"] == pytest.approx(21.7221, abs=5e-5)
    assert england["proportion-most-deprived-10pc"] == pytest.approx(3284 / N)  # 0.1000 at 4 dp


def test_regions_from_lsoas_equal_regions_from_districts_for_decomposable_measures(geography, imd_lsoas):
    regions = summarise(pieces(imd_lsoas, geography.grouping("region")), N)
    districts = summarise(pieces(imd_lsoas, geography.grouping("lad")), N)
    with_population = (
        pieces(imd_lsoas, geography.grouping("lad"))
        .groupby("group")
        .agg(population=("population", "sum"), lsoas=("lsoa", "size"))
    )
    parent = geography.lsoas.drop_duplicates("lad").set_index("lad")["region"]
    frame = districts.join(with_population).assign(region=parent)
    for measure in ("average-score", "average-rank", "extent"):
        weighted = (frame[measure] * frame["population"]).groupby(frame["region"]).sum()
        from_districts = weighted / frame["population"].groupby(frame["region"]).sum()
        assert (from_districts - regions[measure]).abs().max() < 1e-9, measure
    counted = (frame["proportion-most-deprived-10pc"] * frame["lsoas"]).groupby(frame["region"]).sum()
    from_districts = counted / frame["lsoas"].groupby(frame["region"]).sum()
    assert (from_districts - regions["proportion-most-deprived-10pc"]).abs().max() < 1e-12


def test_ward_average_scores_recombine_to_their_district(geography, imd_lsoas):  # T-W3
    wards = summarise(pieces(imd_lsoas, geography.grouping("ward")), N)
    districts = summarise(pieces(imd_lsoas, geography.grouping("lad")), N)
    population = pieces(imd_lsoas, geography.grouping("ward")).groupby("group")["population"].sum()
    ward_lad = geography.lsoas.drop_duplicates("ward").set_index("ward")["lad"]
    weighted = (wards["average-score"] * population).groupby(ward_lad).sum() / population.groupby(
        ward_lad
    ).sum()
    assert (weighted - districts["average-score"]).abs().max() < 1e-9
    assert districts.loc["E09000002", "average-score"] == pytest.approx(32.768, abs=0.001)


def test_a_list_of_one_districts_lsoas_gives_that_districts_figures(geography, imd_lsoas):
    district = set(geography.lsoas.loc[geography.lsoas["lad"] == "E09000002", "lsoa"])
    posted = summarise(imd_lsoas[imd_lsoas["lsoa"].isin(district)].assign(group="posted"), N).loc["posted"]
    districts = summarise(pieces(imd_lsoas, geography.grouping("lad")), N).loc["E09000002"]
    pd.testing.assert_series_equal(posted, districts, check_names=False)


def test_lookups_with_shares_are_checked():
    good = pd.DataFrame({"lsoa": ["E01000001", "E01000001"], "group": ["A", "B"], "share": [0.3, 0.7]})
    assert check_shares(good, "shares.csv") is good
    bad = pd.DataFrame({"lsoa": ["E01000001", "E01000002"], "group": ["A", "B"], "share": [0.3, 1.5]})
    with pytest.raises(InputError) as caught:
        check_shares(bad, "shares.csv")
    message = str(caught.value)
    assert "shares.csv:3:share: share 1.5 is not in (0, 1]" in message
    assert "shares of E01000001 sum to 0.300000, not 1" in message


def test_unknown_level_is_refused(geography):
    with pytest.raises(ValueError, match="unknown level 'county'"):
        geography.grouping("county")
