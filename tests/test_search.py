"""Finding an area by name (/api/v1/search, /search): ranked for people over every bundled vintage.
Expected areas come from the ONS lookups in data/, not from the code. Search needs no published
dataset (the geography is bundled data), so the app here serves an empty var directory."""

from __future__ import annotations

import re
from functools import cache

import pandas as pd
import pytest

from api import create_app
from publisher.config import Settings
from publisher.inputs.search import normalise
from publisher.paths import DATA_DIR


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return create_app(Settings(var_dir=tmp_path_factory.mktemp("search") / "var")).test_client()


@cache
def lookup(path: str) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / path, dtype=str)


def code_of(path: str, column: str, name_column: str, name: str) -> str:
    (code,) = set(lookup(path).loc[lambda t: t[name_column] == name, column])
    return code


def answer(client, q: str, **query) -> dict:
    got = client.get("/api/v1/search", query_string={"q": q, **query})
    assert got.status_code == 200, got.get_json()
    return got.get_json()


def found(client, q: str, **query) -> list[dict]:
    return answer(client, q, **query)["results"]


def test_barking_finds_the_borough_first(client):
    results = found(client, "barking")
    borough = code_of("lookups/lad24_rgn24.csv.gz", "lad", "lad_name", "Barking and Dagenham")
    assert results[0]["code"] == borough and results[0]["name"] == "Barking and Dagenham"
    assert results[0]["level"] == "lad" and results[0]["current"] is True


def test_a_few_letters_suggest_the_ward_with_its_borough_current_first(client):
    ward_2025 = code_of("lookups/lsoa21_wd25_lad25.csv.gz", "ward", "ward_name", "Gascoigne")
    ward_2019 = code_of("lookups/wd19_lad19_rgn19.csv.gz", "ward", "ward_name", "Gascoigne")
    results = found(client, "Gasc")
    assert [r["code"] for r in results[:2]] == [ward_2025, ward_2019]
    assert results[0]["current"] and not results[1]["current"]
    assert results[0]["vintage"] == "WD25" and results[1]["vintage"] == "WD19"
    borough = code_of("lookups/lad24_rgn24.csv.gz", "lad", "lad_name", "Barking and Dagenham")
    district = {"code": borough, "name": "Barking and Dagenham"}
    assert results[0]["district"] == results[1]["district"] == district


@pytest.mark.parametrize("typed", ["hackny", "Hcakney", "HACKNEY!", "hackney,"])
def test_case_punctuation_and_a_small_misspelling_do_not_matter(client, typed):
    hackney = code_of("lookups/lad24_rgn24.csv.gz", "lad", "lad_name", "Hackney")
    assert found(client, typed)[0]["code"] == hackney


def test_ampersand_accents_and_a_dropped_letter_in_a_long_name(client):
    kensington = code_of("lookups/lad24_rgn24.csv.gz", "lad", "lad_name", "Kensington and Chelsea")
    assert found(client, "KENSINGTON & CHÉLSEA")[0]["code"] == kensington
    assert found(client, "Kensington and Chelsa")[0]["code"] == kensington


def test_an_exact_code_is_the_only_answer_and_a_code_prefix_lists_codes_in_order(client):
    assert [r["match"] for r in found(client, " e09000002 ")] == ["code"]
    boroughs = sorted(c for c in lookup("lookups/lad24_rgn24.csv.gz")["lad"] if c.startswith("E09"))
    results = found(client, "E09", limit=50)
    assert [r["code"] for r in results] == boroughs and len(boroughs) == 33
    assert {r["match"] for r in results} == {"code prefix"}
    assert found(client, "E99999999") == []


def test_every_kind_of_area_is_found_by_its_code(client):
    firsts = {
        "lsoa": lookup("lookups/lsoa21_wd25_lad25.csv.gz")["lsoa"].iloc[0],
        "msoa": lookup("lookups/lsoa21_msoa21_pcon24.csv.gz")["msoa"].iloc[0],
        "pcon": lookup("lookups/lsoa21_msoa21_pcon24.csv.gz")["pcon"].iloc[0],
        "ward": lookup("lookups/lsoa21_wd25_lad25.csv.gz")["ward"].iloc[0],
        "lad": lookup("lookups/lad24_rgn24.csv.gz")["lad"].iloc[0],
        "region": lookup("lookups/lad24_rgn24.csv.gz")["region"].iloc[0],
        "icb": lookup("lookups/lsoa21_sicbl24_icb24.csv.gz")["icb"].iloc[0],
        "sub-icb": lookup("lookups/lsoa21_sicbl24_icb24.csv.gz")["sicbl"].iloc[0],
    }
    for level, code in firsts.items():
        (result,) = found(client, code)
        assert (result["code"], result["level"], result["match"]) == (code, level, "code")


def test_names_that_start_with_the_query_come_before_names_with_a_word_that_does(client):
    results, page = [], 1
    while page:
        got = answer(client, "Abbey", limit=50, page=page)
        results, page = results + got["results"], got["next"] and page + 1
    tiers = [r["match"] for r in results]
    assert tiers == sorted(tiers, key=["name", "words"].index) and set(tiers) == {"name", "words"}
    for r in results:
        words = normalise(r["name"]).split()
        assert words[0].startswith("abbey") == (r["match"] == "name"), r
        assert any(w.startswith("abbey") for w in words), r


def test_a_name_shared_by_many_wards_lists_them_with_their_districts(client):
    ward_lookup = lookup("lookups/lsoa21_wd25_lad25.csv.gz")
    abbeys = set(ward_lookup.loc[ward_lookup["ward_name"] == "Abbey", "ward"])
    results = found(client, "Abbey", limit=50)
    current = [r for r in results if r["name"] == "Abbey" and r["current"]]
    assert {r["code"] for r in current} == abbeys and len(abbeys) > 5
    assert all(r["district"] and r["district"]["name"] for r in current)


def test_a_2011_lsoa_is_found_by_the_name_it_had_before_2021(client):
    """IoD2019 reports name LSOAs as of 2011; many kept their code and changed their name in 2021."""
    old = lookup("population/lsoa_mid2018.csv.gz").set_index("lsoa")["lsoa_name"]
    new = lookup("lookups/lsoa21_wd25_lad25.csv.gz").set_index("lsoa")["lsoa_name"]
    both = old.index.intersection(new.index)
    code = both[old[both] != new[both]][0]
    results = found(client, old[code])
    (mine,) = [r for r in results if r["code"] == code]
    assert mine["name"] == new[code] and mine["current"]
    assert mine["former_name"]["name"] == old[code] and mine["former_name"]["vintage"] == "LSOA11"
    assert all(r["name"] == old[code] for r in results[: results.index(mine)])  # only present names first


def test_a_ccg_code_reused_by_a_sub_icb_location_is_found_by_the_ccg_name(client):
    ccgs = lookup("lookups/lsoa11_ccg20.csv.gz").drop_duplicates("ccg").set_index("ccg")["ccg_name"]
    sicbls = lookup("lookups/lsoa21_sicbl24_icb24.csv.gz").drop_duplicates("sicbl").set_index("sicbl")
    code = sorted(set(ccgs.index) & set(sicbls.index))[0]
    first = found(client, ccgs[code])[0]
    assert (first["code"], first["name"], first["level"]) == (code, sicbls.loc[code, "sicbl_name"], "sub-icb")
    assert first["former_name"] == {
        "name": ccgs[code],
        "vintage": "CCG20",
        "vintage_title": "Clinical commissioning groups (April 2020)",
    }


def test_a_retired_2019_ward_says_so_and_links_the_wards_its_lsoas_are_in_now(client):
    """The successors are worked out here from the lookups: the 2019 ward's 2011 LSOAs, through the
    ONS change codes, to the 2025 wards their 2021 LSOAs lie in."""
    ward_2019 = code_of("lookups/wd19_lad19_rgn19.csv.gz", "ward", "ward_name", "Gascoigne")
    (retired,) = [r for r in found(client, "Gascoigne") if r["code"] == ward_2019]
    assert retired["current"] is False and retired["vintage"] == "WD19"
    lsoas11 = lookup("lookups/lsoa11_wd19_lad19.csv.gz").loc[lambda t: t["ward"] == ward_2019, "lsoa"]
    changes = lookup("lookups/lsoa11_lsoa21.csv.gz")
    lsoas21 = changes.loc[changes["lsoa11"].isin(lsoas11), "lsoa21"]
    wards = lookup("lookups/lsoa21_wd25_lad25.csv.gz").set_index("lsoa")["ward"]
    successors = set(wards[wards.index.isin(lsoas21)])
    page = client.get("/search", query_string={"q": "Gascoigne"}).get_data(as_text=True)
    (item,) = [li for li in re.findall(r"<li>(.*?)</li>", page, re.S) if f'href="/area/{ward_2019}"' in li]
    assert "No longer in use" in item and len(successors) >= 2
    assert set(re.findall(r'<a href="/area/(E05\d+)">', item)) - {ward_2019} == successors


def test_pages_follow_on_and_say_whether_more_follow(client):
    whole = answer(client, "Abbey", limit=30)
    pages = [answer(client, "Abbey", limit=10, page=n) for n in (1, 2, 3)]
    assert [r["code"] for p in pages for r in p["results"]] == [r["code"] for r in whole["results"]]
    assert pages[0]["next"] == "http://127.0.0.1:8080/api/v1/search?q=Abbey&limit=10&page=2"
    got = client.get("/api/v1/search", query_string={"q": "Abbey", "limit": 10, "page": 2})
    assert 'page=1>; rel="prev"' in got.headers["Link"] and 'page=3>; rel="next"' in got.headers["Link"]
    last = answer(client, "Gascoigne")
    assert last["next"] is None and "Link" not in client.get("/api/v1/search?q=Gascoigne").headers
    assert answer(client, "Abbey", page=10**6)["results"] == []
    html = client.get("/search", query_string={"q": "Abbey", "page": 2}).get_data(as_text=True)
    assert '<ol class="results" start="31">' in html and 'href="/search?q=Abbey&amp;page=1"' in html


def test_the_page_works_without_javascript(client):
    page = client.get("/search", query_string={"q": "Barking"}).get_data(as_text=True)
    assert 'href="/area/E09000002">Barking and Dagenham</a>' in page
    assert 'action="/search"' in client.get("/").get_data(as_text=True)  # the box on every page


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"q": ""}, "required"),
        ({"q": "   "}, "required"),
        ({"q": "x" * 10_000}, "at most"),
        ({"q": "Barking\x1b[2J"}, "control"),
        ({"q": "Barking\x00"}, "control"),
        ({"q": "Barking", "limit": "0"}, "limit"),
        ({"q": "Barking", "limit": "51"}, "limit"),
        ({"q": "Barking", "limit": "١٠"}, "limit"),
        ({"q": "Barking", "page": "0"}, "page"),
        ({"q": "Barking", "page": "1e3"}, "page"),
        ({"q": "Barking", "page": "9" * 5000}, "page"),
    ],
)
def test_bad_queries_are_400s_that_say_why(client, query, says):
    got = client.get("/api/v1/search", query_string=query)
    assert got.status_code == 400 and got.is_json and says in got.get_json()["error"]["message"]
    page = client.get("/search", query_string=query)  # the page takes no limit; an empty box is a blank form
    assert page.status_code == (400 if says in ("at most", "control", "page") else 200)
