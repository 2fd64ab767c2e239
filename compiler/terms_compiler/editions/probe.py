"""Probing behaviour: fact sets aimed at rule boundaries, answered by both editions' rules."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from terms_compiler.check.evaluate import Answer, CompiledDecision, FactError
from terms_compiler.check.pattern import matcher, pattern_problem
from terms_compiler.check.rules import (
    BoolOp,
    Compare,
    Const,
    Expr,
    Fact,
    Membership,
    Not,
    Param,
    Rule,
    RuleError,
    rule_json,
    type_of,
)
from terms_compiler.editions.boundaries import Form, analyse, iso_date, linear, named_values, ordinal
from terms_compiler.editions.edition import Edition, FactSet

MAX_FACT_SETS = 2000
"""Fact sets evaluated per decision (each with both editions' rules), at most."""
MAX_WAYS = 16
"""Ways to satisfy one condition tried, at most."""
FALLBACK_DATE = "2000-01-01"
"""As-of date for decisions without a date fact when neither edition has an edition_date."""
OTHER_TEXT = "other"
"""A text value no rule names, to vary text facts with."""
PATTERN_CANDIDATES = ("other", "ZZ", "XX", "OTHER", "Z", "0", "00", "000", "x", "zz")
"""Texts to vary a text fact that has a pattern with: the first few it matches and no rule names
(a country code for the shipped corpus's [A-Z]{2}; "other" would be refused)."""


@dataclass(frozen=True, slots=True)
class Case:
    """A fact set and where it comes from."""

    facts: Mapping[str, Any]
    as_of: str | None
    """The as-of date given with the facts (None: the decision's date fact decides)."""
    source: str
    """conformance, example or generated."""
    name: str
    old_as_of: str
    """The day the old edition answered as of (the new one's differs only when the
    decision's date fact changed)."""
    new_as_of: str


@dataclass(frozen=True, slots=True)
class Flip:
    """A situation the editions answer differently: fact sets to which the same rules apply
    (deciding or overridden) in the old edition, and the same in the new one. The first fact
    set is the one shown."""

    old_outcome: str
    new_outcome: str
    old_deciding: tuple[str, ...]
    new_deciding: tuple[str, ...]
    old_overridden: tuple[str, ...]
    new_overridden: tuple[str, ...]
    cases: tuple[Case, ...]

    @property
    def outcome_changed(self) -> bool:
        return self.old_outcome != self.new_outcome


@dataclass(frozen=True, slots=True)
class Unmatched:
    """Fact sets only one edition accepts, grouped by the problem the other one has."""

    side: str
    """The edition that refuses them: old or new."""
    problem: str
    cases: tuple[Case, ...]


@dataclass(frozen=True, slots=True)
class Behaviour:
    """The behavioural diff of one decision whose logic changed."""

    decision: str
    base: Mapping[str, Any]
    """The fact set generated cases start from; listings show facts that differ from it."""
    compared: int
    capped: bool
    """True when generation stopped at MAX_FACT_SETS."""
    flips: tuple[Flip, ...]
    """Outcome changes first, then changes of the deciding clauses alone."""
    unmatched: tuple[Unmatched, ...]

    @property
    def fact_sets(self) -> int:
        return sum(len(flip.cases) for flip in self.flips)


def _logic(spec: Mapping[str, Any]) -> Any:
    """What evaluation depends on in a decision's spec (not its words)."""
    facts = {
        name: {key: fact.get(key) for key in ("type", "values")}
        | ({"default": fact["default"]} if "default" in fact else {})
        for name, fact in spec.get("facts", {}).items()
    }
    rules = [
        {key: rule.get(key) for key in ("clause", "outcome", "when", "effective", "overrides")}
        for rule in spec.get("rules", [])
    ]
    return {"facts": facts, "default": spec.get("default"), "as_of": spec.get("as_of"), "rules": rules}


def behaviour(old: Edition, new: Edition) -> tuple[Behaviour, ...]:
    """The behavioural diff of every decision, in both editions, whose logic differs."""
    reference = new.bundle.get("edition_date") or old.bundle.get("edition_date") or FALLBACK_DATE
    result = []
    for decision_id, new_spec in new.bundle["decisions"].items():
        old_spec = old.bundle["decisions"].get(decision_id)
        if old_spec is None or _logic(old_spec) == _logic(new_spec):
            continue
        try:
            result.append(_Probe(decision_id, old_spec, new_spec, old, new, str(reference)).run())
        except RuleError:
            continue  # a malformed rule: the bundle loader reports it; nothing to compare
    return tuple(result)


# Ways to vary a fact set: set a fact to a value, or to another fact's value, put a number or date
# at (delta 0), below or above a comparison's boundary, or move the case in time to a day.


@dataclass(frozen=True, slots=True)
class _Set:
    fact: str
    value: Any


@dataclass(frozen=True, slots=True)
class _SetEqual:
    fact: str
    other: str


@dataclass(frozen=True, slots=True)
class _Boundary:
    form: Form
    fact: str
    delta: int


@dataclass(frozen=True, slots=True)
class _Shift:
    day: int


_Assignment = _Set | _SetEqual | _Boundary | _Shift
_NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


def _changed_rules(old: Sequence[Rule], new: Sequence[Rule]) -> list[Rule]:
    """Rules (in either version) that differ between the editions, or are in one only.

    Versions are compared as the bundle gives them (rule_json): nodes are NamedTuples, and two
    of different classes with equal fields (a fact and a text constant) are equal as tuples."""
    old_rules = {rule.clause: rule for rule in old}
    new_rules = {rule.clause: rule for rule in new}
    changed: list[Rule] = []
    for clause in dict.fromkeys([*new_rules, *old_rules]):
        versions = [r for r in (new_rules.get(clause), old_rules.get(clause)) if r is not None]
        if len(versions) == 1 or rule_json(versions[0]) != rule_json(versions[1]):
            changed.extend(versions)
    return changed


class _Probe:
    """Fact sets for one decision, evaluated with both editions' rules.

    In this order, up to MAX_FACT_SETS distinct ones: the conformance cases and worked examples
    of both editions; a base fact set (the decision's example_base, or the first case, with
    missing required facts filled in); for each rule that differs between the editions (in
    either version), fact sets built from the base that make its condition true (one per
    alternative of an `or`), moved into its effective window; then variations of one fact, and
    then of two facts, from those, from the base and from every case.

    Varying a fact: enum facts take each of their values, booleans both, texts each value a
    rule names plus one no rule names; numbers and dates take the values just below, at and
    just above each boundary of each comparison they appear in, computed from the other facts
    (days(a, b) <= N sets b to a + N - 1, a + N, a + N + 1); and the whole case is moved in
    time (every date fact together, or the as-of date) to the day before, the first day, the
    last day and the day after each rule's effective window.
    """

    def __init__(
        self,
        decision_id: str,
        old_spec: Mapping[str, Any],
        new_spec: Mapping[str, Any],
        old: Edition,
        new: Edition,
        reference: str,
    ) -> None:
        self.id = decision_id
        self.old_decision = CompiledDecision(decision_id, old_spec)
        self.new_decision = CompiledDecision(decision_id, new_spec)
        self.facts: dict[str, dict[str, Any]] = {}
        for spec in (new_spec, old_spec):
            for name, fact in spec.get("facts", {}).items():
                known = self.facts.setdefault(name, dict(fact))
                if fact.get("values"):
                    known["values"] = list(dict.fromkeys([*known.get("values", []), *fact["values"]]))
        self.as_of_fact: str | None = new_spec.get("as_of") or old_spec.get("as_of")
        self.reference = None if self.as_of_fact else reference
        self.cases = [fs for edition in (new, old) for fs in edition.fact_sets if fs.decision == decision_id]
        self.base = self._base(old, new, reference)
        self.dimensions = self._dimensions()
        self.changed_rules = _changed_rules(self.old_decision.rules, self.new_decision.rules)

    # the base fact set

    def _base(self, old: Edition, new: Edition, reference: str) -> dict[str, Any]:
        base: Mapping[str, Any] = (
            new.example_bases.get(self.id)
            or old.example_bases.get(self.id)
            or (self.cases[0].facts if self.cases else {})
        )
        result = {name: value for name, value in base.items() if name in self.facts}
        for name, fact in self.facts.items():
            if name not in result and "default" not in fact:
                result[name] = _first_value(fact, reference)
        return result

    # what to vary

    def _dimensions(self) -> list[list[_Assignment]]:
        used: dict[str, None] = {}
        values: dict[str, list[Any]] = {}
        forms: list[Form] = []
        equal: list[tuple[str, str]] = []
        windows: set[int] = set()
        for rule in (*self.new_decision.rules, *self.old_decision.rules):
            analyse(rule.when, used, values, forms, equal)
            if rule.start is not None:
                windows.update((rule.start - 1, rule.start))
            if rule.end is not None:
                windows.update((rule.end, rule.end + 1))
        names = [name for name in self.facts if name in used]
        categorical: list[list[_Assignment]] = []
        numeric: list[list[_Assignment]] = []
        for name in names:
            fact = self.facts[name]
            choices: list[Any] = []
            if fact["type"] == "enum":
                choices = list(fact.get("values", []))
            elif fact["type"] == "bool":
                choices = [False, True]
            elif fact["type"] == "string":
                choices = [*dict.fromkeys(values.get(name, []))]
                other = _other_text(fact, choices)
                choices += [other] if other not in choices else []
            else:
                choices = [*dict.fromkeys(values.get(name, []))]
            assignments: list[_Assignment] = [_Set(name, v) for v in choices]
            assignments += [
                _SetEqual(name, other)
                for a, b in equal
                for mine, other in ((a, b), (b, a))
                if mine == name and other in self.facts
            ]
            if assignments:
                categorical.append(list(dict.fromkeys(assignments)))
            if fact["type"] in ("int", "date"):
                bounds: list[_Assignment] = [
                    _Boundary(form, name, delta)
                    for form in dict.fromkeys(forms)
                    for fact_name, coefficient in form.coefficients
                    if fact_name == name and abs(coefficient) == 1
                    for delta in (-1, 0, 1)
                ]
                if bounds:
                    numeric.append(bounds)
        shifts: list[list[_Assignment]] = [[_Shift(day) for day in sorted(windows)]] if windows else []
        return [*categorical, *numeric, *shifts]

    # generating and evaluating

    def _satisfy(self, node: Expr, negate: bool = False) -> list[tuple[_Assignment, ...]]:
        """Ways to make a condition true (false when negate), each a few assignments."""
        match node:
            case Not(arg=arg):
                return self._satisfy(arg, not negate)
            case BoolOp(op=op, args=args) if (op == "and") != negate:  # every argument must hold
                combinations: list[tuple[_Assignment, ...]] = [()]
                for arg in args:
                    options = self._satisfy(arg, negate)
                    combinations = [c + o for c in combinations for o in options][:MAX_WAYS]
                return combinations
            case BoolOp(args=args):  # one argument is enough
                return [way for arg in args for way in self._satisfy(arg, negate)][:MAX_WAYS]
        return [self._atom(node, negate)]

    def _atom(self, node: Expr, negate: bool) -> tuple[_Assignment, ...]:
        match node:
            case Fact(name=name) if self.facts.get(name, {}).get("type") == "bool":
                return (_Set(name, not negate),)
            case Membership(value=Fact(name=name), options=options):
                listed = named_values(options)
                if not negate and listed:
                    return (_Set(name, listed[0]),)
                other = self._other(name, listed)
                return () if other is None else (_Set(name, other),)
            case Compare():
                return self._comparison(node, negate)
        return ()

    def _comparison(self, node: Compare, negate: bool) -> tuple[_Assignment, ...]:
        op = _NEGATED[node.op] if negate else node.op
        left, right = node.left, node.right
        if type_of(left) in ("int", "date"):
            form = linear(left, right, -1)
            if form is None:
                return ()
            movable = [(n, c) for n, c in form.coefficients if abs(c) == 1 and n in self.facts]
            movable.sort(key=lambda item: item[0] == self.as_of_fact)  # keep the as-of still
            if not movable:
                return ()
            name, coefficient = movable[0]
            delta = {"<": -coefficient, ">": coefficient, "!=": 1}.get(op, 0)
            return (_Boundary(form, name, delta),)
        if isinstance(left, Fact) and isinstance(right, Fact):
            return (_SetEqual(left.name, right.name),) if op == "==" else ()
        for fact, other in ((left, right), (right, left)):
            if isinstance(fact, Fact) and isinstance(other, Const | Param):
                if op == "==":
                    return (_Set(fact.name, other.value),)
                value = self._other(fact.name, [other.value])
                return () if value is None else (_Set(fact.name, value),)
        return ()

    def _other(self, name: str, excluded: Sequence[Any]) -> Any:
        """A value of the fact outside excluded, or None."""
        fact = self.facts.get(name, {})
        if fact.get("type") == "enum":
            return next((v for v in fact.get("values", []) if v not in excluded), None)
        if fact.get("type") == "bool":
            return next((v for v in (False, True) if v not in excluded), None)
        if fact.get("type") == "string":
            return _other_text(fact, excluded)
        return None

    def _targets(self, base: FactSet) -> Iterator[FactSet]:
        """For each changed rule, fact sets from the base on which its condition holds."""
        for rule in self.changed_rules:
            window = [_Shift(day) for day in (rule.start, rule.end) if day is not None][:1]
            for way in self._satisfy(rule.when):
                ordered = sorted(way, key=lambda a: isinstance(a, _Boundary))
                for assignments in (ordered, [*ordered, *window]) if window else (ordered,):
                    target = self._apply(base, assignments)
                    if target is not None:
                        yield target

    def _singles(self, start: FactSet) -> Iterator[FactSet]:
        for dimension in self.dimensions:
            for assignment in dimension:
                varied = self._apply(start, (assignment,))
                if varied is not None:
                    yield varied

    def _pairs(self, start: FactSet) -> Iterator[FactSet]:
        for i, first in enumerate(self.dimensions):
            for second in self.dimensions[i + 1 :]:
                if isinstance(first[0], _Boundary) and isinstance(second[0], _Boundary):
                    continue  # two boundaries at once move each other's boundary
                for a in first:
                    for b in second:
                        varied = self._apply(start, (a, b))
                        if varied is not None:
                            yield varied

    def fact_sets(self) -> Iterator[FactSet]:
        cases = [dataclasses.replace(fs, as_of=fs.as_of or self.reference) for fs in self.cases]
        yield from cases
        base = FactSet(self.id, self.base, self.reference, "generated")
        yield base
        targets = list(self._targets(base))
        yield from targets
        bases = [*targets, base, *(dataclasses.replace(fs, source="generated", name="") for fs in cases)]
        for start in bases:
            yield from self._singles(start)
        for start in bases:
            yield from self._pairs(start)

    def _apply(self, start: FactSet, assignments: Sequence[_Assignment]) -> FactSet | None:
        facts = dict(start.facts)
        as_of = start.as_of
        for assignment in assignments:
            if isinstance(assignment, _Set):
                facts[assignment.fact] = assignment.value
            elif isinstance(assignment, _SetEqual):
                other = facts.get(assignment.other, self.facts[assignment.other].get("default"))
                if other is None:
                    return None
                facts[assignment.fact] = other
            elif isinstance(assignment, _Boundary):
                value = self._boundary(facts, assignment)
                if value is None:
                    return None
                facts[assignment.fact] = value
            else:
                shifted = self._shift(facts, as_of, assignment.day)
                if shifted is None:
                    return None
                facts, as_of = shifted
        return FactSet(self.id, facts, as_of, "generated")

    def _number(self, facts: Mapping[str, Any], name: str) -> int | None:
        value = facts.get(name, self.facts[name].get("default"))
        if self.facts[name]["type"] == "date":
            return ordinal(value) if isinstance(value, str) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def _boundary(self, facts: Mapping[str, Any], boundary: _Boundary) -> Any:
        total, own = boundary.form.constant, 0
        for name, coefficient in boundary.form.coefficients:
            if name == boundary.fact:
                own = coefficient
                continue
            value = self._number(facts, name)
            if value is None:
                return None
            total += coefficient * value
        target = -total * own + boundary.delta  # own is 1 or -1: own * x + total = 0
        if self.facts[boundary.fact]["type"] == "date":
            return iso_date(target)
        return target

    def _shift(
        self, facts: dict[str, Any], as_of: str | None, day: int
    ) -> tuple[dict[str, Any], str | None] | None:
        if self.as_of_fact is None:
            return (facts, iso_date(day)) if iso_date(day) else None
        current = self._number(facts, self.as_of_fact) if as_of is None else ordinal(as_of)
        if current is None:
            return None
        offset = day - current
        shifted = {}
        for name, value in facts.items():
            if self.facts.get(name, {}).get("type") == "date" and isinstance(value, str):
                day_number = ordinal(value)
                moved = None if day_number is None else iso_date(day_number + offset)
                if moved is None:
                    return None
                shifted[name] = moved
            else:
                shifted[name] = value
        return shifted, (iso_date(day) if as_of is not None else None)

    def run(self) -> Behaviour:
        seen: set[str] = set()
        # (old outcome, new outcome, old and new deciding clauses, old and new overridden ones):
        # Flip's first six fields, in its order
        groups: dict[
            tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]], list[Case]
        ] = {}
        refused: dict[tuple[str, str], list[Case]] = {}
        capped = False
        for fact_set in self.fact_sets():
            key = json.dumps([fact_set.facts, fact_set.as_of], sort_keys=True, default=str)
            if key in seen:
                continue
            if len(seen) >= MAX_FACT_SETS:
                capped = True
                break
            seen.add(key)
            old, old_error = _decide(self.old_decision, fact_set)
            new, new_error = _decide(self.new_decision, fact_set)
            if old is None and new is None:
                continue  # neither edition accepts it: not a change
            case = Case(
                fact_set.facts,
                fact_set.as_of,
                fact_set.source,
                fact_set.name,
                old.as_of if old else "",
                new.as_of if new else "",
            )
            if old is None or new is None:
                refusal = ("old", old_error) if old is None else ("new", new_error)
                refused.setdefault(refusal, []).append(case)
            elif (old.outcome, old.deciding) != (new.outcome, new.deciding):
                situation = (
                    old.outcome,
                    new.outcome,
                    old.deciding,
                    new.deciding,
                    old.overridden,
                    new.overridden,
                )
                groups.setdefault(situation, []).append(case)
        order = {name: index for index, name in enumerate(self.facts)}
        flips = [Flip(*situation, tuple(cases)) for situation, cases in groups.items()]
        flips.sort(
            key=lambda f: (
                not f.outcome_changed,
                f.old_outcome,
                f.new_outcome,
                f.old_deciding,
                f.new_deciding,
                f.old_overridden,
                f.new_overridden,
                f.cases[0].new_as_of,
                _sort_key(f.cases[0].facts, order),
            )
        )
        unmatched = sorted(
            (Unmatched(side, problem, tuple(cases)) for (side, problem), cases in refused.items()),
            key=lambda u: (u.side, u.problem),
        )
        return Behaviour(self.id, self.base, len(seen), capped, tuple(flips), tuple(unmatched))


def _decide(rules: CompiledDecision, fact_set: FactSet) -> tuple[Answer | None, str]:
    fitted = {k: v for k, v in fact_set.facts.items() if k in rules.facts}
    try:
        return rules.decide(fitted, fact_set.as_of), ""
    except FactError as error:
        return None, error.problems[0] if error.problems else str(error)
    except (TypeError, ValueError, OverflowError) as error:
        return None, str(error)


def _sort_key(facts: Mapping[str, Any], order: Mapping[str, int]) -> str:
    return json.dumps(sorted(((order.get(k, len(order)), k, str(v)) for k, v in facts.items())))


def _other_text(fact: Mapping[str, Any], excluded: Sequence[Any] = ()) -> str:
    """A text outside excluded: "other", "other1", ...; for a fact with a pattern, the first of
    PATTERN_CANDIDATES it matches, when one does (else those, which the checkers refuse)."""
    plain = (f"{OTHER_TEXT}{n or ''}" for n in range(len(excluded) + 1))
    texts = [text for text in plain if text not in excluded]
    pattern = fact.get("pattern")
    if isinstance(pattern, str) and pattern_problem(pattern) is None:
        fits = matcher(pattern)
        texts = [t for t in PATTERN_CANDIDATES if t not in excluded and fits(t)] + texts
    return texts[0]


def _first_value(fact: Mapping[str, Any], reference: str) -> Any:
    kind = fact.get("type")
    if kind == "string":
        return _other_text(fact)
    if kind == "enum":
        return (fact.get("values") or [""])[0]
    return {"bool": False, "int": 0, "date": reference, "string": OTHER_TEXT}.get(str(kind), "")
