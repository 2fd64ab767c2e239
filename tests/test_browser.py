"""The built site in a real headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from terms_compiler.cli import main

from tests.conftest import ROOT

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root and with no network: no sandbox, and none of Chromium's background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "build" / "screenshots"


@functools.cache
def _quiet_handler(directory: str) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=directory, **kwargs)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def serve(folder: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _quiet_handler(str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def site_url(shipped_build: Path) -> Iterator[str]:
    yield from serve(shipped_build / "site")


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize(
    ("language", "tag", "title"),
    [
        ("en", "en", "Product Terms: Buying and Renewing Software Assurance"),
        ("uk", "uk", "Умови для продуктів"),
        ("ru", "ru", "Условия использования продуктов"),
        ("zh", "zh-Hans", "产品条款"),  # Simplified Chinese throughout
    ],
)
def test_each_language_home_loads(page, site_url: str, language: str, tag: str, title: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site_url}/{language}/2026-11/")
    assert page.locator("html").get_attribute("lang") == tag
    assert title in page.locator("h1").first.inner_text()


def test_the_root_page_leads_to_each_language(page, site_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site_url}/")
    page.click("a[hreflang=ru]")
    page.wait_for_url(f"{site_url}/ru/2026-11/")


def test_the_switcher_on_a_clause_lands_on_the_same_clause_in_another_language(  # type: ignore[no-untyped-def]
    page, site_url: str
) -> None:
    page.goto(f"{site_url}/en/2026-11/sa-purchase/#sa-purchase.transfer")
    page.hover(".md-header__option .md-select")
    page.click("a.terms-language-link[hreflang=uk]")
    page.wait_for_url(f"{site_url}/uk/2026-11/sa-purchase/#sa-purchase.transfer")
    heading = page.locator("[id='sa-purchase.transfer']")
    assert heading.inner_text().startswith("Передані постійні Ліцензії")


def test_a_glossary_link_lands_on_its_definition(page, site_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site_url}/en/2026-11/sa-purchase/")
    link = page.locator("[data-clause='sa-purchase.oem-retail'] a[href='../glossary/#oem']")
    link.click()  # (its definition on hover, focus and tap: tests/test_layout.py)
    page.wait_for_url(f"{site_url}/en/2026-11/glossary/#oem")
    assert page.locator("[id='oem']").is_visible()


def test_a_cross_reference_lands_on_the_clause(page, site_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site_url}/ru/2026-11/regional-availability/")
    page.locator("[data-clause='regional.ru-sales-suspended'] .terms-prose a").last.click()
    page.wait_for_url(f"{site_url}/ru/2026-11/regional-availability/#regional.ru-renewal-resumed")
    assert page.locator("[id='regional.ru-renewal-resumed']").is_visible()


def test_search_in_the_ukrainian_site_finds_a_clause_by_a_ukrainian_word(page, site_url: str) -> None:  # type: ignore[no-untyped-def]
    # Material runs the query of ?q= once its search worker is ready; keystrokes typed before
    # that are dropped (seen here), so the URL is the reliable way to search from a test.
    page.goto(f"{site_url}/uk/2026-11/?q=передавання")  # "transfer", as sa-purchase.transfer has it
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=15000)
    assert "Передані постійні Ліцензії" in " ".join(results.all_inner_texts())
    assert page.locator(".md-search-result__meta").inner_text() == "Знайдено 3 збігів"


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("90天", "90天内"),  # digits against Han characters, inside a sentence with no spaces
        ("续订", "续订"),  # "renew", a word inside unspaced text
    ],
)
def test_search_in_the_chinese_site_finds_words_inside_unspaced_text(
    page, site_url: str, query: str, found: str
) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{site_url}/zh/2026-11/?q={query}")
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=15000)
    assert found in " ".join(results.all_inner_texts()).replace("\u200b", "")


def test_screenshot_of_a_clause_page_per_language(page, site_url: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for language in ("en", "uk", "ru", "zh"):
        page.goto(f"{site_url}/{language}/2026-11/sa-purchase/#sa-purchase.oem-office")
        page.wait_for_load_state("networkidle")
        target = SCREENSHOTS / f"{language}-sa-purchase.oem-office.png"
        page.screenshot(path=str(target))
        assert target.stat().st_size > 20_000  # a rendered page, not a blank one


def test_a_prose_injection_attempt_runs_no_script(browser, mini: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    section = mini / "sections" / "10-buying.yaml"
    section.write_text(
        section.read_text(encoding="utf-8").replace(
            "This section is about",
            "<script>window.injected = 1</script> <img src=x onerror='window.injected = 2'> About",
        ),
        encoding="utf-8",
    )  # (a javascript: link is refused by validation, E324)
    assert main(["build", str(mini), "--out", str(tmp_path / "out"), "-q"]) == 0
    for url in serve(tmp_path / "out" / "site"):
        page = browser.new_page()
        page.goto(f"{url}/en/2026-01/buying/")
        page.wait_for_load_state("networkidle")
        prose = page.locator("[data-clause='buying.intro'] .terms-prose")
        assert "<script>window.injected = 1</script>" in prose.inner_text()
        assert page.evaluate("window.injected") is None
        page.close()
