"""Emit stage (site sources): the linked corpus -> one MkDocs project of Markdown pages per language.

Each language's project is build/docs/<lang>/: mkdocs.yml, the theme overrides and docs/ with its
pages, assets and the compiler's stamp. A page whose bytes are those of the last build's page is
that file, linked, so it keeps its time of writing: `mkdocs build --dirty` renders again only the
pages whose Markdown is newer than their HTML (see terms_compiler.emit.mkdocs_build).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from markupsafe import Markup

from terms_compiler.cache import content_key, fingerprint
from terms_compiler.emit.feed import FEED_ENTRY, feed_entry
from terms_compiler.emit.page_contexts import (
    SCHEMAS,
    changes_context,
    check_form_context,
    clause_context,
    decision_context,
    download_files,
    status_tables,
)
from terms_compiler.emit.templates import TEMPLATES, html_text, language_tag, render, ui
from terms_compiler.model import Corpus
from terms_compiler.prose import format_value, to_html
from terms_compiler.resources import checker_js_folder
from terms_compiler.workers import POOL_FAILURES, forked_pool, worker_count

# lunr has no Ukrainian stemmer; its Russian one covers the whole Cyrillic block, so Ukrainian
# words are indexed and found (stemmed the Russian way, identically for pages and queries).
SEARCH_LANGUAGES = {"en": ["en"], "uk": ["ru"], "ru": ["ru"], "zh": ["zh"]}
# Chinese is written without spaces: Material's search plugin cuts pages into words with jieba
# (a dependency of the build extra), and this separator, Material's own for zh, also splits
# where digits or Latin letters meet Han characters, so a query such as "90天" finds "90天内".
SEARCH_SEPARATORS = {
    "zh": r"[\s\u200b\u3000\-、。，．？！；]+"
    r"|(?<=[0-9A-Za-z])(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])(?=[0-9A-Za-z])"
}
# Beside each language's mkdocs.yml: the compiler that wrote the sources (see build_sites).
BUILT_BY = ".built-by"
# The plugin that makes a dirty build write what a clean one writes (terms_compiler.emit.mkdocs_reuse),
# by its name in pyproject.toml's mkdocs.plugins entry points.
DIRTY_BUILD_PLUGIN = "terms-dirty-build"
CHECKER_JS = checker_js_folder()
# MkDocs hooks, named in mkdocs.base.yml and copied beside each language's mkdocs.yml.
MKDOCS_HOOKS = "mkdocs_hooks.py"


def mkdocs_config(corpus: Corpus, language: str) -> dict[str, Any]:
    s = ui(language)
    config: dict[str, Any] = yaml.safe_load((TEMPLATES / "mkdocs.base.yml").read_text(encoding="utf-8"))
    # MkDocs and Material put site_name, nav titles and (in our alternate.html) the language
    # names into pages unescaped, as HTML: they are written here as HTML.
    config["site_name"] = _html(corpus.title[language])
    # Material names the page's language (<html lang>) by its language partial: zh-Hans is ours
    # (site/overrides/partials/languages/), Material's Chinese strings under the precise tag.
    config["theme"]["language"] = language_tag(language)
    config["extra"] = {
        "alternate": [
            {
                "name": _html(ui(other)["language_name"]),
                "lang": other,
                "tag": language_tag(other),
                "link": f"../../{other}/{corpus.edition}/",
            }
            for other in corpus.languages
        ],
        "edition": corpus.edition,
        # The "in force on" field in the header (overrides/partials/in-force-on.html, terms.js):
        # the site's folder of this language, and the field's strings.
        "language": language,
        "in_force_on": _html(s["in_force_on"]),
        "no_edition_on": _html(s["no_edition_on"]),
        "not_in_effect": _html(s["not_in_effect"]),
        "outdated": _html(s["outdated"]),
        "latest_link": _html(s["latest_link"]),
        # Material's edition selector (the versions.json format mike writes, one per language
        # at <lang>/versions.json, beside the editions: archive.py). Editions other than the
        # one aliased `latest` show the outdated banner (overrides/main.html).
        "version": {"provider": "mike", "default": "latest"},
    }
    if corpus.site_url:  # canonical links and the sitemap, which the selector reads to keep the page
        config["site_url"] = f"{corpus.site_url}{language}/{corpus.edition}/"
    search: dict[str, Any] = {"search": {"lang": SEARCH_LANGUAGES.get(language, ["en"])}}
    if language in SEARCH_SEPARATORS:
        search["search"]["separator"] = SEARCH_SEPARATORS[language]
    config["plugins"] = [search, DIRTY_BUILD_PLUGIN]  # which acts in dirty builds only
    sections = [{_html(section.title[language]): f"{section.id}.md"} for section in corpus.sections]
    config["nav"] = [
        {_html(s["home"]): "index.md"},
        {_html(s["sections"]): sections},
        {
            _html(s["decisions"]): [
                {_html(d.title[language]): f"decisions/{d.id}.md"} for d in corpus.decisions.values()
            ]
        },
        {_html(s["glossary"]): "glossary.md"},
        {_html(s["changes"]): "changes.md"},
        {_html(s["status"]): "status.md"},
        {_html(s["downloads"]): "downloads.md"},
    ]
    return config


def _html(text: str) -> str:
    """html_text as the plain str that YAML's safe dumper writes."""
    return str(html_text(text))


@dataclass(frozen=True)
class LastSources:
    """The MkDocs sources an earlier build wrote: write_language links a section page from
    there instead of rendering it again when its key (section_page_key) is the same, and any
    page whose bytes are the same."""

    docs: Path
    """That build's MkDocs sources (build/docs/)."""
    languages: frozenset[str]
    """The languages whose sources there are as that build wrote them."""
    keys: Container[str]
    """The keys of the section pages that build wrote."""


def _edition_name(side: Any, language: str) -> str:
    """An edition as readers know it, by its label and publication date ("2026-10, 1 October
    2026"), not by the git revision or folder it was read from."""
    if not side.edition_date:
        return str(side.edition)
    return f"{side.edition}, {format_value('date', side.edition_date, language)}"


def section_page_key(language: str, path: str, title: str, clauses: list[dict[str, Any]]) -> str:
    """A section page's file, and everything it is made from besides the compiler (its template
    and the interface strings, which the cache's fingerprint covers): section.md.j2 is given
    exactly these, and Jinja's StrictUndefined fails on anything else it reads."""
    return content_key(language, path, title, repr(clauses))


def fixed_pages(
    corpus: Corpus, language: str, bundle: Mapping[str, Any], changes: Any, published: Sequence[str]
) -> dict[str, str]:
    """The pages of one language besides the section pages, by path under docs/; `published`
    names the bundle's files published beside the site (files/)."""
    common = {"corpus": corpus, "lang": language, "s": ui(language)}
    pages = {
        "index.md": render(
            "pages/index.md.j2",
            **common,
            sections=corpus.sections,
            decisions=list(corpus.decisions.values()),
            bundle_name=f"{corpus.id}.json",
            edition_date=format_value("date", corpus.edition_date, language) if corpus.edition_date else "",
        ),
        "glossary.md": render(
            "pages/glossary.md.j2",
            **common,
            terms=[
                {
                    "id": t.id,
                    "term": t.text[language].term,
                    "html": Markup(to_html(t.text[language].definition)),
                }
                for t in corpus.glossary.values()
            ],
        ),
        "status.md": render(
            "pages/status.md.j2",
            **common,
            languages=corpus.languages,
            **status_tables(corpus, language, bundle),
        ),
        "downloads.md": render(
            "pages/downloads.md.j2", **common, files=download_files(corpus, language, published)
        ),
        "changes.md": render(
            "pages/changes.md.j2",
            **common,
            previous=_edition_name(changes.old, language) if changes else "",
            changes=changes_context(corpus, changes, language),
        ),
    }
    for decision in corpus.decisions.values():
        pages[f"decisions/{decision.id}.md"] = render(
            "pages/decision.md.j2",
            **common,
            **decision_context(corpus, decision, language),
            form=check_form_context(corpus, decision, language),
        )
    return pages


def write_language(
    corpus: Corpus,
    language: str,
    root: Path,
    bundle: Mapping[str, Any],
    changes: Any = None,
    last: LastSources | None = None,
) -> dict[str, bool]:
    """One language's MkDocs sources under root. Returns the key of each section page, and
    whether the page came from the last build."""
    docs = root / "docs"
    (docs / "decisions").mkdir(parents=True)
    last_docs, last_keys = (
        (last.docs / language / "docs", last.keys)
        if last is not None and language in last.languages
        else (None, ())
    )
    published = sorted(path.name for path in (root.parent / "files").iterdir() if path.is_file())
    pages = fixed_pages(corpus, language, bundle, changes, published)
    # A section page's clause contexts take a third of its time and its template the rest: a
    # page whose key the last build wrote is linked from there instead of rendered.
    keys: dict[str, bool] = {}
    for section in corpus.sections:
        path = f"{section.id}.md"
        title = section.title[language]
        clauses = [clause_context(corpus, c, language, bundle) for c in section.clauses]
        key = section_page_key(language, path, title, clauses)
        keys[key] = last_docs is not None and key in last_keys and _linked(last_docs / path, docs / path)
        if not keys[key]:
            pages[path] = render(
                "pages/section.md.j2", lang=language, s=ui(language), title=title, clauses=clauses
            )
    for path, text in pages.items():
        write_page(docs / path, text, None if last_docs is None else last_docs / path)
    (root / "mkdocs.yml").write_text(
        yaml.safe_dump(mkdocs_config(corpus, language), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    (root / BUILT_BY).write_text(fingerprint() + "\n", encoding="utf-8")
    entry = feed_entry(corpus, changes, language)  # the feed itself gathers every edition's (archive.py)
    (root / FEED_ENTRY).write_text(json.dumps(entry, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    shutil.copytree(TEMPLATES / "overrides", root / "overrides")
    shutil.copy2(TEMPLATES / MKDOCS_HOOKS, root / MKDOCS_HOOKS)
    shutil.copytree(TEMPLATES / "assets", docs / "assets")
    # The checker the decision pages answer with, as ES modules the form imports (no CDN); its
    # command line and Node file access stay out.
    shutil.copytree(
        CHECKER_JS, docs / "assets" / "terms-check", ignore=shutil.ignore_patterns("cli.js", "node.js")
    )
    return keys


def write_page(path: Path, text: str, last: Path | None) -> None:
    """Write a page, or link the last build's page when it holds the same bytes: an unchanged
    page keeps its time of writing, which tells `mkdocs build --dirty` that its HTML is current."""
    data = text.encode("utf-8")
    try:
        if last is not None and last.stat().st_size == len(data) and last.read_bytes() == data:
            link_or_copy(str(last), str(path))
            return
    except OSError:  # no such page in the last build, or it cannot be read: write it
        pass
    path.write_bytes(data)


def _linked(last: Path, path: Path) -> bool:
    try:
        link_or_copy(str(last), str(path))
    except OSError:
        return False
    return True


def write_docs(
    corpus: Corpus,
    bundle: Mapping[str, Any],
    bundle_dir: Path,
    out: Path,
    changes: Any = None,
    last: LastSources | None = None,
) -> dict[str, bool]:
    """MkDocs sources for every language under out/<lang>/, the root page, and out/files/ (the
    bundle_dir's files and the schemas, published once for all languages). `bundle` is the bundle
    as written to bundle_dir; `changes` (from terms_compiler.editions.compare) fills each language's
    "What changed" page; `last` has the pages of the last build. Returns the key of each
    section page, and whether it came from the last build."""
    # Each language's pages are independent: in forked workers when there are several, which
    # see the corpus and bundle already in memory (_JOB) instead of being sent them.
    global _JOB
    shutil.copytree(bundle_dir, out / "files", copy_function=link_or_copy)  # the downloads page lists them
    shutil.copytree(SCHEMAS, out / "files" / "schemas")
    keys: dict[str, bool] = {}
    workers = worker_count(len(corpus.languages), worth_from=2)
    if workers:
        _JOB = corpus, bundle, out, changes, last
        try:
            with forked_pool(workers) as pool:
                for written in pool.map(_write_language_job, corpus.languages):
                    keys.update(written)
        except POOL_FAILURES:
            shutil.rmtree(out, ignore_errors=True)  # what a dead worker may have half-written
            workers = 0
        finally:
            _JOB = None
    if not workers:
        for language in corpus.languages:
            keys.update(write_language(corpus, language, out / language, bundle, changes, last))
    (out / "index.html").write_text(
        render(
            "root.html.j2",
            title=corpus.title[corpus.source_language],
            source_language=language_tag(corpus.source_language),
            # Material's own, as each language's site publishes it (no 404 on the root page).
            favicon=f"{corpus.source_language}/{corpus.edition}/assets/images/favicon.png",
            edition=corpus.edition,
            languages=[
                {
                    "code": lang,
                    "tag": language_tag(lang),
                    "name": ui(lang)["language_name"],
                    "title": corpus.title[lang],
                    "choose": ui(lang)["choose_language"],
                }
                for lang in corpus.languages
            ],
        ),
        encoding="utf-8",
    )
    return keys


def link_or_copy(source: str, target: str) -> None:
    """Hard-link a file the build never rewrites in place (a 100 MB bundle costs nothing to
    publish twice); copy it with its times when the file system cannot link."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


_JOB: tuple[Corpus, Mapping[str, Any], Path, Any, LastSources | None] | None = None
"""What write_docs' forked workers write: (corpus, bundle, out, changes, last)."""


def _write_language_job(language: str) -> dict[str, bool]:
    assert _JOB is not None
    corpus, bundle, out, changes, last = _JOB
    return write_language(corpus, language, out / language, bundle, changes, last)
