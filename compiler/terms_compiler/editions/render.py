"""Rendering changes: as text, Markdown or JSON, and the summary the bundle and tools carry."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from terms_compiler.editions.compare import Change, Changes, ClauseInfo, Side, show_value
from terms_compiler.editions.probe import MAX_FACT_SETS, Case, Flip
from terms_compiler.editions.redline import Op, md_escape, redline_text

FORMATS = ("text", "markdown", "json")
JSON_WIDTH = 120
"""Objects and arrays that fit in this many characters are written on one line in JSON."""
MAX_LISTED = 20
"""Fact sets listed per decision in text and Markdown (JSON lists them all)."""


def changes_summary(changes: Changes) -> dict[str, Any]:
    """What tools need to know to re-check: clause ids with their kinds of change, decisions
    with theirs, and how many fact sets now answer differently."""
    return {
        "added": [c.id for c in changes.added],
        "removed": [c.id for c in changes.removed],
        "changed": {c.id: list(c.kinds) for c in changes.changed},
        "decisions": {d.id: list(d.kinds) for d in changes.decisions},
        "glossary": {t.id: t.status for t in changes.glossary},
        "behaviour": changes.flips,
    }


def render(changes: Changes, fmt: str, language: str | None = None) -> str:
    """The changes as text, Markdown or JSON; with a language, only its redlines (and, for added
    and removed clauses, its titles). No trailing newline."""
    if fmt == "json":
        return dump_json(_to_json(changes, language))
    if fmt == "markdown":
        return "\n".join(_markdown(changes, language)).rstrip("\n")
    if fmt == "text":
        return "\n".join(_text(changes, language))
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _shown_facts(facts: Mapping[str, Any], base: Mapping[str, Any]) -> str:
    parts = [f"{k}: {show_value(v)}" for k, v in facts.items() if k not in base or base[k] != v]
    parts += [f"{k}: (default)" for k in base if k not in facts]
    return "{" + ", ".join(parts) + "}" if parts else "(the base facts)"


def _side_line(side: Side) -> str:
    kind = {"folder": "corpus folder", "corpus": "corpus", "bundle": "bundle", "git": "git revision"}.get(
        side.kind, side.kind
    )
    where = f"{kind} {side.revision[:12]}" if side.kind == "git" and side.revision else kind
    return f"{side.corpus}, edition {side.edition} ({where})"


def _title(info: ClauseInfo, language: str | None, languages: Sequence[str]) -> str:
    for lang in (language, *languages):
        if lang and info.titles.get(lang):
            return info.titles[lang]
    return ""


def _change_words(change: Change) -> str:
    """One logic change in words (text and Markdown alike, without markup)."""
    if change.kind == "parameters":
        if change.old is None:
            return f"parameters: {change.what} added ({show_value(change.new)})"
        if change.new is None:
            return f"parameters: {change.what} removed (was {show_value(change.old)})"
        return f"parameters: {change.what} {show_value(change.old)} -> {show_value(change.new)}"
    if change.kind == "overrides":
        return f"overrides: {'+' if change.old is None else '-'} {change.what}"
    if change.kind == "effective":
        return (
            f"effective {change.what}: {show_value(change.old) if change.old else 'open'} -> "
            f"{show_value(change.new) if change.new else 'open'}"
        )
    if change.old is None:
        return f"{change.kind} added: {change.new}"
    if change.new is None:
        return f"{change.kind} removed: {change.old}"
    if change.kind == "condition":
        return f"condition: {change.old}\n{' ' * 8}-> {change.new}"
    return f"{change.kind}: {show_value(change.old)} -> {show_value(change.new)}"


def _decision_words(change: Change) -> str:
    if change.kind == "question":
        return f"question [{change.what}]: {show_value(change.old)} -> {show_value(change.new)}"
    if change.kind == "outcomes":
        return f"outcome {change.what} {'added' if change.old is None else 'removed'}"
    if change.kind == "facts":
        if change.what.endswith(" value"):
            sign = "+" if change.old is None else "-"
            return f"fact {change.what}s: {sign} {change.new if change.old is None else change.old}"
        if change.old is None:
            return f"fact {change.what} added ({change.new})"
        if change.new is None and " " not in change.what:
            return f"fact {change.what} removed (was {change.old})"
        return f"fact {change.what}: {show_value(change.old)} -> {show_value(change.new)}"
    return _change_words(change)


def _deciding(clauses: Sequence[str], overridden: Sequence[str] = ()) -> str:
    beaten = f" over {', '.join(overridden)}" if overridden else ""
    return (", ".join(clauses) or "no rule") + beaten


def _answers(flip: Flip) -> str:
    old = _deciding(flip.old_deciding, flip.old_overridden)
    new = _deciding(flip.new_deciding, flip.new_overridden)
    return f"{flip.old_outcome} -> {flip.new_outcome} ({old if old == new else f'{old} -> {new}'})"


def _as_of(case: Case) -> str:
    return case.new_as_of if case.old_as_of == case.new_as_of else f"{case.old_as_of} -> {case.new_as_of}"


def _origin(case: Case) -> str:
    return f" [{case.source}: {case.name}]" if case.source != "generated" and case.name else ""


def _alike(count: int) -> str:
    return f" (+{count - 1} alike)" if count > 1 else ""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def _behaviour_headline(changes: Changes) -> str:
    compared = sum(b.compared for b in changes.behaviour)
    situations = sum(len(b.flips) for b in changes.behaviour)
    return (
        f"{_plural(changes.flips, 'fact set')} answer{'s' * (changes.flips == 1)} "
        f"differently, in {_plural(situations, 'situation')} ({compared} compared in "
        f"{_plural(len(changes.behaviour), 'decision')} whose logic changed)"
    )


def _text(changes: Changes, language: str | None) -> list[str]:
    lines = [
        f"terms diff {changes.old.label} -> {changes.new.label}",
        f"  old: {_side_line(changes.old)}",
        f"  new: {_side_line(changes.new)}",
    ]
    if changes.languages_added or changes.languages_removed:
        lines.append(
            "languages: "
            + ", ".join(
                [*(f"+ {x}" for x in changes.languages_added), *(f"- {x}" for x in changes.languages_removed)]
            )
        )
    lines.append(
        f"clauses: {len(changes.added)} added, {len(changes.removed)} removed, {len(changes.changed)} changed"
    )
    for info in changes.added:
        lines.append(f"+ {info.id}  ({info.section}: {_title(info, language, changes.languages)})")
        if info.rule:
            lines.append(f"    rule: {info.rule}")
    for info in changes.removed:
        lines.append(f"- {info.id}  ({info.section}: {_title(info, language, changes.languages)})")
        if info.rule:
            lines.append(f"    rule: {info.rule}")
    for clause in changes.changed:
        lines.append(f"~ {clause.id}  [{', '.join(clause.kinds)}]")
        lines.extend("    " + _change_words(change).replace("\n", "\n    ") for change in clause.logic)
        for red in clause.redlines:
            if language and red.language != language:
                continue
            if red.title is not None:
                lines.append(f"    title [{red.language}]: {redline_text(red.title)}")
            if red.body is not None:
                lines.append(f"    prose [{red.language}]: {redline_text(red.body)}")
    if changes.decisions:
        lines.append(f"decisions: {len(changes.decisions)} changed")
        for decision in changes.decisions:
            sign = {"added": "+", "removed": "-"}.get(decision.status, "~")
            lines.append(f"{sign} {decision.id}")
            lines.extend(
                "    " + _decision_words(change).replace("\n", "\n    ") for change in decision.changes
            )
    if changes.glossary:
        lines.append(f"glossary: {len(changes.glossary)} changed")
        for term in changes.glossary:
            sign = {"added": "+", "removed": "-"}.get(term.status, "~")
            langs = f"  [{', '.join(term.languages)}]" if term.languages else ""
            lines.append(f"{sign} {term.id}{langs}")
    lines.append(f"behaviour: {_behaviour_headline(changes)}")
    for behaviour in changes.behaviour:
        capped = f", stopped at {MAX_FACT_SETS}" if behaviour.capped else ""
        lines.append(
            f"  {behaviour.decision}: {_plural(behaviour.fact_sets, 'fact set')} of "
            f"{behaviour.compared}{capped}; facts not shown are as in "
            f"{_shown_facts(behaviour.base, {})}"
        )
        for index, flip in enumerate(behaviour.flips[:MAX_LISTED]):
            if not flip.outcome_changed and (index == 0 or behaviour.flips[index - 1].outcome_changed):
                lines.append("    same outcome, other deciding clauses:")
            case = flip.cases[0]
            lines.append(
                f"    {_shown_facts(case.facts, behaviour.base)}, as of {_as_of(case)}: "
                f"{_answers(flip)}{_origin(case)}{_alike(len(flip.cases))}"
            )
        if len(behaviour.flips) > MAX_LISTED:
            rest = behaviour.flips[MAX_LISTED:]
            lines.append(
                f"    ... and {_plural(len(rest), 'more situation')} "
                f"({_plural(sum(len(f.cases) for f in rest), 'fact set')})"
            )
        if behaviour.unmatched:
            count = sum(len(u.cases) for u in behaviour.unmatched)
            lines.append(f"    not comparable: {_plural(count, 'fact set')} only one edition accepts")
            for item in behaviour.unmatched:
                case = item.cases[0]
                lines.append(
                    f"      {_shown_facts(case.facts, behaviour.base)}{_origin(case)}"
                    f"{_alike(len(item.cases))}: {item.side} refuses: {item.problem}"
                )
    return lines


def _md(text: str) -> str:
    return md_escape(text)


def _arrows(text: str) -> str:
    return re.sub(r"\s*\n\s*-> | -> ", " → ", text)


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else f"`` {text} ``"


def _cell(text: str) -> str:
    return md_escape(text).replace("\n", " ")


def _markdown(changes: Changes, language: str | None) -> list[str]:
    lines = [
        f"# What changed: {_md(changes.old.label)} → {_md(changes.new.label)}",
        "",
        f"- Old: {_md(_side_line(changes.old))}",
        f"- New: {_md(_side_line(changes.new))}",
    ]
    if changes.languages_added or changes.languages_removed:
        languages = [
            *(f"+ {x}" for x in changes.languages_added),
            *(f"- {x}" for x in changes.languages_removed),
        ]
        lines.append(f"- Languages: {', '.join(languages)}")
    lines += [
        "",
        f"Clauses: {len(changes.added)} added, {len(changes.removed)} removed, "
        f"{len(changes.changed)} changed.",
        "",
    ]
    for heading, infos in (("Added clauses", changes.added), ("Removed clauses", changes.removed)):
        if not infos:
            continue
        lines += [f"## {heading}", ""]
        for info in infos:
            lines.append(
                f"- {_code(info.id)} ({_md(info.section)}): {_md(_title(info, language, changes.languages))}"
            )
            if info.rule:
                lines.append(f"    - rule: {_code(info.rule)}")
        lines.append("")
    if changes.changed:
        lines += ["## Changed clauses", ""]
        for clause in changes.changed:
            lines += [f"### {_code(clause.id)}", "", f"Changes: {', '.join(clause.kinds)}", ""]
            for change in clause.logic:
                if change.kind == "condition":
                    lines.append(f"- condition: {_code(str(change.old))} → {_code(str(change.new))}")
                else:
                    lines.append(f"- {_md(_arrows(_change_words(change)))}")
            for red in clause.redlines:
                if language and red.language != language:
                    continue
                if red.title is not None:
                    lines.append(f"- title ({red.language}): {redline_text(red.title, markdown=True)}")
                if red.body is not None:
                    lines.append(f"- prose ({red.language}): {redline_text(red.body, markdown=True)}")
            lines.append("")
    if changes.decisions:
        lines += ["## Decisions", ""]
        for decision in changes.decisions:
            lines.append(f"- {_code(decision.id)}: {decision.status}")
            lines += [f"    - {_md(_arrows(_decision_words(change)))}" for change in decision.changes]
        lines.append("")
    if changes.glossary:
        lines += ["## Glossary", ""]
        lines += [
            f"- {_code(t.id)}: {t.status}{' (' + ', '.join(t.languages) + ')' if t.languages else ''}"
            for t in changes.glossary
        ]
        lines.append("")
    lines += [
        "## Behaviour",
        "",
        _md(_behaviour_headline(changes)[:1].upper() + _behaviour_headline(changes)[1:]) + ".",
        "",
    ]
    for behaviour in changes.behaviour:
        capped = f" (stopped at {MAX_FACT_SETS})" if behaviour.capped else ""
        lines += [
            f"### {_code(behaviour.decision)}",
            "",
            f"{_plural(behaviour.fact_sets, 'fact set')} of {behaviour.compared}{capped} "
            f"answer differently. Facts not shown are as in "
            f"{_code(_shown_facts(behaviour.base, {}))}.",
            "",
        ]
        if behaviour.flips:
            lines += ["| Facts | As of | Old | New | Alike |", "|---|---|---|---|---|"]
            for flip in behaviour.flips[:MAX_LISTED]:
                case = flip.cases[0]
                old = f"{flip.old_outcome} ({_deciding(flip.old_deciding, flip.old_overridden)})"
                new = f"{flip.new_outcome} ({_deciding(flip.new_deciding, flip.new_overridden)})"
                facts = _code(_shown_facts(case.facts, behaviour.base)).replace("|", "\\|") + _cell(
                    _origin(case)
                )
                lines.append(
                    f"| {facts} | {_as_of(case)} | {_cell(old)} | {_cell(new)} | {len(flip.cases) - 1} |"
                )
            lines.append("")
            if len(behaviour.flips) > MAX_LISTED:
                rest = behaviour.flips[MAX_LISTED:]
                lines += [
                    f"… and {_plural(len(rest), 'more situation')} "
                    f"({_plural(sum(len(f.cases) for f in rest), 'fact set')}).",
                    "",
                ]
        if behaviour.unmatched:
            count = sum(len(u.cases) for u in behaviour.unmatched)
            lines += [f"Not comparable: {_plural(count, 'fact set')} only one edition accepts.", ""]
            for item in behaviour.unmatched:
                case = item.cases[0]
                lines.append(
                    f"- {_cell(_shown_facts(case.facts, behaviour.base) + _origin(case))}"
                    f"{_alike(len(item.cases))}: {item.side} refuses: {_cell(item.problem)}"
                )
            lines.append("")
    return lines


def dump_json(value: Any, indent: str = "") -> str:
    """JSON indented by two spaces, except that an object or array that fits on one line
    (within JSON_WIDTH characters) is written on one line: fact sets stay readable."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, dict | list) or not value or len(indent) + len(flat) <= JSON_WIDTH:
        return flat
    inner = indent + "  "
    if isinstance(value, dict):
        items = [
            f"{inner}{json.dumps(k, ensure_ascii=False)}: {dump_json(v, inner).lstrip()}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    items = [inner + dump_json(v, inner).lstrip() for v in value]
    return "[\n" + ",\n".join(items) + f"\n{indent}]"


def _ops_json(ops: Sequence[Op] | None) -> list[dict[str, str]] | None:
    if ops is None:
        return None
    names = {"=": "equal", "-": "delete", "+": "insert"}
    return [{"op": names[op], "text": text} for op, text in ops]


def _change_json(change: Change) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": change.kind}
    if change.what:
        entry["what"] = change.what
    entry.update(old=change.old, new=change.new)
    return entry


def _case_json(case: Case) -> dict[str, Any]:
    entry: dict[str, Any] = {"facts": dict(case.facts), "as_of": case.as_of}
    if case.old_as_of == case.new_as_of or not (case.old_as_of and case.new_as_of):
        entry["answered_as_of"] = case.new_as_of or case.old_as_of
    else:
        entry["answered_as_of"] = {"old": case.old_as_of, "new": case.new_as_of}
    entry["source"] = case.source
    if case.name:
        entry["name"] = case.name
    return entry


def _to_json(changes: Changes, language: str | None) -> dict[str, Any]:
    def side(s: Side) -> dict[str, Any]:
        return {
            "label": s.label,
            "kind": s.kind,
            "corpus": s.corpus,
            "edition": s.edition,
            "edition_date": s.edition_date,
            "revision": s.revision,
        }

    def info(i: ClauseInfo) -> dict[str, Any]:
        titles = {k: v for k, v in i.titles.items() if not language or k == language}
        return {"id": i.id, "section": i.section, "titles": titles, "rule": i.rule}

    return {
        "old": side(changes.old),
        "new": side(changes.new),
        "summary": changes_summary(changes),
        "languages": {"added": list(changes.languages_added), "removed": list(changes.languages_removed)},
        "clauses": {
            "added": [info(i) for i in changes.added],
            "removed": [info(i) for i in changes.removed],
            "changed": [
                {
                    "id": c.id,
                    "kinds": list(c.kinds),
                    "logic": [_change_json(change) for change in c.logic],
                    "prose": {
                        r.language: {"title": _ops_json(r.title), "body": _ops_json(r.body)}
                        for r in c.redlines
                        if not language or r.language == language
                    },
                }
                for c in changes.changed
            ],
        },
        "decisions": [
            {"id": d.id, "status": d.status, "changes": [_change_json(change) for change in d.changes]}
            for d in changes.decisions
        ],
        "glossary": [
            {"id": t.id, "status": t.status, "languages": list(t.languages)} for t in changes.glossary
        ],
        "behaviour": [
            {
                "decision": b.decision,
                "base": dict(b.base),
                "compared": b.compared,
                "capped": b.capped,
                "fact_sets": b.fact_sets,
                "situations": [
                    {
                        "old": {
                            "outcome": f.old_outcome,
                            "deciding": list(f.old_deciding),
                            "overridden": list(f.old_overridden),
                        },
                        "new": {
                            "outcome": f.new_outcome,
                            "deciding": list(f.new_deciding),
                            "overridden": list(f.new_overridden),
                        },
                        "fact_sets": [_case_json(case) for case in f.cases],
                    }
                    for f in b.flips
                ],
                "not_comparable": [
                    {
                        "refused_by": u.side,
                        "problem": u.problem,
                        "fact_sets": [_case_json(case) for case in u.cases],
                    }
                    for u in b.unmatched
                ],
            }
            for b in changes.behaviour
        ],
    }
