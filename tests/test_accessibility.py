"""Accessibility of the published site in Chromium: axe-core on every page of every language,
and the keyboard alone reaching the language switcher, search and glossary definitions, with a
visible focus. axe-core is pinned in tests/node (`npm ci --prefix tests/node`, run by .ci/run).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, SHIPPED_CORPUS

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")

AXE = ROOT / "tests" / "node" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_A_AA = {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"}


@pytest.fixture(scope="module")
def context() -> Iterator[Any]:
    """A browser context that may add axe-core to pages whose policy forbids inline script."""
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

    assert Path(CHROMIUM).exists(), "browser tests need Debian's chromium (apt-get install chromium)"
    assert AXE.is_file(), "run: npm ci --prefix tests/node"
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
        browser.close()


@pytest.fixture(scope="module")
def site(shipped_build: Path) -> Iterator[str]:
    from tests.test_browser import serve

    yield from serve(shipped_build / "site")


def violations(page: Any) -> list[str]:
    """What axe-core finds on the page that we do not accept: any violation of impact serious or
    critical, and any of a WCAG 2.x level A or AA rule."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{rule['id']} ({rule['impact']}) at {[node['target'] for node in rule['nodes'][:3]]}"
        for rule in result["violations"]
        if rule["impact"] in ("serious", "critical") or WCAG_A_AA & set(rule["tags"])
    ]


def test_axe_finds_nothing_on_any_page_in_any_language(context: Any, site: str, shipped_build: Path) -> None:
    root = shipped_build / "site"
    # The current edition's pages and the root: an earlier edition's are made by the same templates.
    pages = sorted(
        str(p.relative_to(root).parent).replace(".", "") for p in root.glob("*/2026-11/**/index.html")
    )
    assert {p.split("/")[0] for p in pages} == {"en", "uk", "ru", "zh"}
    pages.insert(0, "")
    page = context.new_page()
    found: list[str] = []
    for path in pages:
        page.goto(f"{site}/{path}/" if path else f"{site}/")
        if "/decisions/" in path:  # "Check your case" answered, its reasons open
            page.wait_for_selector("section.terms-check:not([hidden]) .terms-answer[data-outcome]")
            page.click(".terms-answer-why summary")
        found += [f"/{path}: {problem}" for problem in violations(page)]
    page.close()
    assert found == []


def test_axe_finds_what_is_broken_on_purpose(context: Any, site: str) -> None:
    # The test of the test: the two commonest faults it fixed, put back into a page.
    page = context.new_page()
    page.goto(f"{site}/en/2026-11/")
    page.evaluate("""() => {
      document.querySelector('.md-copyright').style.color = '#7f7f7f';
      document.querySelector('.md-search').removeAttribute('aria-label');
    }""")
    found = violations(page)
    page.close()
    assert any(problem.startswith("color-contrast (serious)") for problem in found), found
    assert any(problem.startswith("aria-dialog-name (serious)") for problem in found), found


# The keyboard alone ----------------------------------------------------------------------------

FOCUSED = """() => {
  const e = document.activeElement, style = getComputedStyle(e), box = e.getBoundingClientRect();
  return {tag: e.tagName, type: e.getAttribute('type'), text: e.textContent.trim().slice(0, 40), href: e.getAttribute('href'),
          hreflang: e.getAttribute('hreflang'), outline: style.outlineStyle,
          outlineWidth: parseFloat(style.outlineWidth), shown: box.width > 0 && box.height > 0,
          inResults: !!e.closest('.md-search-result')};
}"""


def tab(page: Any) -> dict[str, Any]:
    page.keyboard.press("Tab")
    return focused_shown(page)


def focused_shown(page: Any) -> dict[str, Any]:
    """The focused element, which must be on screen and outlined."""
    focused: dict[str, Any] = page.evaluate(FOCUSED)
    assert focused["shown"] and focused["outline"] != "none" and focused["outlineWidth"] > 0, focused
    return focused


def tab_until(page: Any, wanted: Any, most: int = 80) -> dict[str, Any]:
    for _ in range(most):
        focused = tab(page)
        if wanted(focused):
            return focused
    raise AssertionError(f"{most} presses of Tab did not reach it")


@pytest.mark.parametrize(
    "path",
    [
        "en/2026-11/sa-purchase/",
        "zh/2026-11/decisions/sa-renewal/",
        "uk/2026-11/glossary/",
        "ru/2026-11/downloads/",
    ],
)
def test_every_control_on_the_way_shows_the_focus(context: Any, site: str, path: str) -> None:
    page = context.new_page()
    page.goto(f"{site}/{path}")
    page.mouse.wheel(0, 600)  # so Material shows its back-to-top button too
    stops: list[dict[str, Any]] = []
    while len(stops) < 60:  # or until the focus leaves the page (to the browser, on a short page)
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement === document.body"):
            break
        stops.append(focused_shown(page))
    page.close()
    assert len({(stop["text"], stop["href"]) for stop in stops}) > 20  # it moved through the page


def test_the_language_switcher_works_by_keyboard(context: Any, site: str) -> None:
    page = context.new_page()
    page.goto(f"{site}/en/2026-11/sa-purchase/")
    tab_until(page, lambda focused: focused["hreflang"] == "zh-Hans")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site}/zh/2026-11/sa-purchase/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.close()


def test_search_works_by_keyboard(context: Any, site: str) -> None:
    page = context.new_page()
    page.goto(f"{site}/en/2026-11/")
    tab_until(page, lambda focused: focused["tag"] == "INPUT" and focused["type"] == "text")  # not the date
    page.keyboard.type("renewal")
    page.locator(".md-search-result__item").first.wait_for(timeout=15000)
    page.keyboard.press("ArrowDown")  # Material's keys for the results: arrows, then Enter
    result = focused_shown(page)
    assert result["tag"] == "A" and result["inResults"], result
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: url.split("?")[0] == result["href"].split("?")[0])
    assert page.url != f"{site}/en/2026-11/"
    page.close()


def test_a_glossary_definition_is_reached_by_keyboard_and_described(context: Any, site: str) -> None:
    # Its definition is the link's accessible description (aria-describedby, the tooltip
    # terms.js shows on focus), which screen readers read on focus and sighted keyboard users see.
    glossary = yaml.safe_load((SHIPPED_CORPUS / "glossary.yaml").read_text(encoding="utf-8"))
    term = next(t for t in glossary["terms"] if t["id"] == "software-assurance")
    page = context.new_page()
    page.goto(f"{site}/en/2026-11/sa-purchase/")
    tab_until(page, lambda focused: (focused["href"] or "").endswith("glossary/#software-assurance"))
    description = page.evaluate(
        "() => document.getElementById(document.activeElement.getAttribute('aria-describedby')).textContent"
    )
    assert page.locator(".terms-tooltip:visible").inner_text() == description
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site}/en/2026-11/glossary/#software-assurance")
    page.close()
    assert " ".join(description.split()) == " ".join(term["text"]["en"]["definition"].split())
