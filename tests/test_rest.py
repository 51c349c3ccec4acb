"""REST API /api/v1 over the fixture releases (Barking and Dagenham and Hartlepool, real data): the
OpenAPI document, every documented operation against its own response schema, filters, paging,
aggregation invariants and errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from openapi_spec_validator import validate as validate_openapi

from api import create_app
from api.rest import OPENAPI
from publisher.paths import DATA_DIR
from publisher.published import SUMMARY_MEASURES
from publisher.store import current_snapshot
from tests.conftest import fixture_areas, release_csv

BASE = "http://127.0.0.1:8080/"
BARKING, HARTLEPOOL, LONDON = "E09000002", "E06000001", "E12000007"
ABBEY = "E05000026"  # a Barking and Dagenham ward


@pytest.fixture(scope="module")
def client(small_settings):
    return create_app(small_settings).test_client()


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(OPENAPI.read_text())


def schema_of(document: dict, operation: dict, status: str = "200") -> dict:
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    return {**schema, "components": document["components"]}


def test_the_openapi_document_validates(client, document):
    validate_openapi(document)
    served = client.get("/api/v1/openapi.json").get_json()
    assert served["paths"] == document["paths"] and served["servers"] == [{"url": BASE + "api/v1"}]


def test_every_documented_operation_answers_with_its_own_schema(client, document):
    """Each operation is called with its documented examples; 200 and the documented shape."""
    exercised = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            url = "/api/v1" + path
            query = {}
            for parameter in operation.get("parameters", []):
                if "example" not in parameter:
                    continue
                if parameter["in"] == "path":
                    url = url.replace("{" + parameter["name"] + "}", parameter["example"])
                else:
                    query[parameter["name"]] = parameter["example"]
            if method == "get":
                response = client.get(url, query_string=query)
            else:
                body = operation["requestBody"]["content"]["application/json"]["example"]
                response = client.post(url, json=body)
            assert response.status_code == 200, (method, url, response.get_json())
            jsonschema.validate(response.get_json(), schema_of(document, operation))
            exercised.append(operation["operationId"])
    rest = [
        "listDatasets",
        "getDataset",
        "getArea",
        "getAreaHistory",
        "searchAreas",
        "listObservations",
        "aggregateToLevel",
        "aggregatePostedAreas",
    ]
    assert sorted(exercised) == sorted([*rest, "getOpenApi", "getScorecard", "getMap", "getBoundaries"])


def test_datasets_list_the_lsoa_editions_and_their_derived_levels(client):
    datasets = {d["id"]: d for d in client.get("/api/v1/datasets").get_json()["datasets"]}
    assert set(datasets) == {
        f"{series}/{edition}"
        for series in ("imd-lsoa", "imd-ward", "imd-lad", "imd-region", "imd-stp")
        for edition in ("2019", "2015")
    } | {"spi-ward/london-2019", "spi-lad/london-2019", "spi-ward/england-2019", "spi-ward/england-2025"} | {
        f"{series}/2025"
        for series in ("imd-lsoa", "imd-ward", "imd-lad", "imd-region", "imd-icb", "imd-sub-icb", "imd-pcon")
    }
    assert datasets["imd-icb/2025"]["geography_vintage"] == "ICB24"
    assert datasets["spi-ward/london-2019"]["method"] == BASE + "def/method/spi-london-v1"
    ward = datasets["imd-ward/2019"]
    assert ward["derived"] and ward["derived_from"] == "imd-lsoa/2019" and ward["geography_vintage"] == "WD19"
    assert ward["method"] == BASE + "def/method/imd-area-summaries"
    assert not datasets["imd-lsoa/2019"]["derived"]
    assert datasets["imd-lad/2015"]["geography_vintage"] == "LAD13"
    one = client.get("/api/v1/datasets/imd-lad/2019").get_json()
    assert one["uri"] == BASE + "data/imd-lad/2019" and any(u.endswith(".csv") for u in one["downloads"])


def test_an_area_has_its_type_label_parents_and_children_per_vintage(client):
    barking = client.get(f"/api/v1/areas/{BARKING}").get_json()
    assert (barking["label"], barking["level"], barking["entity"]["label"]) == (
        "Barking and Dagenham",
        "lad",
        "London borough",
    )
    assert barking["parents"]["RGN19"]["code"] == LONDON
    assert len(barking["children"]["WD19"]) == 17 and len(barking["children"]["LSOA11"]) == 110
    assert {
        "code": ABBEY,
        "label": "Abbey",
        "uri": f"http://statistics.data.gov.uk/id/statistical-geography/{ABBEY}",
    } in barking["children"]["WD19"]
    lsoa = client.get("/api/v1/areas/E01000006").get_json()
    assert {"WD19", "LAD19", "RGN19", "CCG20", "STP20", "CTRY"} <= set(lsoa["parents"])
    assert {"WD25", "LAD24", "ICB24"} <= set(lsoa["parents"])  # unchanged in 2021: in both LSOA vintages
    assert lsoa["parents"]["LAD19"]["code"] == BARKING
    assert "imd-lsoa/2019" in lsoa["datasets"]


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/api/v1/areas/E09999999", 404, "E09999999"),
        ("/api/v1/areas/barking", 400, "not a GSS code"),
        ("/api/v1/datasets/imd-lsoa/1999", 404, "imd-lsoa/1999"),
        ("/api/v1/observations", 400, "dataset: required"),
        ("/api/v1/observations?dataset=nothing/here", 404, "nothing/here"),
        ("/api/v1/observations?dataset=imd-lsoa/2019&measure=colour", 400, "colour"),
        ("/api/v1/observations?dataset=imd-lsoa/2019&per_page=5000", 400, "per_page"),
        ("/api/v1/observations?dataset=imd-lsoa/2019&page=%C2%B2", 400, "page"),  # a digit to isdigit()
        ("/api/v1/observations?dataset=imd-lsoa/2019&page=" + "9" * 5000, 400, "page"),
        ("/api/v1/observations?dataset=imd-lsoa/2019&within=E12000007x", 400, "within"),
        ("/api/v1/observations?dataset=imd-lad/2019&within=E01000006", 400, "do not nest"),
        ("/api/v1/observations?dataset=imd-lsoa/2019&area=E01999999", 404, "E01999999"),
        ("/api/v1/aggregate?dataset=imd-lsoa/2019&level=county", 400, "level"),
        ("/api/v1/aggregate?dataset=imd-lsoa/2019&level=lad&measure=decile", 400, "measure"),
        (
            "/api/v1/aggregate?dataset=imd-ward/2019&level=lad&measure=rank-of-average-score",
            400,
            "not-aggregable",
        ),
        (
            "/api/v1/aggregate?dataset=imd-ward/2019&level=lad&measure=local-concentration",
            400,
            "not-aggregable",
        ),
        ("/api/v1/aggregate?dataset=imd-lad/2015&level=region&measure=average-score", 400, "LAD13"),
        ("/api/v1/nowhere", 404, "not found"),
    ],
)
def test_errors_are_json_and_say_what_and_why(client, url, status, says):
    response = client.get(url)
    assert response.status_code == status
    assert says.lower() in response.get_json()["error"]["message"].lower()


def test_an_undocumented_method_is_a_json_405_that_says_which_are_allowed(client):
    response = client.delete("/api/v1/aggregate")
    assert response.status_code == 405 and response.get_json()["error"]["status"] == 405
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_observations_filter_within_a_district_and_page(client):
    query = {
        "dataset": "imd-lsoa/2019",
        "within": BARKING,
        "component": "imd",
        "measure": "score",
        "per_page": 50,
    }
    first = client.get("/api/v1/observations", query_string=query).get_json()
    assert (first["total"], first["pages"], len(first["observations"])) == (110, 3, 50)
    row = first["observations"][0]
    assert row["observation"] == f"{BASE}data/imd-lsoa/2019/obs/{row['area']}/2019/imd/score"
    assert row["area_label"].startswith("Barking and Dagenham")
    last = client.get(first["next"].replace("page=2", "page=3")).get_json()
    assert len(last["observations"]) == 10 and last["next"] is None
    seen = {
        r["area"]
        for page in (1, 2, 3)
        for r in client.get("/api/v1/observations", query_string={**query, "page": page}).get_json()[
            "observations"
        ]
    }
    assert seen == {
        a
        for a in fixture_areas()
        if client.get(f"/api/v1/areas/{a}").get_json()["parents"]["LAD19"]["code"] == BARKING
    }


def test_csv_is_the_whole_selection_and_pages_say_what_is_left(client):
    """A spreadsheet user asking for CSV gets every row, not the first hundred unawares; a page, in
    either format, says with absolute Link headers where the rest is (RFC 8288)."""
    query = {"dataset": "imd-lsoa/2019", "within": BARKING}
    whole = client.get("/api/v1/observations", query_string={**query, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(whole.get_data(as_text=True))))
    total = client.get("/api/v1/observations", query_string=query).get_json()["total"]
    assert total > 1000 and len(rows) == total == int(whole.headers["X-Total-Count"])
    assert {r["area"] for r in rows} == {
        a
        for a in fixture_areas()
        if client.get(f"/api/v1/areas/{a}").get_json()["parents"]["LAD19"]["code"] == BARKING
    }
    assert "Link" not in whole.headers

    paged = client.get(
        "/api/v1/observations", query_string={**query, "format": "csv", "per_page": 1000, "page": 2}
    )
    assert len(list(csv.DictReader(io.StringIO(paged.get_data(as_text=True))))) == min(1000, total - 1000)
    links = {
        part.split(";")[1].strip(): part.split(";")[0].strip(" <>")
        for part in paged.headers["Link"].split(",")
    }
    assert set(links) >= {'rel="first"', 'rel="prev"', 'rel="last"'} and links['rel="first"'].startswith(BASE)
    assert "page=1" in links['rel="prev"'] and int(paged.headers["X-Total-Count"]) == total
    first = client.get("/api/v1/observations", query_string={**query, "per_page": 1000})
    assert first.get_json()["next"] in first.headers["Link"] and first.get_json()["next"].startswith(BASE)


def test_observations_of_listed_areas_and_within_a_district_combine(client):
    """area= and within= together: the listed areas inside the district, every observation of each,
    in the order of the unfiltered answer (the lookup by area must not reorder or lose rows)."""

    def district(code: str) -> str:
        return client.get(f"/api/v1/areas/{code}").get_json()["parents"]["LAD19"]["code"]

    barking = min(a for a in fixture_areas() if district(a) == BARKING)
    elsewhere = min(a for a in fixture_areas() if district(a) != BARKING)
    query = {"dataset": "imd-lsoa/2019", "area": f"{elsewhere},{barking}", "per_page": 1000}
    both = client.get("/api/v1/observations", query_string=query).get_json()
    dataset = client.get("/api/v1/datasets/imd-lsoa/2019").get_json()
    per_area = len(dataset["components"]) * len(dataset["measures"])
    assert both["total"] == len(both["observations"]) == 2 * per_area
    assert {r["area"] for r in both["observations"]} == {barking, elsewhere}
    assert len({r["observation"] for r in both["observations"]}) == both["total"]
    inside = client.get("/api/v1/observations", query_string={**query, "within": BARKING}).get_json()
    assert inside["observations"] == [r for r in both["observations"] if r["area"] == barking]
    one = client.get("/api/v1/observations", query_string={**query, "area": barking}).get_json()
    assert one["observations"] == inside["observations"]


def test_observations_as_csv_say_the_same_as_json(client):
    query = {"dataset": "imd-lad/2019", "area": BARKING, "component": "imd"}
    rows = client.get("/api/v1/observations", query_string=query).get_json()["observations"]
    response = client.get("/api/v1/observations", query_string=query, headers={"Accept": "text/csv"})
    assert response.mimetype == "text/csv"
    from_csv = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["observation"] for r in from_csv] == [r["observation"] for r in rows]
    values = {r["measure"]: r["value"] for r in rows}
    assert values["average-score"] == pytest.approx(32.768, abs=0.0005)
    assert (
        float(next(r["value"] for r in from_csv if r["measure"] == "average-score"))
        == values["average-score"]
    )


def test_level_aggregate_of_the_lsoa_edition_serves_the_derived_dataset(client):
    answer = client.get(
        "/api/v1/aggregate",
        query_string={"dataset": "imd-lsoa/2019", "level": "ward", "measure": "average-score"},
    ).get_json()
    assert answer["derived_dataset"] == BASE + "data/imd-ward/2019" and answer["geography_vintage"] == "WD19"
    abbey = next(r for r in answer["rows"] if r["area"] == ABBEY)
    assert abbey["observation"] == f"{BASE}data/imd-ward/2019/obs/{ABBEY}/2019/imd/average-score"
    assert abbey["rank"] >= 1 and abbey["area_label"] == "Abbey"


def test_population_weighted_mean_of_ward_scores_equals_the_district_score(client):
    """Ward → district by the declared rule gives exactly the district's official average score."""
    for component in ("imd", "income"):
        wards = client.get(
            "/api/v1/aggregate",
            query_string={
                "dataset": "imd-ward/2019",
                "level": "lad",
                "component": component,
                "measure": "average-score",
            },
        ).get_json()
        assert wards["rule"] == "population-weighted-mean"
        assert wards["population"]["uri"] == BASE + "def/measure/population"
        districts = client.get(
            "/api/v1/aggregate",
            query_string={
                "dataset": "imd-lsoa/2019",
                "level": "lad",
                "component": component,
                "measure": "average-score",
            },
        ).get_json()
        official = {r["area"]: r["value"] for r in districts["rows"]}
        from_wards = {r["area"]: r["value"] for r in wards["rows"]}
        assert from_wards[BARKING] == pytest.approx(
            official[BARKING], abs=1e-5
        )  # ward values are rounded to 6 dp
        if component == "imd":
            assert from_wards[HARTLEPOOL] == pytest.approx(official[HARTLEPOOL], abs=1e-5)
        else:  # Hartlepool has no domain scores: the result is missing, never partial
            assert from_wards[HARTLEPOOL] is None and official[HARTLEPOOL] is None


def test_region_from_districts_equals_region_from_lsoas_for_decomposable_measures(client):
    for measure in ("average-score", "average-rank", "extent", "proportion-most-deprived-10pc", "population"):
        from_lsoas = client.get(
            "/api/v1/aggregate",
            query_string={"dataset": "imd-lsoa/2019", "level": "region", "measure": measure},
        ).get_json()
        from_districts = client.get(
            "/api/v1/aggregate",
            query_string={"dataset": "imd-lad/2019", "level": "region", "measure": measure},
        ).get_json()
        expected = {r["area"]: r["value"] for r in from_lsoas["rows"]}
        got = {r["area"]: r["value"] for r in from_districts["rows"]}
        assert got.keys() == expected.keys() == {LONDON, "E12000001"}
        for code in got:
            assert got[code] == pytest.approx(expected[code], rel=1e-6, abs=2e-3), (measure, code)


def test_posting_a_districts_lsoas_returns_that_districts_figures(client):
    lsoas = client.get("/api/v1/areas/" + BARKING).get_json()["children"]["LSOA11"]
    posted = client.post(
        "/api/v1/aggregate", json={"dataset": "imd-lsoa/2019", "areas": [a["code"] for a in lsoas]}
    )
    answer = posted.get_json()
    assert answer["method"] == BASE + "def/method/imd-area-summaries" and answer["inputs"]["areas"] == 110
    results = {(r["component"], r["measure"]): r["value"] for r in answer["results"]}
    district = client.get(
        "/api/v1/observations",
        query_string={"dataset": "imd-lad/2019", "area": BARKING, "per_page": 1000},
    ).get_json()
    published = {(r["component"], r["measure"]): r["value"] for r in district["observations"]}
    assert (
        len(results) == 10 * 4 + 2
    )  # average score, rank, proportion, population; extent and concentration for IMD
    for key, value in results.items():
        if published[key] is None:
            assert value is None, key
        else:
            assert value == pytest.approx(published[key], abs=1e-3), key


def test_posting_to_an_edition_without_populations_weighs_it_as_its_published_summaries(client):
    """IoD2015 publishes no denominators; its district summaries are weighted by IoD2019 File 6, so a
    summary of the borough's posted LSOAs says so and gives back the published district figures."""
    lsoas = sorted(
        a
        for a in fixture_areas()
        if client.get(f"/api/v1/areas/{a}").get_json()["parents"]["LAD19"]["code"] == BARKING
    )
    body = client.post("/api/v1/aggregate", json={"dataset": "imd-lsoa/2015", "areas": lsoas}).get_json()
    assert "file6_population" in body["population"]["label"]
    results = {r["measure"]: r["value"] for r in body["results"]}
    assert set(results) == {*SUMMARY_MEASURES, "population"}
    district = client.get(
        "/api/v1/observations",
        query_string={"dataset": "imd-lad/2015", "area": BARKING, "per_page": 1000},
    ).get_json()
    for row in district["observations"]:
        if row["measure"] in results:
            assert results[row["measure"]] == pytest.approx(row["value"], abs=1e-3), row["measure"]


def test_posting_derived_areas_aggregates_by_rule(client):
    wards = [w["code"] for w in client.get(f"/api/v1/areas/{BARKING}").get_json()["children"]["WD19"]]
    body = client.post(
        "/api/v1/aggregate", json={"dataset": "imd-ward/2019", "areas": wards, "component": "imd"}
    ).get_json()
    results = {r["measure"]: r for r in body["results"]}
    assert "rank-of-average-score" not in results and "local-concentration" not in results  # not aggregable
    assert results["average-score"]["value"] == pytest.approx(32.768, abs=0.0005)
    assert results["population"]["rule"] == "sum" and results["population"]["value"] == pytest.approx(203101)


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ("not json", 400, "JSON object"),
        ({"dataset": "imd-lsoa/2019"}, 400, "areas"),
        ({"dataset": "imd-lsoa/2019", "areas": ["E01000006", "E01000006"]}, 400, "more than once"),
        ({"dataset": "imd-lsoa/2019", "areas": ["E01999999"]}, 404, "E01999999"),
        ({"dataset": "imd-lsoa/2019", "areas": [BARKING]}, 400, "not lsoa areas"),
        ({"dataset": "imd-lsoa/2019", "areas": ["E01000006"], "component": "wealth"}, 400, "wealth"),
        ({"dataset": ["imd-lsoa/2019"], "areas": ["E01000006"]}, 400, "dataset: expected a string"),
        ({"dataset": "imd-lsoa/2019", "areas": ["E01000006"], "component": 1}, 400, "component: expected"),
    ],
)
def test_bad_posts_are_refused_with_the_reason(client, body, status, says):
    if isinstance(body, str):
        response = client.post("/api/v1/aggregate", data=body, content_type="application/json")
    else:
        response = client.post("/api/v1/aggregate", json=body)
    assert response.status_code == status
    assert says.lower() in response.get_json()["error"]["message"].lower()


def test_published_district_table_matches_the_api(client, small_settings):
    """The API's rows are the release's CSV values (one source of truth)."""
    answer = client.get(
        "/api/v1/aggregate", query_string={"dataset": "imd-lsoa/2019", "level": "lad"}
    ).get_json()
    release = client.get("/api/v1/datasets/imd-lad/2019").get_json()
    csv_url = next(u for u in release["downloads"] if u.endswith("imd-lad-2019.csv"))
    table = pd.read_csv(io.StringIO(client.get(csv_url.replace(BASE, "/")).get_data(as_text=True)))
    imd = table[table["Deprivation index or domain"] == "imd"].set_index("Area code")
    for row in answer["rows"]:
        assert row["value"] == pytest.approx(imd.loc[row["area"], "Average score"])
        assert row["rank"] == imd.loc[row["area"], "Rank of average score"]


def test_observations_within_a_borough_on_todays_wards(client):
    """2025 wards are looked up to 2025 districts: within= finds them as the ONS lookup lists them."""
    lookup = pd.read_csv(DATA_DIR / "lookups" / "lsoa21_wd25_lad25.csv.gz", dtype=str)
    expected = set(lookup.loc[lookup["lad25"] == BARKING, "ward"])
    query = {"dataset": "imd-ward/2025", "within": BARKING, "component": "imd", "measure": "average-score"}
    rows = client.get("/api/v1/observations", query_string=query).get_json()["observations"]
    assert {r["area"] for r in rows} == expected and len(expected) == 19
    assert {r["area_label"] for r in rows} >= {"Gascoigne", "Abbey"}


def test_wards_aggregate_to_boards_they_do_not_nest_in_by_the_population_of_each_part(client, small_settings):
    """WD19 wards → STP20 boards by the SPI score's rule (a population-weighted mean): each ward counts
    with the ONS mid-2018 population of its LSOAs inside the board, computed here from the bundled
    lookups and the published CSV, not through the API's code."""
    answer = client.get(
        "/api/v1/aggregate",
        query_string={
            "dataset": "spi-ward/london-2019",
            "level": "stp",
            "component": "spi",
            "measure": "spi-score",
        },
    ).get_json()
    assert answer["geography_vintage"] == "STP20" and answer["population"]["label"].startswith("ONS mid-2018")
    lookups = DATA_DIR / "lookups"
    lsoas = (
        pd.read_csv(lookups / "lsoa11_wd19_lad19.csv.gz", usecols=["lsoa", "ward"])
        .merge(pd.read_csv(lookups / "lsoa11_ccg20.csv.gz", usecols=["lsoa", "ccg"]))
        .merge(pd.read_csv(lookups / "ccg20_stp20.csv.gz", usecols=["ccg", "stp"]))
        .merge(pd.read_csv(DATA_DIR / "population" / "lsoa_mid2018.csv.gz", usecols=["lsoa", "population"]))
    )
    release = current_snapshot(small_settings).releases["spi-ward/london-2019"]
    scores = release_csv(Path(release["dir"]), release["stem"])
    scores = scores[scores["component"] == "spi"].set_index("area")["spi-score"]
    pieces = (
        lsoas[lsoas["ward"].isin(scores.index)].groupby(["stp", "ward"])["population"].sum().reset_index()
    )
    pieces["weighted"] = pieces["population"] * pieces["ward"].map(scores)
    sums = pieces.groupby("stp")[["weighted", "population"]].sum()
    expected = sums["weighted"] / sums["population"]
    got = {r["area"]: r["value"] for r in answer["rows"]}
    assert got.keys() == set(expected.index)
    for stp, value in expected.items():
        assert got[stp] == pytest.approx(value, rel=1e-9)
    refused = client.get(
        "/api/v1/aggregate",
        query_string={
            "dataset": "spi-ward/london-2019",
            "level": "icb",
            "component": "spi",
            "measure": "spi-score",
        },
    )
    assert (
        refused.status_code == 400 and "on offer: lad, region, stp" in refused.get_json()["error"]["message"]
    )
