"""The map, the scorecards and the web components in a real browser: Debian's Chromium driven by
Playwright (never a downloaded browser). Servers run on 127.0.0.1; screenshots go to artifacts/browser/."""

from __future__ import annotations

import html
import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from publisher.config import Settings
from publisher.inputs.submission.ingest import ingest
from publisher.paths import DATA_DIR, ROOT
from tests.conftest import start_server
from tests.processes import free_port
from tests.submissions.helpers import read_rows

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "browser"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
BARKING, BARKING_WARDS = "E09000002", 17  # wards of Barking and Dagenham before May 2022 (WD19)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed (.ci/run installs it: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:  # each launch gets a new, empty profile
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def small_server(small_settings, tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("browser-server"), small_settings)
    yield server
    server.stop()


def page_of(browser, name: str):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    page.shot = lambda: page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    return page


def test_map_draws_every_ward_of_a_borough_and_a_click_opens_its_scorecard(browser, small_server):
    page = page_of(browser, "map-wards-barking")
    page.goto(
        f"{small_server.url}map?dataset=imd-ward/2019&component=imd&measure=average-score&within={BARKING}"
    )
    page.wait_for_selector(f"#map[data-drawn='{BARKING_WARDS}']")
    paths = page.locator("#map path.leaflet-interactive")
    assert paths.count() == BARKING_WARDS
    rows = page.locator("table.values tbody tr")
    assert rows.count() == BARKING_WARDS  # the table equivalent
    assert page.locator(".legend li").count() == 6  # five quintiles and "no value"
    page.shot()
    code = paths.nth(3).get_attribute("data-code")
    paths.nth(3).click()
    page.wait_for_url(f"**/area/{code}")
    assert page.locator("h1").inner_text().endswith(f"({code})")
    card = page.locator("section.scorecard", has_text="imd-ward/2019").locator("table.scorecard-table")
    assert card.locator("tbody tr").count() == 10  # the IMD, its 7 domains, IDACI and IDAOPI
    imd = card.locator("tbody tr", has_text="Index of Multiple Deprivation")
    assert re.search(r"\d+ of 7,180", imd.inner_text())
    rating = imd.locator("td").last.inner_text()  # the rating in words, not colour alone
    assert re.search(r"most deprived 20%|than most|middle|least deprived 20%", rating), rating
    page.shot = lambda: page.screenshot(path=str(ARTIFACTS / "scorecard-ward.png"), full_page=True)
    page.shot()
    assert page.errors == []


def test_lsoa_map_of_a_borough_and_keyboard_navigation(browser, small_server):
    page = page_of(browser, "map-lsoas-barking")
    page.goto(f"{small_server.url}map?dataset=imd-lsoa/2019&component=imd&measure=decile&within={BARKING}")
    page.wait_for_selector("#map[data-drawn]")
    assert page.locator("#map path.leaflet-interactive").count() == 110  # Barking and Dagenham's LSOAs
    assert "deciles" in page.locator("p.meta", has_text="Classes").inner_text()
    page.shot()
    first = page.locator("#map path.leaflet-interactive").first
    first.focus()
    assert first.evaluate("element => element === document.activeElement")
    code = first.get_attribute("data-code")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/area/{code}")
    assert page.errors == []


def test_district_scorecard_shows_change_since_the_previous_edition(browser, small_server):
    page = page_of(browser, "scorecard-district")
    page.goto(f"{small_server.url}area/{BARKING}")
    card = page.locator("section.scorecard", has_text="imd-lad/2019").locator("table.scorecard-table")
    row = card.locator("tbody tr", has_text="Index of Multiple Deprivation")
    assert "since 2015" in row.inner_text()
    assert row.locator("td .rating").count() == 2  # change and rating, each in words
    page.shot()


@pytest.fixture(scope="module")
def own_origin_server(tmp_path_factory):
    """A deployment whose base URI is its own address, so that snippets copied from its pages work."""
    port = free_port()
    root = tmp_path_factory.mktemp("embed-server")
    settings = Settings(var_dir=root / "var", base_uri=f"http://127.0.0.1:{port}/")
    for sample, publisher in (("hackney-wards-2019", "hackney"), ("lbbd-spi-2018", "lbbd")):
        assert (
            ingest(DATA_DIR / "submissions" / sample, publisher, settings, progress=lambda _: None).status
            == "published"
        )
    server = start_server(root, settings, port, base_uri=settings.base_uri)
    yield server
    server.stop()


@pytest.fixture
def host_page(tmp_path):
    """A plain HTML page on another port (another origin), as a council's own website would be."""
    port = free_port()
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def publish(snippets: list[str]) -> str:
        body = "\n".join(snippets)
        page = f"<!doctype html><html lang='en'><title>Council page</title><h1>Our area</h1>\n{body}\n</html>"
        (tmp_path / "index.html").write_text(page)
        return f"http://127.0.0.1:{port}/index.html"

    yield publish
    httpd.shutdown()


def snippets_of(page, server, dataset: str) -> dict[str, str]:
    page.goto(f"{server.url}data/{dataset}")
    return {
        kind: html.unescape(page.locator(f"code.embed-{kind}").inner_html()) for kind in ("map", "scorecard")
    }


def test_web_components_copied_from_a_dataset_page_work_on_another_origin(
    browser, own_origin_server, host_page
):
    page = page_of(browser, "embed-host-page")
    snippets = snippets_of(page, own_origin_server, "hackney-ward-indicators/2019")
    area = re.search(r'area="(E\d{8})"', snippets["scorecard"]).group(1)
    url = host_page([snippets["map"], snippets["scorecard"]])  # both, exactly as copied
    assert not url.startswith(own_origin_server.url)
    page.goto(url)
    map_paths = page.locator("localindex-map svg path")
    map_paths.first.wait_for()
    assert map_paths.count() == 21  # Hackney's wards
    page.locator("localindex-scorecard table").wait_for()
    rest = page.request.get(
        f"{own_origin_server.url}api/v1/observations?dataset=hackney-ward-indicators/2019"
        f"&area={area}&component=population&measure=count"
    ).json()
    population = rest["observations"][0]["value"]
    row = page.locator("localindex-scorecard tbody tr", has_text="Population")
    assert f"{int(population):,}" in row.inner_text()
    for component in ("localindex-map", "localindex-scorecard"):
        footer = page.locator(f"{component} p.meta", has_text="licence")
        assert "open-government-licence" in footer.inner_html()
        assert f"{own_origin_server.url}data/hackney-ward-indicators/2019" in footer.inner_text()
    assert page.evaluate("document.querySelector('localindex-map').shadowRoot !== null")
    skip = page.locator("localindex-map a.skip")  # a keyboard user passes the 21 wards in one key
    skip.focus()
    page.keyboard.press("Enter")
    assert page.locator("localindex-map details").get_attribute("open") is not None
    assert (
        page.evaluate("document.querySelector('localindex-map').shadowRoot.activeElement.tagName")
        == "SUMMARY"
    )
    assert "new window" in map_paths.first.get_attribute("aria-label")  # announced, not a surprise
    assert "21 ward areas" in page.locator("localindex-map strong").inner_text()  # what the map shows
    # styles live in the shadow roots: the host page's own document gets none
    assert page.evaluate("document.querySelectorAll('style, link[rel=stylesheet]').length") == 0
    page.shot()
    assert page.errors == []


def test_scorecard_component_shows_lbbd_scores_with_their_licence(browser, own_origin_server, host_page):
    page = page_of(browser, "embed-lbbd-scorecard")
    snippet = snippets_of(page, own_origin_server, "lbbd-spi-lad/2018")["scorecard"]
    area = re.search(r'area="(E\d{8})"', snippet).group(1)
    page.goto(host_page([snippet]))
    row = page.locator("localindex-scorecard tbody tr", has_text="Personal Safety")
    row.wait_for()
    submitted = [r for r in read_rows(DATA_DIR / "submissions" / "lbbd-spi-2018" / "observations.csv")
                 if r["area_code"] == area and r["indicator_id"] == "personal-safety"]  # fmt: skip
    assert f"{float(submitted[0]['value']):.3f}".rstrip("0") in row.inner_text()  # LBBD's own 2018 score
    assert "opensource.org/licenses/MIT" in page.locator("localindex-scorecard p.meta").first.inner_html()
    page.shot()


def test_a_keyboard_user_skips_the_map_to_its_table(browser, small_server):
    page = page_of(browser, "map-skip-link")
    page.goto(f"{small_server.url}map?dataset=imd-lsoa/2019&component=imd&measure=decile&within={BARKING}")
    page.wait_for_selector("#map[data-drawn]")
    skip = page.locator("a.skip-map")
    skip.focus()
    assert skip.is_visible()  # shown when focused, so a sighted keyboard user sees where they are
    page.keyboard.press("Enter")
    focused = page.evaluate("document.activeElement.id")
    assert focused == "table-title"  # one key instead of a Tab stop for each of the 110 LSOAs
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('table') !== null")
    assert page.errors == []
