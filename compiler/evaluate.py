"""Evaluate: a decision's JSON (as in the bundle) -> compiled rules that answer fact sets.

Records here are NamedTuples, not dataclasses: as frozen, and importing dataclasses (with
inspect) would cost `terms check` about 5 ms of its start.

This module is on the `terms check` path: it imports nothing heavier than the standard library.
The compiler's verify stage runs worked examples through this same code, so the logic the
build checks is the logic tools run.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
CONFLICT = "conflict"
FAR_PAST, FAR_FUTURE = dt.date.min.toordinal(), dt.date.max.toordinal()
Predicate = Callable[[Mapping[str, Any]], bool]
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class FactError(Exception):
    """The facts do not fit the decision's declaration; one message per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class RuleError(Exception):
    """A rule's AST is malformed (a tampered or foreign bundle)."""


def to_ordinal(iso: str) -> int:
    return dt.date.fromisoformat(iso).toordinal()


def from_ordinal(day: int) -> str:
    return dt.date.fromordinal(day).isoformat()


def parse_date(value: Any) -> int | None:
    """Ordinal of an ISO date string, or None when value is not one."""
    if not isinstance(value, str) or not ISO_DATE.match(value):
        return None
    try:
        return to_ordinal(value)
    except ValueError:
        return None


def _constant(node: Mapping[str, Any]) -> Any:
    value = node["value"]
    return to_ordinal(value) if node["type"] == "date" else value


def node_type(node: Mapping[str, Any]) -> str:
    """The type of an AST node's value: days() is an int, sums have their left side's type."""
    if node["op"] == "days":
        return "int"
    if node["op"] in ("+", "-"):
        return node_type(node["left"])
    return str(node.get("type", "bool"))


def to_python(node: Mapping[str, Any]) -> str:
    """Python source for a condition AST over `f`, the prepared facts (dates as ordinals).

    Only whitelisted operators are emitted and every name and value goes through repr(),
    so no text from a bundle can become code.
    """
    op = node["op"]
    if op == "fact":
        if not _NAME.match(node["name"]):
            raise RuleError(f"bad fact name {node['name']!r}")
        return f"f[{node['name']!r}]"
    if op in ("const", "param"):
        value = _constant(node)
        if not isinstance(value, str | int):  # bool is an int
            raise RuleError(f"bad constant {value!r}")
        return repr(value)
    if op in ("and", "or"):
        return "(" + f" {op} ".join(to_python(arg) for arg in node["args"]) + ")"
    if op == "not":
        return f"(not {to_python(node['arg'])})"
    if op in _COMPARISONS or op in ("+", "-"):
        return f"({to_python(node['left'])} {op} {to_python(node['right'])})"
    if op == "in":
        options = ", ".join(to_python(option) for option in node["options"])
        return f"({to_python(node['value'])} in ({options},))"
    if op == "days":
        start, end = node["args"]
        return f"({to_python(end)} - {to_python(start)})"
    raise RuleError(f"unknown operator {op!r}")


def compile_condition(node: Mapping[str, Any], name: str) -> Predicate:
    source = f"lambda f: {to_python(node)}"
    code = compile(source, f"<rule {name}>", "eval")
    predicate: Predicate = eval(code, {"__builtins__": {}})
    return predicate


class CompiledRule(NamedTuple):
    clause: str
    """Id of the clause stating the rule."""
    outcome: str
    predicate: Predicate
    """The compiled condition over prepared facts."""
    start: int
    """First day in effect (ordinal), FAR_PAST when open."""
    end: int
    """Last day in effect (ordinal), FAR_FUTURE when open."""
    overrides: frozenset[str]
    spec: Mapping[str, Any]
    """The rule as the bundle gives it (AST, parameters), for explanations."""

    def in_effect(self, day: int) -> bool:
        return self.start <= day <= self.end


class Answer(NamedTuple):
    decision: str
    outcome: str
    """The decided outcome, the default when no rule applied, or "conflict"."""
    as_of: str
    deciding: tuple[str, ...]
    """Clauses whose rules applied and were not overridden."""
    overridden: tuple[str, ...]
    """Clauses whose rules applied but were beaten by an exception."""
    facts: Mapping[str, Any]
    """The prepared facts (defaults filled in, dates as ordinals)."""
    day: int
    """The as-of date as an ordinal."""

    def to_json(self) -> dict[str, Any]:
        return {"decision": self.decision, "outcome": self.outcome, "as_of": self.as_of,
                "deciding": list(self.deciding), "overridden": list(self.overridden)}


class CompiledDecision:
    """One decision of a bundle, ready to answer fact sets."""

    def __init__(self, decision_id: str, spec: Mapping[str, Any]) -> None:
        self.id = decision_id
        self.spec = spec
        self.facts: Mapping[str, Mapping[str, Any]] = spec["facts"]
        self.default: str = spec["default"]
        self.as_of_fact: str | None = spec.get("as_of")
        self.rules = tuple(self._compile_rule(rule) for rule in spec["rules"])
        self._enum_values = {name: frozenset(f.get("values", ())) for name, f in self.facts.items()}
        self._defaults = {name: f["default"] for name, f in self.facts.items() if "default" in f}
        self._required = [name for name, f in self.facts.items() if "default" not in f]
        self.part_predicates: dict[int, Predicate] = {}
        """Compiled parts of conditions, filled by explain on first use."""
        self.part_messages: dict[Any, Any] = {}
        """Words for failing parts by the values they name, filled by explain (bounded)."""

    @staticmethod
    def _compile_rule(rule: Mapping[str, Any]) -> CompiledRule:
        effective = rule.get("effective") or {}
        start, end = effective.get("from"), effective.get("until")
        return CompiledRule(
            rule["clause"], rule["outcome"], compile_condition(rule["when"], rule["clause"]),
            to_ordinal(start) if start else FAR_PAST, to_ordinal(end) if end else FAR_FUTURE,
            frozenset(rule.get("overrides", ())), rule)

    def prepare(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        """Validate facts against the declaration; fill defaults; dates become ordinals."""
        if not isinstance(facts, Mapping):
            raise FactError(["the facts must be a JSON object"])
        problems: list[str] = []
        prepared = dict(self._defaults)
        for name, value in facts.items():
            spec = self.facts.get(name)
            if spec is None:
                close = difflib.get_close_matches(str(name), list(self.facts), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(f"unknown fact '{name}'{hint}")
                continue
            converted = self._convert(name, spec, value, problems)
            if converted is not None:
                prepared[name] = converted
        for name in self._required:
            if name not in facts:
                problems.append(f"missing fact '{name}' ({_type_words(self.facts[name])})")
        if problems:
            raise FactError(problems)
        return prepared

    def _convert(self, name: str, spec: Mapping[str, Any], value: Any, problems: list[str]) -> Any:
        type_ = spec["type"]
        if type_ == "date":
            day = parse_date(value)
            if day is not None:
                return day
        elif type_ == "enum":
            if isinstance(value, str) and value in self._enum_values[name]:
                return value
        elif type_ == "bool":
            if isinstance(value, bool):
                return value
        elif type_ == "int":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        elif isinstance(value, str):
            return value
        problems.append(f"fact '{name}' must be {_type_words(spec)}, found {_show(value)}")
        return None

    def as_of_day(self, prepared: Mapping[str, Any], as_of: str | None) -> int:
        if as_of is not None:
            day = parse_date(as_of)
            if day is None:
                raise FactError([f"the as-of date must be a date (YYYY-MM-DD), found {_show(as_of)}"])
            return day
        if self.as_of_fact is not None:
            return int(prepared[self.as_of_fact])
        return dt.date.today().toordinal()

    def decide(self, facts: Mapping[str, Any], as_of: str | None = None) -> Answer:
        prepared = self.prepare(facts)
        day = self.as_of_day(prepared, as_of)
        applicable = [r for r in self.rules if r.start <= day <= r.end and r.predicate(prepared)]
        beaten = {clause for rule in applicable for clause in rule.overrides}
        deciding = [r for r in applicable if r.clause not in beaten]
        outcomes = {r.outcome for r in deciding}
        if not deciding:
            outcome = self.default
        elif len(outcomes) == 1:
            outcome = deciding[0].outcome
        else:
            outcome = CONFLICT
        return Answer(self.id, outcome, from_ordinal(day),
                      tuple(r.clause for r in deciding),
                      tuple(r.clause for r in applicable if r.clause in beaten), prepared, day)


def _type_words(spec: Mapping[str, Any]) -> str:
    type_ = spec["type"]
    if type_ == "enum":
        return "one of " + ", ".join(spec["values"])
    return {"date": "a date (YYYY-MM-DD)", "int": "a whole number", "bool": "true or false",
            "string": "a text"}[type_]


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict | list):
        return "an object" if isinstance(value, dict) else "a list"
    return str(value)
