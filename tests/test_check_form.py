""" "Check your case" on the decision pages, in Chromium: every conformance case in every language,
shared links, the language switcher, invalid input at its field, 390 px, and no JavaScript."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml

from tests.conftest import CONFORMANCE

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")

LANGUAGES = ("en", "uk", "ru", "zh")
STRINGS = yaml.safe_load((Path(__file__).parent.parent / "site" / "strings.yaml").read_text(encoding="utf-8"))
# Dates as the ISO texts they are in the corpus's YAML 1.2 reading (PyYAML's would make them dates).
CASES = {
    path.stem: json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8"))["cases"], default=str))
    for path in sorted(CONFORMANCE.glob("*.yaml"))
}

# Set every field as a reader would leave it (each fact of the case, or else its default; the
# as-of date when the case gives one), then one change event, as the last edit of a reader gives.
FILL = """([values, asOf]) => {
  let control = null;
  for (const box of document.querySelectorAll('.terms-field')) {
    const name = box.dataset.asOf ? null : box.dataset.fact;
    control = box.querySelector('input, select');
    const value = name === null ? (asOf ?? '') : values[name];
    if (control.type === 'checkbox') control.checked = value === true;
    else control.value = String(value);
  }
  control.dispatchEvent(new Event('change', {bubbles: true}));
}"""
ANSWER = """() => {
  const output = document.querySelector('.terms-answer');
  return {
    outcome: output.dataset.outcome,
    label: output.querySelector('.terms-answer-outcome strong')?.textContent ?? null,
    deciding: [...output.querySelectorAll('.terms-answer-deciding a')].map(a => [a.dataset.clause, a.href]),
    overridden: [...output.querySelectorAll('li[data-status=overridden] a')].map(a => a.dataset.clause),
    reasons: output.querySelectorAll('.terms-answer-why li').length,
    errors: [...document.querySelectorAll('.terms-field-error')].map(e => e.textContent).filter(Boolean),
  };
}"""


@pytest.fixture(scope="module")
def site(shipped_build: Path) -> Iterator[str]:
    from tests.test_browser import serve

    yield from serve(shipped_build / "site")


@pytest.fixture(scope="module")
def bundle(shipped_bundle: Path) -> Any:
    return json.loads(shipped_bundle.read_bytes())


@pytest.fixture(scope="module")
def page(browser: Any) -> Iterator[Any]:
    """One page for the module: errors in the page's scripts fail the test that caused them."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.errors = []
    opened.on("pageerror", lambda error: opened.errors.append(str(error)))
    yield opened
    context.close()


def open_form(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("section.terms-check:not([hidden]) .terms-answer[data-outcome]", timeout=10000)


def facts_of(bundle: Any, decision: str, facts: dict[str, Any]) -> dict[str, Any]:
    declared = bundle["decisions"][decision]["facts"]
    return {name: facts.get(name, fact.get("default")) for name, fact in declared.items()}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("decision", sorted(CASES))
def test_the_form_answers_every_conformance_case(
    page: Any, site: str, bundle: Any, language: str, decision: str
) -> None:
    open_form(page, f"{site}/{language}/2026-11/decisions/{decision}/")
    labels = bundle["decisions"][decision]["outcomes"]
    wrong = []
    for case in CASES[decision]:
        page.evaluate(FILL, [facts_of(bundle, decision, case["facts"]), case.get("as_of")])
        shown = page.evaluate(ANSWER)
        expected_links = [
            [clause, f"{site}/{bundle['clauses'][clause]['text'][language]['url']}"]
            for clause in case["deciding"]
        ]
        if (
            shown["outcome"] != case["outcome"]
            or shown["label"] != labels[case["outcome"]][language]
            or shown["deciding"] != expected_links
            or ("overridden" in case and shown["overridden"] != case["overridden"])
            or shown["reasons"] < len(bundle["decisions"][decision]["rules"])
            or shown["errors"]
        ):
            wrong.append((case["name"], shown))
    assert wrong == []
    assert page.errors == []


def test_a_reader_fills_the_form_with_the_keyboard_and_mouse_and_the_link_reproduces_it(
    page: Any, browser: Any, site: str
) -> None:
    # Real input events (select, date picker, checkbox, number), not values set by a script.
    case = next(
        c
        for c in CASES["sa-purchase"]
        if c["name"] == "transfer of an earlier version with active SA, day 10"
    )
    open_form(page, f"{site}/uk/2026-11/decisions/sa-purchase/")
    facts = case["facts"]
    page.select_option("#fact-program", facts["program"])
    page.select_option("#fact-channel", facts["channel"])
    page.select_option("#fact-pool", facts["pool"])
    page.fill("#fact-product", facts["product"])
    page.set_checked("#fact-latest_version", facts["latest_version"])
    page.set_checked("#fact-transferor_had_sa", facts["transferor_had_sa"])
    page.fill("#fact-license_date", facts["license_date"])
    page.fill("#fact-order_date", facts["order_date"])
    shown = page.evaluate(ANSWER)
    assert (shown["outcome"], [c for c, _ in shown["deciding"]], shown["overridden"]) == (
        "allowed",
        ["sa-purchase.transfer"],
        ["sa-purchase.latest-version"],
    )
    assert shown["label"] == "дозволено"
    shared = page.url
    assert "order_date=2024-03-11" in shared and "channel=transfer" in shared
    other = browser.new_page()
    open_form(other, shared)
    assert other.evaluate(ANSWER) == shown
    other.close()


def test_the_language_switcher_keeps_the_facts(page: Any, site: str) -> None:
    case = CASES["sa-renewal"][0]
    query = urlencode({k: str(v).lower() if isinstance(v, bool) else v for k, v in case["facts"].items()})
    open_form(page, f"{site}/en/2026-11/decisions/sa-renewal/?{query}")
    english = page.evaluate(ANSWER)
    assert english["outcome"] == case["outcome"]
    page.hover(".md-header__option .md-select")
    page.click("a.terms-language-link[hreflang=zh-Hans]")
    page.wait_for_url(f"{site}/zh/2026-11/decisions/sa-renewal/?{query}")
    page.wait_for_selector(".terms-answer[data-outcome]")
    chinese = page.evaluate(ANSWER)
    assert chinese["outcome"] == english["outcome"]
    assert [c for c, _ in chinese["deciding"]] == [c for c, _ in english["deciding"]]
    assert all(href.startswith(f"{site}/zh/2026-11/") for _, href in chinese["deciding"])
    assert page.input_value("#fact-sa_end_date") == str(case["facts"]["sa_end_date"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_invalid_input_is_shown_at_its_field_not_as_an_error(page: Any, site: str, language: str) -> None:
    s = STRINGS[language]
    open_form(
        page, f"{site}/{language}/2026-11/decisions/sa-renewal/?order_date=2024-02-30&agreement_year=20x1"
    )
    assert page.text_content("#fact-order_date-error") == s["check_invalid_date"]
    assert page.get_attribute("#fact-order_date", "aria-invalid") == "true"
    assert page.text_content("#fact-agreement_year-error") == s["check_invalid_int"]
    assert page.text_content(".terms-answer") == s["check_fix"]
    assert page.evaluate(ANSWER)["outcome"] == ""
    page.fill("#fact-order_date", "2024-06-01")  # corrected by the reader: the errors go
    page.fill("#fact-agreement_year", "2021")
    assert page.evaluate(ANSWER)["errors"] == []
    assert page.evaluate(ANSWER)["outcome"] == "allowed"
    page.fill("#fact-sa_end_date", "")  # a required fact left empty is said to be required
    assert page.text_content("#fact-sa_end_date-error") == s["check_required"]
    assert page.evaluate(ANSWER)["outcome"] == ""
    assert page.errors == []


def test_an_unknown_enum_value_in_a_link_is_shown_at_its_field(page: Any, site: str) -> None:
    open_form(page, f"{site}/en/2026-11/decisions/proof-of-license/?program=open-licence")
    assert page.text_content("#fact-program-error") == "Not one of the listed values: open-licence"
    page.select_option("#fact-program", "open-license")
    assert page.evaluate(ANSWER)["errors"] == []


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_form_fits_390_px_without_scrolling_sideways(browser: Any, site: str, language: str) -> None:
    narrow = browser.new_page(viewport={"width": 390, "height": 844})
    for decision in sorted(CASES):
        open_form(narrow, f"{site}/{language}/2026-11/decisions/{decision}/")
        narrow.click(".terms-answer-why summary")
        assert narrow.evaluate("document.documentElement.scrollWidth") <= 390, decision
        assert narrow.locator("#fact-" + next(iter(CASES[decision][0]["facts"]))).is_visible()
    narrow.close()


def test_without_javascript_the_page_is_the_reference_page(browser: Any, site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    plain = context.new_page()
    plain.goto(f"{site}/en/2026-11/decisions/sa-purchase/")
    assert plain.locator("section.terms-check").is_hidden()
    assert plain.locator("table.terms-facts").is_visible()
    assert "Check your case" not in plain.locator("article").inner_text()
    context.close()


def test_an_altered_rules_file_is_refused_and_the_form_stays_hidden(
    browser: Any, site: str, shipped_build: Path
) -> None:
    # Served as it is except for one byte of the rules file (the gzip copy the page reads): its
    # SHA-256 no longer matches.
    name = "product-terms-sa.rules.proof-of-license.en.json"
    original = (shipped_build / "site" / "files" / "2026-11" / name).read_bytes()
    altered = gzip.compress(original.replace(b"open-license", b"open-licenze", 1))
    context = browser.new_context()
    warnings: list[str] = []
    plain = context.new_page()
    plain.on("console", lambda message: warnings.append(message.text))
    plain.route(f"**/files/2026-11/{name}.gz", lambda route: route.fulfill(body=altered))
    plain.goto(f"{site}/en/2026-11/decisions/proof-of-license/")
    plain.wait_for_function("() => [...document.scripts].length > 0 && document.readyState === 'complete'")
    plain.wait_for_timeout(500)
    assert plain.locator("section.terms-check").is_hidden()
    assert any("SHA-256" in warning for warning in warnings), warnings
    context.close()


def test_the_page_loads_only_its_decisions_rules_compressed_and_the_checker(browser: Any, site: str) -> None:
    context = browser.new_context()
    loaded: list[str] = []
    opened = context.new_page()
    opened.on("request", lambda request: loaded.append(request.url.removeprefix(site)))
    open_form(opened, f"{site}/ru/2026-11/decisions/sa-renewal/")
    context.close()
    files = sorted(url for url in loaded if url.startswith("/files/"))
    assert files == [
        "/files/2026-11/product-terms-sa.rules.sa-renewal.ru.json.gz",
        "/files/2026-11/product-terms-sa.rules.sa-renewal.ru.json.sha256",
    ]
    assert (
        "/ru/2026-11/assets/terms-check/index.js" in loaded
        and "/ru/2026-11/assets/terms-check/cli.js" not in loaded
    )
