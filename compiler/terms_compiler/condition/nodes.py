"""Nodes of the condition language: frozen dataclasses, each with the span it was parsed from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """Characters [start, end) of the expression a node was parsed from."""

    start: int
    end: int

    def to(self, other: Span) -> Span:
        return Span(self.start, other.end)


@dataclass(frozen=True, slots=True)
class Name:
    """A fact, a parameter or an enum value; typecheck decides which."""

    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Literal:
    """A literal: kind is int, date, string or bool; value is its text (or 'true'/'false')."""

    kind: str
    value: str
    span: Span


@dataclass(frozen=True, slots=True)
class Call:
    """A function call; the only function is days(from, to)."""

    function: str
    args: tuple[Expr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """left + right or left - right."""

    op: str
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Compare:
    """left op right with op one of == != < <= > >=."""

    op: str
    left: Expr
    right: Expr
    span: Span
    op_span: Span


@dataclass(frozen=True, slots=True)
class Membership:
    """value in [options] (negated for `not in`)."""

    value: Expr
    options: tuple[Expr, ...]
    negated: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class BoolOp:
    """and / or over two or more operands."""

    op: str
    operands: tuple[Expr, ...]
    span: Span


Expr = Name | Literal | Call | Arithmetic | Compare | Membership | Not | BoolOp
