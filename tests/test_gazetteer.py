"""Geography as dated versions (data/geography.toml, publisher/inputs/gazetteer.py, /api/v1/areas):
the expectations come from the ONS lookups themselves and from the IoD2025 notes, never from the code."""

from __future__ import annotations

import csv
import gzip

import pytest

from api import create_app
from publisher.inputs.gazetteer import gazetteer
from publisher.paths import DATA_DIR


@pytest.fixture(scope="module")
def places():
    return gazetteer()


@pytest.fixture(scope="module")
def client(small_settings):
    return create_app(small_settings).test_client()


def _rows(name: str) -> list[dict]:
    with gzip.open(DATA_DIR / name, "rt", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_vintage_holds_the_areas_its_lookup_lists(places):
    counts = {v: sum(1 for _ in places.names[places.names["vintage"] == v].index) for v in places.vintages}
    # England's areas in each vintage (the ONS lookups' own counts; SOURCES.md)
    assert counts["LSOA11"] == 32_844 and counts["LSOA21"] == 33_755
    assert (counts["WD25"], counts["LAD24"], counts["ICB24"], counts["SICBL24"]) == (6_793, 296, 42, 106)
    assert (counts["STP20"], counts["LAD19"], counts["RGN24"]) == (42, 317, 9)


def test_the_corrected_lsoa_is_in_west_northamptonshire_in_every_current_vintage(places):
    """IoD2025 File 1 notes: E01027305 (West Northamptonshire 048E) belongs to E06000062."""
    parents = places.parents("E01027305")
    assert parents["LAD24"] == parents["LAD25"] == "E06000062"
    assert parents["WD25"] == "E05015999"  # Middleton Cheney (the corrected lookup)
    assert parents["LAD19"] == "E07000155"  # South Northamptonshire, before the 2021 unitary
    assert places.name("E01027305") == "West Northamptonshire 048E"


def test_an_lsoa_split_in_2021_has_its_parts_as_successors(places):
    changes = [r for r in _rows("lookups/lsoa11_lsoa21.csv.gz") if r["change"] == "S"]
    split = changes[0]["lsoa11"]
    parts = {r["lsoa21"] for r in changes if r["lsoa11"] == split}
    successors = places.successors(split)
    assert {s.code for s in successors} == parts and len(parts) >= 2
    assert {s.relation for s in successors} == {"split"} and not any(s.approximate for s in successors)
    assert [v.id for v in places.held_by(split)] == ["LSOA11"]
    start, until = places.in_use(split, places.vintages["LSOA11"])
    assert (start.isoformat(), until.isoformat()) == ("2011-03-27", "2021-03-21")
    assert all(split in {p.code for p in places.predecessors(part)} for part in parts)


def test_a_retired_ward_points_to_the_wards_that_took_its_lsoas(places):
    """Barking and Dagenham's wards were redrawn in 2022: Abbey (E05000026) of 2019 is not a ward of
    2025; its 2011 LSOAs lie in the 2025 wards the lookups give, stated approximate."""
    assert [v.id for v in places.held_by("E05000026")] == ["WD19"]
    wards25 = {r["lsoa"]: r["ward"] for r in _rows("lookups/lsoa21_wd25_lad25.csv.gz")}
    lsoas = {r["lsoa"] for r in _rows("lookups/lsoa11_wd19_lad19.csv.gz") if r["ward"] == "E05000026"}
    changes = _rows("lookups/lsoa11_lsoa21.csv.gz")
    carried = {r["lsoa21"] for r in changes if r["lsoa11"] in lsoas}
    expected = {wards25[code] for code in carried}
    successors = places.successors("E05000026")
    assert {s.code for s in successors} == expected
    assert all(s.approximate and s.vintage == "WD25" for s in successors)
    assert sum(s.share for s in successors) == pytest.approx(1.0, abs=0.01)


def test_a_borough_lists_its_wards_and_lsoas_of_each_vintage(places):
    children = places.children("E09000002")
    assert (len(children["WD19"]), len(children["WD25"])) == (17, 19)
    assert len(children["LSOA11"]) == 110
    assert len(children["LSOA21"]) == sum(
        1 for r in _rows("iod2025/file1_imd.csv.gz") if r["lad"] == "E09000002"
    )


def test_areas_api_places_the_corrected_lsoa_and_says_what_is_approximate(client):
    answer = client.get("/api/v1/areas/E01027305").get_json()
    assert answer["parents"]["LAD24"]["code"] == "E06000062"
    assert answer["parents"]["LAD24"]["label"] == "West Northamptonshire"
    assert [v["vintage"] for v in answer["vintages"]] == ["LSOA11", "LSOA21"]
    assert answer["current"] and answer["vintages"][-1]["in_use"]["until"] is None
    assert "imd-lsoa/2025" in answer["datasets"] and "imd-lsoa/2019" in answer["datasets"]

    retired = client.get("/api/v1/areas/E05000026").get_json()
    assert not retired["current"] and retired["vintages"][0]["in_use"]["until"] == "2024-05-01"
    assert retired["successors"] and all(s["approximate"] for s in retired["successors"])
    assert "approximate" in retired["note"]
    unknown = client.get("/api/v1/areas/E05999999")
    assert unknown.status_code == 404 and "WD25" in unknown.get_json()["error"]["message"]


AGGREGATE = "/api/v1/aggregate?dataset={}&level={}&component=imd&measure=average-score"


def test_levels_follow_the_vintage_of_the_dataset_areas(client):
    """Point 7 of issue 20: an LSOA edition aggregates to the levels its LSOA vintage is looked up to;
    another level is a 400 that names those on offer."""
    icbs = client.get(AGGREGATE.format("imd-lsoa/2025", "icb")).get_json()
    assert icbs["geography_vintage"] == "ICB24" and icbs["derived_dataset"].endswith("/data/imd-icb/2025")
    # the fixture districts: Barking and Dagenham (North East London ICB) and Hartlepool (North East
    # and North Cumbria ICB), as the ONS LSOA (2021) to ICB (2024) lookup places their LSOAs
    assert {r["area"] for r in icbs["rows"]} == {"E54000029", "E54000050"}

    msoas = client.get(AGGREGATE.format("imd-lsoa/2025", "msoa")).get_json()  # no derived dataset
    assert msoas["geography_vintage"] == "MSOA21" and msoas["derived_dataset"] is None
    assert all(r["area"].startswith("E02") and r["population"] > 0 for r in msoas["rows"])

    refused = client.get(AGGREGATE.format("imd-lsoa/2019", "icb"))
    message = refused.get_json()["error"]["message"]
    assert refused.status_code == 400 and "stp (STP20)" in message and "ICB24" in message
    assert client.get(AGGREGATE.format("imd-lsoa/2019", "stp")).get_json()["geography_vintage"] == "STP20"
