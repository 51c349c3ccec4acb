"""Area pages (/area/<code>) on every vintage of the geography, in words, on the fixture build.
Expectations come from the ONS lookups bundled in data/lookups, not from the code."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest
import rdflib

from api import create_app
from publisher.paths import DATA_DIR

BARKING, GASCOIGNE_2025, GASCOIGNE_2019 = "E09000002", "E05014061", "E05000032"


class Page(HTMLParser):
    """The page's visible text and its links."""

    def __init__(self, html: str):
        super().__init__()
        self.text, self.links, self._skip = [], [], 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style", "title")
        if tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style", "title")

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)

    @property
    def words(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text))


@pytest.fixture(scope="module")
def client(small_settings):
    return create_app(small_settings).test_client()


def page(client, code: str) -> tuple[Page, str]:
    answer = client.get(f"/area/{code}")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    return Page(html), html


def wards_2025(district: str) -> pd.DataFrame:
    lookup = pd.read_csv(DATA_DIR / "lookups" / "lsoa21_wd25_lad25.csv.gz", dtype=str)
    return lookup.loc[lookup["lad25"] == district, ["ward", "ward_name"]].drop_duplicates()


def test_a_current_ward_names_its_borough_lists_the_others_and_charts_its_editions(client):
    found, html = page(client, GASCOIGNE_2025)
    assert "Gascoigne is an electoral ward" in found.words and "Its code is current" in found.words
    assert f"/area/{BARKING}" in found.links and "Barking and Dagenham" in found.words
    others = wards_2025(BARKING)
    assert len(others) == 19
    assert {f"/area/{w}" for w in others["ward"]} <= set(found.links)  # the borough's other wards
    assert "London" in found.words  # its region, by its LSOAs (the ward lookup names districts only)
    chart = re.search(r"<svg[^>]*role=\"img\".*?</svg>", html, re.S).group(0)
    assert all(year in chart for year in ("2015", "2019", "2025")) and "<polyline" in chart
    assert "(carried)" in found.words  # 2015 and 2019 were published on December 2019 wards
    assert f"/area/{GASCOIGNE_2019}" in found.links  # what it came from


def test_a_retired_ward_says_so_and_links_what_it_became(client):
    found, _ = page(client, GASCOIGNE_2019)
    assert "no longer in use" in found.words and "What it became" in found.words
    assert f"/area/{GASCOIGNE_2025}" in found.links and "approximate" in found.words


def test_a_borough_lists_its_wards_and_cites_the_editions_and_their_producer(client):
    found, _ = page(client, BARKING)
    assert {f"/area/{w}" for w in wards_2025(BARKING)["ward"]} <= set(found.links)
    assert "Ministry of Housing, Communities and Local Government" in found.words
    assert "/data/imd-lad/2025" in " ".join(found.text)  # the edition cited, not the page
    assert "decile 1 = the most deprived 10 %" in found.words


def test_an_lsoa_of_2021_that_was_split_links_its_2011_parent(client):
    found, _ = page(client, "E01034470")
    assert "/area/E01000109" in found.links and "ONS LSOA change lookup" in found.words


@pytest.mark.parametrize("path", ["/area/E99999999", "/area/Gascoigne%00", "/area/E99999999.ttl"])
def test_unknown_areas_are_404_pages(client, path):
    assert client.get(path).status_code == 404


def test_a_name_in_place_of_a_code_is_searched_for(client):
    answer = client.get("/area/Gascoigne")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/search?q=Gascoigne")


def test_the_page_has_turtle_and_json_ld_that_rdflib_reads(client):
    """rdflib, not the server's own RDF library, reads both: the area, its borough and its history."""
    area = rdflib.URIRef(f"http://statistics.data.gov.uk/id/statistical-geography/{GASCOIGNE_2025}")
    dct = rdflib.Namespace("http://purl.org/dc/terms/")
    graphs = []
    for path, accept in (
        (f"/area/{GASCOIGNE_2025}.ttl", None),
        (f"/area/{GASCOIGNE_2025}", "application/ld+json"),
    ):
        answer = client.get(path, headers={"Accept": accept} if accept else {})
        assert answer.status_code == 200
        graph = rdflib.Graph().parse(
            data=answer.get_data(as_text=True), format="turtle" if accept is None else "json-ld"
        )
        graphs.append(graph)
        assert str(graph.value(area, rdflib.RDFS.label)) == "Gascoigne"
        assert rdflib.URIRef(area.replace(GASCOIGNE_2025, BARKING)) in set(graph.objects(area, dct.isPartOf))
        assert rdflib.URIRef(area.replace(GASCOIGNE_2025, GASCOIGNE_2019)) in set(
            graph.objects(area, dct.replaces)
        )
        assert any("/data/imd-ward/2025" in str(o) for o in graph.objects(area, rdflib.RDFS.seeAlso))
    assert len(graphs[0]) == len(graphs[1])
