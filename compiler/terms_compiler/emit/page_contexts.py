"""Emit stage (page contexts): what each page template of site/pages/ is given, in one language."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from terms_compiler.editions.redline import Op, redline, redline_text
from terms_compiler.emit.bundle import clause_page, rules_file_name
from terms_compiler.emit.rule_words import rule_in_words
from terms_compiler.emit.templates import html_text, plural, strings, ui
from terms_compiler.model import Clause, Corpus, Decision
from terms_compiler.prose import SafeLinksMarkdown, format_value
from terms_compiler.resources import schemas_folder
from terms_compiler.source_history import past_sources

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


def feedback_url(corpus: Corpus, clause: Clause, language: str) -> str | None:
    """The corpus's feedback address for this clause: its placeholders filled with URL-encoded
    values (by replace, not str.format: a URL's own braces stay as they are); a mailto: address
    without placeholders gets a subject and a body. corpus.schema.json admits https: and mailto:
    addresses only, so a link from here can never run script."""
    if not corpus.feedback:
        return None
    title = clause.text[language].title
    values = {"clause": clause.id, "edition": corpus.edition, "language": language, "title": title}
    url = corpus.feedback
    if url.startswith("mailto:") and not any("{" + key + "}" in url for key in values):
        subject = f"{corpus.id} {corpus.edition}: {clause.id} ({language})"
        body = f"{title}\n{clause.id}, edition {corpus.edition}, language {language}\n\n"
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}subject={quote(subject, safe='')}&body={quote(body, safe='')}"
    for key, value in values.items():
        url = url.replace("{" + key + "}", quote(value, safe=""))
    return url


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
        # The same days as ISO dates (both included), for terms.js to mark the clause on ?on=<day>.
        "effective_from": clause.effective.start,
        "effective_until": clause.effective.end,
        "html": Markup(text["html"]),
        "stale": text["freshness"] == "stale",
        "source_url": f"../../../{corpus.source_language}/{corpus.edition}/{clause_page(corpus, clause.id)}",
        "feedback_url": feedback_url(corpus, clause, language),
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
                "url": "../" + clause_page(corpus, target),
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
                "pattern": fact.pattern,
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
            "url": "../../" + clause_page(corpus, c.id),
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
        "rules": f"{corpus.edition}/{rules_file_name(corpus.id, decision.id, language)}",  # in files/
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
    stale: list[tuple[Clause, str, str]] = []  # clause, language, the source hash it records
    for clause in corpus.all_clauses():
        texts = bundle["clauses"][clause.id]["text"]
        states = [texts[other]["freshness"] for other in corpus.languages]
        for other, state in zip(corpus.languages, states, strict=True):
            counts[other][state] += 1
            if state == "stale":
                stale.append((clause, other, clause.text[other].translates or ""))
        if any(state in ("stale", "unrecorded") for state in states):
            rows.append(
                {
                    "id": clause.id,
                    "title": clause.text[language].title,
                    "url": "../" + clause_page(corpus, clause.id),
                    "cells": [{"status": state, "label": labels[state]} for state in states],
                    "changes": [],
                }
            )
    _add_source_changes(corpus, language, rows, stale)
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


def _add_source_changes(
    corpus: Corpus, language: str, rows: list[dict[str, Any]], stale: list[tuple[Clause, str, str]]
) -> None:
    """Under each clause with stale translations, the redline of its source text since each
    was made (found in git by the hash it records; nothing when it cannot be found)."""
    if not stale:
        return
    source = corpus.source_language
    found, _ = past_sources([(clause, recorded) for clause, _, recorded in stale], source)
    by_text: dict[tuple[str, str], list[str]] = {}  # translations made from the same text
    for clause, other, recorded in stale:
        if (clause.id, recorded) in found:
            by_text.setdefault((clause.id, recorded), []).append(other)
    s = ui(language)
    for row in rows:
        for (clause_id, recorded), languages in by_text.items():
            if clause_id != row["id"]:
                continue
            old, new = found[(clause_id, recorded)], corpus.clauses[clause_id].text[source]
            lines = [s["status_source_changed"].format(languages=", ".join(languages))]
            lines += [
                redline_html(redline(a, b))
                for a, b in ((old.title, new.title), (old.body, new.body))
                if a != b
            ]
            row["changes"].append([html_text(lines[0]), *lines[1:]])


def redline_html(ops: Sequence[Op], trim: bool = True) -> Markup:
    """A redline as HTML: deletions struck through, insertions in bold, every text escaped by
    markdown-it (redline_text escapes the Markdown it must not read)."""
    inline = SafeLinksMarkdown("commonmark", {"html": False}).enable("strikethrough")
    return Markup(inline.renderInline(redline_text(ops, markdown=True, trim=trim)))


def download_files(corpus: Corpus, language: str, published: Sequence[str]) -> list[dict[str, str]]:
    """The downloads page's files: the bundle's files that are published (a corpus without
    conformance cases has no conformance.json; only a signed build has the signature and the
    public key, a JWKS), then the schemas."""
    s = ui(language)
    name = f"{corpus.id}.json"
    # Each edition's files are published once for every language, at files/<edition>/: from
    # <lang>/<edition>/downloads/ the site root is three levels up.
    described = {
        name: s["bundle_file"],
        f"{name}.sha256": s["digest_file"],
        "conformance.json": s["conformance_file"],
        f"{name}.signatures.json": s["signature_file"],
        f"{corpus.id}.jwks.json": s["public_key_file"],
    }
    files = [
        {"name": file, "href": f"../../../files/{corpus.edition}/{file}", "what": what}
        for file, what in described.items()
        if file in published
    ]
    files += [
        {
            "name": p.name,
            "href": f"../../../files/{corpus.edition}/schemas/{p.name}",
            "what": s["schema_file"],
        }
        for p in sorted(SCHEMAS.glob("*.json"))
    ]
    return files


def changes_context(corpus: Corpus, changes: Any, language: str) -> dict[str, Any] | None:
    """The "What changed" page in one language: clauses with their redlines and the rule in
    words, and the situations whose answer changed, told in sentences."""
    if changes is None:
        return None
    s = ui(language)

    def link(clause_id: str) -> str:
        return "../" + clause_page(corpus, clause_id)

    def title(clause_id: str, titles: Mapping[str, str]) -> str:
        if clause_id in corpus.clauses:
            return corpus.clauses[clause_id].text[language].title
        return titles.get(language) or next(iter(titles.values()), clause_id)

    changed = []
    for clause in changes.changed:
        lines: list[str | Markup] = []
        for change in clause.logic:
            if change.kind == "condition":
                pass  # shown below in words, the earlier rule beside the current one
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
                html = redline_html(red.body, trim=False)
                lines.append(Markup(f"{html_text(s['text_label'])}: {html}"))
        current = corpus.clauses.get(clause.id)
        words = earlier_words = Markup("")
        if clause.old_rule and current and current.rule and current.rule.condition:
            decision = corpus.decisions[current.rule.decision]
            words = rule_in_words(current.rule.condition, corpus, decision, language)
            # The earlier rule in the same words; facts or values it names that the current
            # corpus no longer has are shown by their ids.
            earlier_decision = corpus.decisions.get(clause.old_rule.decision, decision)
            earlier_words = rule_in_words(clause.old_rule.data["when"], corpus, earlier_decision, language)
        changed.append(
            {
                "id": clause.id,
                "title": title(clause.id, {}),
                "url": link(clause.id),
                "lines": lines,
                "rule_words": words,
                "earlier_words": earlier_words,
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
