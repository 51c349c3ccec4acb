"""Finding an area in a real browser (Debian's Chromium through Playwright, as tests/test_browser.py):
typing a few letters of a ward in the home page's box suggests it with its borough; choosing it by
keyboard opens its page, with its chart across editions, its borough and the borough's other wards."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from publisher.paths import DATA_DIR
from tests.test_browser import ARTIFACTS, browser, page_of, small_server  # noqa: F401  (fixtures)

GASCOIGNE, BARKING = "E05014061", "E09000002"
expect = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency").expect


def test_typing_gasc_suggests_gascoigne_and_opens_its_page(browser, small_server):  # noqa: F811
    page = page_of(browser, "search-gascoigne")
    page.goto(small_server.url)
    box = page.get_by_role("combobox", name="Find an area by name or code")
    box.press_sequentially("Gasc", delay=50)
    first = page.locator("#site-search-list [role=option]").first
    expect(first).to_contain_text(
        "Gascoigne", timeout=30_000
    )  # the list answers each letter: wait for the last
    assert "Barking and Dagenham" in first.inner_text()
    assert box.get_attribute("aria-expanded") == "true"
    page.shot()
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "site-search-option-0"
    box.press("Enter")
    page.wait_for_url(f"**/area/{GASCOIGNE}")
    assert page.locator("svg[role=img] polyline").count() >= 1  # the chart across editions
    assert page.locator(f"a[href='/area/{BARKING}']").count() >= 1
    lookup = pd.read_csv(DATA_DIR / "lookups" / "lsoa21_wd25_lad25.csv.gz", dtype=str)
    for ward in set(lookup.loc[lookup["lad25"] == BARKING, "ward"]) - {GASCOIGNE}:
        assert page.locator(f"a[href='/area/{ward}']").count() >= 1  # the borough's other wards
    page.shot = lambda: page.screenshot(path=str(ARTIFACTS / "area-gascoigne.png"), full_page=True)
    page.shot()
    assert page.errors == []


def test_without_javascript_the_box_is_a_form_to_the_search_page(browser, small_server):  # noqa: F811
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(small_server.url)
    page.locator("#site-search-q").fill("Gascoigne")
    page.locator("#site-search-q").press("Enter")
    page.wait_for_url("**/search?q=Gascoigne")
    retired = page.locator("ol.results li", has_text="No longer in use")
    assert retired.locator(f"a[href='/area/{GASCOIGNE}']").count() == 1  # the 2019 ward's successor
    best = page.locator("ol.results > li").first.locator("a").first
    assert best.get_attribute("href") == f"/area/{GASCOIGNE}"  # and itself, first
    context.close()


def test_a_misspelling_is_suggested_and_escape_closes_the_list(browser, small_server):  # noqa: F811
    """Arrow keys wrap round the list; Escape closes it and leaves the typed text, as the ARIA
    combobox pattern has it (a search box would clear it at once)."""
    districts = pd.read_csv(DATA_DIR / "lookups" / "lad24_rgn24.csv.gz", dtype=str).set_index("lad_name")
    page = page_of(browser, "search-hackny")
    page.goto(small_server.url + "search")
    box = page.get_by_role("combobox", name="Find an area by name or code")
    box.press_sequentially("Hackny", delay=50)
    options = page.locator("#site-search-list [role=option]")
    expect(options.first).to_have_text(
        re.compile(r"^Hackney"), timeout=30_000
    )  # the answer to the whole word
    box.press("ArrowUp")  # from no choice up to the last
    last = f"site-search-option-{options.count() - 1}"
    assert box.get_attribute("aria-activedescendant") == last
    assert page.locator(f"#{last}").get_attribute("aria-selected") == "true"
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    assert not page.locator("#site-search-list").is_visible()
    assert box.get_attribute("aria-activedescendant") is None and box.input_value() == "Hackny"
    box.press("Escape")  # a second Escape clears the box, as a search box does
    assert box.input_value() == ""
    box.fill("Hackny")
    box.press("Enter")  # with no suggestion chosen, the form: the search page
    page.wait_for_url("**/search?q=Hackny")
    first = page.locator("ol.results > li").first.locator("a").first
    assert first.get_attribute("href") == f"/area/{districts.loc['Hackney', 'lad']}"
    assert page.errors == []
