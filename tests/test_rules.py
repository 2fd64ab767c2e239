"""The typed reader of rules: every shipped rule reads and writes back as it was; a malformed one
is refused with what is wrong and where; the node classes are the schema's nodes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from terms_compiler.check.dates import to_ordinal
from terms_compiler.check.rules import (
    MAX_DEPTH,
    BoolOp,
    Compare,
    Const,
    Days,
    Fact,
    Membership,
    Not,
    Param,
    RuleError,
    children,
    constant_value,
    node_json,
    read_condition,
    read_expression,
    read_rule,
    rule_json,
    type_of,
    walk,
)

SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "bundle.schema.json"

ORDER = {"op": "fact", "name": "order_date", "type": "date"}
LICENSE = {"op": "fact", "name": "license_date", "type": "date"}
PROGRAM = {"op": "fact", "name": "program", "type": "enum:program"}
WINDOW = {"op": "param", "name": "window_days", "type": "int", "value": 90}
DAYS = {"op": "days", "args": [LICENSE, ORDER]}
WITHIN = {"op": "<=", "left": DAYS, "right": WINDOW}
SELECT = {"op": "const", "type": "enum:program", "value": "select"}


def test_every_rule_of_the_shipped_bundle_reads_and_writes_back_as_it_was(shipped_bundle: Path) -> None:
    decisions = json.loads(shipped_bundle.read_text(encoding="utf-8"))["decisions"]
    read = 0
    for decision_id, decision in decisions.items():
        for index, rule in enumerate(decision["rules"]):
            typed = read_rule(rule, f"decisions.{decision_id}.rules[{index}]")
            assert rule_json(typed) == {
                k: rule[k] for k in ("clause", "outcome", "when", "effective", "overrides")
            }
            assert read_condition(node_json(typed.when)) == typed.when
            read += 1
    assert read >= 20


MALFORMED: list[tuple[str, Any, str]] = [
    (
        "unknown operator",
        {"op": "xor", "args": [ORDER, ORDER]},
        'unknown operator "xor"; expected one of: and, or, not, ==, !=, <, <=, >, >=, in, days, +, -, fact, '
        "param, const",
    ),
    (
        "no operator",
        {"name": "order_date"},
        "a node without 'op'; expected one of: and, or, not, ==, !=, <, <=, >, >=, in, days, +, -, fact, param, const",
    ),
    ("not an object", ["and"], "expected a node (an object with 'op'), found a list of 1"),
    (
        "a missing field",
        {"op": "<=", "left": DAYS},
        "at when.right: expected a node (an object with 'op'), found nothing",
    ),
    (
        "one argument to and",
        {"op": "and", "args": [WITHIN]},
        "at when.args: expected a list of 2 or more nodes, found a list of 1",
    ),
    (
        "three dates to days",
        {"op": ">", "left": {"op": "days", "args": [LICENSE, ORDER, ORDER]}, "right": WINDOW},
        "at when.left.args: days takes 2 dates (from, to), found 3",
    ),
    (
        "no options",
        {"op": "in", "value": PROGRAM, "options": []},
        "at when.options: expected a list of 1 or more nodes, found a list of 0",
    ),
    (
        "a condition that is a number",
        DAYS,
        "at when: expected a condition (bool), found an expression of type int",
    ),
    (
        "an argument of and that is a date",
        {"op": "and", "args": [WITHIN, ORDER]},
        "at when.args[1]: expected a condition (bool), found an expression of type date",
    ),
    (
        "a date compared with a number",
        {"op": "<", "left": ORDER, "right": WINDOW},
        "at when: '<' compares values of one type, found date and int",
    ),
    (
        "texts put in order",
        {"op": "<", "left": PROGRAM, "right": SELECT},
        "at when: '<' compares int or date values, found enum:program",
    ),
    (
        "a date added to a date",
        {"op": ">", "left": {"op": "+", "left": ORDER, "right": LICENSE}, "right": ORDER},
        "at when.left: '+' adds an int to an int or a date, found date + to date",
    ),
    (
        "days of numbers",
        {"op": ">", "left": {"op": "days", "args": [WINDOW, ORDER]}, "right": WINDOW},
        "at when.left.args: days takes 2 dates, found int and date",
    ),
    (
        "an option of another type",
        {"op": "in", "value": PROGRAM, "options": [SELECT, WINDOW]},
        "at when.options[1]: an option of 'in' has its value's type enum:program, found int",
    ),
    (
        "a condition looked up",
        {"op": "in", "value": {"op": "not", "arg": WITHIN}, "options": [WITHIN]},
        "at when.value: 'in' looks up a value, found a condition (bool)",
    ),
    (
        "code as a fact's name",
        {"op": "fact", "name": "x'] or f['", "type": "bool"},
        "at when.name: expected a name (a-z, 0-9, _), found \"x'] or f['\"",
    ),
    (
        "a name with a newline",
        {"op": "fact", "name": "flag\n", "type": "bool"},
        r'at when.name: expected a name (a-z, 0-9, _), found "flag\n"',
    ),
    (
        "an unknown type",
        {"op": "fact", "name": "flag", "type": "boolean"},
        r'at when.type: expected bool, int, date, string or enum:<name>, found "boolean"',
    ),
    (
        "a number that is true",
        {"op": "==", "left": WINDOW, "right": {"op": "const", "type": "int", "value": True}},
        "at when.right.value: expected a value of type int, found true",
    ),
    (
        "a date that is no date",
        {"op": "==", "left": ORDER, "right": {"op": "const", "type": "date", "value": "2024-02-30"}},
        'at when.right.value: expected a value of type date, found "2024-02-30"',
    ),
    (
        "a date in another form",
        {
            "op": "==",
            "left": ORDER,
            "right": {"op": "param", "name": "since", "type": "date", "value": "20240101"},
        },
        'at when.right.value: expected a value of type date, found "20240101"',
    ),
    (
        "a list as a value",
        {"op": "==", "left": PROGRAM, "right": {"op": "const", "type": "enum:program", "value": ["select"]}},
        "at when.right.value: expected a value of type enum:program, found a list of 1",
    ),
    (
        "a long operator",
        {"op": 7 * "select-plus "},
        'unknown operator "select-plus select-plus select-plus select-plus select-p...; expected one of: and, '
        "or, not, ==, !=, <, <=, >, >=, in, days, +, -, fact, param, const",
    ),
]


@pytest.mark.parametrize(
    ("when", "message"), [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED]
)
def test_a_malformed_condition_is_refused_saying_what_and_where(when: Any, message: str) -> None:
    rule = {"clause": "sa-purchase.window", "outcome": "allowed", "when": when}
    with pytest.raises(RuleError) as error:
        read_rule(rule, "decisions.sa-purchase.rules[3]")
    at, problem = message.split(": ", 1) if message.startswith("at when") else ("at when", message)
    assert (
        str(error.value)
        == f"clause 'sa-purchase.window', {at.replace('at ', 'at decisions.sa-purchase.rules[3].')}: {problem}"
    )


def test_a_condition_nested_deeper_than_the_limit_is_refused() -> None:
    when: dict[str, Any] = WITHIN
    for _ in range(MAX_DEPTH - 3):  # the comparison and its days() take three levels
        when = {"op": "not", "arg": when}
    assert read_condition(when) == read_condition(node_json(read_condition(when)))
    with pytest.raises(RuleError) as error:
        read_condition({"op": "not", "arg": when})
    path = "when" + ".arg" * (MAX_DEPTH - 2) + ".left.args[0]"
    assert str(error.value) == f"condition, at {path}: the condition is nested more than 64 levels deep"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"clause": 7}, "rule at rule.clause: expected the id of its clause, found 7"),
        ({"outcome": None}, "clause 'c', at rule.outcome: expected the outcome (a text), found null"),
        (
            {"effective": {"from": "2024-13-01"}},
            "clause 'c', at rule.effective.from: expected a date (YYYY-MM-DD) or null, found \"2024-13-01\"",
        ),
        (
            {"effective": ["2024-01-01"]},
            "clause 'c', at rule.effective: expected an object with from and until, found a list of 1",
        ),
        ({"overrides": "b"}, "clause 'c', at rule.overrides: expected a list of clause ids, found \"b\""),
    ],
)
def test_a_malformed_rule_is_refused_saying_what_and_where(change: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleError) as error:
        read_rule({"clause": "c", "outcome": "yes", "when": WITHIN, **change})
    assert str(error.value) == message


def test_a_rule_is_read_into_typed_nodes() -> None:
    rule = read_rule(
        {
            "clause": "c",
            "outcome": "yes",
            "when": {
                "op": "and",
                "args": [WITHIN, {"op": "not", "arg": {"op": "in", "value": PROGRAM, "options": [SELECT]}}],
            },
            "effective": {"from": "2024-01-01", "until": None},
            "overrides": ["b"],
            "source": "days(license_date, order_date) <= window_days and program not in [select]",
        }
    )
    days = Days(Fact("license_date", "date"), Fact("order_date", "date"))
    within = Compare("<=", days, Param("window_days", "int", 90))
    not_select = Not(Membership(Fact("program", "enum:program"), (Const("enum:program", "select"),)))
    assert rule.when == BoolOp("and", (within, not_select))
    assert (rule.start, rule.end, rule.overrides) == (to_ordinal("2024-01-01"), None, ("b",))
    assert (rule.in_effect(to_ordinal("2023-12-31")), rule.in_effect(to_ordinal("2024-01-01"))) == (
        False,
        True,
    )
    assert [type(node).__name__ for node in walk(rule.when)] == [
        "BoolOp", "Compare", "Days", "Fact", "Fact", "Param", "Not", "Membership", "Fact", "Const"
    ]  # fmt: skip
    assert children(within) == (days, Param("window_days", "int", 90))


@pytest.mark.parametrize(
    ("node", "type_"),
    [
        (DAYS, "int"),
        ({"op": "+", "left": ORDER, "right": WINDOW}, "date"),
        ({"op": "-", "left": WINDOW, "right": WINDOW}, "int"),
        (WITHIN, "bool"),
        (PROGRAM, "enum:program"),
        (SELECT, "enum:program"),
    ],
)
def test_the_type_of_an_expression(node: dict[str, Any], type_: str) -> None:
    assert type_of(read_expression(node)) == type_


def test_constants_compute_with_dates_as_day_numbers() -> None:
    assert constant_value(Const("date", "2024-03-01")) == to_ordinal("2024-03-01")
    assert constant_value(Param("window_days", "int", 90)) == 90
    assert constant_value(Const("enum:program", "select")) == "select"


def test_the_nodes_are_the_schemas_nodes() -> None:
    """Each kind of node in the bundle schema is read, and written back with its required fields."""
    kinds = json.loads(SCHEMA.read_text(encoding="utf-8"))["$defs"]["node"]["oneOf"]
    samples = {
        "fact": ORDER,
        "param": WINDOW,
        "const": SELECT,
        "and": {"op": "and", "args": [WITHIN, WITHIN]},
        "or": {"op": "or", "args": [WITHIN, WITHIN]},
        "not": {"op": "not", "arg": WITHIN},
        "in": {"op": "in", "value": PROGRAM, "options": [SELECT]},
        "days": DAYS,
        "+": {"op": "+", "left": ORDER, "right": WINDOW},
        "-": {"op": "-", "left": WINDOW, "right": WINDOW},
        **{op: {"op": op, "left": WINDOW, "right": WINDOW} for op in ("==", "!=", "<", "<=", ">", ">=")},
    }
    ops = set()
    for kind in kinds:
        op = kind["properties"]["op"]
        for name in op.get("enum", [op.get("const")]):
            ops.add(name)
            written = node_json(read_expression(samples[name]))
            assert written == samples[name]
            assert {"op", *kind["required"]} <= set(written) <= set(kind["properties"]), name
    assert ops == set(samples)
