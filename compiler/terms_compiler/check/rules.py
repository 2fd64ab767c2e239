"""Rules: the one typed reader of a bundle's rules, from their JSON AST to frozen nodes.

Every consumer of a rule (the generated evaluator, the explanations, the rule in words on the
site, the logic checks) reads it through `read_rule` or `read_condition`, and dispatches on the
node classes below, never on `node["op"]`. The reader refuses what docs/semantics.md does not
allow (an unknown operator, a missing field, a wrong number of arguments, a value or an operand
of the wrong type) with a RuleError that names the clause and the JSON path: a malformed bundle
is reported as a malformed bundle, not later as a problem with somebody's facts.

Nodes are NamedTuples, not dataclasses: as frozen, and importing dataclasses (with inspect)
would cost every `terms check` several milliseconds of its start. Standard library only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, Literal, NamedTuple

from terms_compiler.check.dates import from_ordinal, parse_date, to_ordinal

Scalar = bool | int | str
"""A constant's value as the bundle gives it (a date as its ISO text)."""

BoolOperator = Literal["and", "or"]
Comparison = Literal["==", "!=", "<", "<=", ">", ">="]
Sum = Literal["+", "-"]

COMPARISONS: tuple[Comparison, ...] = ("==", "!=", "<", "<=", ">", ">=")
ORDERED_TYPES = ("int", "date")
"""The types `<`, `<=`, `>`, `>=` compare, and `+`, `-` add a number of days or units to."""


class RuleError(Exception):
    """A rule of a bundle is malformed (a tampered or foreign bundle): says what and where."""


class Fact(NamedTuple):
    """The value of a fact of the decision (validated and defaulted)."""

    name: str
    type: str
    """bool, int, date, string or enum:<name>."""


class Param(NamedTuple):
    """A clause parameter, inlined: its value, with its name for explanations."""

    name: str
    type: str
    value: Scalar
    """As the bundle gives it: a date as its ISO text."""


class Const(NamedTuple):
    """A constant; type enum:<name> for an enum value."""

    type: str
    value: Scalar
    """As the bundle gives it: a date as its ISO text."""


class BoolOp(NamedTuple):
    """Conjunction or disjunction of two or more conditions, left to right."""

    op: BoolOperator
    args: tuple[Expr, ...]


class Not(NamedTuple):
    arg: Expr


class Compare(NamedTuple):
    """left op right, both of one type; ordering only on int and date."""

    op: Comparison
    left: Expr
    right: Expr


class Membership(NamedTuple):
    """True when value equals one of the options (all of its type)."""

    value: Expr
    options: tuple[Expr, ...]


class Days(NamedTuple):
    """days(start, end): end minus start, in days (an int)."""

    start: Expr
    end: Expr


class Arithmetic(NamedTuple):
    """int plus or minus int, or date plus or minus a number of days (a date)."""

    op: Sum
    left: Expr
    right: Expr


Expr = Fact | Param | Const | BoolOp | Not | Compare | Membership | Days | Arithmetic
"""A node of a condition AST."""


class Rule(NamedTuple):
    """One clause's rule of a decision."""

    clause: str
    """Id of the clause stating the rule."""
    outcome: str
    """The outcome when the rule applies."""
    when: Expr
    """Its condition: an expression of type bool."""
    start: int | None
    """First day in effect (an ordinal); None when open."""
    end: int | None
    """Last day in effect (an ordinal); None when open."""
    overrides: tuple[str, ...]
    """Clauses whose rules this one beats."""

    def in_effect(self, day: int) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


# Reading --------------------------------------------------------------------------------------


def read_rule(data: Any, path: str = "rule") -> Rule:
    """A rule (an item of `decisions.<id>.rules`) as typed nodes; `path` says where it is in the
    bundle, for the RuleError that refuses it when it is malformed."""
    if not isinstance(data, dict):
        raise RuleError(f"rule at {path}: expected an object, found {found(data)}")
    clause = data.get("clause", MISSING)
    if not isinstance(clause, str):
        raise RuleError(f"rule at {path}.clause: expected the id of its clause, found {found(clause)}")
    reader = _Reader(f"clause '{clause}'", f"{path}.")
    outcome = data.get("outcome", MISSING)
    if not isinstance(outcome, str):
        raise reader.error("outcome", f"expected the outcome (a text), found {found(outcome)}")
    effective = data.get("effective") or {}
    if not isinstance(effective, dict):
        raise reader.error("effective", f"expected an object with from and until, found {found(effective)}")
    overrides = data.get("overrides", [])
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise reader.error("overrides", f"expected a list of clause ids, found {found(overrides)}")
    return Rule(
        clause,
        outcome,
        reader.condition(data.get("when", MISSING), "when"),
        reader.day(effective.get("from"), "effective.from"),
        reader.day(effective.get("until"), "effective.until"),
        tuple(overrides),
    )


def read_condition(data: Any, path: str = "when") -> Expr:
    """A condition AST (true or false) as typed nodes."""
    return _Reader("condition").condition(data, path)


def read_expression(data: Any, path: str = "node") -> Expr:
    """An AST node of any type as typed nodes."""
    return _Reader("expression").node(data, path)[0]


MISSING: Any = object()
"""What a field that is not there reads as."""
MAX_DEPTH = 64
"""Most levels of nodes a condition has (the root is level 1). The compiler's type checker holds
the conditions it writes to the same depth, so every bundle it writes is one this reader reads;
deeper ones would take the generated Python past the nesting its parser allows."""
_TYPE = re.compile(r"bool|int|date|string|enum:[a-z0-9-]+")
NAME = re.compile(r"[a-z][a-z0-9_]*")
"""Used with fullmatch (`$` would let "x\n" through): names go into generated code."""
_OPERATORS = ("and", "or", "not", *COMPARISONS, "in", "days", "+", "-", "fact", "param", "const")


class _Reader:
    """Reads one rule's AST, checking each node as docs/semantics.md specifies it and computing
    its type bottom-up (as the compiler's type checker does for the source condition)."""

    def __init__(self, rule: str, base: str = "") -> None:
        self.rule = rule
        """The rule, as RuleError messages name it."""
        self.base = base
        """Where the rule is in the bundle: the start of every path."""
        self.depth = 0
        """Levels of nodes above the one being read."""

    def error(self, path: str, problem: str) -> RuleError:
        return RuleError(f"{self.rule}, at {self.base}{path}: {problem}")

    def condition(self, data: Any, path: str) -> Expr:
        node, type_ = self.node(data, path)
        if type_ != "bool":
            raise self.error(path, f"expected a condition (bool), found an expression of type {type_}")
        return node

    def node(self, data: Any, path: str) -> tuple[Expr, str]:
        """The node at path and its type."""
        if self.depth >= MAX_DEPTH:
            raise self.error(path, f"the condition is nested more than {MAX_DEPTH} levels deep")
        self.depth += 1
        try:
            return self.typed_node(data, path)
        finally:
            self.depth -= 1

    def typed_node(self, data: Any, path: str) -> tuple[Expr, str]:
        if not isinstance(data, dict):
            raise self.error(path, f"expected a node (an object with 'op'), found {found(data)}")
        op = data.get("op", MISSING)
        match op:
            case "fact":
                type_ = self.type_(data, path)
                return Fact(self.name(data, path), type_), type_
            case "param":
                type_ = self.type_(data, path)
                return Param(self.name(data, path), type_, self.value(data, type_, path)), type_
            case "const":
                type_ = self.type_(data, path)
                return Const(type_, self.value(data, type_, path)), type_
            case "and" | "or":
                args = tuple(self.condition(arg, at) for arg, at in self.items(data, "args", path, 2))
                return BoolOp(op, args), "bool"
            case "not":
                return Not(self.condition(data.get("arg", MISSING), f"{path}.arg")), "bool"
            case "==" | "!=" | "<" | "<=" | ">" | ">=":
                return self.compare(op, data, path), "bool"
            case "+" | "-":
                return self.arithmetic(op, data, path)
            case "in":
                return self.membership(data, path), "bool"
            case "days":
                return self.days(data, path), "int"
        expected = ", ".join(_OPERATORS)
        problem = "a node without 'op'" if op is MISSING else f"unknown operator {found(op)}"
        raise self.error(path, f"{problem}; expected one of: {expected}")

    def compare(self, op: Comparison, data: dict[str, Any], path: str) -> Compare:
        left, left_type = self.node(data.get("left", MISSING), f"{path}.left")
        right, right_type = self.node(data.get("right", MISSING), f"{path}.right")
        if left_type != right_type:
            raise self.error(path, f"'{op}' compares values of one type, found {left_type} and {right_type}")
        if op not in ("==", "!=") and left_type not in ORDERED_TYPES:
            raise self.error(path, f"'{op}' compares int or date values, found {left_type}")
        return Compare(op, left, right)

    def arithmetic(self, op: Sum, data: dict[str, Any], path: str) -> tuple[Arithmetic, str]:
        left, left_type = self.node(data.get("left", MISSING), f"{path}.left")
        right, right_type = self.node(data.get("right", MISSING), f"{path}.right")
        if left_type not in ORDERED_TYPES or right_type != "int":
            raise self.error(
                path, f"'{op}' adds an int to an int or a date, found {right_type} {op} to {left_type}"
            )
        return Arithmetic(op, left, right), left_type

    def membership(self, data: dict[str, Any], path: str) -> Membership:
        value, type_ = self.node(data.get("value", MISSING), f"{path}.value")
        if type_ == "bool":
            raise self.error(f"{path}.value", "'in' looks up a value, found a condition (bool)")
        options = []
        for option, at in self.items(data, "options", path, 1):
            node, option_type = self.node(option, at)
            if option_type != type_:
                raise self.error(at, f"an option of 'in' has its value's type {type_}, found {option_type}")
            options.append(node)
        return Membership(value, tuple(options))

    def days(self, data: dict[str, Any], path: str) -> Days:
        args = self.items(data, "args", path, 2)
        if len(args) != 2:
            raise self.error(f"{path}.args", f"days takes 2 dates (from, to), found {len(args)}")
        (start, start_type), (end, end_type) = (self.node(arg, at) for arg, at in args)
        if start_type != "date" or end_type != "date":
            raise self.error(f"{path}.args", f"days takes 2 dates, found {start_type} and {end_type}")
        return Days(start, end)

    def items(self, data: dict[str, Any], key: str, path: str, least: int) -> list[tuple[Any, str]]:
        """The items of data[key], a list of at least `least` nodes, each with its path."""
        items = data.get(key, MISSING)
        if not isinstance(items, list) or len(items) < least:
            raise self.error(
                f"{path}.{key}", f"expected a list of {least} or more nodes, found {found(items)}"
            )
        return [(item, f"{path}.{key}[{index}]") for index, item in enumerate(items)]

    def name(self, data: dict[str, Any], path: str) -> str:
        name = data.get("name", MISSING)
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise self.error(f"{path}.name", f"expected a name (a-z, 0-9, _), found {found(name)}")
        return name

    def type_(self, data: dict[str, Any], path: str) -> str:
        type_ = data.get("type", MISSING)
        if not isinstance(type_, str) or not _TYPE.fullmatch(type_):
            raise self.error(
                f"{path}.type", f"expected bool, int, date, string or enum:<name>, found {found(type_)}"
            )
        return type_

    def value(self, data: dict[str, Any], type_: str, path: str) -> Scalar:
        value = data.get("value", MISSING)
        if type_ == "bool":
            fits = value.__class__ is bool
        elif type_ == "int":
            fits = value.__class__ is int
        elif type_ == "date":
            fits = parse_date(value) is not None
        else:  # string, enum:<name>
            fits = value.__class__ is str
        if not fits or not isinstance(value, bool | int | str):
            raise self.error(f"{path}.value", f"expected a value of type {type_}, found {found(value)}")
        return value

    def day(self, value: Any, path: str) -> int | None:
        if value is None:
            return None
        day = parse_date(value)
        if day is None:
            raise self.error(path, f"expected a date (YYYY-MM-DD) or null, found {found(value)}")
        return day


def found(value: Any) -> str:
    """A value from the bundle as an error message shows it: JSON-like and short."""
    if value is MISSING:
        return "nothing"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= 60 else text[:57] + "..."


# Typed accessors ------------------------------------------------------------------------------


def type_of(node: Expr) -> str:
    """The type of a node's value: a condition is a bool, days() an int, a sum its left side's."""
    match node:
        case Fact(type=type_) | Param(type=type_) | Const(type=type_):
            return type_
        case Days():
            return "int"
        case Arithmetic(left=left):
            return type_of(left)
    return "bool"


def constant_value(node: Param | Const) -> int | str:
    """The value of a constant or a parameter as conditions compute with it: a date as its
    ordinal (bool is an int)."""
    value = node.value
    return to_ordinal(value) if node.type == "date" and isinstance(value, str) else value


def children(node: Expr) -> tuple[Expr, ...]:
    """The nodes directly below node, in order."""
    match node:
        case BoolOp(args=args):
            return args
        case Not(arg=arg):
            return (arg,)
        case Compare(left=left, right=right) | Arithmetic(left=left, right=right):
            return (left, right)
        case Membership(value=value, options=options):
            return (value, *options)
        case Days(start=start, end=end):
            return (start, end)
    return ()


def walk(node: Expr) -> Iterator[Expr]:
    """node and every node below it, depth first, in order."""
    yield node
    for child in children(node):
        yield from walk(child)


# Writing --------------------------------------------------------------------------------------


def node_json(node: Expr) -> dict[str, Any]:
    """The node as the bundle gives it: read_condition(node_json(node)) == node."""
    match node:
        case Fact(name=name, type=type_):
            return {"op": "fact", "name": name, "type": type_}
        case Param(name=name, type=type_, value=value):
            return {"op": "param", "name": name, "type": type_, "value": value}
        case Const(type=type_, value=value):
            return {"op": "const", "type": type_, "value": value}
        case BoolOp(op=op, args=args):
            return {"op": op, "args": [node_json(arg) for arg in args]}
        case Not(arg=arg):
            return {"op": "not", "arg": node_json(arg)}
        case Compare(op=op, left=left, right=right) | Arithmetic(op=op, left=left, right=right):
            return {"op": op, "left": node_json(left), "right": node_json(right)}
        case Membership(value=value, options=options):
            return {"op": "in", "value": node_json(value), "options": [node_json(o) for o in options]}
        case Days(start=start, end=end):
            return {"op": "days", "args": [node_json(start), node_json(end)]}
    raise TypeError(f"not a rule node: {node!r}")


def rule_json(rule: Rule) -> Mapping[str, Any]:
    """The fields of a bundle's rule that read_rule reads, as the bundle gives them."""
    return {
        "clause": rule.clause,
        "outcome": rule.outcome,
        "when": node_json(rule.when),
        "effective": {
            "from": None if rule.start is None else from_ordinal(rule.start),
            "until": None if rule.end is None else from_ordinal(rule.end),
        },
        "overrides": list(rule.overrides),
    }
