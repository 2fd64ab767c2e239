"""The generated site: golden Markdown and config, no broken internal link, no raw placeholder."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
from terms_compiler.emit.bundle import build_bundle, canonical_json
from terms_compiler.emit.site import write_docs
from terms_compiler.pipeline import compile_corpus

from tests.conftest import MINI_CORPUS


def test_golden_markdown_and_mkdocs_config_of_the_mini_corpus(
    golden,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(MINI_CORPUS.parent)
    result = compile_corpus(Path("mini"))
    assert result.ok and result.corpus is not None
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    data = build_bundle(result.corpus, None)
    (bundle / "mini-terms.json").write_bytes(canonical_json(data))
    (bundle / "mini-terms.json.sha256").write_text("0" * 64 + "  mini-terms.json\n", encoding="utf-8")
    write_docs(result.corpus, data, bundle, tmp_path / "docs")  # no conformance cases: none listed
    generated = sorted(
        p
        for p in (tmp_path / "docs").rglob("*")
        if p.suffix in (".md", ".yml", ".html") and "overrides" not in p.parts
    )
    names = [str(p.relative_to(tmp_path / "docs")) for p in generated]
    assert "en/mkdocs.yml" in names and "uk/docs/buying.md" in names
    for path, name in zip(generated, names, strict=True):
        golden(f"mini-site/{name}", path.read_text(encoding="utf-8"))


class _Links(HTMLParser):
    """Links, ids and the text a reader sees (outside scripts and styles) of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.hidden += tag in ("script", "style")
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag in ("a", "link") and values.get("href"):
            self.hrefs.append(str(values["href"]))
        self.text.extend(str(v) for k, v in attrs if k in ("title", "alt", "aria-label") and v)

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.text.append(data)


def parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def target_file(page: Path, href: str) -> Path:
    path = (page.parent / unquote(urlparse(href).path)).resolve()
    return path / "index.html" if path.is_dir() else path


def test_no_internal_link_or_anchor_in_the_built_site_is_broken(shipped_build: Path) -> None:
    site = shipped_build / "site"
    # 404.html is served from any path, so MkDocs gives it root-absolute links by design.
    pages = sorted(p for p in site.rglob("*.html") if p.name != "404.html")
    parsed = {page.resolve(): parse(page) for page in pages}
    broken = []
    checked = 0
    for page, links in parsed.items():
        for href in links.hrefs:
            if urlparse(href).scheme or href.startswith(("//", "mailto:")):
                continue
            url, fragment = urldefrag(href)
            target = target_file(page, url) if url else page
            checked += 1
            if not target.exists():
                broken.append(f"{page.relative_to(site.resolve())}: {href} (no such file)")
            elif (
                fragment
                and target.suffix == ".html"
                and unquote(fragment) not in parsed[target.resolve()].ids
            ):
                broken.append(f"{page.relative_to(site.resolve())}: {href} (no such anchor)")
    assert checked > 1000
    assert broken == []


def test_every_clause_has_its_id_as_anchor_in_every_language(
    shipped_build: Path, shipped_bundle: Path
) -> None:
    bundle = json.loads(shipped_bundle.read_text(encoding="utf-8"))
    for clause_id, clause in bundle["clauses"].items():
        for language, text in clause["text"].items():
            page, anchor = text["url"].split("#")
            assert anchor == clause_id
            assert clause_id in parse(shipped_build / "site" / page / "index.html").ids, (language, clause_id)


def test_no_unrendered_placeholder_anywhere_in_the_built_site(shipped_build: Path) -> None:
    site = shipped_build / "site"
    texts = {str(p.relative_to(site)): " ".join(parse(p).text) for p in site.rglob("*.html")}
    for index in site.glob("*/*/search/search_index.json"):
        docs = json.loads(index.read_text(encoding="utf-8"))["docs"]
        texts[str(index.relative_to(site))] = " ".join(d["title"] + " " + d["text"] for d in docs)
    assert len(texts) > 50
    leftovers = [
        f"{name}: {m.group()}"
        for name, text in texts.items()
        for m in re.finditer(r"\{\{|\}\}|\{%|%\}", text)
    ]
    assert leftovers == []


def test_the_site_shows_exactly_the_prose_the_bundle_cites(shipped_build: Path, shipped_bundle: Path) -> None:
    clause = json.loads(shipped_bundle.read_text(encoding="utf-8"))["clauses"]["sa-purchase.transfer"]
    for language in ("en", "zh"):
        html = (shipped_build / "site" / language / "2026-11" / "sa-purchase" / "index.html").read_text(
            encoding="utf-8"
        )
        assert clause["text"][language]["html"].strip() in html


def test_every_language_site_has_its_own_search_index_and_the_downloads_are_published_once(
    shipped_build: Path,
) -> None:
    for language in ("en", "uk", "ru", "zh"):
        for edition in ("2026-11", "2026-10"):
            root = shipped_build / "site" / language / edition
            assert (root / "search" / "search_index.json").exists()
            assert not (root / "files").exists()  # one copy at the root, not one per language
    for name in (
        "product-terms-sa.json",
        "product-terms-sa.json.sha256",
        "conformance.json",
        "schemas/bundle.schema.json",
    ):
        published = shipped_build / "site" / "files" / "2026-11" / name
        assert (
            published.read_bytes() == (shipped_build / "bundle" / name).read_bytes()
            if "/" not in name
            else published.exists()
        ), name
    root_page = (shipped_build / "site" / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{lang}/2026-11/"' in root_page for lang in ("en", "uk", "ru", "zh"))


def test_status_page_counts_each_language_and_lists_only_the_clauses_to_update(shipped_build: Path) -> None:
    html = (shipped_build / "site" / "en" / "2026-11" / "status" / "index.html").read_text(encoding="utf-8")
    # The shipped corpus records all 27 translations of every clause as made from today's source.
    for code in ("uk", "ru", "zh"):
        assert re.search(rf"<code>{code}</code></td>(<td[^>]*>(\d+)</td>){{3}}</tr>", html), code
        cells = re.search(rf"<code>{code}</code></td>(.*?)</tr>", html)
        assert cells and re.findall(r">(\d+)</td>", cells[1]) == ["27", "0", "0"], code
    assert "Every translation is up to date." in html
    assert 'class="terms-status-stale"' not in html and "terms-status-unrecorded" not in html


def test_a_template_error_in_a_language_worker_is_reported_at_its_template_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from terms_compiler.diagnostics import CompileError
    from terms_compiler.emit import templates

    result = compile_corpus(MINI_CORPUS)
    assert result.corpus is not None
    bundle_dir = tmp_path / "bundle"
    bundle_dir.mkdir()
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})  # two workers
    monkeypatch.setattr(templates, "TEMPLATES", tmp_path / "site")
    templates.environment.cache_clear()
    shutil.copytree(MINI_CORPUS.parent.parent.parent / "site", tmp_path / "site")
    (tmp_path / "site/pages/glossary.md.j2").write_text("# {{ s.glossary }\n", encoding="utf-8")
    try:
        with pytest.raises(CompileError) as raised:
            write_docs(result.corpus, build_bundle(result.corpus, None), bundle_dir, tmp_path / "docs")
    finally:
        templates.environment.cache_clear()
    [problem] = {(d.code, d.span.file, d.span.line) for d in raised.value.diagnostics if d.span}
    assert problem[0] == "E701" and problem[1].endswith("site/pages/glossary.md.j2") and problem[2] == 1, (
        problem
    )


def test_a_stale_translation_carries_the_notice_on_its_page_and_the_status_page_lists_it(
    mini: Path, run_terms, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    assert run_terms("translated", "uk", "--all")[0] == 0
    section = mini / "sections" / "10-buying.yaml"
    text = section.read_text(encoding="utf-8")
    section.write_text(
        text.replace("This section is about buying", "This section covers buying"), encoding="utf-8"
    )
    result = compile_corpus(mini)
    assert result.corpus is not None
    bundle_dir = tmp_path / "bundle"
    bundle_dir.mkdir()
    write_docs(result.corpus, build_bundle(result.corpus, None), bundle_dir, tmp_path / "docs")
    uk = (tmp_path / "docs/uk/docs/buying.md").read_text(encoding="utf-8")
    notices = re.findall(
        r'data-clause="([^"]+)">\n<p class="terms-meta">.*\n<div class="admonition '
        r'warning terms-stale">',
        uk,
    )
    assert notices == ["buying.intro"]
    assert "terms-stale" not in (tmp_path / "docs/en/docs/buying.md").read_text(encoding="utf-8")
    status = (tmp_path / "docs/en/docs/status.md").read_text(encoding="utf-8")
    assert status.count('class="terms-status-stale"') == 1 and "<code>buying.<wbr>intro</code>" in status


@pytest.mark.parametrize(
    ("feedback", "expected"),
    [
        (
            "https://tracker.example/new?title={title}%20({clause})&labels=terms,{language}&edition={edition}",
            "https://tracker.example/new?title=Select%20%D0%B7%D0%B0%D0%BA%D1%80%D0%B8%D1%82%D0%BE%20(buying.select-closed)"
            "&amp;labels=terms,uk&amp;edition=2026-01",
        ),
        (
            "mailto:terms@example.com",
            "mailto:terms@example.com?subject=mini-terms%202026-01%3A%20buying.select-closed%20%28uk%29"
            "&amp;body=Select%20%D0%B7%D0%B0%D0%BA%D1%80%D0%B8%D1%82%D0%BE%0Abuying.select-closed",
        ),
    ],
)
def test_each_clause_offers_to_report_a_problem_prefilled_with_its_id_edition_and_language(
    mini: Path, run_terms, tmp_path: Path, feedback: str, expected: str
) -> None:  # type: ignore[no-untyped-def]
    corpus = mini / "corpus.yaml"
    corpus.write_text(corpus.read_text(encoding="utf-8") + f"feedback: '{feedback}'\n", encoding="utf-8")
    code, _, _ = run_terms("build", "terms", "--out", str(tmp_path / "out"), "-q")
    assert code == 0
    page = (tmp_path / "out" / "site" / "uk" / "2026-01" / "buying" / "index.html").read_text(
        encoding="utf-8"
    )
    links = re.findall(r'<p class="terms-feedback"><a href="([^"]*)" rel="noopener">([^<]*)</a>', page)
    assert len(links) == page.count('class="terms-clause"') == 3  # every clause of the section
    assert {text for _, text in links} == {"Повідомити про проблему з цим пунктом"}
    assert any(href.startswith(expected) for href, _ in links), links


def test_a_feedback_address_that_is_not_https_or_mailto_is_refused(mini: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    corpus = mini / "corpus.yaml"
    corpus.write_text(
        corpus.read_text(encoding="utf-8") + "feedback: 'javascript:alert(1)'\n", encoding="utf-8"
    )
    code, out, _ = run_terms("validate", "terms")
    assert code == 1
    assert "terms/corpus.yaml:" in out and "feedback" in out and "error[" in out, out


def test_a_decision_page_shows_the_pattern_of_a_string_fact(shipped_build: Path) -> None:
    for language in ("en", "zh"):
        page = (
            shipped_build
            / "site"
            / language
            / "2026-11"
            / "decisions"
            / "regional-availability"
            / "index.html"
        ).read_text(encoding="utf-8")
        row = next(line for line in page.splitlines() if '"><code>country</code></td>' in line)  # the table
        assert "<code>[A-Z]{2}</code>" in row
