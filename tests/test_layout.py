"""How the built site reads, in a real headless Chromium at a desktop width (1280 px) and a
phone width (390 px): tables laid out for their content, names never cut mid-word, no page
scrolling sideways, decisions named in the page's language, the root page in the site's look,
and glossary definitions on hover, focus and tap.

Screenshots of every page kind at both widths, in English and Chinese, are left in
build/screenshots/layout/ for a person to look at (CI keeps them as artefacts)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.test_browser import serve

SHOTS = ROOT / "build" / "screenshots" / "layout"
WIDTHS = (1280, 390)
LANGUAGES = ("en", "uk", "ru", "zh")
# One page of each kind the site has (the root page is the language chooser).
PAGE_KINDS = {
    "home": "{lang}/2026-11/",
    "section": "{lang}/2026-11/sa-renewal/",
    "decision": "{lang}/2026-11/decisions/sa-renewal/",
    "glossary": "{lang}/2026-11/glossary/",
    "changes": "{lang}/2026-11/changes/",
    "status": "{lang}/2026-11/status/",
    "downloads": "{lang}/2026-11/downloads/",
}

# Where a line breaks inside an identifier (fact name, clause id, file name) shown as code in
# a table or list: the character before each break must be one the name may wrap after.
BREAKS_INSIDE_NAMES = """(selector) => {
  const bad = [];
  for (const code of document.querySelectorAll(selector)) {
    const text = code.textContent;
    const range = document.createRange();
    let lastTop = null;
    let offset = 0;
    for (const node of code.childNodes) {
      if (node.nodeType !== Node.TEXT_NODE) continue;
      for (let i = 0; i < node.data.length; i++) {
        range.setStart(node, i); range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        if (!rect) continue;
        if (lastTop !== null && rect.top > lastTop + 2 && !"_.-".includes(text[offset + i - 1])) {
          bad.push(text.slice(0, offset + i) + " / " + text.slice(offset + i));
        }
        lastTop = rect.top;
      }
      offset += node.data.length;
    }
  }
  return bad;
}"""


@pytest.fixture(scope="module")
def site(shipped_build: Path) -> Iterator[str]:
    yield from serve(shipped_build / "site")


@pytest.fixture(scope="module", params=WIDTHS, ids=lambda width: f"{width}px")
def page(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": request.param, "height": 900})
    yield context.new_page()
    context.close()


def width_of(page: Any) -> int:
    return int(page.viewport_size["width"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_scrolls_sideways_and_each_is_kept_as_a_screenshot(
    page: Any, site: str, language: str
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    kinds = dict(PAGE_KINDS, root="") if language == "en" else PAGE_KINDS
    too_wide = {}
    for kind, path in kinds.items():
        page.goto(f"{site}/{path.format(lang=language)}")  # waits for the load event
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            too_wide[kind] = overflow
        if language in ("en", "zh"):
            shot = SHOTS / f"{language}-{kind}-{width_of(page)}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000  # a rendered page, not a blank one
    assert too_wide == {}, f"pages wider than {width_of(page)} px (by px): {too_wide}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("path", "selector"),
    [
        ("decisions/sa-renewal/", ".terms-facts code"),  # enterprise_product_from_org_wide
        ("decisions/sa-purchase/", ".terms-facts code, li > code"),
        ("status/", ".terms-table code"),
        ("downloads/", ".terms-downloads code"),
    ],
)
def test_names_wrap_only_between_their_words(
    page: Any, site: str, language: str, path: str, selector: str
) -> None:
    page.goto(f"{site}/{language}/2026-11/{path}")
    assert page.locator(selector).count() > 0
    assert page.evaluate(BREAKS_INSIDE_NAMES, selector) == []


@pytest.mark.parametrize("path", ["status/", "decisions/sa-purchase/", "downloads/", "sa-purchase/"])
def test_every_table_has_a_frame_and_rules_between_its_rows(page: Any, site: str, path: str) -> None:
    page.goto(f"{site}/en/2026-11/{path}")
    borders = page.evaluate(
        """() => [...document.querySelectorAll('.md-typeset table')].map(table => [
             getComputedStyle(table).borderTopWidth,
             getComputedStyle(table.querySelector('tbody tr:nth-child(2)') ?
               table.querySelector('tbody tr:nth-child(2) td') : table.querySelector('td')).borderTopWidth,
           ])"""
    )
    assert borders, "no table on the page"
    for table, row in borders:
        assert float(table.removesuffix("px")) > 0, "a table without a frame"
        if width_of(page) > 500 or path != "decisions/sa-purchase/":
            assert float(row.removesuffix("px")) > 0, "rows without a rule between them"


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("en", "Renewing Software Assurance"),
        ("uk", "Поновлення Підтримки програмного забезпечення"),
        ("ru", "Продление Software Assurance"),
        ("zh", "续订软件保障"),
    ],
)
def test_decisions_are_named_in_the_pages_language(page: Any, site: str, language: str, title: str) -> None:
    page.goto(f"{site}/{language}/2026-11/decisions/sa-renewal/")
    assert page.title().startswith(f"{title} - ")
    nav = page.locator(".md-nav--primary").first.inner_text()
    assert title in nav
    assert "sa-renewal" not in nav and "license-switch" not in nav


def test_the_root_page_has_the_sites_look_and_loads_without_a_404(page: Any, site: str) -> None:
    failed: list[str] = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    page.goto(f"{site}/")
    page.wait_for_load_state("networkidle")
    assert failed == []
    assert (
        page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
        == "rgb(64, 81, 181)"
    )
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(f"{site}/{icon}").status == 200
    assert page.locator("h1 [lang=zh-Hans]").inner_text() == "选择语言"


def definition_shown(page: Any) -> str:
    tip = page.locator(".terms-tooltip:visible")
    return tip.inner_text() if tip.count() == 1 else ""


OEM = "[data-clause='sa-purchase.oem-retail'] a[href='../glossary/#oem']"


def test_a_glossary_definition_shows_on_hover_and_on_keyboard_focus(page: Any, site: str) -> None:
    page.goto(f"{site}/en/2026-11/sa-purchase/")
    link = page.locator(OEM)
    assert link.get_attribute("title") is None  # no second, native tooltip
    link.hover()
    assert definition_shown(page).startswith("A hardware maker")
    tip_id = link.get_attribute("aria-describedby")
    assert page.locator(f"[id='{tip_id}']").get_attribute("role") == "tooltip"
    page.keyboard.press("Escape")
    assert definition_shown(page) == ""
    page.mouse.move(0, 0)
    link.focus()
    assert definition_shown(page).startswith("A hardware maker")
    # Text only: a definition never becomes markup.
    assert page.evaluate(f"document.getElementById('{tip_id}').children.length") == 0


def test_a_glossary_definition_shows_on_a_tap_and_a_second_tap_follows_the_link(
    browser: Any, site: str
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 900}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto(f"{site}/zh/2026-11/sa-purchase/")
    link = page.locator("[data-clause='sa-purchase.oem-retail'] a[href='../glossary/#oem']")
    link.tap()
    assert definition_shown(page) != ""
    assert page.url.endswith("/zh/2026-11/sa-purchase/")
    link.tap()
    page.wait_for_url(f"{site}/zh/2026-11/glossary/#oem")
    context.close()


def test_without_javascript_the_definition_is_the_links_title(browser: Any, site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}/en/2026-11/sa-purchase/")
    assert page.locator(OEM).get_attribute("title").startswith("A hardware maker")
    context.close()
