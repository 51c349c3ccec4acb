"""Map, boundary and scorecard JSON (what the /map page and the web components draw), on the
two-district real fixture, checked against the OpenAPI document and the bundled boundaries."""

from __future__ import annotations

import json

import jsonschema
import pandas as pd
import pytest

from api import create_app
from publisher.inputs.boundaries import boundaries
from publisher.inputs.geography import VINTAGES
from publisher.paths import ROOT

BARKING = "E09000002"


@pytest.fixture(scope="module")
def client(small_settings):
    return create_app(small_settings).test_client()


def schema(name: str) -> dict:
    document = json.loads((ROOT / "api" / "openapi.json").read_text())
    return {"$ref": f"#/components/schemas/{name}", "components": document["components"]}


def test_bundled_boundaries_cover_london_at_every_level():
    assert (len(boundaries("LAD19")), len(boundaries("WD19")), len(boundaries("LSOA11"))) == (33, 657, 4835)


def test_map_json_classifies_every_ward_of_a_borough_into_quintiles(client):
    response = client.get(
        f"/api/v1/map?dataset=imd-ward/2019&component=imd&measure=average-score&within={BARKING}"
    )
    assert response.status_code == 200
    data = response.get_json()
    jsonschema.validate(data, schema("Choropleth"))
    features = data["features"]
    assert len(features) == 17
    assert {f["properties"]["code"][:3] for f in features} == {"E05"}
    counts = [sum(f["properties"]["class"] == i for f in features) for i in range(5)]
    assert sum(counts) == 17 and max(counts) - min(counts) <= 1  # quintiles: a fifth of the areas each
    values = sorted((f["properties"]["value"], f["properties"]["class"]) for f in features)
    assert [c for _, c in values] == sorted(c for _, c in values)  # classes rise with the value
    table = client.get(
        "/api/v1/aggregate?dataset=imd-lsoa/2019&level=ward&component=imd&measure=average-score"
    ).get_json()
    expected = {
        r["area"]: r["value"]
        for r in table["rows"]
        if r["area"] in {f["properties"]["code"] for f in features}
    }
    assert {f["properties"]["code"]: f["properties"]["value"] for f in features} == pytest.approx(
        expected, abs=5e-4
    )


def test_deciles_are_drawn_as_deciles(client):
    data = client.get(
        f"/api/v1/map?dataset=imd-lsoa/2019&component=imd&measure=decile&within={BARKING}"
    ).get_json()
    assert len(data["features"]) == 110 and len(data["classification"]["classes"]) == 10
    assert all(f["properties"]["class"] == f["properties"]["value"] - 1 for f in data["features"])


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/api/v1/boundaries?level=county", 400, "level"),
        ("/api/v1/boundaries?level=ward&within=E09999999", 404, "E09999999"),
        ("/api/v1/map?dataset=imd-region/2019", 400, "maps are drawn for"),
        ("/api/v1/map?dataset=imd-ward/2019&component=wealth", 400, "component"),
        ("/api/v1/map?dataset=imd-ward/2019&within=../../etc", 400, "within"),
        ("/api/v1/scorecard/E0900000X", 400, "code"),
        ("/api/v1/map?dataset=imd-lad/2019&within=E06000001", 404, "London boroughs"),  # Hartlepool
        ("/api/v1/map?dataset=imd-ward/2019&period=2015", 400, "period"),  # the documented period is read
        ("/api/v1/map?dataset=nothing/here", 404, "nothing/here"),
        ("/api/v1/scorecard/E09000002?dataset=nothing/here", 404, "nothing/here"),
    ],
)
def test_bad_map_and_scorecard_requests_say_why(client, url, status, says):
    response = client.get(url)
    assert response.status_code == status and says in response.get_json()["error"]["message"]


def test_map_page_outside_the_bundled_boundaries_says_why(client):
    response = client.get("/map?dataset=imd-lsoa/2019&within=E06000001")
    assert response.status_code == 404 and "London LSOAs (2011)" in response.get_data(as_text=True)


def test_boundaries_within_a_borough(client):
    data = client.get(f"/api/v1/boundaries?level=lsoa&within={BARKING}").get_json()
    jsonschema.validate(data, schema("FeatureCollection"))
    assert len(data["features"]) == 110


@pytest.mark.parametrize("within", ["E12000007", "E92000001"])  # London, England
def test_boundaries_within_a_region_or_the_country_are_all_that_lie_inside(client, within):
    for level in ("lsoa", "ward", "lad"):
        data = client.get(f"/api/v1/boundaries?level={level}&within={within}").get_json()
        assert len(data["features"]) == len(boundaries(VINTAGES[level])), level


def test_scorecard_json_rates_in_words_and_compares_editions(client):
    data = client.get(f"/api/v1/scorecard/{BARKING}?dataset=imd-lad/2019").get_json()
    jsonschema.validate(data, schema("Scorecards"))
    imd = next(r for r in data["scorecards"][0]["rows"] if r["component"] == "imd")
    assert (imd["rank"], imd["universe"], imd["decile"]) == (2, 317, 1)  # fixture: 2 districts ranked
    assert imd["rating"] == "worst" and "most deprived 20%" in imd["rating_words"]
    assert imd["change"]["edition"] == "2015" and imd["change"]["universe"] == 326


def test_map_page_has_a_table_equivalent_and_the_embed_snippet(client):
    page = client.get(f"/map?dataset=imd-ward/2019&within={BARKING}").get_data(as_text=True)
    assert page.count("<tr>") >= 17 + 1
    assert "&lt;localindex-map dataset=&#34;imd-ward/2019&#34;" in page
    assert "vendor/leaflet/leaflet.js" in page and "unpkg" not in page and "cdn" not in page.lower()
    script = client.get("/embed/localindex.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert script.headers["Access-Control-Allow-Origin"] == "*"


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_rating_colours_and_links_have_enough_contrast():
    import re

    rule = re.compile(r"\.rating-[a-z-]+(?:, \.rating-[a-z-]+)* \{ background: (#[0-9a-f]{6}); \}")
    static = ROOT / "api" / "static"
    for path in (static / "localindex.css", static / "embed" / "localindex.js"):
        ratings = rule.findall(path.read_text())
        assert len(ratings) >= 5, path
        for background in ratings:
            assert contrast("#111111", background) >= 4.5, (path, background)
    assert contrast("#1d4f91", "#ffffff") >= 4.5  # links in the web components


def test_england_is_bundled_by_vintage_and_old_polygons_draw_only_unchanged_codes():
    """All of England's LSOAs (2021), districts (2024) and ICBs; wards of 2022 drawn for the wards of
    2025 that kept their code (a ward whose boundary changed has a new code in the lookup)."""
    lsoa21, lad24, icb = boundaries("LSOA21"), boundaries("LAD24"), boundaries("ICB24")
    assert (len(lsoa21), len(lad24), len(icb)) == (33_755, 296, 42)
    assert all(code.startswith("E01") for code in lsoa21) and "E01027305" in lsoa21
    assert boundaries("WD25") is boundaries("WD22") and boundaries("LAD25") is lad24
    assert boundaries("WD19") is not boundaries("WD22") and boundaries("STP20") == {}
    assert "E05015999" not in boundaries("WD22")  # Middleton Cheney, a ward new in 2024


def test_todays_wards_are_drawn_inside_a_borough_and_a_region(client):
    """2025 wards (May 2025, drawn by the December 2022 outlines of the same codes): the borough's
    19 wards of its 2022 review, and London's wards, counted from the ONS lookup itself."""
    lookup = pd.read_csv(ROOT / "data" / "lookups" / "lsoa21_wd25_lad25.csv.gz", dtype=str)
    regions = pd.read_csv(ROOT / "data" / "lookups" / "lad24_rgn24.csv.gz", dtype=str)
    london = set(regions.loc[regions["region"] == "E12000007", "lad"])
    drawn = client.get(f"/api/v1/map?dataset=imd-ward/2025&within={BARKING}").get_json()
    assert {f["properties"]["code"] for f in drawn["features"]} == set(
        lookup.loc[lookup["lad25"] == BARKING, "ward"]
    )
    assert "2022" in drawn["boundaries"] and "Crown copyright" in drawn["boundaries"]
    region = client.get("/api/v1/boundaries?level=ward&vintage=WD25&within=E12000007").get_json()
    assert {f["properties"]["code"] for f in region["features"]} == set(
        lookup.loc[lookup["lad25"].isin(london), "ward"]
    )
    assert client.get("/api/v1/boundaries?level=ward&vintage=WD99").status_code == 400
