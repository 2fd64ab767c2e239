"""The condition language: parsing, precedence, type errors at the offending token, the AST."""

from __future__ import annotations

import pytest
from terms_compiler.condition.parser import ParseError, parse
from terms_compiler.condition.typecheck import ConditionError, Scope, typecheck

SCOPE = Scope(
    decision="sa-purchase",
    facts={
        "program": "enum:program",
        "channel": "enum:channel",
        "order_date": "date",
        "license_date": "date",
        "latest_version": "bool",
        "product": "string",
        "quantity": "int",
    },
    parameters={"window_days": ("int", 90), "cutoff": ("date", "2020-03-31")},
    enums={"program": ("open-license", "select", "select-plus"), "channel": ("oem", "retail", "transfer")},
)


def check(source: str) -> dict:
    return typecheck(parse(source), SCOPE)


def test_the_issue_example_compiles_to_the_typed_ast() -> None:
    ast = check("channel in [oem, retail] and days(license_date, order_date) <= window_days")
    assert ast == {
        "op": "and",
        "args": [
            {
                "op": "in",
                "value": {"op": "fact", "name": "channel", "type": "enum:channel"},
                "options": [
                    {"op": "const", "type": "enum:channel", "value": "oem"},
                    {"op": "const", "type": "enum:channel", "value": "retail"},
                ],
            },
            {
                "op": "<=",
                "left": {
                    "op": "days",
                    "args": [
                        {"op": "fact", "name": "license_date", "type": "date"},
                        {"op": "fact", "name": "order_date", "type": "date"},
                    ],
                },
                "right": {"op": "param", "name": "window_days", "type": "int", "value": 90},
            },
        ],
    }


def test_and_binds_tighter_than_or_and_not_tighter_than_and() -> None:
    ast = check("not latest_version and program == select or channel == oem")
    assert ast["op"] == "or"
    left = ast["args"][0]
    assert left["op"] == "and" and left["args"][0]["op"] == "not"


def test_not_in_is_a_negated_membership() -> None:
    assert check("program not in [select]")["op"] == "not"
    assert check("program not in [select]")["arg"]["op"] == "in"


def test_enum_value_may_stand_on_the_left() -> None:
    assert check("oem == channel")["left"] == {"op": "const", "type": "enum:channel", "value": "oem"}


def test_quoted_strings_compare_with_text_facts_and_dates_with_date_literals() -> None:
    assert check('product == "sql-server-2017"')["right"]["value"] == "sql-server-2017"
    assert check("license_date < 2020-03-31")["right"] == {
        "op": "const",
        "type": "date",
        "value": "2020-03-31",
    }
    assert check("order_date <= license_date + window_days")["right"]["op"] == "+"


@pytest.mark.parametrize(
    ("source", "message", "start", "hint"),
    [
        (
            "program == selct-plus",
            "'selct-plus' is not a value of enum 'program'; expected one of: "
            "open-license, select, select-plus",
            11,
            "did you mean 'select-plus'?",
        ),
        (
            "chanel == oem",
            "unknown name 'chanel': not a fact of decision 'sa-purchase' nor a parameter of this clause",
            0,
            "did you mean 'channel'?",
        ),
        ("order_date <= 90", "cannot compare a date with a whole number", 14, ""),
        ("program < select", "'<' compares numbers or dates, not a value of enum 'program'", 8, ""),
        (
            "window_days and latest_version",
            "'and' needs a condition (true/false), but this is a whole number",
            0,
            "",
        ),
        ("days(order_date)", "days(from, to) takes 2 dates, found 1", 0, ""),
        ("days(order_date, 5) > 1", "days(from, to) takes dates, but this is a whole number", 17, ""),
        ("today(order_date)", "unknown function 'today'; the only function is days(from, to)", 0, ""),
        ("order_date", "a condition must be true or false, but this is a date", 0, ""),
        ("license_date == 2020-02-30", "'2020-02-30' is not a valid date", 16, ""),
        (
            "program in [select, 3]",
            "the list holds a whole number but a value of enum 'program' is looked up",
            20,
            "",
        ),
    ],
)
def test_type_errors_name_the_offending_token(source: str, message: str, start: int, hint: str) -> None:
    with pytest.raises(ConditionError) as error:
        check(source)
    assert (error.value.message, error.value.span.start, error.value.hint) == (message, start, hint)


@pytest.mark.parametrize(
    ("source", "message", "offset"),
    [
        ("program = select", "unexpected '='; use '==' to compare", 8),
        ("program ==", "expected a fact, a parameter, a value or '(', found the end of the condition", 10),
        ("(latest_version", "expected ')' to close the parenthesis, found the end of the condition", 15),
        ("program in []", "the list after 'in' is empty", 12),
        ("program in select", "expected '[' to start the list after 'in', found 'select'", 11),
        (
            "latest_version latest_version",
            "expected 'and', 'or' or the end of the condition, found 'latest_version'",
            15,
        ),
        ('product == "abc', "a string literal is not closed; expected a closing '\"'", 11),
        ("program == select;", "unexpected character ';'", 17),
    ],
)
def test_syntax_errors_point_at_the_token(source: str, message: str, offset: int) -> None:
    with pytest.raises(ParseError) as error:
        parse(source)
    assert (error.value.message, error.value.offset) == (message, offset)
