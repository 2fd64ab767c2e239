"""Boundaries of conditions: comparisons as linear forms over facts, and the values they name."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from terms_compiler.check.rules import (
    Arithmetic,
    Compare,
    Const,
    Days,
    Expr,
    Fact,
    Membership,
    Param,
    children,
    constant_value,
    type_of,
)


@dataclass(frozen=True, slots=True)
class Form:
    """A comparison of numbers or dates, as sum(coefficient * fact) + constant against 0."""

    coefficients: tuple[tuple[str, int], ...]
    constant: int


def analyse(
    node: Expr,
    used: dict[str, None],
    values: dict[str, list[Any]],
    forms: list[Form],
    equal: list[tuple[str, str]],
) -> None:
    """Collect from a condition the facts it uses, the values it compares each fact with, its
    comparisons of numbers and dates as linear forms, and the pairs of facts it compares.
    Below a membership test only the value looked up is analysed, not the options."""
    match node:
        case Fact(name=name):
            used[name] = None
        case Membership(value=value, options=options):
            analyse(value, used, values, forms, equal)
            if isinstance(value, Fact):
                values.setdefault(value.name, []).extend(named_values(options))
        case Compare(left=left, right=right):
            analyse(left, used, values, forms, equal)
            analyse(right, used, values, forms, equal)
            _compared(left, right, values, forms, equal)
        case _:
            for child in children(node):
                analyse(child, used, values, forms, equal)


def _compared(
    left: Expr, right: Expr, values: dict[str, list[Any]], forms: list[Form], equal: list[tuple[str, str]]
) -> None:
    """Collect what a comparison of left and right says of the facts."""
    if type_of(left) in ("int", "date"):
        difference = linear(left, right, -1)
        if difference is not None and difference.coefficients:
            forms.append(difference)
    elif isinstance(left, Fact) and isinstance(right, Fact):
        equal.append((left.name, right.name))
    else:
        for fact, other in ((left, right), (right, left)):
            if isinstance(fact, Fact) and isinstance(other, Const | Param):
                values.setdefault(fact.name, []).append(other.value)


def named_values(options: tuple[Expr, ...]) -> list[Any]:
    """The values (as the bundle gives them: a date as its ISO text) of the options that are
    constants or parameters."""
    return [option.value for option in options if isinstance(option, Const | Param)]


def linear(left: Expr, right: Expr, sign: int) -> Form | None:
    """left + sign * right as a linear form over facts (dates as day numbers)."""
    coefficients: dict[str, int] = {}
    constant = 0

    def add(node: Expr, factor: int) -> bool:
        nonlocal constant
        match node:
            case Fact(name=name):
                coefficients[name] = coefficients.get(name, 0) + factor
            case Param() | Const():
                number = constant_value(node)
                if not isinstance(number, int) or isinstance(number, bool):
                    return False
                constant += factor * number
            case Days(start=start, end=end):
                return add(end, factor) and add(start, -factor)
            case Arithmetic(op=op, left=first, right=second):
                return add(first, factor) and add(second, factor if op == "+" else -factor)
            case _:
                return False
        return True

    if not (add(left, 1) and add(right, sign)):
        return None
    return Form(tuple(sorted((k, v) for k, v in coefficients.items() if v)), constant)


def ordinal(value: Any) -> int | None:
    """The day number of an ISO date (a fact's value), or None."""
    try:
        return dt.date.fromisoformat(value).toordinal() if isinstance(value, str) else None
    except ValueError:
        return None


def iso_date(day: int) -> str | None:
    """The ISO date of a day number, or None outside the calendar."""
    try:
        return dt.date.fromordinal(day).isoformat()
    except (ValueError, OverflowError):
        return None
