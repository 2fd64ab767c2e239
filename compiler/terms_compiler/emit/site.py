"""Emit stage (site): the linked corpus -> MkDocs sources per language -> MkDocs builds in parallel.

One MkDocs project per language (build/docs/<lang>/), each with its own search index and a
switcher to the same page in the other languages, plus a root page that picks a language.
Clause prose is the HTML the bundle carries, so the site shows exactly the words tools cite.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Container, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import yaml
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from terms_compiler.cache import content_key, fingerprint
from terms_compiler.diagnostics import CompileError, Diagnostic, SourceSpan
from terms_compiler.emit.bundle import clause_url
from terms_compiler.emit.rule_words import rule_in_words
from terms_compiler.load import display_path
from terms_compiler.model import Clause, Corpus, Decision
from terms_compiler.prose import format_value, to_html
from terms_compiler.resources import schemas_folder, site_folder
from terms_compiler.workers import POOL_FAILURES, forked_pool, worker_count

TEMPLATES = site_folder()
SCHEMAS = schemas_folder()
# lunr has no Ukrainian stemmer; its Russian one covers the whole Cyrillic block, so Ukrainian
# words are indexed and found (stemmed the Russian way, identically for pages and queries).
SEARCH_LANGUAGES = {"en": ["en"], "uk": ["ru"], "ru": ["ru"], "zh": ["zh"]}
# Beside each language's mkdocs.yml: the compiler that wrote the sources (see build_sites).
BUILT_BY = ".built-by"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|])")


def md_escape(text: str) -> str:
    """Text safe in a Markdown heading: special characters backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


@cache
def strings() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = yaml.safe_load((TEMPLATES / "strings.yaml").read_text(encoding="utf-8"))
    return data


def ui(language: str) -> dict[str, str]:
    table = strings()
    return table.get(language, table["en"])


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    return env


def render(template: str, **context: Any) -> str:
    """Render a template of site/; a template error is reported at its file and line."""
    try:
        return environment().get_template(template).render(**context)
    except jinja2.TemplateSyntaxError as error:
        line, message = error.lineno, error.message or str(error)
    except jinja2.TemplateError as error:
        line, message = _template_line(error, template), str(error)
    path = display_path(TEMPLATES / template)
    raise CompileError(
        [Diagnostic("E701", f"template error: {message}", SourceSpan(path, line, 1))]
    ) from None


def _template_line(error: Exception, template: str) -> int:
    """The line of the template in an error's traceback (Jinja maps it onto template lines)."""
    line = 1
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename.endswith(template):
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


# Page contexts ---------------------------------------------------------------------------------


def effective_line(clause: Clause, language: str) -> str:
    s = ui(language)
    start, end = clause.effective.start, clause.effective.end

    def day(value: str) -> str:
        return format_value("date", value, language)

    if start and end:
        return s["in_effect_between"].format(**{"from": day(start), "until": day(end)})
    if start:
        return s["in_effect_from"].format(**{"from": day(start)})
    if end:
        return s["in_effect_until"].format(until=day(end))
    return s["in_effect_always"]


def outcome_label(decision: Decision, outcome: str, language: str) -> str:
    return decision.outcomes.get(outcome, {}).get(language, outcome)


def fact_value(corpus: Corpus, decision: Decision, name: str, value: Any, language: str) -> str:
    fact = decision.facts.get(name)
    if fact is not None and fact.enum is not None:
        return corpus.enums[fact.enum].values.get(value, {}).get(language, str(value))
    if fact is not None and fact.type in ("date", "bool"):
        return format_value(fact.type, value, language)
    return str(value)


def clause_context(
    corpus: Corpus, clause: Clause, language: str, bundle: Mapping[str, Any]
) -> dict[str, Any]:
    s = ui(language)
    # The bundle's HTML and freshness themselves: the site shows exactly what tools read.
    text = bundle["clauses"][clause.id]["text"][language]
    context: dict[str, Any] = {
        "id": clause.id,
        "title": clause.text[language].title,
        "effective": effective_line(clause, language),
        "html": Markup(text["html"]),
        "stale": text["freshness"] == "stale",
        "source_url": f"../../{corpus.source_language}/{clause.section}/#{clause.id}",
        "rule": None,
        "examples": [],
    }
    rule = clause.rule
    if rule is None or rule.condition is None:
        return context
    decision = corpus.decisions[rule.decision]
    context["rule"] = {
        "decision": rule.decision,
        "gives": s["rule_gives"].format(outcome=outcome_label(decision, rule.outcome, language)),
        "words": Markup(rule_in_words(rule.condition, corpus, decision, language)),
        "overrides": [
            {
                "url": "../" + clause_url(corpus, target, language).split("/", 1)[1],
                "title": corpus.clauses[target].text[language].title,
            }
            for target in rule.overrides
        ],
    }
    context["examples"] = [
        {
            "facts": [
                (
                    decision.facts[name].description.get(language, name),
                    fact_value(corpus, decision, name, value, language),
                )
                for name, value in example.facts.items()
                if name in decision.facts
            ],
            "as_of": format_value("date", example.as_of, language) if example.as_of else "",
            "outcome": outcome_label(decision, example.outcome, language),
        }
        for example in clause.examples
    ]
    return context


def decision_context(corpus: Corpus, decision: Decision, language: str) -> dict[str, Any]:
    s = ui(language)
    facts = []
    for fact in decision.facts.values():
        values = (
            [
                {"id": v, "label": labels.get(language, v)}
                for v, labels in corpus.enums[fact.enum].values.items()
            ]
            if fact.enum
            else []
        )
        facts.append(
            {
                "name": fact.name,
                "description": fact.description.get(language, ""),
                "type": s[f"type_{fact.type}"],
                "allowed": values,
                "default": s["required"]
                if fact.required
                else fact_value(corpus, decision, fact.name, fact.default, language),
            }
        )
    as_of = (
        decision.facts[decision.as_of].description.get(language, decision.as_of)
        if decision.as_of
        else s["caller_date"]
    )
    clauses = [
        {
            "id": c.id,
            "title": c.text[language].title,
            "url": "../../" + clause_url(corpus, c.id, language).split("/", 1)[1],
            "outcome": outcome_label(decision, c.rule.outcome, language),
        }
        for c in corpus.all_clauses()
        if c.rule and c.rule.decision == decision.id
    ]
    return {
        "decision": decision,
        "facts": facts,
        "as_of": as_of,
        "clauses": clauses,
        "outcomes": [
            {"id": o, "label": labels.get(language, o), "is_default": o == decision.default}
            for o, labels in decision.outcomes.items()
        ],
        "example_base": [
            (name, fact_value(corpus, decision, name, value, language))
            for name, value in decision.example_base.items()
        ],
    }


def status_tables(
    corpus: Corpus, language: str, bundle: Mapping[str, Any]
) -> dict[str, list[dict[str, Any]]]:
    """The translation status page: counts per language, and the clauses whose translation in
    some language is not up to date (every clause would make the page, in every language, grow
    as clauses x languages, the whole site as clauses x languages squared). The states are the
    bundle's freshness of each text."""
    s = ui(language)
    labels = {
        "source": s["source_language"],
        "current": s["status_current"],
        "stale": s["status_stale"],
        "unrecorded": s["status_unrecorded"],
    }
    counts = {other: dict.fromkeys(labels, 0) for other in corpus.languages}
    rows = []
    for clause in corpus.all_clauses():
        texts = bundle["clauses"][clause.id]["text"]
        states = [texts[other]["freshness"] for other in corpus.languages]
        for other, state in zip(corpus.languages, states, strict=True):
            counts[other][state] += 1
        if any(state in ("stale", "unrecorded") for state in states):
            rows.append(
                {
                    "id": clause.id,
                    "title": clause.text[language].title,
                    "url": "../" + clause_url(corpus, clause.id, language).split("/", 1)[1],
                    "cells": [{"status": state, "label": labels[state]} for state in states],
                }
            )
    summary = [
        {
            "code": other,
            "name": strings()[other]["language_name"] if other in strings() else other,
            "source": other == corpus.source_language,
            **counts[other],
        }
        for other in corpus.languages
    ]
    return {"summary": summary, "rows": rows}


# Writing the sources ---------------------------------------------------------------------------


def mkdocs_config(corpus: Corpus, language: str) -> dict[str, Any]:
    s = ui(language)
    config: dict[str, Any] = yaml.safe_load((TEMPLATES / "mkdocs.base.yml").read_text(encoding="utf-8"))
    config["site_name"] = corpus.title[language]
    config["theme"]["language"] = language
    config["extra"] = {
        "alternate": [
            {"name": ui(other)["language_name"], "lang": other, "link": f"../{other}/"}
            for other in corpus.languages
        ]
    }
    config["plugins"] = [{"search": {"lang": SEARCH_LANGUAGES.get(language, ["en"])}}]
    config["nav"] = [
        {s["home"]: "index.md"},
        {s["sections"]: [{section.title[language]: f"{section.id}.md"} for section in corpus.sections]},
        {s["decisions"]: [{d.id: f"decisions/{d.id}.md"} for d in corpus.decisions.values()]},
        {s["glossary"]: "glossary.md"},
        {s["changes"]: "changes.md"},
        {s["status"]: "status.md"},
        {s["downloads"]: "downloads.md"},
    ]
    return config


def download_files(corpus: Corpus, language: str) -> list[dict[str, str]]:
    s = ui(language)
    name = f"{corpus.id}.json"
    # The files are published once, at the site root (files/), for every language: from
    # <lang>/downloads/ that is two levels up.
    files = [
        {"name": name, "href": f"../../files/{name}", "what": s["bundle_file"]},
        {"name": f"{name}.sha256", "href": f"../../files/{name}.sha256", "what": s["digest_file"]},
        {"name": "conformance.json", "href": "../../files/conformance.json", "what": s["conformance_file"]},
    ]
    files += [
        {"name": p.name, "href": f"../../files/schemas/{p.name}", "what": s["schema_file"]}
        for p in sorted(SCHEMAS.glob("*.json"))
    ]
    return files


MAX_ANSWERS_SHOWN = 10  # situations per decision on the "What changed" page


def changes_context(corpus: Corpus, changes: Any, language: str) -> dict[str, Any] | None:
    """The "What changed" page in one language: clauses with their redlines and the rule in
    words, and the situations whose answer changed, told in sentences."""
    if changes is None:
        return None
    from terms_compiler.editions import redline_text

    s = ui(language)
    inline = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")

    def link(clause_id: str) -> str:
        return "../" + clause_url(corpus, clause_id, language).split("/", 1)[1]

    def title(clause_id: str, titles: Mapping[str, str]) -> str:
        if clause_id in corpus.clauses:
            return corpus.clauses[clause_id].text[language].title
        return titles.get(language) or next(iter(titles.values()), clause_id)

    changed = []
    for clause in changes.changed:
        lines: list[str | Markup] = []
        old_condition = ""
        for change in clause.logic:
            if change.kind == "condition":
                old_condition = str(change.old)
            elif change.kind == "effective":
                lines.append(
                    f"{s['effective_label']} ({change.what}): "
                    f"{change.old or s['effective_open']} → {change.new or s['effective_open']}"
                )
            elif change.kind == "parameters":
                lines.append(f"{s['parameters_label']}: {change.what} {change.old} → {change.new}")
            else:
                lines.append(f"{change.kind}: {change.old or '—'} → {change.new or '—'}")
        for red in clause.redlines:
            if red.language == language and red.body is not None:
                html = inline.renderInline(redline_text(red.body, markdown=True, trim=False))
                lines.append(Markup(f"{escape(s['text_label'])}: {html}"))
        current = corpus.clauses.get(clause.id)
        words = ""
        if old_condition and current and current.rule and current.rule.condition:
            words = Markup(
                rule_in_words(
                    current.rule.condition, corpus, corpus.decisions[current.rule.decision], language
                )
            )
        changed.append(
            {
                "id": clause.id,
                "title": title(clause.id, {}),
                "url": link(clause.id),
                "lines": lines,
                "rule_words": words,
                "old_condition": old_condition,
            }
        )
    return {
        "added": [
            {"id": c.id, "title": title(c.id, c.titles), "url": link(c.id)}
            for c in changes.added
            if c.id in corpus.clauses
        ],
        "removed": [{"id": c.id, "title": title(c.id, c.titles)} for c in changes.removed],
        "changed": changed,
        "answers": [
            answer for behaviour in changes.behaviour for answer in _answers(corpus, behaviour, language)
        ],
    }


def _answers(corpus: Corpus, behaviour: Any, language: str) -> list[dict[str, str]]:
    decision = corpus.decisions.get(behaviour.decision)
    if decision is None:
        return []
    s = ui(language)
    answers = []
    for flip in [f for f in behaviour.flips if f.outcome_changed][:MAX_ANSWERS_SHOWN]:
        case = flip.cases[0]
        shown = [
            f"{decision.facts[name].description.get(language, name)}: "
            f"{fact_value(corpus, decision, name, value, language)}"
            for name, value in case.facts.items()
            if name in decision.facts and behaviour.base.get(name) != value
        ]
        answers.append(
            {
                "sentence": s["answer_changed"].format(
                    question=decision.question[language],
                    facts="; ".join(shown),
                    date=format_value("date", case.new_as_of, language),
                    old=outcome_label(decision, flip.old_outcome, language),
                    new=outcome_label(decision, flip.new_outcome, language),
                ),
                "similar": s["similar"].format(n=len(flip.cases) - 1) if len(flip.cases) > 1 else "",
            }
        )
    return answers


@dataclass(frozen=True)
class LastSources:
    """The section pages an earlier build wrote, which write_language links instead of
    rendering them again when their key (section_page_key) is the same."""

    docs: Path
    """That build's MkDocs sources (build/docs/)."""
    languages: frozenset[str]
    """The languages whose sources there are as that build wrote them."""
    keys: Container[str]
    """The keys of the section pages that build wrote."""


def section_page_key(language: str, path: str, title: str, clauses: list[dict[str, Any]]) -> str:
    """A section page's file, and everything it is made from besides the compiler (its template
    and the interface strings, which the cache's fingerprint covers): section.md.j2 is given
    exactly these, and Jinja's StrictUndefined fails on anything else it reads."""
    return content_key(language, path, title, repr(clauses))


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
    s = ui(language)
    common = {"corpus": corpus, "lang": language, "s": s}
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
        "downloads.md": render("pages/downloads.md.j2", **common, files=download_files(corpus, language)),
        "changes.md": render(
            "pages/changes.md.j2",
            **common,
            previous=corpus.previous_edition,
            changes=changes_context(corpus, changes, language),
        ),
    }
    # A section page's clause contexts take a third of its time and its template the rest: a
    # page whose key the last build wrote is linked from there instead of rendered.
    last_pages, last_keys = (
        (last.docs / language / "docs", last.keys)
        if last is not None and language in last.languages
        else (None, ())
    )
    keys: dict[str, bool] = {}
    for section in corpus.sections:
        path = f"{section.id}.md"
        title = section.title[language]
        clauses = [clause_context(corpus, c, language, bundle) for c in section.clauses]
        key = section_page_key(language, path, title, clauses)
        keys[key] = False
        if last_pages is not None and key in last_keys:
            try:
                link_or_copy(str(last_pages / path), str(docs / path))
                keys[key] = True
                continue
            except OSError:
                pass
        pages[path] = render("pages/section.md.j2", lang=language, s=s, title=title, clauses=clauses)
    for decision in corpus.decisions.values():
        pages[f"decisions/{decision.id}.md"] = render(
            "pages/decision.md.j2", **common, **decision_context(corpus, decision, language)
        )
    for path, text in pages.items():
        (docs / path).write_text(text, encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        yaml.safe_dump(mkdocs_config(corpus, language), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    (root / BUILT_BY).write_text(fingerprint() + "\n", encoding="utf-8")
    shutil.copytree(TEMPLATES / "overrides", root / "overrides")
    shutil.copytree(TEMPLATES / "assets", docs / "assets")
    return keys


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
    "What changed" page; `last` has the section pages of the last build. Returns the key of each
    section page, and whether it came from the last build."""
    # Each language's pages are independent: in forked workers when there are several, which
    # see the corpus and bundle already in memory (_JOB) instead of being sent them.
    global _JOB
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
    shutil.copytree(bundle_dir, out / "files", copy_function=link_or_copy)
    shutil.copytree(SCHEMAS, out / "files" / "schemas")
    (out / "index.html").write_text(
        render(
            "root.html.j2",
            title=corpus.title[corpus.source_language],
            source_language=corpus.source_language,
            languages=[
                {"code": lang, "name": ui(lang)["language_name"], "title": corpus.title[lang]}
                for lang in corpus.languages
            ],
        ),
        encoding="utf-8",
    )
    return keys


def link_or_copy(source: str, target: str) -> None:
    """Hard-link a file the build never rewrites in place (a 100 MB bundle costs nothing to
    publish twice); copy when the file system cannot link."""
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


# Running MkDocs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteBuild:
    """How much of one language's site came from the last build."""

    pages: int
    """Pages in the language's site."""
    pages_reused: int
    """Pages whose HTML came from the last build: all of them when the site was reused whole."""


def build_sites(
    docs: Path,
    site: Path,
    languages: tuple[str, ...],
    previous: Path | None = None,
    reusable: Container[str] = (),
) -> dict[str, SiteBuild]:
    """Build each language's site with MkDocs, in parallel processes.

    `previous` is the output folder of an earlier build (holding docs/ and site/). A language
    in `reusable` (its sources and site there are as that build wrote them) reuses what it can:
    its whole site when its MkDocs sources are byte for byte the same, or its unchanged pages
    when only the Markdown of some pages changed (see terms_compiler.emit.mkdocs_reuse). The sources carry
    the compiler's fingerprint (BUILT_BY), so a new compiler, template or MkDocs version always
    builds afresh."""
    site.mkdir(parents=True)
    shutil.copy(docs / "index.html", site / "index.html")
    shutil.copytree(docs / "files", site / "files", copy_function=link_or_copy)
    changed = {
        language: changed_pages(docs / language, previous / "docs" / language)
        if previous is not None and language in reusable
        else None
        for language in languages
    }
    for language in [language for language in languages if changed[language] == []]:
        assert previous is not None
        shutil.copytree(previous / "site" / language, site / language, copy_function=link_or_copy)

    def mkdocs(language: str) -> None:
        run_mkdocs(
            [language],
            [
                "-m",
                "mkdocs",
                "build",
                "--strict",
                "--quiet",
                "--config-file",
                str(docs / language / "mkdocs.yml"),
                "--site-dir",
                str((site / language).resolve()),
            ],
        )

    def reuse_pages(batch: list[str]) -> None:
        assert previous is not None
        run_mkdocs(
            batch,
            ["-m", "terms_compiler.emit.mkdocs_reuse"],
            json.dumps(
                [
                    {
                        "config_file": str(docs / language / "mkdocs.yml"),
                        "site_dir": str(site / language),
                        "last_site": str(previous / "site" / language),
                        "pages": changed[language],
                    }
                    for language in batch
                ]
            ),
        )

    cores = os.cpu_count() or 1
    partly = [language for language in languages if changed[language]]
    # Languages whose pages are reused share a few processes, each saving the start-up.
    batches = [partly[start::cores] for start in range(min(cores, len(partly)))]
    with ThreadPoolExecutor(max_workers=cores) as pool:
        tasks = [pool.submit(mkdocs, lang) for lang in languages if changed[lang] is None]
        tasks += [pool.submit(reuse_pages, batch) for batch in batches]
        for task in tasks:
            task.result()
    pages = {language: sum(1 for _ in (docs / language / "docs").rglob("*.md")) for language in languages}
    return {
        language: SiteBuild(
            pages[language],
            0 if changed[language] is None else pages[language] - len(changed[language] or []),
        )
        for language in languages
    }


def run_mkdocs(languages: list[str], arguments: list[str], stdin: str | None = None) -> None:
    """Run MkDocs (or terms_compiler.emit.mkdocs_reuse) for these languages; a failure is a CompileError
    naming the language (terms_compiler.emit.mkdocs_reuse prints the mkdocs.yml of the one that failed)."""
    done = subprocess.run(
        [sys.executable, *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    if done.returncode != 0:
        named = Path(done.stdout.strip()).parent.name  # see terms_compiler.emit.mkdocs_reuse
        failed = [named] if named in languages else languages
        tail = (done.stderr or done.stdout).strip().splitlines()[-12:]
        raise CompileError(
            [
                Diagnostic(
                    "E700",
                    f"MkDocs failed to build the {', '.join(map(repr, failed))} "
                    f"site{'s' if len(failed) > 1 else ''}",
                    excerpt=tuple(tail),
                )
            ]
        )


def changed_pages(sources: Path, last: Path) -> list[str] | None:
    """The pages (paths under docs/) whose Markdown differs between one language's MkDocs
    sources and the last build's, when nothing else differs: the same files, with the same
    bytes in each file that is not a page (mkdocs.yml with the navigation and page titles, the
    compiler's stamp, the theme overrides, the assets). None when something else differs."""
    if not last.is_dir():
        return None
    names = sorted(p.relative_to(sources).as_posix() for p in sources.rglob("*") if p.is_file())
    if names != sorted(p.relative_to(last).as_posix() for p in last.rglob("*") if p.is_file()):
        return None
    changed = [name for name in names if not _same_bytes(sources / name, last / name)]
    if not all(name.startswith("docs/") and name.endswith(".md") for name in changed):
        return None
    return [name.removeprefix("docs/") for name in changed]


def _same_bytes(one: Path, other: Path) -> bool:
    """Whether two files hold the same bytes: at once when they are one file (a section page
    linked from the last build) or differ in size."""
    one_stat, other_stat = one.stat(), other.stat()
    if (one_stat.st_ino, one_stat.st_dev) == (other_stat.st_ino, other_stat.st_dev):
        return True
    return one_stat.st_size == other_stat.st_size and one.read_bytes() == other.read_bytes()
