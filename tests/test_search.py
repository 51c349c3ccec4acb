"""Finding an area by name (/api/v1/search, /search): ranked for people over every bundled vintage.
Expected areas come from the ONS lookups in data/lookups, not from the code."""

from __future__ import annotations

import pandas as pd
import pytest

from api import create_app
from publisher.paths import DATA_DIR


@pytest.fixture(scope="module")
def client(small_settings):
    return create_app(small_settings).test_client()


def found(client, q: str, **query) -> list[dict]:
    answer = client.get("/api/v1/search", query_string={"q": q, **query})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["results"]


def test_barking_finds_the_borough_first(client):
    results = found(client, "barking")
    assert results[0]["code"] == "E09000002" and results[0]["name"] == "Barking and Dagenham"
    assert results[0]["level"] == "lad" and results[0]["current"] is True


def test_a_few_letters_suggest_the_ward_with_its_borough_current_first(client):
    results = found(client, "Gasc")
    assert [r["code"] for r in results[:2]] == ["E05014061", "E05000032"]  # the 2022 ward, then the 2019 one
    assert results[0]["current"] and not results[1]["current"]
    assert results[0]["district"] == {"code": "E09000002", "name": "Barking and Dagenham"}


def test_case_punctuation_and_a_small_misspelling_do_not_matter(client):
    assert found(client, "hackny")[0]["code"] == "E09000012"
    assert found(client, "KENSINGTON & CHELSEA")[0]["code"] == "E09000020"
    assert found(client, "e09000002")[0]["match"] == "code"


def test_a_name_shared_by_many_wards_lists_them_with_their_districts(client):
    lookup = pd.read_csv(DATA_DIR / "lookups" / "lsoa21_wd25_lad25.csv.gz", dtype=str)
    abbeys = set(lookup.loc[lookup["ward_name"] == "Abbey", "ward"])
    results = found(client, "Abbey", limit=50)
    current = [r for r in results if r["name"] == "Abbey" and r["current"]]
    assert {r["code"] for r in current} == abbeys and len(abbeys) > 5
    assert all(r["district"] and r["district"]["name"] for r in current)


def test_every_kind_of_area_is_found_by_its_code(client):
    for code, level in [
        ("E01027305", "lsoa"),
        ("E54000029", "icb"),
        ("E14001073", "pcon"),
        ("E12000007", "region"),
    ]:
        assert found(client, code)[0]["level"] == level


def test_the_page_works_without_javascript_and_explains_a_retired_ward(client):
    page = client.get("/search", query_string={"q": "Gascoigne"}).get_data(as_text=True)
    assert 'href="/area/E05014061"' in page and "No longer in use" in page
    assert "Barking and Dagenham" in page
    assert 'action="/search"' in client.get("/").get_data(as_text=True)  # the box on every page


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"q": ""}, "required"),
        ({"q": "x" * 10_000}, "at most"),
        ({"q": "Barking\x1b[2J"}, "control"),
        ({"q": "Barking", "limit": "0"}, "limit"),
        ({"q": "Barking", "limit": "١٠"}, "limit"),
    ],
)
def test_bad_queries_are_400s_that_say_why(client, query, says):
    answer = client.get("/api/v1/search", query_string=query)
    assert answer.status_code == 400 and says in answer.get_json()["error"]["message"]
    assert client.get("/search", query_string={"q": query["q"]}).status_code in (200, 400)
