"""Each audience's tools in a real browser (Debian's Chromium through Playwright, as tests/test_browser.py):
the SPARQL editor runs its examples, the REST API page draws the OpenAPI document, neither fetches
anything from another site; the embedded scorecard is reached by keyboard; the home page reads on a
phone; and axe-core (tests/vendor/axe-core, from npm by `make vendor`) finds no serious or critical
violation of WCAG 2.2 AA on the pages people land on. The examples also run over HTTP, as a program
would send them, and answer what the published data says."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import urllib.parse
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from api.sparql_page import examples
from publisher.paths import DATA_DIR
from publisher.store import current_snapshot
from tests.conftest import fixture_areas
from tests.processes import free_port
from tests.test_browser import ARTIFACTS, browser, page_of, small_server  # noqa: F401  (fixtures)

AXE = Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js"
NEWS = '<p><a href="#">News</a></p>'  # a link of the host's page just before the component
BASE = "http://127.0.0.1:8080/"
BARKING, ABBEY = "E09000002", "E05000026"  # Abbey: a ward of Barking and Dagenham (2019)
EXAMPLES = {e.name: e for e in examples()}


def run(server, query: str) -> list[dict]:
    url = f"{server.url}sparql?" + urllib.parse.urlencode({"query": query})
    request = urllib.request.Request(url, headers={"Accept": "text/csv"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return list(csv.DictReader(io.StringIO(response.read().decode())))


def rest(server, path: str) -> dict:
    with urllib.request.urlopen(f"{server.url}api/v1/{path}", timeout=60) as response:
        return json.load(response)


def values(server, dataset: str, measure: str, **filters) -> dict[str, float]:
    query = urllib.parse.urlencode({"dataset": dataset, "component": "imd", "measure": measure, **filters})
    rows = rest(server, f"observations?{query}&per_page=1000")["observations"]
    return {row["area"]: row["value"] for row in rows}


def test_the_examples_answer_what_the_data_says(small_server, small_settings):  # noqa: F811
    """Each example, sent as a program sends it, against the published files and the REST API."""
    datasets = run(small_server, EXAMPLES["datasets"].query(BASE))
    current = {r["dataset"] for r in current_snapshot(small_settings).releases.values()}
    assert {row["dataset"] for row in datasets} == current  # every current dataset, once
    assert len(datasets) == len(current)

    lsoas = run(small_server, EXAMPLES["most-deprived-lsoas-of-a-district"].query(BASE))
    file1 = pd.read_csv(DATA_DIR / "iod2019" / "file1_imd.csv.gz", dtype={"lsoa": str, "lad": str})
    barking = file1[(file1["lad"] == BARKING) & file1["lsoa"].isin(fixture_areas())]
    expected = barking.nsmallest(10, "imd_rank")  # the official ranks, 1 = most deprived
    assert [row["lsoa"].rsplit("/", 1)[1] for row in lsoas] == list(expected["lsoa"])
    assert [row["name"] for row in lsoas] == list(expected["lsoa_name"])
    assert [int(row["rank"]) for row in lsoas] == list(expected["imd_rank"])

    wards = run(small_server, EXAMPLES["wards-of-a-district"].query(BASE))
    scores = values(small_server, "imd-ward/2019", "average-score", within=BARKING)
    assert len(wards) == len(scores) == 17  # Barking and Dagenham's wards of 2019
    assert {row["ward"].rsplit("/", 1)[1]: float(row["averageScore"]) for row in wards} == scores
    assert [int(row["rank"]) for row in wards] == sorted(int(row["rank"]) for row in wards)

    lsoas2025 = run(small_server, EXAMPLES["most-deprived-lsoas-2025"].query(BASE))
    ranks = values(small_server, "imd-lsoa/2025", "rank")
    assert [int(row["rank"]) for row in lsoas2025] == sorted(int(v) for v in ranks.values())[:10]

    editions = run(small_server, EXAMPLES["a-district-across-editions"].query(BASE))
    assert [row["edition"] for row in editions] == ["2015", "2019", "2025"]
    for row in editions:
        published = values(small_server, f"imd-lad/{row['edition']}", "average-score", area=BARKING)
        assert float(row["averageScore"]) == published[BARKING]


def outside_requests(page, server) -> dict[str, str]:
    """Requests the page makes to any other origin: URL -> how it failed ('' if it did not)."""
    seen: dict[str, str] = {}
    local = server.url.rstrip("/")

    def requested(request):
        if not request.url.startswith((local, "data:", "blob:")):
            seen.setdefault(request.url, "")

    def failed(request):
        if request.url in seen:
            seen[request.url] = request.failure

    page.on("request", requested)
    page.on("requestfailed", failed)
    return seen


EDITOR_TEXT = "document.querySelector('#yasgui .CodeMirror').CodeMirror.getValue()"


def test_the_sparql_editor_runs_an_example_against_this_endpoint(browser, small_server):  # noqa: F811
    page = page_of(browser, "sparql-editor")
    outside = outside_requests(page, small_server)
    page.goto(small_server.url + "sparql")
    page.locator("#yasgui .CodeMirror").wait_for()
    assert not page.locator("#query-form").is_visible()  # the editor in place of the plain form
    assert page.locator("#yasgui input.autocomplete").input_value() == small_server.url + "sparql"
    example = EXAMPLES["wards-of-a-district"]
    page.get_by_role(
        "button", name=re.compile(rf"^Run in the editor\s*:\s*{re.escape(example.title)}$")
    ).click()
    rows = page.locator("#yasgui .yasr table.dataTable tbody tr")
    rows.first.wait_for()
    assert rows.count() == 17 and "Gascoigne" in page.locator("#yasgui .yasr").inner_text()
    assert page.evaluate("document.activeElement.id") == "editor-heading"  # focus goes to the editor
    assert "answered" in page.locator("#editor-status").inner_text()
    page.shot()
    violations = serious_violations(page)  # the editor, its controls and the results
    assert violations == [], "\n".join(violations)
    page.locator("#yasgui .yasqe_share").click()  # YASGUI's link to the query: this page, the query after #
    link = page.locator("#yasgui .yasqe_sharePopup input").first.input_value()
    shared = browser.new_page()
    shared.goto(link)
    shared.locator("#yasgui .CodeMirror").wait_for()
    assert shared.evaluate(EDITOR_TEXT) == example.query(BASE)
    shared.close()
    assert outside == {} and page.errors == []  # no CDN, no lookups on other sites


def test_without_javascript_the_sparql_page_is_a_form(browser, small_server):  # noqa: F811
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(small_server.url + "sparql")
    example = EXAMPLES["a-district-across-editions"]
    page.get_by_role(
        "link", name=re.compile(rf"^Open in the editor\s*:\s*{re.escape(example.title)}$")
    ).click()
    page.wait_for_url(f"**/sparql?example={example.name}*")
    assert page.get_by_label("SPARQL query").input_value() == example.query(BASE)
    page.get_by_label("Results as").select_option("")
    page.get_by_role("button", name="Run the query").click()
    page.wait_for_url("**/sparql?query=*")
    assert '"averageScore"' in page.content() and "32.768138" in page.content()  # JSON results, as before
    context.close()


def test_the_rest_api_page_draws_the_openapi_document(browser, small_server):  # noqa: F811
    page = page_of(browser, "api-docs")
    outside = outside_requests(page, small_server)
    page.goto(small_server.url)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="REST API").click()
    page.wait_for_url("**/api/v1/docs")
    page.wait_for_selector("#redoc[data-drawn='true']")
    operation = page.locator("[id='operation/searchAreas']")
    assert "Areas of every bundled vintage by name or code" in operation.inner_text()
    assert page.locator("#redoc table.operations").count() == 0  # the fallback table replaced
    page.shot()
    # Redoc's sidebar asks for Redocly's logo on their CDN; the page's policy blocks it before it leaves
    assert set(outside.values()) <= {"csp"}, outside
    violations = serious_violations(page)
    assert violations == [], "\n".join(violations)
    assert page.errors == []


def serve_directory(directory: Path):
    port = free_port()
    httpd = ThreadingHTTPServer(
        ("127.0.0.1", port), partial(SimpleHTTPRequestHandler, directory=str(directory))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def council_site(small_server, tmp_path_factory):  # noqa: F811
    """A council's own pages on another origin: one with both web components, one with a scorecard after
    a link, and one with the scorecard of a single dataset."""
    directory = tmp_path_factory.mktemp("council-site")
    script = f'<script src="{small_server.url}embed/localindex.js"></script>'

    def page(name: str, body: str):
        head = "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Our area</title></head>"
        (directory / name).write_text(f"{head}<body><main><h1>Our area</h1>{script}{body}</main></body>")

    page(
        "both.html",
        f'<localindex-map dataset="imd-ward/2019" measure="average-score" within="{BARKING}">'
        "</localindex-map>"
        f'<localindex-scorecard area="{BARKING}"></localindex-scorecard>',
    )
    page(
        "several.html",
        NEWS + f'<localindex-scorecard area="{BARKING}"></localindex-scorecard>',
    )
    page(
        "one.html",
        NEWS + f'<localindex-scorecard area="{ABBEY}" dataset="imd-ward/2019"></localindex-scorecard>',
    )
    httpd, url = serve_directory(directory)
    yield url
    httpd.shutdown()


def focused(page) -> dict:
    """What has the focus, looking into the scorecard's shadow root."""
    return page.evaluate(
        """() => {
        let element = document.activeElement;
        while (element && element.shadowRoot && element.shadowRoot.activeElement) {
            element = element.shadowRoot.activeElement;
        }
        const table = element.closest('table');
        return {tag: element.tagName, text: element.textContent, table: table ? table.id : null,
                target: element.getAttribute('target')};
    }"""
    )


def test_a_keyboard_reaches_the_scorecard_in_a_few_tab_stops(browser, council_site):  # noqa: F811
    page = page_of(browser, "embed-scorecard-keyboard")
    page.goto(council_site + "one.html")
    card = page.locator("localindex-scorecard")
    card.locator("table tbody tr").first.wait_for()
    title = card.locator(".title")
    assert title.inner_text() == "Scorecard of Abbey (E05000026)"  # which area it shows
    assert card.get_by_role("region", name="Scorecard of Abbey (E05000026)").count() == 1
    page.get_by_role("link", name="News").focus()
    page.keyboard.press("Tab")
    first = focused(page)
    assert first["table"] == "scorecard-0" and first["tag"] == "A"  # the first Tab is in its table
    assert first["target"] == "_blank" and first["text"].endswith("(opens in a new window)")
    links = card.locator("a[target=_blank]")
    assert links.count() > 10
    assert all(text.endswith("(opens in a new window)") for text in links.all_text_contents())

    page.goto(council_site + "several.html")  # three datasets: a Tab and Enter reach any one's table
    card.locator("table").nth(2).wait_for()
    tables = card.locator("table")
    assert tables.count() == 3
    page.get_by_role("link", name="News").focus()
    for _ in range(3):
        page.keyboard.press("Tab")
    assert focused(page)["text"] == card.locator("caption").nth(2).inner_text().split(": ", 1)[1]
    page.keyboard.press("Enter")
    table = focused(page)
    assert (table["tag"], table["table"]) == ("TABLE", "scorecard-2")
    page.keyboard.press("Tab")
    assert focused(page)["table"] == "scorecard-2"  # its first value, past the other tables' links
    page.shot()
    assert page.errors == []


def test_the_home_page_reads_on_a_phone(browser, small_server):  # noqa: F811
    page = browser.new_page(viewport={"width": 375, "height": 800})  # not is_mobile: it zooms out to fit
    page.goto(small_server.url)
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    table = page.get_by_role("table", name="Published datasets")
    releases = table.locator("tbody tr").count()
    assert table.get_by_role("row").count() == releases + 1  # still a table to a screen reader
    assert table.get_by_role("cell").count() == 5 * releases
    # No word of the table is broken across lines ("L|e|v|el" in a column too narrow for it)
    broken = table.evaluate(
        """table => {
        const broken = [];
        const walker = document.createTreeWalker(table, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (const match of node.textContent.matchAll(/[^\\s\\/-]+/g)) {
                const range = document.createRange();
                range.setStart(node, match.index);
                range.setEnd(node, match.index + match[0].length);
                const lines = new Set(Array.from(range.getClientRects(), r => Math.round(r.top)));
                if (lines.size > 1) { broken.push(match[0]); }
            }
        }
        return broken;
    }"""
    )
    assert broken == []
    page.screenshot(path=str(ARTIFACTS / "home-phone.png"), full_page=True)
    page.close()


def test_the_map_and_the_components_fit_a_phone(browser, small_server, council_site):  # noqa: F811
    """No sideways scrolling at 375 px (WCAG 1.4.10): the map page's controls wrap, and the scorecard's
    rows stack in a narrow space."""
    page = browser.new_page(viewport={"width": 375, "height": 800})  # not is_mobile: it zooms out to fit
    page.goto(small_server.url + AXE_PAGES["map"][0])
    page.wait_for_selector("#map[data-drawn]")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    page.goto(council_site + "both.html")
    page.locator("localindex-scorecard table").first.wait_for()
    page.locator("localindex-map svg path").first.wait_for()
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    page.close()


AXE_PAGES = {  # the SPARQL page and the REST API page are checked by their own tests above
    "home": ("", None),
    "area": (f"area/{ABBEY}", "svg[role=img], table"),
    "dataset": ("data/imd-lad/2019", None),
    "map": (
        f"map?dataset=imd-ward/2019&component=imd&measure=average-score&within={BARKING}",
        "#map[data-drawn]",
    ),
    "embeds": (None, "localindex-scorecard table"),
}


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now (shadow roots included)."""
    page.evaluate(AXE.read_text() + "\n;0")  # evaluated, so that a page's Content-Security-Policy allows it
    return page.evaluate(
        """async () => {
        const results = await axe.run(document, {resultTypes: ['violations']});
        return results.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.impact} ${v.id}: ${v.help}: ` +
                 v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
    }"""
    )


@pytest.mark.parametrize("name", AXE_PAGES)
def test_axe_finds_no_serious_or_critical_violation(browser, small_server, council_site, name):  # noqa: F811
    path, ready = AXE_PAGES[name]
    page = page_of(browser, f"axe-{name}")
    page.goto(council_site + "both.html" if path is None else small_server.url + path)
    if name == "embeds":
        page.locator("localindex-map svg path").first.wait_for()
    if ready:
        page.locator(ready).first.wait_for()
    violations = serious_violations(page)
    assert violations == [], "\n".join(violations)
    assert page.errors == []
