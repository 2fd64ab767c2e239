"""Boundaries of conditions: comparisons as linear forms over facts, and the values they name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from terms_compiler.check.evaluate import node_type

COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})


@dataclass(frozen=True, slots=True)
class Form:
    """A comparison of numbers or dates, as sum(coefficient * fact) + constant against 0."""

    coefficients: tuple[tuple[str, int], ...]
    constant: int


def analyse(
    node: Mapping[str, Any],
    used: dict[str, None],
    values: dict[str, list[Any]],
    forms: list[Form],
    equal: list[tuple[str, str]],
) -> None:
    """Collect from a condition the facts it uses, the values it compares each fact with, its
    comparisons of numbers and dates as linear forms, and the pairs of facts it compares."""
    op = node.get("op")
    if op == "fact":
        used[node["name"]] = None
    elif op in ("and", "or", "days"):
        for arg in node["args"]:
            analyse(arg, used, values, forms, equal)
    elif op == "not":
        analyse(node["arg"], used, values, forms, equal)
    elif op == "in":
        analyse(node["value"], used, values, forms, equal)
        if node["value"]["op"] == "fact":
            values.setdefault(node["value"]["name"], []).extend(
                o["value"] for o in node["options"] if o["op"] in ("const", "param")
            )
    elif op in COMPARISONS or op in ("+", "-"):
        analyse(node["left"], used, values, forms, equal)
        analyse(node["right"], used, values, forms, equal)
        if op not in COMPARISONS:
            return
        left, right = node["left"], node["right"]
        if node_type(left) in ("int", "date"):
            difference = linear(left, right, -1)
            if difference is not None and difference.coefficients:
                forms.append(difference)
        elif left["op"] == "fact" and right["op"] == "fact":
            equal.append((left["name"], right["name"]))
        else:
            for fact, other in ((left, right), (right, left)):
                if fact["op"] == "fact" and other["op"] in ("const", "param"):
                    values.setdefault(fact["name"], []).append(other["value"])


def linear(left: Mapping[str, Any], right: Mapping[str, Any], sign: int) -> Form | None:
    """left + sign * right as a linear form over facts (dates as day numbers)."""
    coefficients: dict[str, int] = {}
    constant = 0

    def add(node: Mapping[str, Any], factor: int) -> bool:
        nonlocal constant
        op = node["op"]
        if op == "fact":
            coefficients[node["name"]] = coefficients.get(node["name"], 0) + factor
        elif op in ("const", "param"):
            value = node["value"]
            number = ordinal(value) if node.get("type") == "date" else value
            if not isinstance(number, int) or isinstance(number, bool):
                return False
            constant += factor * number
        elif op == "days":
            return add(node["args"][1], factor) and add(node["args"][0], -factor)
        elif op in ("+", "-"):
            return add(node["left"], factor) and add(node["right"], factor if op == "+" else -factor)
        else:
            return False
        return True

    if not (add(left, 1) and add(right, sign)):
        return None
    return Form(tuple(sorted((k, v) for k, v in coefficients.items() if v)), constant)


def ordinal(value: Any) -> int | None:
    """The day number of an ISO date, or None."""
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
