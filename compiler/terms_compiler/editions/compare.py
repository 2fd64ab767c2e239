"""Comparing two editions: clauses added, removed and changed, decisions, glossary, behaviour."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from terms_compiler.check.rules import (
    Arithmetic,
    BoolOp,
    Compare,
    Const,
    Days,
    Expr,
    Fact,
    Membership,
    Not,
    Param,
    Rule,
    read_rule,
    walk,
)
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
class StatedRule:
    """A clause's rule in an edition, read once."""

    decision: str
    rule: Rule
    data: Mapping[str, Any]
    """The rule as the bundle gives it, for what the reader leaves out: its source text and its
    parameters."""


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
    old_rule: StatedRule | None = None
    """The earlier rule, when its condition changed: the site shows it in words."""


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


def _rules_by_clause(bundle: Mapping[str, Any]) -> dict[str, StatedRule]:
    """Every rule of the bundle, by its clause; a malformed one raises RuleError (the loader
    refuses such a bundle before it gets here)."""
    stated = (
        StatedRule(decision_id, read_rule(rule, f"decisions.{decision_id}.rules[{index}]"), rule)
        for decision_id, spec in bundle["decisions"].items()
        for index, rule in enumerate(spec["rules"])
    )
    return {found.rule.clause: found for found in stated}


def _rule_line(stated: StatedRule) -> str:
    return f"{stated.decision}: {stated.rule.outcome} when {_condition_text(stated)}"


def _condition_text(stated: StatedRule) -> Any:
    """The condition as the bundle's `source` gives it, or in the condition language."""
    return stated.data.get("source") or _source_of(stated.rule.when)


def _clause_info(cid: str, clause: Mapping[str, Any], rule: StatedRule | None) -> ClauseInfo:
    titles = {lang: str(text.get("title", "")) for lang, text in clause.get("text", {}).items()}
    return ClauseInfo(cid, str(clause.get("section", "")), titles, _rule_line(rule) if rule else None)


def _clause_change(
    cid: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    old_rule: StatedRule | None,
    new_rule: StatedRule | None,
    languages: Sequence[str],
) -> ClauseChange | None:
    logic: list[Change] = []
    if old.get("section") != new.get("section"):
        logic.append(Change("section", "", old.get("section"), new.get("section")))
    if old_rule is None and new_rule is not None:
        logic.append(Change("rule", "", None, _rule_line(new_rule)))
    elif old_rule is not None and new_rule is None:
        logic.append(Change("rule", "", _rule_line(old_rule), None))
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
    earlier = old_rule if "condition" in kinds else None
    return ClauseChange(cid, tuple(kinds), tuple(logic), tuple(redlines), earlier)


def _rule_changes(old: StatedRule, new: StatedRule) -> list[Change]:
    old_rule, new_rule = old.rule, new.rule
    changes = []
    if old.decision != new.decision:
        changes.append(Change("decision", "", old.decision, new.decision))
    if _shape(old_rule.when) != _shape(new_rule.when):
        changes.append(Change("condition", "", _condition_text(old), _condition_text(new)))
    old_params, new_params = old.data.get("parameters", {}), new.data.get("parameters", {})
    for name in dict.fromkeys([*old_params, *new_params]):
        before, after = old_params.get(name), new_params.get(name)
        if before != after:
            changes.append(
                Change("parameters", name, before and before.get("value"), after and after.get("value"))
            )
    if old_rule.outcome != new_rule.outcome:
        changes.append(Change("outcome", "", old_rule.outcome, new_rule.outcome))
    old_overrides, new_overrides = old_rule.overrides, new_rule.overrides
    changes.extend(
        Change("overrides", clause, clause, None) for clause in old_overrides if clause not in new_overrides
    )
    changes.extend(
        Change("overrides", clause, None, clause) for clause in new_overrides if clause not in old_overrides
    )
    return changes


def _shape(condition: Expr) -> tuple[tuple[Any, ...], ...]:
    """A condition with parameter values left out: a parameter change is not a condition change
    (it is reported under parameters). Its nodes depth first, each by its class and what it
    holds besides other nodes (how many, for a list of them): that spells the tree out."""
    return tuple(_own(node) for node in walk(condition))


def _own(node: Expr) -> tuple[Any, ...]:
    """What a node holds besides the nodes below it, with its class (nodes of different
    classes can be equal as tuples)."""
    match node:
        case Param(name=name, type=type_):
            return ("param", name, type_)
        case Fact() | Const():
            return (type(node).__name__, *node)
        case BoolOp(op=op, args=args):
            return ("bool", op, len(args))
        case Membership(options=options):
            return ("in", len(options))
        case Compare(op=op) | Arithmetic(op=op):
            return (type(node).__name__, op)
    return (type(node).__name__,)


def _source_of(node: Expr) -> str:
    """The condition in the condition language, for bundles without `source`."""
    match node:
        case Fact(name=name) | Param(name=name):
            return name
        case Const(value=bool(value)):
            return "true" if value else "false"
        case Const(type="string", value=value):
            return json.dumps(value)
        case Const(value=value):
            return str(value)
        case BoolOp(op=op, args=args):
            return "(" + f" {op} ".join(_source_of(arg) for arg in args) + ")"
        case Not(arg=Membership(value=value, options=options)):
            return f"{_source_of(value)} not in [{', '.join(_source_of(o) for o in options)}]"
        case Not(arg=arg):
            return f"not {_source_of(arg)}"
        case Membership(value=value, options=options):
            return f"{_source_of(value)} in [{', '.join(_source_of(o) for o in options)}]"
        case Days(start=start, end=end):
            return f"days({_source_of(start)}, {_source_of(end)})"
        case Compare(op=op, left=left, right=right) | Arithmetic(op=op, left=left, right=right):
            return f"{_source_of(left)} {op} {_source_of(right)}"
    raise TypeError(f"not a rule node: {node!r}")


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
