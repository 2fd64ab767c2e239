"""Translation status: `terms status` reports freshness per language; `terms translated` records
that a translation is up to date, editing only the `translates:` hash in the YAML."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from terms_compiler.diagnostics import CompileError, Diagnostic, render_text
from terms_compiler.editions.redline import Op, redline, redline_text
from terms_compiler.freshness import source_hash, translation_status
from terms_compiler.model import Clause, Corpus
from terms_compiler.pipeline import compile_corpus
from terms_compiler.source_history import PastSource, past_sources

STATES = ("current", "stale", "unrecorded", "missing")


def load_model(root: Path) -> Corpus:
    """The model: the pipeline up to the model stage, whose problems do not count (a missing
    translation, which it reports as an error, is just what status is for)."""
    result = compile_corpus(root, until="model")
    if result.corpus is None:
        raise CompileError(list(result.diagnostics))
    return result.corpus


def clause_state(clause: Clause, language: str, source_language: str) -> str:
    if language not in clause.text:
        return "missing"
    return translation_status(clause, language, source_language)


def report(corpus: Corpus) -> dict[str, dict[str, list[str]]]:
    """Per translated language, the clause ids in each state."""
    table: dict[str, dict[str, list[str]]] = {}
    for language in corpus.languages:
        if language == corpus.source_language:
            continue
        table[language] = {state: [] for state in STATES}
        for clause in corpus.all_clauses():
            table[language][clause_state(clause, language, corpus.source_language)].append(clause.id)
    return table


def render_report(corpus: Corpus, table: dict[str, dict[str, list[str]]]) -> str:
    lines = [
        f"{'language':<10}{'up to date':>12}{'stale':>8}{'unrecorded':>12}{'missing':>9}",
        f"{corpus.source_language + ' (source)':<10}{len(corpus.clauses):>12}",
    ]
    for language, states in table.items():
        counts = "".join(f"{len(states[s]):>{w}}" for s, w in zip(STATES, (12, 8, 12, 9), strict=True))
        lines.append(f"{language:<10}{counts}")
    for language, states in table.items():
        for state in ("stale", "missing", "unrecorded"):
            for clause_id in states[state]:
                lines.append(f"  {state:<10} {language}  {clause_id}")
    return "\n".join(lines)


def run_status(args: argparse.Namespace) -> int:
    try:
        corpus = load_model(args.path)
    except CompileError as error:
        print(render_text(error.diagnostics), file=sys.stderr)
        return 1
    table = report(corpus)
    if args.diff is not None:
        return run_diff(corpus, table, args)
    if args.format == "json":
        print(
            json.dumps(
                {"source_language": corpus.source_language, "languages": table}, ensure_ascii=False, indent=2
            )
        )
    else:
        print(render_report(corpus, table))
    behind = any(states[s] for states in table.values() for s in ("stale", "unrecorded", "missing"))
    return 1 if args.strict and behind else 0


# What changed in the source of stale translations ------------------------------------------------


@dataclass(frozen=True, slots=True)
class StaleChange:
    """What changed in a clause's source text since its translation was made."""

    clause: Clause
    translates: str
    """The hash the translation records."""
    past: PastSource | None
    """The source text of that hash, from git; None when it cannot be found."""
    title: tuple[Op, ...] | None
    """The title's redline (old -> current); None when unchanged or not found."""
    body: tuple[Op, ...] | None
    """The prose's redline; None when unchanged or not found."""


def stale_changes(corpus: Corpus, language: str, stale_ids: list[str]) -> tuple[list[StaleChange], str]:
    """The redline of each stale clause's source text, and a note ("" when all were found)."""
    source = corpus.source_language
    stale = [(corpus.clauses[i], corpus.clauses[i].text[language].translates or "") for i in stale_ids]
    past, in_git = past_sources(stale, source)
    changes = []
    for clause, recorded in stale:
        old, new = past.get((clause.id, recorded)), clause.text[source]
        title = redline(old.title, new.title) if old and old.title != new.title else None
        body = redline(old.body, new.body) if old and old.body != new.body else None
        changes.append(StaleChange(clause, recorded, old, title, body))
    note = ""
    if not in_git:
        note = (
            "the corpus is not in a git repository, so the source text a translation was "
            "made from cannot be shown"
        )
    elif any(change.past is None for change in changes):
        note = "a source text not found was never committed in git with the hash its translation records"
    return changes, note


def render_changes(language: str, source: str, changes: list[StaleChange], note: str) -> str:
    if not changes:
        return f"no stale {language} translations"
    lines = []
    for change in changes:
        origin = change.clause.origin.span()
        lines.append(f"{origin.file}:{origin.line}:{origin.column}: {change.clause.id} ({language} is stale)")
        if change.past is None:
            lines.append(f"  the {source} text it translates ({change.translates}) was not found")
            continue
        lines.append(f"  {source} text changed since {change.past.commit[:12]} ({change.translates}):")
        for part, ops in (("title", change.title), ("body", change.body)):
            if ops is not None:
                lines.append(f"  {part}: {redline_text(ops)}")
    if note:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def changes_json(language: str, source: str, changes: list[StaleChange], note: str) -> str:
    def ops(redline_ops: tuple[Op, ...] | None) -> list[list[str]] | None:
        return None if redline_ops is None else [list(op) for op in redline_ops]

    stale = [
        {
            "clause": change.clause.id,
            "translates": change.translates,
            "found_in_commit": change.past.commit if change.past else None,
            "title": ops(change.title),
            "body": ops(change.body),
        }
        for change in changes
    ]
    document = {"language": language, "source_language": source, "stale": stale, "note": note or None}
    return json.dumps(document, ensure_ascii=False, indent=2)


def run_diff(corpus: Corpus, table: dict[str, dict[str, list[str]]], args: argparse.Namespace) -> int:
    language = args.diff
    if language not in table:
        translated = ", ".join(table)
        problem = Diagnostic(
            "E430", f"'{language}' is not a translated language of the corpus ({translated})"
        )
        print(render_text([problem]), file=sys.stderr)
        return 2
    changes, note = stale_changes(corpus, language, table[language]["stale"])
    source = corpus.source_language
    if args.format == "json":
        print(changes_json(language, source, changes, note))
    else:
        print(render_changes(language, source, changes, note))
    return 1 if args.strict and changes else 0


# Recording translations -------------------------------------------------------------------------


def _round_trip() -> Any:
    from ruamel.yaml import YAML  # round-trip: comments, order and block styles are kept

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def record_translations(corpus: Corpus, language: str, clause_ids: Iterable[str]) -> list[str]:
    """Write the current source hash as `translates:` of each clause's translation; returns the
    ids whose hash changed. Files are rewritten only where a value changes."""
    yaml = _round_trip()
    by_file: dict[Path, list[Clause]] = {}
    for clause_id in clause_ids:
        clause = corpus.clauses[clause_id]
        by_file.setdefault(Path(clause.origin.document.path), []).append(clause)
    changed = []
    for path, clauses in by_file.items():
        data = yaml.load(path.read_text(encoding="utf-8"))
        index = {spec["id"]: spec for spec in data["clauses"]}
        touched = False
        for clause in clauses:
            digest = source_hash(clause.text[corpus.source_language])
            block = index[clause.id]["text"][language]
            if block.get("translates") != digest:
                block["translates"] = digest
                changed.append(clause.id)
                touched = True
        if touched:
            with path.open("w", encoding="utf-8") as stream:
                yaml.dump(data, stream)
    return changed


def run_translated(args: argparse.Namespace) -> int:
    try:
        corpus = load_model(args.path)
    except CompileError as error:
        print(render_text(error.diagnostics), file=sys.stderr)
        return 1
    problems = _translated_problems(corpus, args)
    if problems:
        print(render_text(problems), file=sys.stderr)
        return 2
    ids = list(corpus.clauses) if args.all else args.clauses
    ids = [i for i in ids if args.language in corpus.clauses[i].text]
    changed = record_translations(corpus, args.language, ids)
    print(
        f"recorded {len(changed)} {args.language} translation(s) as up to date"
        + (": " + ", ".join(changed) if changed and len(changed) <= 10 else "")
    )
    return 0


def _translated_problems(corpus: Corpus, args: argparse.Namespace) -> list[Diagnostic]:
    problems = []
    if args.language not in corpus.languages or args.language == corpus.source_language:
        problems.append(
            Diagnostic(
                "E430",
                f"'{args.language}' is not a translated language of "
                f"the corpus ({', '.join(corpus.languages[1:])})",
            )
        )
    if not args.all and not args.clauses:
        problems.append(Diagnostic("E430", "name the clauses, or pass --all"))
    for clause_id in args.clauses:
        if clause_id not in corpus.clauses:
            problems.append(Diagnostic("E430", f"unknown clause '{clause_id}'"))
    return problems
