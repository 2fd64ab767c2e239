"""Comparing two editions: clauses added, removed and changed, decisions, glossary, behaviour."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from terms_compiler.editions.edition import Edition
from terms_compiler.editions.probe import Behaviour, behaviour
from terms_compiler.editions.redline import Redline, clause_redline


@dataclass(frozen=True, slots=True)
class Change:
    """One logic change: kind (condition, parameters, ...), what it is about, old and new.
    old is None for something added, new is None for something removed."""

    kind: str
    what: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class ClauseInfo:
    """An added or removed clause."""

    id: str
    section: str
    titles: Mapping[str, str]
    rule: str | None
    """The rule in one line (decision: outcome when condition), if any."""


@dataclass(frozen=True, slots=True)
class ClauseChange:
    id: str
    kinds: tuple[str, ...]
    """section, rule, decision, condition, parameters, outcome, overrides, effective, prose:<lang>."""
    logic: tuple[Change, ...]
    redlines: tuple[Redline, ...]


@dataclass(frozen=True, slots=True)
class DecisionChange:
    id: str
    status: str
    """added, removed or changed."""
    changes: tuple[Change, ...]
    """kinds: question, facts, outcomes, default, as_of."""

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.kind for c in self.changes)) or (self.status,)


@dataclass(frozen=True, slots=True)
class TermChange:
    id: str
    status: str
    languages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Side:
    label: str
    kind: str
    corpus: str
    edition: str
    edition_date: str | None
    revision: str | None


@dataclass(frozen=True, slots=True)
class Changes:
    old: Side
    new: Side
    languages: tuple[str, ...]
    """Every language of either edition (new's order first)."""
    languages_added: tuple[str, ...]
    languages_removed: tuple[str, ...]
    added: tuple[ClauseInfo, ...]
    removed: tuple[ClauseInfo, ...]
    changed: tuple[ClauseChange, ...]
    decisions: tuple[DecisionChange, ...]
    glossary: tuple[TermChange, ...]
    behaviour: tuple[Behaviour, ...]

    @property
    def flips(self) -> int:
        """Fact sets answered differently, across decisions."""
        return sum(b.fact_sets for b in self.behaviour)

    @property
    def empty(self) -> bool:
        return not (
            self.languages_added
            or self.languages_removed
            or self.added
            or self.removed
            or self.changed
            or self.decisions
            or self.glossary
            or self.flips
        )


def compare(old: Edition, new: Edition) -> Changes:
    """Everything that differs between two editions."""
    ob, nb = old.bundle, new.bundle
    old_langs, new_langs = list(ob.get("languages", [])), list(nb.get("languages", []))
    languages = tuple(dict.fromkeys([*new_langs, *old_langs]))
    old_rules, new_rules = _rules_by_clause(ob), _rules_by_clause(nb)
    old_clauses, new_clauses = ob["clauses"], nb["clauses"]
    added = tuple(
        _clause_info(cid, new_clauses[cid], new_rules.get(cid))
        for cid in new_clauses
        if cid not in old_clauses
    )
    removed = tuple(
        _clause_info(cid, old_clauses[cid], old_rules.get(cid))
        for cid in old_clauses
        if cid not in new_clauses
    )
    changed = []
    for cid in new_clauses:
        if cid in old_clauses:
            change = _clause_change(
                cid, old_clauses[cid], new_clauses[cid], old_rules.get(cid), new_rules.get(cid), languages
            )
            if change is not None:
                changed.append(change)
    return Changes(
        _side(old),
        _side(new),
        languages,
        tuple(lang for lang in new_langs if lang not in old_langs),
        tuple(lang for lang in old_langs if lang not in new_langs),
        added,
        removed,
        tuple(changed),
        _decision_changes(ob, nb, languages),
        _glossary_changes(ob.get("glossary", {}), nb.get("glossary", {}), languages),
        behaviour(old, new),
    )


def _side(edition: Edition) -> Side:
    data = edition.bundle
    return Side(
        edition.label,
        edition.kind,
        str(data.get("corpus", "")),
        str(data.get("edition", "")),
        data.get("edition_date"),
        edition.revision,
    )


def _rules_by_clause(bundle: Mapping[str, Any]) -> dict[str, tuple[str, Mapping[str, Any]]]:
    return {
        rule["clause"]: (decision_id, rule)
        for decision_id, spec in bundle["decisions"].items()
        for rule in spec["rules"]
    }


def _rule_line(decision: str, rule: Mapping[str, Any]) -> str:
    return f"{decision}: {rule['outcome']} when {rule.get('source') or _source_of(rule['when'])}"


def _clause_info(
    cid: str, clause: Mapping[str, Any], rule: tuple[str, Mapping[str, Any]] | None
) -> ClauseInfo:
    titles = {lang: str(text.get("title", "")) for lang, text in clause.get("text", {}).items()}
    return ClauseInfo(cid, str(clause.get("section", "")), titles, _rule_line(*rule) if rule else None)


def _clause_change(
    cid: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    old_rule: tuple[str, Mapping[str, Any]] | None,
    new_rule: tuple[str, Mapping[str, Any]] | None,
    languages: Sequence[str],
) -> ClauseChange | None:
    logic: list[Change] = []
    if old.get("section") != new.get("section"):
        logic.append(Change("section", "", old.get("section"), new.get("section")))
    if old_rule is None and new_rule is not None:
        logic.append(Change("rule", "", None, _rule_line(*new_rule)))
    elif old_rule is not None and new_rule is None:
        logic.append(Change("rule", "", _rule_line(*old_rule), None))
    elif old_rule is not None and new_rule is not None:
        logic.extend(_rule_changes(old_rule, new_rule))
    old_effective, new_effective = old.get("effective") or {}, new.get("effective") or {}
    for bound in ("from", "until"):
        if old_effective.get(bound) != new_effective.get(bound):
            logic.append(Change("effective", bound, old_effective.get(bound), new_effective.get(bound)))
    redlines = []
    for language in languages:
        redline = clause_redline(
            old.get("text", {}).get(language), new.get("text", {}).get(language), language
        )
        if redline is not None:
            redlines.append(redline)
    kinds = [*dict.fromkeys(c.kind for c in logic), *(f"prose:{r.language}" for r in redlines)]
    if not kinds:
        return None
    return ClauseChange(cid, tuple(kinds), tuple(logic), tuple(redlines))


def _rule_changes(old: tuple[str, Mapping[str, Any]], new: tuple[str, Mapping[str, Any]]) -> list[Change]:
    (old_decision, old_rule), (new_decision, new_rule) = old, new
    changes = []
    if old_decision != new_decision:
        changes.append(Change("decision", "", old_decision, new_decision))
    if _shape(old_rule["when"]) != _shape(new_rule["when"]):
        changes.append(
            Change(
                "condition",
                "",
                old_rule.get("source") or _source_of(old_rule["when"]),
                new_rule.get("source") or _source_of(new_rule["when"]),
            )
        )
    old_params, new_params = old_rule.get("parameters", {}), new_rule.get("parameters", {})
    for name in dict.fromkeys([*old_params, *new_params]):
        before, after = old_params.get(name), new_params.get(name)
        if before != after:
            changes.append(
                Change("parameters", name, before and before.get("value"), after and after.get("value"))
            )
    if old_rule["outcome"] != new_rule["outcome"]:
        changes.append(Change("outcome", "", old_rule["outcome"], new_rule["outcome"]))
    old_overrides, new_overrides = list(old_rule.get("overrides", [])), list(new_rule.get("overrides", []))
    changes.extend(
        Change("overrides", clause, clause, None) for clause in old_overrides if clause not in new_overrides
    )
    changes.extend(
        Change("overrides", clause, None, clause) for clause in new_overrides if clause not in old_overrides
    )
    return changes


def _shape(node: Any) -> Any:
    """A condition AST with parameter values left out: a parameter change is not a condition
    change (it is reported under parameters)."""
    if isinstance(node, dict):
        if node.get("op") == "param":
            return {"op": "param", "name": node.get("name"), "type": node.get("type")}
        return {key: _shape(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_shape(item) for item in node]
    return node


def _source_of(node: Mapping[str, Any]) -> str:
    """The condition in the condition language, for bundles without `source`."""
    op = node["op"]
    if op in ("fact", "param"):
        return str(node["name"])
    if op == "const":
        value = node["value"]
        if isinstance(value, bool):
            return "true" if value else "false"
        return json.dumps(value) if node["type"] == "string" else str(value)
    if op in ("and", "or"):
        return "(" + f" {op} ".join(_source_of(arg) for arg in node["args"]) + ")"
    if op == "not":
        inner = node["arg"]
        if inner["op"] == "in":
            return (
                f"{_source_of(inner['value'])} not in [{', '.join(_source_of(o) for o in inner['options'])}]"
            )
        return f"not {_source_of(inner)}"
    if op == "in":
        return f"{_source_of(node['value'])} in [{', '.join(_source_of(o) for o in node['options'])}]"
    if op == "days":
        return f"days({_source_of(node['args'][0])}, {_source_of(node['args'][1])})"
    return f"{_source_of(node['left'])} {op} {_source_of(node['right'])}"


def _decision_changes(
    ob: Mapping[str, Any], nb: Mapping[str, Any], languages: Sequence[str]
) -> tuple[DecisionChange, ...]:
    old, new = ob["decisions"], nb["decisions"]
    result = [DecisionChange(d, "added", ()) for d in new if d not in old]
    result += [DecisionChange(d, "removed", ()) for d in old if d not in new]
    for decision_id in new:
        if decision_id not in old:
            continue
        before, after = old[decision_id], new[decision_id]
        changes: list[Change] = []
        for language in languages:
            q_old, q_new = before.get("question", {}).get(language), after.get("question", {}).get(language)
            if q_old != q_new:
                changes.append(Change("question", language, q_old, q_new))
        old_facts, new_facts = before.get("facts", {}), after.get("facts", {})
        for name in dict.fromkeys([*old_facts, *new_facts]):
            if name not in new_facts:
                changes.append(Change("facts", name, _fact_type(old_facts[name]), None))
            elif name not in old_facts:
                changes.append(Change("facts", name, None, _fact_type(new_facts[name])))
            else:
                changes.extend(_fact_changes(name, old_facts[name], new_facts[name]))
        old_outcomes, new_outcomes = before.get("outcomes", {}), after.get("outcomes", {})
        changes.extend(Change("outcomes", o, o, None) for o in old_outcomes if o not in new_outcomes)
        changes.extend(Change("outcomes", o, None, o) for o in new_outcomes if o not in old_outcomes)
        for key in ("default", "as_of"):
            if before.get(key) != after.get(key):
                changes.append(Change(key, "", before.get(key), after.get(key)))
        if changes:
            result.append(DecisionChange(decision_id, "changed", tuple(changes)))
    return tuple(result)


def _fact_type(fact: Mapping[str, Any]) -> str:
    kind = str(fact.get("type"))
    if kind == "enum" and fact.get("enum"):
        kind = f"enum:{fact['enum']}"
    return kind if "default" not in fact else f"{kind} = {show_value(fact['default'])}"


def _fact_changes(name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    changes = []
    if (old.get("type"), old.get("enum")) != (new.get("type"), new.get("enum")):
        changes.append(Change("facts", f"{name} type", _fact_type(old), _fact_type(new)))
    elif old.get("values") != new.get("values"):
        old_values, new_values = list(old.get("values", [])), list(new.get("values", []))
        changes.extend(Change("facts", f"{name} value", v, None) for v in old_values if v not in new_values)
        changes.extend(Change("facts", f"{name} value", None, v) for v in new_values if v not in old_values)
    if old.get("default") != new.get("default") or ("default" in old) != ("default" in new):
        changes.append(Change("facts", f"{name} default", old.get("default"), new.get("default")))
    return changes


def _glossary_changes(
    old: Mapping[str, Any], new: Mapping[str, Any], languages: Sequence[str]
) -> tuple[TermChange, ...]:
    result = [TermChange(t, "added") for t in new if t not in old]
    result += [TermChange(t, "removed") for t in old if t not in new]
    for term in new:
        if term in old:
            differ = tuple(
                lang
                for lang in languages
                if _term_words(old[term].get(lang)) != _term_words(new[term].get(lang))
            )
            if differ:
                result.append(TermChange(term, "changed", differ))
    return tuple(result)


def _term_words(text: Any) -> Any:
    return None if not isinstance(text, dict) else (text.get("term"), text.get("definition"))


def show_value(value: Any) -> str:
    """A JSON value as reports write it: true, null, a bare word, a quoted text, [a, b]."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return value if re.fullmatch(r"[\w.@/+-]+", value) else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    return str(value)
