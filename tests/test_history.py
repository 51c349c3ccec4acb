"""An area's history across editions (/api/v1/areas/<code>/history) on the fixture build (Barking and
Dagenham, Hartlepool). Expectations come from the official tables (IoD2019 File 10: Barking and
Dagenham's IMD average score 32.768), the ONS LSOA change lookup and the published district
summaries, never from the code under test."""

from __future__ import annotations

import csv
import gzip

import pytest

from api import create_app
from publisher.paths import DATA_DIR

BARKING = "E09000002"
GASCOIGNE_2025 = "E05014061"  # a ward of the 2022 review: its code is not in the December 2019 wards


@pytest.fixture(scope="module")
def client(small_settings):
    return create_app(small_settings).test_client()


def history(client, code: str, **query) -> dict:
    answer = client.get(f"/api/v1/areas/{code}/history", query_string=query)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def changes() -> list[dict]:
    with gzip.open(DATA_DIR / "lookups" / "lsoa11_lsoa21.csv.gz", "rt", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_borough_has_every_edition_as_published_on_its_own_district(client):
    found = history(client, BARKING, component="imd", measure="average-score")
    editions = {e["edition"]: e for e in found["editions"]}
    assert list(editions) == ["2015", "2019", "2025"]
    assert {e["how"] for e in editions.values()} == {"published"}
    assert round(editions["2019"]["value"], 3) == 32.768  # IoD2019 File 10
    assert (
        editions["2019"]["geography_vintage"] == "LAD19" and editions["2025"]["geography_vintage"] == "LAD24"
    )
    assert editions["2025"]["peers"] == 296 and editions["2019"]["peers"] == 317
    for edition in editions.values():  # each value is the observation it cites
        series, year = edition["dataset"].rsplit("/", 2)[-2:]
        row = client.get(
            "/api/v1/observations",
            query_string={"dataset": f"{series}/{year}", "area": BARKING, "component": "imd"},
        ).get_json()
        cited = next(o for o in row["observations"] if o["observation"] == edition["observation"])
        assert cited["value"] == edition["value"]
    assert found["comparable_across_editions"] is False and "IoD2025" in found["comparability"]


def test_ranks_compare_across_editions_and_scores_do_not(client):
    assert (
        history(client, BARKING, component="imd", measure="average-rank")["comparable_across_editions"]
        is True
    )
    assert (
        history(client, BARKING, component="imd", measure="average-score")["comparable_across_editions"]
        is False
    )


def test_a_new_ward_carries_the_older_editions_and_the_borough_adds_up(client):
    """2019 was published on December 2019 wards; the 2022 wards take it carried from 2011 LSOAs. The
    borough's boundary did not move, so its 19 wards' carried values, weighted by their population,
    give back the district figure IoD2019 published for the borough, and their populations add up."""
    wards = client.get(f"/api/v1/areas/{BARKING}").get_json()["children"]["WD25"]
    assert len(wards) == 19
    gascoigne = history(client, GASCOIGNE_2025, dataset="imd-ward")
    editions = {e["edition"]: e for e in gascoigne["editions"]}
    assert editions["2019"]["how"] == "carried" and editions["2025"]["how"] == "published"
    assert "change lookup" in editions["2019"]["note"] and editions["2019"]["geography_vintage"] == "WD25"
    borough = {e["edition"]: e for e in history(client, BARKING, component="imd")["editions"]}["2019"]
    carried = [
        next(e for e in history(client, w["code"], dataset="imd-ward")["editions"] if e["edition"] == "2019")
        for w in wards
    ]
    population = sum(e["population"] for e in carried)
    assert population == pytest.approx(borough["population"])
    weighted = sum(e["value"] * e["population"] for e in carried) / population
    assert weighted == pytest.approx(borough["value"], abs=1e-6)  # published to 6 places


def test_a_part_of_a_split_lsoa_takes_its_parents_value_and_a_merged_one_has_none(client):
    rows = changes()
    part, parent = next((r["lsoa21"], r["lsoa11"]) for r in rows if r["lsoa21"] == "E01034470")
    assert next(r["change"] for r in rows if r["lsoa21"] == part) == "S"
    found = {e["edition"]: e for e in history(client, part, measure="decile")["editions"]}
    direct = client.get(
        "/api/v1/observations",
        query_string={"dataset": "imd-lsoa/2019", "area": parent, "component": "imd", "measure": "decile"},
    ).get_json()["observations"][0]
    assert found["2019"]["how"] == "carried" and found["2019"]["carried_from"]["code"] == parent
    assert found["2019"]["value"] == direct["value"]
    merged = next(r["lsoa21"] for r in rows if r["change"] == "M" and r["lsoa21"] == "E01035188")
    sources = sorted(r["lsoa11"] for r in rows if r["lsoa21"] == merged)
    answer = {e["edition"]: e for e in history(client, merged)["editions"]}["2019"]
    assert answer["how"] == "not available" and answer["value"] is None
    assert all(code in answer["note"] for code in sources) and len(sources) >= 2


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/api/v1/areas/E09000002/history?component=nope", 400, "component"),
        ("/api/v1/areas/E09000002/history?component=imd&measure=nope", 400, "measure"),
        ("/api/v1/areas/E09000002/history?dataset=no-such-series", 404, "no-such-series"),
        ("/api/v1/areas/E09000002/history?dataset=../etc", 400, "dataset"),
        ("/api/v1/areas/E05014061/history", 400, "imd-ward, spi-ward"),  # two series of wards
        ("/api/v1/areas/E05014061/history?dataset=spi-lad", 400, "lad areas"),
        ("/api/v1/areas/E01000006/history?dataset=imd-lad", 400, "lad areas"),  # an LSOA, a district series
        ("/api/v1/areas/E99999999/history", 404, "E99999999"),
        ("/api/v1/areas/Barking/history", 400, "GSS code"),
    ],
)
def test_bad_requests_name_what_is_wrong(client, path, status, says):
    answer = client.get(path)
    assert answer.status_code == status
    assert says in answer.get_json()["error"]["message"]
