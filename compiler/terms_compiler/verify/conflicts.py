"""Logic checks (verify stage), beyond the examples: rules that can conflict, overridden clauses
that can never apply, and dates after the first rule starts when no rule is in effect.

Conditions are translated into z3 formulas (dates as day numbers), so "can these two rules both
apply?" is answered exactly and a satisfying fact set is shown, not guessed from samples.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

import z3

from terms_compiler.check.dates import FAR_FUTURE, FAR_PAST, from_ordinal, to_ordinal
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
    constant_value,
    read_rule,
)
from terms_compiler.diagnostics import Diagnostic, Severity
from terms_compiler.model import Corpus, Decision

# Dates in models are kept within a readable range.
EARLIEST, LATEST = to_ordinal("1990-01-01"), to_ordinal("2100-12-31")


class _Encoder:
    """One decision's facts as z3 variables, and its rules' conditions as formulas."""

    def __init__(self, decision: Decision, spec: Mapping[str, Any]) -> None:
        self.decision = decision
        self.spec = spec
        self.vars: dict[str, Any] = {}
        self.domain: list[Any] = []
        for name, fact in spec["facts"].items():
            type_ = fact["type"]
            if type_ == "bool":
                self.vars[name] = z3.Bool(name)
            elif type_ == "string":
                self.vars[name] = z3.String(name)
            else:
                variable = z3.Int(name)
                self.vars[name] = variable
                if type_ == "date":
                    self.domain.append(z3.And(variable >= EARLIEST, variable <= LATEST))
                elif type_ == "enum":
                    self.domain.append(z3.And(variable >= 0, variable < len(fact["values"])))
                else:
                    self.domain.append(variable >= 0)
        self.as_of = self.vars[decision.as_of] if decision.as_of else z3.Int("as_of")
        self.domain.append(z3.And(self.as_of >= EARLIEST, self.as_of <= LATEST))

    def value(self, node: Expr) -> Any:
        """The node as a z3 term: dates and enum values as numbers."""
        match node:
            case Fact(name=name):
                return self.vars[name]
            case Param() | Const():
                return self.constant(node)
            case BoolOp(op="and", args=args):
                return z3.And(*[self.value(arg) for arg in args])
            case BoolOp(args=args):
                return z3.Or(*[self.value(arg) for arg in args])
            case Not(arg=arg):
                return z3.Not(self.value(arg))
            case Membership(value=value, options=options):
                subject = self.value(value)
                return z3.Or(*[subject == self.value(option) for option in options])
            case Days(start=start, end=end):
                return self.value(end) - self.value(start)
            case Compare(op=op, left=left, right=right) | Arithmetic(op=op, left=left, right=right):
                return _OPERATIONS[op](self.value(left), self.value(right))
        raise TypeError(f"not a rule node: {node!r}")

    def constant(self, node: Param | Const) -> Any:
        type_ = node.type
        if type_.startswith("enum:"):
            return z3.IntVal(self._enum_index(type_[5:], node.value))
        if type_ == "bool":
            return z3.BoolVal(node.value)
        if type_ == "string":
            return z3.StringVal(node.value)
        return z3.IntVal(constant_value(node))  # an int, or a date as its day number

    def _enum_index(self, enum: str, value: Any) -> int:
        values = next(f["values"] for f in self.spec["facts"].values() if f.get("enum") == enum)
        return list(values).index(value)

    def applies(self, rule: Rule) -> Any:
        bounds = [self.value(rule.when)]
        if rule.start is not None:
            bounds.append(self.as_of >= rule.start)
        if rule.end is not None:
            bounds.append(self.as_of <= rule.end)
        return z3.And(*bounds)

    def facts_of(self, model: Any) -> tuple[dict[str, Any], str]:
        """A complete fact set (and the as-of date) from a z3 model."""
        facts: dict[str, Any] = {}
        for name, fact in self.spec["facts"].items():
            found = model.eval(self.vars[name], model_completion=True)
            type_ = fact["type"]
            if type_ == "bool":
                facts[name] = z3.is_true(found)
            elif type_ == "string":
                facts[name] = found.as_string()
            elif type_ == "date":
                facts[name] = from_ordinal(found.as_long())
            elif type_ == "enum":
                facts[name] = fact["values"][found.as_long()]
            else:
                facts[name] = found.as_long()
        as_of = from_ordinal(model.eval(self.as_of, model_completion=True).as_long())
        return facts, as_of


_OPERATIONS: dict[str, Any] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
}
"""The operators on z3 terms (z3 overloads Python's)."""


def _fixed_values(node: Expr) -> dict[str, frozenset[Any]]:
    """Facts the condition pins to a set of values in its top-level conjunction (a cheap test
    that two rules can never apply together, before asking the solver)."""
    conjuncts = node.args if isinstance(node, BoolOp) and node.op == "and" else (node,)
    pinned: dict[str, frozenset[Any]] = {}
    for part in conjuncts:
        match part:
            case Compare(op="==", left=Fact(name=name), right=Const(value=value)):
                pinned[name] = frozenset([value])
            case Membership(value=Fact(name=name), options=options) if all(
                isinstance(option, Const) for option in options
            ):
                pinned[name] = frozenset(option.value for option in options if isinstance(option, Const))
            case Fact(name=name, type="bool"):
                pinned[name] = frozenset([True])
            case Not(arg=Fact(name=name)):
                pinned[name] = frozenset([False])
    return pinned


def _candidate_pairs(
    rules: list[Mapping[str, Any]], pinned: Mapping[str, dict[str, frozenset[Any]]]
) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """The pairs of rules, in their order, that are not kept apart by the fact most of them pin
    to values (e.g. product == "p-7"): rules are grouped by that fact's values, so a decision
    keyed by it costs a pass per rule, not one per pair. A rule that does not pin it is paired
    with every other."""
    counts = Counter(name for rule in rules for name in pinned[rule["clause"]])
    if not counts:
        return list(itertools.combinations(rules, 2))
    key = counts.most_common(1)[0][0]
    groups: defaultdict[Any, list[int]] = defaultdict(list)
    pairs: set[tuple[int, int]] = set()
    for index, rule in enumerate(rules):
        values = pinned[rule["clause"]].get(key)
        if values is None:
            pairs.update(
                (min(index, other), max(index, other)) for other in range(len(rules)) if other != index
            )
        else:
            for value in values:
                groups[value].append(index)
    for members in groups.values():
        pairs.update(itertools.combinations(members, 2))
    return [(rules[a], rules[b]) for a, b in sorted(pairs)]


def _may_overlap(a: dict[str, frozenset[Any]], b: dict[str, frozenset[Any]]) -> bool:
    return all(a[name] & b[name] for name in a.keys() & b.keys())


def _windows_overlap(a: Rule, b: Rule) -> bool:
    start = max(FAR_PAST if a.start is None else a.start, FAR_PAST if b.start is None else b.start)
    end = min(FAR_FUTURE if a.end is None else a.end, FAR_FUTURE if b.end is None else b.end)
    return start <= end


def logic_problems(corpus: Corpus, decision: Decision, spec: Mapping[str, Any]) -> list[Diagnostic]:
    """The logic problems of one decision; `spec` is its decision_json. The problems depend on
    nothing else but decision.as_of and decision.default; the corpus only places them."""
    return list(_decision_problems(corpus, decision, spec)) if spec["rules"] else []


def _decision_problems(corpus: Corpus, decision: Decision, spec: Mapping[str, Any]) -> Iterator[Diagnostic]:
    encoder = _Encoder(decision, spec)
    rules = [read_rule(r, f"decisions.{decision.id}.rules[{i}]") for i, r in enumerate(spec["rules"])]
    by_clause = {rule.clause: rule for rule in rules}

    @functools.cache
    def applies(clause_id: str) -> Any:
        # Built on demand: the pre-filter below rules out most pairs without the solver.
        return encoder.applies(by_clause[clause_id])

    overriders = {r.clause: [o.clause for o in rules if r.clause in o.overrides] for r in rules}
    pinned = {rule.clause: _fixed_values(rule.when) for rule in rules}
    solver = z3.Solver()
    solver.add(*encoder.domain)

    def holds(*constraints: Any) -> Any:
        solver.push()
        solver.add(*constraints)
        try:
            return solver.model() if solver.check() == z3.sat else None
        finally:
            solver.pop()

    for first_spec, second_spec in _candidate_pairs(spec["rules"], pinned):
        first, second = by_clause[first_spec["clause"]], by_clause[second_spec["clause"]]
        a, b = first.clause, second.clause
        if (
            first.outcome == second.outcome
            or not _windows_overlap(first, second)
            or not _may_overlap(pinned[a], pinned[b])
            or a in second.overrides
            or b in first.overrides
        ):
            continue
        beaten = [applies(o) for o in overriders[a] + overriders[b]]
        model = holds(applies(a), applies(b), *[z3.Not(x) for x in beaten])
        if model is not None:
            facts, as_of = encoder.facts_of(model)
            shown = json.dumps(facts, ensure_ascii=False)
            yield Diagnostic(
                "E370",
                f"rules '{a}' ({first.outcome}) and '{b}' ({second.outcome}) of "
                f"decision '{decision.id}' can both apply and neither overrides the other",
                corpus.clauses[b].origin.span("rule"),
                hint=f"add one to the other's overrides, or narrow a condition; both apply to "
                f"{shown} as of {as_of}",
            )
    for rule in rules:
        for target in rule.overrides:
            if target in by_clause and holds(applies(target)) is None:
                yield Diagnostic(
                    "W371",
                    f"'{rule.clause}' overrides '{target}', which can never apply",
                    corpus.clauses[rule.clause].origin.span("rule", "overrides"),
                    severity=Severity.WARNING,
                )
    yield from _coverage_gaps(decision, rules)


def _coverage_gaps(decision: Decision, rules: list[Rule]) -> Iterator[Diagnostic]:
    """Dates after the first rule starts on which no rule of the decision is in effect."""
    windows = sorted(
        (0 if rule.start is None else rule.start, FAR_FUTURE if rule.end is None else rule.end)
        for rule in rules
    )
    covered_until = windows[0][1]
    for start, end in windows[1:]:
        if start > covered_until + 1:
            yield Diagnostic(
                "W372",
                f"no rule of decision '{decision.id}' is in effect from "
                f"{from_ordinal(covered_until + 1)} to {from_ordinal(start - 1)}; it answers "
                f"'{decision.default}' then",
                decision.origin.span(),
                severity=Severity.WARNING,
            )
        covered_until = max(covered_until, end)
    last_end = covered_until
    if last_end < FAR_FUTURE:
        yield Diagnostic(
            "W372",
            f"no rule of decision '{decision.id}' is in effect after "
            f"{from_ordinal(last_end)}; it answers '{decision.default}' then",
            decision.origin.span(),
            severity=Severity.WARNING,
        )
