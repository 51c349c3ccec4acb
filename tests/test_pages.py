"""Pages for people where the navigation leads (issue 21): /sparql, /api/v1/docs and /downloads/ answer a
browser with HTML and everyone else as before; their scripts and styles are served here, none from a CDN.
The examples of the SPARQL page run in tests/test_tools_browser.py."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from api import create_app
from api.guard import check_query
from api.sparql_page import examples
from publisher.paths import ROOT
from publisher.store import current_snapshot

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
BASE = "http://127.0.0.1:8080/"


class Links(HTMLParser):
    """The links, scripts, stylesheets and form fields of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.nav, self.links, self.assets, self.fields = [], [], [], {}
        self._in_nav = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and attrs.get("aria-label") == "Main":
            self._in_nav = True
        if tag == "a" and "href" in attrs:
            (self.nav if self._in_nav else self.links).append(attrs["href"])
        if tag == "script" and "src" in attrs:
            self.assets.append(attrs["src"])
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.assets.append(attrs["href"])
        if tag in ("textarea", "select", "input") and "name" in attrs:
            self.fields[attrs["name"]] = tag

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_nav = False


@pytest.fixture(scope="module")
def client(small_settings):
    return create_app(small_settings).test_client()


def test_the_navigation_opens_pages_for_people(client):
    """Each link of the navigation answers a browser with HTML: not Turtle (SPARQL), not the OpenAPI
    JSON (REST API) and not a JSON listing (Downloads)."""
    nav = Links(client.get("/", headers={"Accept": BROWSER}).get_data(as_text=True)).nav
    assert {"/sparql", "/api/v1/docs", "/downloads/"} <= set(nav), nav
    for href in nav:
        response = client.get(href, headers={"Accept": BROWSER})
        assert (response.status_code, response.mimetype) == (200, "text/html"), href


def test_sparql_answers_machines_as_before(client):
    for accept in (None, "*/*", "text/turtle", "application/ld+json", "text/html;q=0.5, text/turtle"):
        response = client.get("/sparql", headers={"Accept": accept} if accept else {})
        expected = "application/ld+json" if accept == "application/ld+json" else "text/turtle"
        assert response.mimetype == expected, accept
        assert response.headers["Vary"] == "Accept"
    described = client.get("/sparql?format=turtle", headers={"Accept": BROWSER})  # the page's alternate
    assert described.mimetype == "text/turtle" and "sd:Service" in described.get_data(as_text=True)
    refused = client.post("/sparql", headers={"Accept": BROWSER})  # a POST without a query is still refused
    assert refused.status_code == 400


def test_sparql_page_is_an_editor_over_a_plain_form(client):
    response = client.get("/sparql", headers={"Accept": BROWSER})
    html = response.get_data(as_text=True)
    page = Links(html)
    assert response.headers["Vary"] == "Accept"
    assert '<form id="query-form" class="query-form" method="get" action="/sparql">' in html
    assert page.fields == {"q": "input", "query": "textarea", "format": "select"}  # the search box, the form
    assert "/static/vendor/yasgui/yasgui.min.js" in page.assets and "/static/sparql.js" in page.assets
    for example in examples():
        assert f"/sparql?example={example.name}#editor-heading" in page.links
    chosen = examples()[2]
    html = client.get(f"/sparql?example={chosen.name}", headers={"Accept": BROWSER}).get_data(as_text=True)
    textarea = re.search(r'<textarea id="query"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert textarea.replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'") == chosen.query(BASE)


def test_examples_are_queries_the_endpoint_accepts():
    names = [e.name for e in examples()]
    assert len(names) == len(set(names)) >= 5
    for example in examples():
        checked = check_query(example.query(BASE), set(), 100_000)
        assert checked.form == "SELECT", example.name
        assert example.title and example.description


def test_rest_api_page_draws_the_openapi_document(client):
    response = client.get("/api/v1/docs", headers={"Accept": BROWSER})
    page = Links(response.get_data(as_text=True))
    assert response.mimetype == "text/html"
    assert "/static/vendor/redoc/redoc.standalone.js" in page.assets
    assert "/api/v1/openapi.json" in page.links  # the raw document, linked for people and tools
    policy = response.headers["Content-Security-Policy"]
    assert "img-src 'self' data:" in policy and "default-src 'self'" in policy
    document = json.loads((ROOT / "api" / "openapi.json").read_text())
    summaries = [o["summary"] for methods in document["paths"].values() for o in methods.values()]
    html = response.get_data(as_text=True)
    assert all(summary.replace("'", "&#39;") in html for summary in summaries)  # the table without JS
    raw = client.get("/api/v1/openapi.json", headers={"Accept": BROWSER})
    assert raw.is_json and raw.get_json()["paths"] == document["paths"]


def test_downloads_is_a_page_for_a_browser_and_json_for_programs(client, small_settings):
    listing = client.get("/downloads/").get_json()  # no Accept, and */*: JSON as before
    assert client.get("/downloads/", headers={"Accept": "*/*"}).get_json() == listing
    assert client.get("/downloads/", headers={"Accept": "application/json"}).get_json() == listing
    releases = current_snapshot(small_settings).releases
    assert set(listing) == set(releases)
    response = client.get("/downloads/", headers={"Accept": BROWSER})
    assert response.mimetype == "text/html" and response.headers["Vary"] == "Accept"
    links = set(Links(response.get_data(as_text=True)).links)
    files = {url.removeprefix(BASE[:-1]) for urls in listing.values() for url in urls.values()}
    assert files and files <= {link.removeprefix(BASE[:-1]) for link in links}


@pytest.mark.parametrize("path", ["/", "/sparql", "/api/v1/docs", "/downloads/", "/map", "/area/E09000002"])
def test_pages_load_their_scripts_and_styles_from_here(client, path):
    """No CDN: every script and stylesheet is one of this server's static files."""
    assets = Links(client.get(path, headers={"Accept": BROWSER}).get_data(as_text=True)).assets
    assert assets
    for asset in assets:
        assert asset.startswith("/static/"), (path, asset)
        assert client.get(asset).status_code == 200, asset
