"""Evaluate: a decision's JSON (as in the bundle) -> a generated Python function that answers fact sets.

Its rules are read into typed nodes (rules.py, which refuses malformed ones), and each decision is
compiled once, to the source of `decide_quickly(facts, as_of)`: it checks and converts every
declared fact inline, evaluates every rule with its effective window, and returns
the answer. At the first sign of trouble (a missing, unknown or ill-typed fact, an as-of date
that is not a date, facts that are not a dict) it returns None instead, and the careful path
(`prepare`, then `rule_hits(f, day)` over the prepared facts) finds and words every problem.
Only whitelisted constructs are emitted and every name and value from the bundle goes through
repr(), so no text from a bundle can become code.

Records here are NamedTuples, not dataclasses: as frozen, and importing dataclasses (with
inspect) would cost `terms check` about 5 ms of its start.

This module is on the `terms check` path: it imports nothing heavier than the standard library.
The compiler's verify stage runs worked examples through this same code, so the logic the
build checks is the logic tools run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from terms_compiler.check.dates import from_ordinal, today
from terms_compiler.check.dates import parse_date as parse_date  # re-exported: how facts' dates are read
from terms_compiler.check.pattern import matcher
from terms_compiler.check.rules import (
    NAME,
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
    walk,
)
from terms_compiler.check.rules import RuleError as RuleError  # re-exported: what compiling a decision raises

CONFLICT = "conflict"
CACHE_LIMIT = 100_000
"""Most entries a remembering dict keeps before it starts again (dates, patterns of rules)."""


class FactError(Exception):
    """The facts do not fit the decision's declaration; one message per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


_DAYS: dict[str, int] = {}
"""Ordinals of the date strings seen (a batch names the same few thousand dates again and again)."""


def day_of(text: Any) -> int | None:
    """parse_date, remembered. A valid date string is canonical: from_ordinal gives it back."""
    day = parse_date(text)
    if day is not None and text.__class__ is str:
        if len(_DAYS) >= CACHE_LIMIT:
            _DAYS.clear()
        _DAYS[text] = day
    return day


def fact_in_dict(name: str) -> str:
    """Source reading a fact from `f`, the prepared facts (dates as ordinals)."""
    return f"f[{name!r}]"


def to_python(node: Expr, fact: Callable[[str], str] = fact_in_dict) -> str:
    """Python source for a condition; `fact` gives the source reading a fact by its name.

    The reader admits only the operators below and names that look like names, and every value
    goes through repr(), so no text from a bundle can become code.
    """
    match node:
        case Fact(name=name):
            return fact(name)
        case Param() | Const():
            return repr(constant_value(node))
        case BoolOp(op=op, args=args):
            return "(" + f" {op} ".join(to_python(arg, fact) for arg in args) + ")"
        case Not(arg=arg):
            return f"(not {to_python(arg, fact)})"
        case Compare(op=op, left=left, right=right) | Arithmetic(op=op, left=left, right=right):
            return f"({to_python(left, fact)} {op} {to_python(right, fact)})"
        case Membership(value=value, options=options):
            listed = ", ".join(to_python(option, fact) for option in options)
            return f"({to_python(value, fact)} in ({listed},))"
        case Days(start=start, end=end):
            return f"({to_python(end, fact)} - {to_python(start, fact)})"
    raise TypeError(f"not a rule node: {node!r}")


def define(source: str, name: str, namespace: Mapping[str, Any], label: str) -> Callable[..., Any]:
    """The function called `name` that generated `source` defines, with no builtins: it sees
    only what namespace gives it."""
    scope = {"__builtins__": {}, **namespace}
    exec(compile(source, f"<{label}>", "exec"), scope)
    function: Callable[..., Any] = scope[name]
    return function


def rule_source(rule: Rule, fact: Callable[[str], str]) -> str:
    """Source of `the rule applies`: in effect on `day` and its condition holds."""
    condition = to_python(rule.when, fact)
    if rule.start is None and rule.end is None:
        return condition
    return f"({in_effect_source(rule)} and {condition})"


def in_effect_source(rule: Rule) -> str:
    """Source of `the rule is in effect on day` (for a rule with a start or an end)."""
    return (
        (f"{rule.start!r} <= " if rule.start is not None else "")
        + "day"
        + (f" <= {rule.end!r}" if rule.end is not None else "")
    )


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
        return {
            "decision": self.decision,
            "outcome": self.outcome,
            "as_of": self.as_of,
            "deciding": list(self.deciding),
            "overridden": list(self.overridden),
        }


Outcome = tuple[str, tuple[str, ...], tuple[str, ...]]
"""The outcome, the deciding clauses and the overridden clauses."""


class CompiledDecision:
    """One decision of a bundle, ready to answer fact sets."""

    def __init__(self, decision_id: str, spec: Mapping[str, Any]) -> None:
        self.id = decision_id
        self.spec = spec
        self.facts: Mapping[str, Mapping[str, Any]] = spec["facts"]
        self.default: str = spec["default"]
        self.as_of_fact: str | None = spec.get("as_of")
        self.rules = tuple(
            read_rule(rule, f"decisions.{decision_id}.rules[{index}]")
            for index, rule in enumerate(spec["rules"])
        )
        for rule in self.rules:
            _check_facts_of(rule, self.facts)
        self._enum_values = {name: frozenset(f.get("values", ())) for name, f in self.facts.items()}
        self._matchers = {name: matcher(f["pattern"]) for name, f in self.facts.items() if "pattern" in f}
        """re.fullmatch of each string fact's pattern (the bundle's shape check read every pattern)."""
        self._defaults = {
            name: _default(name, f, self._matchers.get(name))
            for name, f in self.facts.items()
            if "default" in f
        }
        self._required = [name for name, f in self.facts.items() if "default" not in f]
        self._outcomes: dict[tuple[bool, ...], Outcome] = {}
        namespace = {
            "dict": dict,
            "len": len,
            "str": str,
            "int": int,
            "bool": bool,
            "ID": decision_id,
            "Answer": Answer,
            "DAYS": _DAYS,
            "day_of": day_of,
            "today": today,
            "from_ordinal": from_ordinal,
            "OUTCOMES": self._outcomes,
            "outcome_of": self._outcome_of,
            **{f"m_{name}": match for name, match in self._matchers.items()},
        }
        self._decide_quickly: Callable[[Any, Any], Answer | None] = define(
            _decide_source(self), "decide_quickly", namespace, f"decide {decision_id}"
        )
        self._rule_hits: Callable[[Mapping[str, Any], int], tuple[bool, ...]] | None = None
        """The rules over prepared facts, for the careful path: compiled on its first use."""
        self.explainers: dict[Any, Callable[[Answer], list[Any]] | None] = {}
        """Compiled explainers by language and form, filled by explain (None: used once)."""

    def decide(self, facts: Mapping[str, Any], as_of: str | None = None) -> Answer:
        """The answer for facts (JSON values); FactError names every problem with them."""
        return self._decide_quickly(facts, as_of) or self._decide_carefully(facts, as_of)

    def _decide_carefully(self, facts: Mapping[str, Any], as_of: str | None) -> Answer:
        prepared = self.prepare(facts)
        day = self.as_of_day(prepared, as_of)
        if self._rule_hits is None:
            self._rule_hits = define(_rule_hits_source(self), "rule_hits", {}, f"rules of {self.id}")
        outcome, deciding, overridden = self._outcome_of(self._rule_hits(prepared, day))
        return Answer(self.id, outcome, from_ordinal(day), deciding, overridden, prepared, day)

    def _outcome_of(self, hits: tuple[bool, ...]) -> Outcome:
        """The outcome when the rules that hold are `hits` (in rule order); remembered, as
        the same few patterns come back call after call."""
        applicable = [rule for rule, hit in zip(self.rules, hits, strict=True) if hit]
        beaten = {clause for rule in applicable for clause in rule.overrides}
        deciding = [r for r in applicable if r.clause not in beaten]
        outcomes = {r.outcome for r in deciding}
        if not deciding:
            outcome = self.default
        elif len(outcomes) == 1:
            outcome = deciding[0].outcome
        else:
            outcome = CONFLICT
        if len(self._outcomes) >= CACHE_LIMIT:
            self._outcomes.clear()
        found = self._outcomes[hits] = (
            outcome,
            tuple(r.clause for r in deciding),
            tuple(r.clause for r in applicable if r.clause in beaten),
        )
        return found

    def prepare(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        """Validate facts against the declaration; fill defaults; dates become ordinals."""
        if not isinstance(facts, Mapping):
            raise FactError(["the facts must be a JSON object"])
        problems: list[str] = []
        prepared = dict(self._defaults)
        for name, value in facts.items():
            spec = self.facts.get(name)
            if spec is None:
                import difflib  # only for this hint: keeps the start of `terms check` light

                close = difflib.get_close_matches(str(name), list(self.facts), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(f"unknown fact '{name}'{hint}")
                continue
            converted = self._convert(name, spec, value, problems)
            if converted is not None:
                prepared[name] = converted
        for name in self._required:
            if name not in facts:
                problems.append(f"missing fact '{name}' ({type_words(self.facts[name])})")
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
            match = self._matchers.get(name)
            if match is None or match(value) is not None:
                return value
        problems.append(f"fact '{name}' must be {type_words(spec)}, found {_show(value)}")
        return None

    def as_of_day(self, prepared: Mapping[str, Any], as_of: str | None) -> int:
        if as_of is not None:
            day = parse_date(as_of)
            if day is None:
                raise FactError([f"the as-of date must be a date (YYYY-MM-DD), found {_show(as_of)}"])
            return day
        if self.as_of_fact is not None:
            return int(prepared[self.as_of_fact])
        return today()


def _check_facts_of(rule: Rule, facts: Mapping[str, Mapping[str, Any]]) -> None:
    """Refuse a rule naming a fact the decision does not declare, or as of another type."""
    for node in walk(rule.when):
        if isinstance(node, Fact):
            declared = facts.get(node.name)
            if declared is None:
                raise RuleError(f"clause '{rule.clause}': the rule names the undeclared fact '{node.name}'")
            if node.type.split(":")[0] != declared.get("type"):
                raise RuleError(
                    f"clause '{rule.clause}': the rule reads fact '{node.name}' as {node.type}, "
                    f"but the decision declares it {declared.get('type')}"
                )


def _default(name: str, spec: Mapping[str, Any], match: Callable[[str], Any] | None) -> Any:
    """A fact's default as prepared facts hold it: a date as its ordinal."""
    value = spec["default"]
    unmatched = match is not None and not (isinstance(value, str) and match(value))
    if value.__class__ not in (str, int, bool) or unmatched:
        raise RuleError(f"bad default {value!r} for fact '{name}'")
    if spec["type"] != "date":
        return value
    day = parse_date(value)
    if day is None:
        raise RuleError(f"bad default {value!r} for date fact '{name}'")
    return day


# The generated source -------------------------------------------------------------------------


def _decide_source(decision: CompiledDecision) -> str:
    """Source of decide_quickly(facts, as_of) for the decision."""

    def fact_in_local(name: str) -> str:  # the local variable holding a declared fact
        return f"v_{name}"

    lines = [
        "def decide_quickly(facts, as_of):",
        "    if facts.__class__ is not dict:",
        "        return None",
        f"    given = {len(decision._required)}",
    ]
    for name, spec in decision.facts.items():
        lines += _fact_source(name, spec, decision._defaults)
    lines += [
        "    if len(facts) != given:  # an unknown fact",
        "        return None",
        "    if as_of is None:",
    ]
    as_of_fact = decision.as_of_fact
    if as_of_fact is None:
        lines += ["        day = today()", "        as_of = from_ordinal(day)"]
    elif decision.facts.get(as_of_fact, {}).get("type") == "date":
        lines += [f"        day, as_of = v_{as_of_fact}, t_{as_of_fact}"]
    else:
        raise RuleError(f"the as-of fact {as_of_fact!r} is not a date fact of the decision")
    lines += [
        "    else:",
        "        day = day_of(as_of)",
        "        if day is None:",
        "            return None",
        "    hits = (",
        *(f"        {rule_source(rule, fact_in_local)}," for rule in decision.rules),
        "    )",
        "    outcome, deciding, overridden = OUTCOMES.get(hits) or outcome_of(hits)",
        "    prepared = {" + ", ".join(f"{name!r}: v_{name}" for name in decision.facts) + "}",
        "    return Answer(ID, outcome, as_of, deciding, overridden, prepared, day)",
    ]
    return "\n".join(lines) + "\n"


def _rule_hits_source(decision: CompiledDecision) -> str:
    """Source of rule_hits(f, day): whether each rule applies, over prepared facts."""
    return (
        "\n".join(
            [
                "def rule_hits(f, day):",
                "    return (",
                *(f"        {rule_source(rule, fact_in_dict)}," for rule in decision.rules),
                "    )",
            ]
        )
        + "\n"
    )


def _fact_source(name: str, spec: Mapping[str, Any], defaults: Mapping[str, Any]) -> list[str]:
    """Lines that set v_NAME to the fact's prepared value (a date's text given also goes to
    t_NAME), or return None when the value is not plainly valid. An optional fact left out
    takes its default; one given counts in `given`. None is no fact's valid value, so a null
    given for an optional fact leaves `given` short, and the careful path words the problem."""
    if not NAME.fullmatch(name):
        raise RuleError(f"bad fact name {name!r}")
    value = f"v_{name}"
    if spec["type"] == "date":
        given_as = f"t_{name}"
        check = [
            f"if {given_as}.__class__ is not str:",
            "    return None",
            f"{value} = DAYS.get({given_as}) or day_of({given_as})",
            f"if {value} is None:",
            "    return None",
        ]
        default = (
            f"{value}, {given_as} = {defaults.get(name)!r}, "
            f"{from_ordinal(defaults[name]) if name in defaults else ''!r}"
        )
    else:
        given_as = value
        check = [f"if {_bad_value(name, spec)}:", "    return None"]
        default = f"{value} = {defaults.get(name)!r}"
    read = f"{given_as} = facts.get({name!r})"
    if name not in defaults:
        return _indented([read, *check])
    return _indented(
        [read, f"if {given_as} is None:", *_indented([default]), "else:", *_indented([*check, "given += 1"])]
    )


def _bad_value(name: str, spec: Mapping[str, Any]) -> str:
    """Source of `the value is not one of the (non-date) fact's type`, as _convert sees it."""
    value = f"v_{name}"
    if spec["type"] == "enum":
        allowed = [repr(v) for v in spec.get("values", ()) if isinstance(v, str)]
        return f"{value}.__class__ is not str or {value} not in " + (
            "{" + ", ".join(allowed) + "}" if allowed else "()"
        )
    if "pattern" in spec:  # m_NAME: the pattern's fullmatch, in the generated code's namespace
        return f"{value}.__class__ is not str or m_{name}({value}) is None"
    return f"{value}.__class__ is not {_PYTHON_TYPES.get(spec['type'], 'str')}"


_PYTHON_TYPES = {"bool": "bool", "int": "int"}
"""Python types of the facts' values, by declared type (text for any other type)."""


def _indented(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def type_words(spec: Mapping[str, Any]) -> str:
    type_ = spec["type"]
    if type_ == "enum":
        return "one of " + ", ".join(spec["values"])
    if type_ == "string" and "pattern" in spec:
        return f"a text matching {spec['pattern']}"
    return {
        "date": "a date (YYYY-MM-DD)",
        "int": "a whole number",
        "bool": "true or false",
        "string": "a text",
    }[type_]


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
