"""Emit stage (page contexts): what each page template of site/pages/ is given, in one language."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from terms_compiler.emit.bundle import clause_url, rules_file_name
from terms_compiler.emit.rule_words import rule_in_words
from terms_compiler.emit.templates import html_text, plural, strings, ui
from terms_compiler.model import Clause, Corpus, Decision
from terms_compiler.prose import SafeLinksMarkdown, format_value
from terms_compiler.resources import schemas_folder

SCHEMAS = schemas_folder()
MAX_ANSWERS_SHOWN = 10  # situations per decision on the "What changed" page


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
        "words": rule_in_words(rule.condition, corpus, decision, language),
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


CHECK_STRINGS = (
    "check_outcome",
    "check_as_of_shown",
    "check_deciding",
    "check_no_rule",
    "check_why",
    "check_conflict",
    "check_fix",
    "check_required",
    "check_invalid_date",
    "check_invalid_int",
    "check_invalid_value",
    "check_invalid_bool",
    "check_share",
)


def check_form_context(corpus: Corpus, decision: Decision, language: str) -> dict[str, Any]:
    """The decision page's "Check your case" form: a field per fact, prefilled from the example
    base (else the fact's default), the rules file it answers from, and the interface strings
    site/assets/terms-form.js shows (as one JSON text in an attribute: data, never script)."""
    s = ui(language)
    fields = []
    for fact in decision.facts.values():
        value = decision.example_base.get(fact.name, fact.default)
        fields.append(
            {
                "name": fact.name,
                "type": fact.type,
                "label": fact.description.get(language, fact.name),
                "required": fact.required,
                "value": "" if value is None else str(value).lower() if fact.type == "bool" else str(value),
                "options": [
                    {"id": v, "label": labels.get(language, v)}
                    for v, labels in corpus.enums[fact.enum].values.items()
                ]
                if fact.enum
                else [],
            }
        )
    return {
        "rules": rules_file_name(corpus.id, decision.id, language),
        "fields": fields,
        # The caller's as-of date comes before the decision's date fact (docs/semantics.md).
        "as_of_label": s["check_as_of_fact"].format(
            fact=decision.facts[decision.as_of].description.get(language, decision.as_of)
        )
        if decision.as_of
        else s["check_as_of"],
        "strings": json.dumps({key: s[key] for key in CHECK_STRINGS}, ensure_ascii=False, sort_keys=True),
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


def download_files(corpus: Corpus, language: str, published: Sequence[str]) -> list[dict[str, str]]:
    """The downloads page's files: the bundle's files that are published (a corpus without
    conformance cases has no conformance.json; only a signed build has the signature and the
    public key, a JWKS), then the schemas."""
    s = ui(language)
    name = f"{corpus.id}.json"
    # The files are published once, at the site root (files/), for every language: from
    # <lang>/downloads/ that is two levels up.
    described = {
        name: s["bundle_file"],
        f"{name}.sha256": s["digest_file"],
        "conformance.json": s["conformance_file"],
        f"{name}.signatures.json": s["signature_file"],
        f"{corpus.id}.jwks.json": s["public_key_file"],
    }
    files = [
        {"name": file, "href": f"../../files/{file}", "what": what}
        for file, what in described.items()
        if file in published
    ]
    files += [
        {"name": p.name, "href": f"../../files/schemas/{p.name}", "what": s["schema_file"]}
        for p in sorted(SCHEMAS.glob("*.json"))
    ]
    return files


def changes_context(corpus: Corpus, changes: Any, language: str) -> dict[str, Any] | None:
    """The "What changed" page in one language: clauses with their redlines and the rule in
    words, and the situations whose answer changed, told in sentences."""
    if changes is None:
        return None
    from terms_compiler.editions.redline import redline_text

    s = ui(language)
    inline = SafeLinksMarkdown("commonmark", {"html": False}).enable("strikethrough")

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
                lines.append(Markup(f"{html_text(s['text_label'])}: {html}"))
        current = corpus.clauses.get(clause.id)
        words = ""
        if old_condition and current and current.rule and current.rule.condition:
            words = rule_in_words(
                current.rule.condition, corpus, corpus.decisions[current.rule.decision], language
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
                "similar": plural(s, "similar", len(flip.cases) - 1) if len(flip.cases) > 1 else "",
            }
        )
    return answers
