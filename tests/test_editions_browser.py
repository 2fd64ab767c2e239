"""The editions in Chromium: the "in force on" field in the header, Material's edition selector,
and the clauses marked as not in effect on the day of ?on=, in every language."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")

LANGUAGES = ("en", "uk", "ru", "zh")
STRINGS = yaml.safe_load((ROOT / "site" / "strings.yaml").read_text(encoding="utf-8"))
# terms/corpus.yaml: the current edition, published 2026-11-01, and the one before, 2026-10-01.
CURRENT, EARLIER = "2026-11", "2026-10"
CLAUSE_PAGE = "sa-purchase/"
CLAUSE = "sa-purchase.transfer"
FIELD = "#terms-in-force-on"
MESSAGE = ".terms-in-force-on-message"


@pytest.fixture(scope="module")
def site(shipped_build: Path) -> Iterator[str]:
    from tests.test_browser import serve

    yield from serve(shipped_build / "site")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page; what went wrong in it (script errors, console errors, responses of 400 and
    over) is collected in page.problems for the test to assert on."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.problems = []
    opened.on("pageerror", lambda error: opened.problems.append(f"script: {error}"))
    opened.on(
        "console",
        lambda message: (
            opened.problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    opened.on(
        "response",
        lambda response: (
            opened.problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400
            else None
        ),
    )
    yield opened
    context.close()


def clause_url(site: str, language: str, edition: str, query: str = "") -> str:
    return f"{site}/{language}/{edition}/{CLAUSE_PAGE}{query}#{CLAUSE}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_date_field_leads_to_the_edition_in_force_on_that_day(
    page: Any, site: str, language: str
) -> None:
    page.goto(clause_url(site, language, CURRENT))
    assert page.get_by_label(STRINGS[language]["in_force_on"]).count() == 1
    # The day before the current edition's publication: the earlier edition, same clause.
    page.fill(FIELD, "2026-10-31")
    page.wait_for_url(clause_url(site, language, EARLIER, "?on=2026-10-31"))
    assert page.input_value(FIELD) == "2026-10-31"  # kept from ?on=
    assert page.locator(f"[id='{CLAUSE}']").is_visible()
    # Its day of publication: the current edition.
    page.fill(FIELD, "2026-11-01")
    page.wait_for_url(clause_url(site, language, CURRENT, "?on=2026-11-01"))
    # Before the first edition: a message at the field, and the page stays.
    page.fill(FIELD, "2026-09-30")
    message = STRINGS[language]["no_edition_on"].format(date="2026-09-30")
    page.wait_for_function(
        "([selector, text]) => document.querySelector(selector).textContent === text", arg=[MESSAGE, message]
    )
    assert page.locator(MESSAGE).is_visible()
    page.wait_for_timeout(1500)  # longer than the field waits before it leaves
    assert page.url == clause_url(site, language, CURRENT, "?on=2026-11-01")
    assert page.problems == []


def test_a_page_missing_from_the_edition_in_force_leads_to_its_home(page: Any, site: str) -> None:
    # Both editions have the same pages, so the earlier edition's copy of this one is made missing.
    missing = f"{site}/en/{EARLIER}/{CLAUSE_PAGE}"
    page.route(missing, lambda route: route.fulfill(status=404, body="not here"))
    page.goto(clause_url(site, "en", CURRENT))
    page.fill(FIELD, "2026-10-15")
    page.wait_for_url(f"{site}/en/{EARLIER}/?on=2026-10-15")
    assert page.input_value(FIELD) == "2026-10-15"
    # The field's own look at the page, which Chromium reports in the console too; nothing else.
    assert page.problems == [
        f"HTTP 404: {missing}",
        "console: Failed to load resource: the server responded with a status of 404 (Not Found)",
    ]


def test_typed_keys_lead_on_enter_and_the_field_fits_390_px(browser: Any, site: str) -> None:
    # The browser's locale orders the field's parts (month, day, year in en-US), not the page's.
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    narrow = context.new_page()
    narrow.goto(clause_url(site, "uk", CURRENT))
    field = narrow.locator(FIELD)
    box = field.bounding_box()
    assert field.is_visible() and box is not None and box["x"] + box["width"] <= 390
    assert narrow.get_by_label(STRINGS["uk"]["in_force_on"]).count() == 1  # for screen readers
    # Material's edition selector, beside it at the page's top, stops short of it.
    narrow.locator(".md-version__current").wait_for()
    selector = narrow.locator(".md-version__current").bounding_box()
    assert selector is not None and selector["x"] + selector["width"] <= box["x"]
    field.focus()  # its first part (a click lands on whichever part is under the pointer)
    # Each key after the month and day makes a whole date (years 0002, 0020, 0202): none leads away.
    field.press_sequentially("10312026")
    field.press("Enter")
    narrow.wait_for_url(clause_url(site, "uk", EARLIER, "?on=2026-10-31"))
    narrow.locator(FIELD).focus()
    narrow.locator(FIELD).press_sequentially("09302026")
    message = narrow.locator(MESSAGE)
    message.wait_for(state="visible")
    assert message.text_content() == STRINGS["uk"]["no_edition_on"].format(date="2026-09-30")
    shown = message.bounding_box()
    assert shown is not None and shown["x"] >= 0 and shown["x"] + shown["width"] <= 390
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_edition_selector_switches_editions_on_the_same_clause(
    page: Any, site: str, language: str
) -> None:
    titles = {
        v["version"]: v["title"]
        for v in json.loads(page.request.get(f"{site}/{language}/versions.json").text())
    }
    page.goto(clause_url(site, language, CURRENT))
    for target in (EARLIER, CURRENT):
        # The header shows the selector only while the page is at its top.
        page.evaluate("window.scrollTo(0, 0)")
        page.focus(".md-version__current")
        page.locator(".md-version__link", has_text=titles[target]).click()
        page.wait_for_url(clause_url(site, language, target))
        assert page.locator(f"[id='{CLAUSE}']").is_visible()
    assert page.problems == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("day", "marked", "not_marked"),
    [
        # Both ends of an effective range are in it (docs/semantics.md): physical until 2020-07-31,
        # digital from 2020-08-01.
        ("2020-07-31", "proof-of-license.digital", "proof-of-license.physical"),
        ("2020-08-01", "proof-of-license.physical", "proof-of-license.digital"),
    ],
)
def test_a_clause_not_in_effect_on_the_day_is_marked(
    page: Any, site: str, language: str, day: str, marked: str, not_marked: str
) -> None:
    page.goto(f"{site}/{language}/{CURRENT}/proof-of-license/?on={day}")
    out = page.locator(f"[data-clause='{marked}']")
    assert "terms-clause-not-in-effect" in (out.get_attribute("class") or "")
    assert out.locator(".terms-not-in-effect").inner_text() == STRINGS[language]["not_in_effect"].format(
        date=day
    )
    assert out.locator(".terms-not-in-effect").is_visible()
    kept = page.locator(f"[data-clause='{not_marked}']")
    assert "terms-clause-not-in-effect" not in (kept.get_attribute("class") or "")
    assert kept.locator(".terms-not-in-effect").count() == 0
    # Without a day, nothing is marked.
    page.goto(f"{site}/{language}/{CURRENT}/proof-of-license/")
    assert page.locator(".terms-not-in-effect").count() == 0
    assert page.problems == []


def test_the_language_switcher_keeps_the_day(page: Any, site: str) -> None:
    page.goto(clause_url(site, "en", EARLIER, "?on=2026-10-31"))
    page.hover(".md-header__option .md-select")
    page.click("a.terms-language-link[lang=zh-Hans]")
    page.wait_for_url(clause_url(site, "zh", EARLIER, "?on=2026-10-31"))
    assert page.input_value(FIELD) == "2026-10-31"
    assert page.problems == []
