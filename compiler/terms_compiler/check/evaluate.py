"""Evaluate: a decision's JSON (as in the bundle) -> a generated Python function that answers fact sets.

Each decision is compiled once, to the source of `decide_quickly(facts, as_of)`: it checks and
converts every declared fact inline, evaluates every rule with its effective window, and returns
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

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from datetime import date
else:
    try:
        # The C module alone: `import datetime` first runs its pure-Python implementation, then
        # replaces it with this one, which costs `terms check` 1.5 ms of its start.
        from _datetime import date
    except ImportError:  # a Python without the C module
        from datetime import date

ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
CONFLICT = "conflict"
FAR_PAST, FAR_FUTURE = date.min.toordinal(), date.max.toordinal()
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_NAME = re.compile(r"[a-z][a-z0-9_]*")  # used with fullmatch: `$` would let "x\n" through
CACHE_LIMIT = 100_000
"""Most entries a remembering dict keeps before it starts again (dates, patterns of rules)."""


class FactError(Exception):
    """The facts do not fit the decision's declaration; one message per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class RuleError(Exception):
    """A rule's AST is malformed (a tampered or foreign bundle)."""


def to_ordinal(iso: str) -> int:
    return date.fromisoformat(iso).toordinal()


def from_ordinal(day: int) -> str:
    return date.fromordinal(day).isoformat()


def parse_date(value: Any) -> int | None:
    """Ordinal of an ISO date string, or None when value is not one."""
    if not isinstance(value, str) or not ISO_DATE.match(value):
        return None
    try:
        return to_ordinal(value)
    except ValueError:
        return None


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


def constant_value(node: Mapping[str, Any]) -> Any:
    """The value of a const or param node (a date as its ordinal)."""
    value = node["value"]
    return to_ordinal(value) if node["type"] == "date" else value


def node_type(node: Mapping[str, Any]) -> str:
    """The type of an AST node's value: days() is an int, sums have their left side's type."""
    if node["op"] == "days":
        return "int"
    if node["op"] in ("+", "-"):
        return node_type(node["left"])
    return str(node.get("type", "bool"))


def fact_in_dict(name: str) -> str:
    """Source reading a fact from `f`, the prepared facts (dates as ordinals)."""
    return f"f[{name!r}]"


def to_python(node: Mapping[str, Any], fact: Callable[[str], str] = fact_in_dict) -> str:
    """Python source for a condition AST; `fact` gives the source reading a fact by its name.

    Only whitelisted operators are emitted and every name and value goes through repr() (names
    must also look like names), so no text from a bundle can become code.
    """
    op = node["op"]
    if op == "fact":
        if not _NAME.fullmatch(node["name"]):
            raise RuleError(f"bad fact name {node['name']!r}")
        return fact(node["name"])
    if op in ("const", "param"):
        value = constant_value(node)
        if not isinstance(value, str | int):  # bool is an int
            raise RuleError(f"bad constant {value!r}")
        return repr(value)
    if op in ("and", "or"):
        return "(" + f" {op} ".join(to_python(arg, fact) for arg in node["args"]) + ")"
    if op == "not":
        return f"(not {to_python(node['arg'], fact)})"
    if op in _COMPARISONS or op in ("+", "-"):
        return f"({to_python(node['left'], fact)} {op} {to_python(node['right'], fact)})"
    if op == "in":
        options = ", ".join(to_python(option, fact) for option in node["options"])
        return f"({to_python(node['value'], fact)} in ({options},))"
    if op == "days":
        start, end = node["args"]
        return f"({to_python(end, fact)} - {to_python(start, fact)})"
    raise RuleError(f"unknown operator {op!r}")


def define(source: str, name: str, namespace: Mapping[str, Any], label: str) -> Callable[..., Any]:
    """The function called `name` that generated `source` defines, with no builtins: it sees
    only what namespace gives it."""
    scope = {"__builtins__": {}, **namespace}
    exec(compile(source, f"<{label}>", "exec"), scope)
    function: Callable[..., Any] = scope[name]
    return function


class CompiledRule(NamedTuple):
    clause: str
    """Id of the clause stating the rule."""
    outcome: str
    start: int
    """First day in effect (ordinal), FAR_PAST when open."""
    end: int
    """Last day in effect (ordinal), FAR_FUTURE when open."""
    overrides: frozenset[str]
    spec: Mapping[str, Any]
    """The rule as the bundle gives it (AST, parameters), for explanations."""

    def in_effect(self, day: int) -> bool:
        return self.start <= day <= self.end

    def source(self, fact: Callable[[str], str]) -> str:
        """Source of `the rule applies`: in effect on `day` and its condition holds."""
        condition = to_python(self.spec["when"], fact)
        if self.start == FAR_PAST and self.end == FAR_FUTURE:
            return condition
        window = (
            (f"{self.start!r} <= " if self.start != FAR_PAST else "")
            + "day"
            + (f" <= {self.end!r}" if self.end != FAR_FUTURE else "")
        )
        return f"({window} and {condition})"


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
        self.rules = tuple(self._compile_rule(rule) for rule in spec["rules"])
        self._enum_values = {name: frozenset(f.get("values", ())) for name, f in self.facts.items()}
        self._defaults = {name: _default(name, f) for name, f in self.facts.items() if "default" in f}
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
            "today": _today,
            "from_ordinal": from_ordinal,
            "OUTCOMES": self._outcomes,
            "outcome_of": self._outcome_of,
        }
        self._decide_quickly: Callable[[Any, Any], Answer | None] = define(
            _decide_source(self), "decide_quickly", namespace, f"decide {decision_id}"
        )
        self._rule_hits: Callable[[Mapping[str, Any], int], tuple[bool, ...]] | None = None
        """The rules over prepared facts, for the careful path: compiled on its first use."""
        self.explainers: dict[Any, Callable[[Answer], list[Any]] | None] = {}
        """Compiled explainers by language and form, filled by explain (None: used once)."""

    @staticmethod
    def _compile_rule(rule: Mapping[str, Any]) -> CompiledRule:
        effective = rule.get("effective") or {}
        start, end = effective.get("from"), effective.get("until")
        return CompiledRule(
            rule["clause"],
            rule["outcome"],
            to_ordinal(start) if start else FAR_PAST,
            to_ordinal(end) if end else FAR_FUTURE,
            frozenset(rule.get("overrides", ())),
            rule,
        )

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
        return _today()


def _today() -> int:
    return date.today().toordinal()


def _default(name: str, spec: Mapping[str, Any]) -> Any:
    """A fact's default as prepared facts hold it: a date as its ordinal."""
    value = spec["default"]
    if value.__class__ not in (str, int, bool):
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
        if name not in decision.facts:
            raise RuleError(f"a rule names the undeclared fact {name!r}")
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
        *(f"        {rule.source(fact_in_local)}," for rule in decision.rules),
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
                *(f"        {rule.source(fact_in_dict)}," for rule in decision.rules),
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
    if not _NAME.fullmatch(name):
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
        check = [f"if {_bad_value(value, spec)}:", "    return None"]
        default = f"{value} = {defaults.get(name)!r}"
    read = f"{given_as} = facts.get({name!r})"
    if name not in defaults:
        return _indented([read, *check])
    return _indented(
        [read, f"if {given_as} is None:", *_indented([default]), "else:", *_indented([*check, "given += 1"])]
    )


def _bad_value(value: str, spec: Mapping[str, Any]) -> str:
    """Source of `the value is not one of the (non-date) fact's type`, as _convert sees it."""
    if spec["type"] == "enum":
        allowed = [repr(v) for v in spec.get("values", ()) if isinstance(v, str)]
        return f"{value}.__class__ is not str or {value} not in " + (
            "{" + ", ".join(allowed) + "}" if allowed else "()"
        )
    return f"{value}.__class__ is not {_PYTHON_TYPES.get(spec['type'], 'str')}"


_PYTHON_TYPES = {"bool": "bool", "int": "int"}
"""Python types of the facts' values, by declared type (text for any other type)."""


def _indented(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def _type_words(spec: Mapping[str, Any]) -> str:
    type_ = spec["type"]
    if type_ == "enum":
        return "one of " + ", ".join(spec["values"])
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
