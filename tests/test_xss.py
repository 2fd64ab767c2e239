"""Hostile corpus text reaches the site as text: every field carries script payloads, none runs."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from terms_compiler.cli import main
from terms_compiler.emit.markdown import mkdocs_config
from terms_compiler.emit.site import write_docs
from terms_compiler.emit.templates import md_escape
from terms_compiler.pipeline import compile_corpus
from terms_compiler.prose import to_html

# The review's payloads (issue 14), and their single-quote and attribute-list cousins.
PAYLOADS = [
    "</title><script>alert(1)</script>T",
    "<img src=x onerror=alert(1)>",
    "Terms [click](javascript:alert(1))",
    'T" onmouseover="alert(1)',
    "T' onmouseover='alert(1)",
    "T {: onclick=alert(1) } &amp; `code`",
]
# Prose may hold Markdown links; an inline javascript: link is refused by validation (E324), so
# prose carries the reference and autolink forms, which validation does not see.
PROSE_PAYLOAD = "[click][x] <javascript:alert(1)> <vbscript:alert(1)>\n\n[x]: javascript:alert(1)\n"


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _dump(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _each_language(texts: dict[str, Any], payload: str) -> None:
    for language in texts:
        texts[language] = f"{texts[language]} {payload}"


def _in_prose(payload: str) -> str:
    """The payload where the link stage checks links (clause titles and prose), which refuses an
    inline javascript: link (E324)."""
    return payload.replace("](", "] (")


def poison(corpus: Path, payload: str) -> None:
    """Put the payload into every text field of a copy of the mini corpus."""
    data = _load(corpus / "corpus.yaml")
    _each_language(data["title"], payload)
    data["description"] = {language: f"About {payload}" for language in data["languages"]}
    _dump(corpus / "corpus.yaml", data)
    decisions = _load(corpus / "decisions.yaml")
    for enum in decisions["enums"].values():
        for labels in enum["values"].values():
            _each_language(labels, payload)
    for decision in decisions["decisions"].values():
        _each_language(decision["question"], payload)
        for labels in decision["outcomes"].values():
            _each_language(labels, payload)
        for fact in decision["facts"].values():
            _each_language(fact["description"], payload)
    _dump(corpus / "decisions.yaml", decisions)
    glossary = _load(corpus / "glossary.yaml")
    for term in glossary["terms"]:
        for text in term["text"].values():
            text["term"] = f"{text['term']} {payload}"
            text["definition"] = f"{text['definition']} {_in_prose(payload)}\n\n{PROSE_PAYLOAD}"
    _dump(corpus / "glossary.yaml", glossary)
    for path in sorted((corpus / "sections").glob("*.yaml")):
        section = _load(path)
        _each_language(section["title"], payload)
        for clause in section["clauses"]:
            for text in clause["text"].values():
                text["title"] = f"{text['title']} {_in_prose(payload)}"
                text["body"] = f"{text['body']}\n{_in_prose(payload)}\n\n{PROSE_PAYLOAD}"
            for example in clause.get("examples", []):
                example["title"] = f"{example['title']} {payload}"
        _dump(path, section)


def with_previous_edition(corpus: Path, previous: Path) -> None:
    """Give the corpus a previous edition, a copy of it with other wording and another window rule,
    so its What changed page shows redlines and the earlier rule in words, all carrying payloads."""
    shutil.copytree(corpus, previous)
    for path in sorted((previous / "sections").glob("*.yaml")):
        section = _load(path)
        for clause in section["clauses"]:
            for text in clause["text"].values():
                text["body"] = f"Earlier wording.\n{text['body']}"
            if "rule" in clause:
                clause["rule"]["when"] = clause["rule"]["when"].replace(
                    "days(license_date, order_date) >= 0", "0 <= days(license_date, order_date)"
                )
        _dump(path, section)
    data = _load(corpus / "corpus.yaml")
    data["previous_edition"] = str(previous.resolve())
    _dump(corpus / "corpus.yaml", data)


# Fast: the generated sources hold the payloads escaped ------------------------------------------


def _compiled(corpus: Path) -> Any:
    result = compile_corpus(corpus)
    assert result.ok and result.corpus is not None, result
    return result.corpus


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_mkdocs_config_holds_corpus_titles_as_escaped_html(mini: Path, payload: str) -> None:
    # MkDocs and Material put site_name and nav titles into pages as HTML, unescaped.
    poison(mini, payload)
    corpus = _compiled(mini)
    config = yaml.safe_load(yaml.safe_dump(mkdocs_config(corpus, "en"), allow_unicode=True))
    sections = next(items for entry in config["nav"] for items in entry.values() if isinstance(items, list))
    for shown, text in [(config["site_name"], "Mini terms"), (next(iter(sections[0])), "Buying")]:
        assert html.unescape(shown) == f"{text} {payload}"
        assert not set(shown) & set("<>\"'"), shown


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_root_page_and_markdown_headings_hold_the_payload_as_text(
    mini: Path, tmp_path: Path, payload: str
) -> None:
    poison(mini, payload)
    corpus = _compiled(mini)
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    write_docs(corpus, {"clauses": _clauses(corpus)}, bundle, tmp_path / "docs")
    root = (tmp_path / "docs" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in root and "<img src=x" not in root and 'T" on' not in root
    index = (tmp_path / "docs" / "en" / "docs" / "index.md").read_text(encoding="utf-8")
    heading = index.splitlines()[0]
    assert heading == f"# Mini terms {md_escape(payload)}"
    assert not re.search(r"(?<!\\)[<>\"'{}\[\]()]", heading), heading  # only escaped


def _clauses(corpus: Any) -> dict[str, Any]:
    text = {"html": "", "freshness": "current"}
    return {c.id: {"text": dict.fromkeys(corpus.languages, text)} for c in corpus.all_clauses()}


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("Buying", "Buying"),
        (
            "a (b) [c] *d* _e_ `f` #g {h} +i !j |k \\l",
            "a \\(b\\) \\[c\\] \\*d\\* \\_e\\_ \\`f\\` \\#g \\{h\\} \\+i \\!j \\|k \\\\l",
        ),
        ("<img src=x>", "&lt;img src=x&gt;"),
        ("T\" on='x' & y", "T&#34; on=&#39;x&#39; &amp; y"),
        ("two\nlines\r\nhere", "two lines here"),
    ],
)
def test_md_escape_gives_text_for_markdown_then_html(text: str, markdown: str) -> None:
    assert md_escape(text) == markdown


@pytest.mark.parametrize(
    "prose",
    [
        "[x][r]\n\n[r]: javascript:alert(1)",
        "<javascript:alert(1)>",
        "[x][r]\n\n[r]: data:text/html,<script>alert(1)</script>",
        "[x][r]\n\n[r]: ftp://example.com/",
        "<vbscript:alert(1)>",
    ],
)
def test_prose_links_allow_only_safe_schemes(prose: str) -> None:
    assert "href" not in to_html(prose)


@pytest.mark.parametrize(
    "href",
    [
        "https://example.com/",
        "http://example.com/",
        "mailto:a@example.com",
        "../glossary/#x",
        "#a",
        "//example.com/terms",  # protocol-relative: an http(s) link in the page's own scheme
        "java%09script:alert(1)",  # a relative path: a percent sign cannot be in a scheme
    ],
)
def test_prose_links_keep_web_mail_and_relative_targets(href: str) -> None:
    assert f'href="{href}"' in to_html(f"[x][r]\n\n[r]: {href}")


# In Chromium: no dialog opens on any page of the poisoned site --------------------------------

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")

# Every element gets the events a reader's pointer and keyboard give it; a javascript: link is
# followed (so a script in it runs); other links are not, so the page stays.
PROVOKE = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attribute of el.getAttributeNames()) {
      if (attribute.toLowerCase().startsWith("on")) found.push(el.tagName + " " + attribute);
    }
    for (const type of ["mouseover", "mouseenter", "mousemove", "focus", "focusin", "load", "error"]) {
      el.dispatchEvent(new Event(type, {bubbles: true}));
    }
  }
  for (const link of document.querySelectorAll("a[href], area[href]")) {
    if (link.protocol !== "javascript:") continue;
    found.push("javascript: link " + link.getAttribute("href"));
    link.click();
  }
  for (const script of document.querySelectorAll("script")) {
    if (script.textContent.includes("alert(")) found.push("script " + script.textContent);
  }
  return found;
}"""


HOVERED = "h1, h2, .md-header__topic, .md-logo, .md-nav__link, a"
# The middle of the headings, header, navigation and links in view.
CENTRES = """(selector) => [...document.querySelectorAll(selector)]
  .map(el => el.getBoundingClientRect()).filter(r => r.width && r.height && r.top >= 0 && r.top < innerHeight)
  .map(r => [r.left + r.width / 2, r.top + r.height / 2])"""


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_dialog_opens_on_any_page_of_a_poisoned_site(
    browser: Any, mini: Path, tmp_path: Path, payload: str
) -> None:
    from tests.test_browser import serve

    poison(mini, payload)
    with_previous_edition(mini, tmp_path / "previous")
    assert main(["build", str(mini), "--out", str(tmp_path / "out"), "-q"]) == 0
    site = tmp_path / "out" / "site"
    # Every page, but <lang>/, which only leads to the newest edition (it has no text of its own)
    pages = sorted(str(p.relative_to(site).parent).replace(".", "") for p in site.rglob("index.html"))
    pages = [page for page in pages if page not in ("en", "uk")]
    assert len(pages) > 10
    changes = (site / "en" / "2026-01" / "changes" / "index.html").read_text(encoding="utf-8")
    assert "<s>Earlier wording.</s>" in changes and "previously:</p>" in changes  # redlines, old rules
    dialogs: list[str] = []
    problems: list[str] = []
    violations: list[str] = []
    for url in serve(site):
        page = browser.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        # The pages' Content-Security-Policy would block an injected script: it must find none.
        page.on(
            "console",
            lambda message: "Content Security Policy" in message.text and violations.append(message.text),
        )
        for path in [*pages, "en/2026-01/?q=Introduction"]:
            page.goto(f"{url}/{path}/" if path and "?" not in path else f"{url}/{path}")
            page.wait_for_load_state("load")
            if "?q=" in path:  # search results show titles and text of the pages
                page.locator(".md-search-result__item").first.wait_for(timeout=15000)
            for x, y in page.evaluate(CENTRES, HOVERED):  # the pointer passes over them
                page.mouse.move(x, y)
            for x, y in page.evaluate(CENTRES, "h1, .md-header__topic")[:2]:
                page.mouse.click(x, y)
            if path == "en/2026-01/buying":  # and readers see the text as written
                assert page.title() == f"Buying {payload} - Mini terms {payload}"
                assert page.locator("h1").first.inner_text().startswith(f"Buying {payload}")
                # The site's name, beside the edition selector
                assert page.locator(".md-header__topic .md-ellipsis").first.inner_text().strip() == (
                    f"Mini terms {payload}"
                )
                assert page.locator(".md-logo").first.get_attribute("title") == f"Mini terms {payload}"
            if "/decisions/" in path:  # the form's answer, built from the poisoned rules file
                shown_form(page, payload)
            problems += [f"{path}: {found}" for found in page.evaluate(PROVOKE)]
            page.wait_for_timeout(50)
        # A link whose facts carry the payload: shown at their fields, as text.
        page.goto(f"{url}/en/2026-01/decisions/purchase/?{urlencode(dict.fromkeys(FACTS, payload))}")
        page.wait_for_selector(".terms-answer[data-outcome]", timeout=10000)
        assert page.text_content("#fact-program-error") == f"Not one of the listed values: {payload}"
        problems += [f"link with facts: {found}" for found in page.evaluate(PROVOKE)]
        page.close()
    assert dialogs == []
    assert problems == []
    assert violations == []


FACTS = ("program", "license_date", "order_date", "renewal", "as-of")


def shown_form(page: Any, payload: str) -> None:
    """The decision page's "Check your case" shows the poisoned outcome label, fact descriptions,
    enum labels and clause titles as text."""
    page.wait_for_selector("section.terms-check:not([hidden]) .terms-answer[data-outcome]", timeout=10000)
    page.click(".terms-answer-why summary")
    assert payload in page.text_content(".terms-answer-outcome strong")
    assert payload in page.text_content("label[for=fact-program]")
    assert payload in page.text_content("#fact-program option")
    assert _in_prose(payload) in page.text_content(".terms-answer-why a")


def test_the_shipped_site_works_under_its_content_security_policy(browser: Any, shipped_build: Path) -> None:
    from tests.test_browser import serve

    errors: list[str] = []
    for url in serve(shipped_build / "site"):
        page = browser.new_page()
        page.on(
            "console",
            lambda message: "Content Security Policy" in message.text and errors.append(message.text),
        )
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{url}/")
        page.goto(f"{url}/uk/2026-11/?q=передавання")  # search: Material's bundle, its worker, lunr
        page.locator(".md-search-result__item").first.wait_for(timeout=15000)
        page.goto(f"{url}/en/2026-11/sa-purchase/#sa-purchase.transfer")
        assert page.evaluate("typeof __md_get") == "function"  # Material's scope script, as a file
        page.hover(".md-header__option .md-select")
        page.click("a.terms-language-link[hreflang=uk]")  # terms.js keeps the anchor
        page.wait_for_url(f"{url}/uk/2026-11/sa-purchase/#sa-purchase.transfer")
        # An earlier edition: Material's selector and its banner, without its inline script.
        page.goto(f"{url}/uk/2026-10/sa-purchase/")
        page.locator("[data-md-component=outdated]").wait_for(state="visible")
        page.locator(".md-version__current").wait_for()
        page.close()
        assert errors == []
