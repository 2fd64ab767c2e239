"""Typecheck stage of the condition language: nodes + declared facts -> the typed JSON AST."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from terms_compiler.check.rules import MAX_DEPTH
from terms_compiler.condition.nodes import (
    Arithmetic,
    Call,
    Compare,
    Expr,
    Literal,
    Membership,
    Name,
    Not,
    Span,
)

JsonNode = dict[str, Any]
ORDERED_TYPES = frozenset({"int", "date"})


@dataclass(frozen=True, slots=True)
class Scope:
    """What a condition may name: its decision's facts and its clause's parameters."""

    decision: str
    facts: Mapping[str, str]
    """Fact name -> type (bool, int, date, string or enum:<enum name>)."""
    parameters: Mapping[str, tuple[str, Any]]
    """Parameter name -> (type, value as JSON: dates as ISO strings)."""
    enums: Mapping[str, tuple[str, ...]]
    """Enum name -> its values."""


class ConditionError(Exception):
    def __init__(self, message: str, span: Span, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.span, self.hint = message, span, hint


def describe_type(type_: str) -> str:
    if type_.startswith("enum:"):
        return f"a value of enum '{type_[5:]}'"
    return {
        "bool": "true/false",
        "int": "a whole number",
        "date": "a date",
        "string": "a text",
        "list": "a list",
    }[type_]


def typecheck(expr: Expr, scope: Scope) -> JsonNode:
    """The typed JSON AST of a condition, or ConditionError at the offending token."""
    node, type_ = _Checker(scope).check(expr)
    if type_ != "bool":
        raise ConditionError(
            f"a condition must be true or false, but this is {describe_type(type_)}", expr.span
        )
    return node


def _did_you_mean(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


class _Checker:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.depth = 0
        """Levels of the typed AST down to the node being checked."""

    def check(self, expr: Expr, expected: str | None = None) -> tuple[JsonNode, str]:
        """The typed AST of expr and its type. The AST is the bundle's, so it is held to the
        depth the checker reads (check/rules.py, MAX_DEPTH): every condition the compiler
        accepts is one `terms check` answers. `not in` is two levels (not, in)."""
        levels = 2 if isinstance(expr, Membership) and expr.negated else 1
        self.depth += levels
        try:
            if self.depth > MAX_DEPTH:
                raise ConditionError(
                    f"the condition is more than {MAX_DEPTH} levels deep as the bundle stores it "
                    "(each and, or, not, comparison, in, +, -, days and value is a level); split it",
                    expr.span,
                )
            return self.typed(expr, expected)
        finally:
            self.depth -= levels

    def typed(self, expr: Expr, expected: str | None) -> tuple[JsonNode, str]:
        if isinstance(expr, Name):
            return self.name(expr, expected)
        if isinstance(expr, Literal):
            return self.literal(expr, expected)
        if isinstance(expr, Call):
            return self.call(expr)
        if isinstance(expr, Arithmetic):
            return self.arithmetic(expr)
        if isinstance(expr, Compare):
            return self.compare(expr)
        if isinstance(expr, Membership):
            return self.membership(expr)
        if isinstance(expr, Not):
            return {"op": "not", "arg": self.condition(expr.operand, "not")}, "bool"
        return {"op": expr.op, "args": [self.condition(o, expr.op) for o in expr.operands]}, "bool"

    def condition(self, expr: Expr, keyword: str) -> JsonNode:
        node, type_ = self.check(expr)
        if type_ != "bool":
            raise ConditionError(
                f"'{keyword}' needs a condition (true/false), but this is {describe_type(type_)}", expr.span
            )
        return node

    def is_known(self, expr: Expr) -> bool:
        return (
            not isinstance(expr, Name) or expr.name in self.scope.facts or expr.name in self.scope.parameters
        )

    def name(self, expr: Name, expected: str | None) -> tuple[JsonNode, str]:
        scope = self.scope
        if expr.name in scope.facts:
            type_ = scope.facts[expr.name]
            return {"op": "fact", "name": expr.name, "type": type_}, type_
        if expr.name in scope.parameters:
            type_, value = scope.parameters[expr.name]
            return {"op": "param", "name": expr.name, "type": type_, "value": value}, type_
        if expected and expected.startswith("enum:"):
            return self.enum_value(expr.name, expected, expr.span)
        candidates = [*scope.facts, *scope.parameters]
        raise ConditionError(
            f"unknown name '{expr.name}': not a fact of decision '{scope.decision}' "
            "nor a parameter of this clause",
            expr.span,
            _did_you_mean(expr.name, candidates),
        )

    def enum_value(self, value: str, enum_type: str, span: Span) -> tuple[JsonNode, str]:
        values = self.scope.enums.get(enum_type[5:], ())
        if value not in values:
            raise ConditionError(
                f"'{value}' is not a value of enum '{enum_type[5:]}'; expected one of: {', '.join(values)}",
                span,
                _did_you_mean(value, list(values)),
            )
        return {"op": "const", "type": enum_type, "value": value}, enum_type

    def literal(self, expr: Literal, expected: str | None) -> tuple[JsonNode, str]:
        if expr.kind == "string" and expected and expected.startswith("enum:"):
            return self.enum_value(expr.value, expected, expr.span)
        if expr.kind == "int":
            return {"op": "const", "type": "int", "value": int(expr.value)}, "int"
        if expr.kind == "bool":
            return {"op": "const", "type": "bool", "value": expr.value == "true"}, "bool"
        if expr.kind == "date":
            try:
                dt.date.fromisoformat(expr.value)
            except ValueError:
                raise ConditionError(f"'{expr.value}' is not a valid date", expr.span) from None
        return {"op": "const", "type": expr.kind, "value": expr.value}, expr.kind

    def call(self, expr: Call) -> tuple[JsonNode, str]:
        if expr.function != "days":
            raise ConditionError(
                f"unknown function '{expr.function}'; the only function is days(from, to)", expr.span
            )
        if len(expr.args) != 2:
            raise ConditionError(f"days(from, to) takes 2 dates, found {len(expr.args)}", expr.span)
        args = []
        for arg in expr.args:
            node, type_ = self.check(arg)
            if type_ != "date":
                raise ConditionError(
                    f"days(from, to) takes dates, but this is {describe_type(type_)}", arg.span
                )
            args.append(node)
        return {"op": "days", "args": args}, "int"

    def arithmetic(self, expr: Arithmetic) -> tuple[JsonNode, str]:
        left, left_type = self.check(expr.left)
        right, right_type = self.check(expr.right)
        if right_type != "int" or left_type not in ORDERED_TYPES:
            raise ConditionError(
                f"'{expr.op}' adds or subtracts a whole number to a number or a "
                f"date, not {describe_type(right_type)} to "
                f"{describe_type(left_type)}",
                expr.span,
            )
        return {"op": expr.op, "left": left, "right": right}, left_type

    def compare(self, expr: Compare) -> tuple[JsonNode, str]:
        # Check the side that names a fact first, so a bare enum value on the other side
        # (`oem == channel` or `channel == oem`) is read against that fact's enum.
        if self.is_known(expr.right) and not self.is_known(expr.left):
            right, right_type = self.check(expr.right)
            left, left_type = self.check(expr.left, right_type)
        else:
            left, left_type = self.check(expr.left)
            right, right_type = self.check(expr.right, left_type)
        if left_type != right_type:
            raise ConditionError(
                f"cannot compare {describe_type(left_type)} with {describe_type(right_type)}", expr.right.span
            )
        if expr.op not in ("==", "!=") and left_type not in ORDERED_TYPES:
            raise ConditionError(
                f"'{expr.op}' compares numbers or dates, not {describe_type(left_type)}", expr.op_span
            )
        return {"op": expr.op, "left": left, "right": right}, "bool"

    def membership(self, expr: Membership) -> tuple[JsonNode, str]:
        value, value_type = self.check(expr.value)
        if value_type == "bool":
            raise ConditionError("'in' needs a value to look up, not true/false", expr.value.span)
        options = []
        for option in expr.options:
            if not isinstance(option, Name | Literal):
                raise ConditionError("a list holds plain values", option.span)
            option_node, type_ = self.check(option, value_type)
            if type_ != value_type:
                raise ConditionError(
                    f"the list holds {describe_type(type_)} but {describe_type(value_type)} is looked up",
                    option.span,
                )
            options.append(option_node)
        membership: JsonNode = {"op": "in", "value": value, "options": options}
        return ({"op": "not", "arg": membership} if expr.negated else membership), "bool"
