"""Decision semantics: effective dates, overrides, conflicts, defaults and fact validation."""

from __future__ import annotations

import pytest
from terms_compiler.check.evaluate import CompiledDecision, FactError, RuleError, to_python
from terms_compiler.check.explain import explain, explain_interpreted
from terms_compiler.check.explain_compiler import compile_explainer
from terms_compiler.check.rules import read_condition

FACT_PROGRAM = {"op": "fact", "name": "program", "type": "enum:program"}
FACT_DAY = {"op": "fact", "name": "day", "type": "date"}


def is_program(value: str) -> dict:
    return {
        "op": "==",
        "left": FACT_PROGRAM,
        "right": {"op": "const", "type": "enum:program", "value": value},
    }


def rule(
    clause: str,
    outcome: str,
    when: dict,
    overrides: tuple[str, ...] = (),
    start: str | None = None,
    end: str | None = None,
) -> dict:
    return {
        "clause": clause,
        "outcome": outcome,
        "when": when,
        "overrides": list(overrides),
        "effective": {"from": start, "until": end},
        "parameters": {},
    }


def decision(*rules: dict) -> CompiledDecision:
    return CompiledDecision(
        "d",
        {
            "default": "no",
            "as_of": "day",
            "outcomes": {"yes": {"en": "yes"}, "no": {"en": "no"}},
            "facts": {
                "program": {"type": "enum", "values": ["a", "b"]},
                "day": {"type": "date"},
                "count": {"type": "int", "default": 0},
                "flag": {"type": "bool", "default": False},
            },
            "rules": list(rules),
        },
    )


TRUE = {"op": "const", "type": "bool", "value": True}


def test_no_applicable_rule_gives_the_default() -> None:
    answer = decision(rule("r1", "yes", is_program("b"))).decide({"program": "a", "day": "2024-01-01"})
    assert (answer.outcome, answer.deciding, answer.overridden) == ("no", (), ())


def test_an_exception_beats_the_rule_it_overrides() -> None:
    d = decision(rule("base", "yes", TRUE), rule("exception", "no", is_program("a"), ("base",)))
    answer = d.decide({"program": "a", "day": "2024-01-01"})
    assert (answer.outcome, answer.deciding, answer.overridden) == ("no", ("exception",), ("base",))
    assert d.decide({"program": "b", "day": "2024-01-01"}).outcome == "yes"


def test_two_deciding_rules_with_different_outcomes_are_a_conflict_never_a_pick() -> None:
    d = decision(rule("r1", "yes", TRUE), rule("r2", "no", TRUE))
    answer = d.decide({"program": "a", "day": "2024-01-01"})
    assert (answer.outcome, answer.deciding) == ("conflict", ("r1", "r2"))
    assert explain(d, answer)[-1].message == (
        "conflict: r1, r2 apply with different outcomes and none overrides the others"
    )


def test_rules_that_agree_are_no_conflict() -> None:
    answer = decision(rule("r1", "yes", TRUE), rule("r2", "yes", TRUE)).decide(
        {"program": "a", "day": "2024-01-01"}
    )
    assert (answer.outcome, answer.deciding) == ("yes", ("r1", "r2"))


def test_an_overridden_rule_stays_overridden_even_if_its_overrider_is_overridden() -> None:
    d = decision(rule("a", "yes", TRUE), rule("b", "no", TRUE, ("a",)), rule("c", "no", TRUE, ("b",)))
    answer = d.decide({"program": "a", "day": "2024-01-01"})
    assert (answer.outcome, answer.deciding, answer.overridden) == ("no", ("c",), ("a", "b"))


@pytest.mark.parametrize(
    ("day", "in_effect"),
    [("2020-07-31", False), ("2020-08-01", True), ("2020-12-31", True), ("2021-01-01", False)],
)
def test_effective_dates_include_both_ends(day: str, in_effect: bool) -> None:
    d = decision(rule("r", "yes", TRUE, start="2020-08-01", end="2020-12-31"))
    assert d.decide({"program": "a", "day": day}).outcome == ("yes" if in_effect else "no")


def test_the_callers_as_of_date_replaces_the_date_fact() -> None:
    d = decision(rule("r", "yes", TRUE, start="2020-08-01"))
    answer = d.decide({"program": "a", "day": "2020-01-01"}, as_of="2020-08-01")
    assert (answer.outcome, answer.as_of) == ("yes", "2020-08-01")
    reasons = explain(d, d.decide({"program": "a", "day": "2020-01-01"}))
    assert reasons[0].message == "r is not in effect on 2020-01-01 (in effect from 2020-08-01)"


def test_facts_are_validated_with_every_problem_reported() -> None:
    with pytest.raises(FactError) as error:
        decision().decide({"program": "c", "dya": "2024-01-01", "count": True, "flag": "yes"})
    assert error.value.problems == [
        "fact 'program' must be one of a, b, found \"c\"",
        "unknown fact 'dya' (did you mean 'day'?)",
        "fact 'count' must be a whole number, found true",
        "fact 'flag' must be true or false, found \"yes\"",
        "missing fact 'day' (a date (YYYY-MM-DD))",
    ]


@pytest.mark.parametrize("bad", ["2024-02-30", "20240101", "2024-1-1", "2024-01-01\n", 20240101, None])
def test_dates_must_be_real_iso_dates(bad: object) -> None:
    with pytest.raises(FactError):
        decision().decide({"program": "a", "day": bad})


def test_facts_that_are_not_an_object_are_refused() -> None:
    with pytest.raises(FactError, match="the facts must be a JSON object"):
        decision().decide(["program", "a"])  # type: ignore[arg-type]


def test_defaults_fill_omitted_optional_facts() -> None:
    count_over = {
        "op": ">",
        "left": {"op": "fact", "name": "count", "type": "int"},
        "right": {"op": "const", "type": "int", "value": -1},
    }
    assert (
        decision(rule("r", "yes", count_over)).decide({"program": "a", "day": "2024-01-01"}).outcome == "yes"
    )


def test_generated_code_is_built_from_a_whitelist_only() -> None:
    assert to_python(read_condition(is_program("a"))) == "(f['program'] == 'a')"
    with pytest.raises(RuleError):
        read_condition({"op": "__import__('os')"})
    with pytest.raises(RuleError):
        read_condition({"op": "fact", "name": "x'] or __import__('os') or f['", "type": "bool"})
    with pytest.raises(RuleError):
        read_condition({"op": "==", "left": FACT_DAY, "right": {"op": "const", "type": "date", "value": [1]}})


def test_explanations_name_the_first_failing_condition_with_values_and_limit() -> None:
    days = {"op": "days", "args": [{"op": "fact", "name": "start", "type": "date"}, FACT_DAY]}
    within = {
        "op": "<=",
        "left": days,
        "right": {"op": "param", "name": "window_days", "type": "int", "value": 90},
    }
    d = CompiledDecision(
        "d",
        {
            "default": "no",
            "as_of": "day",
            "outcomes": {},
            "facts": {"start": {"type": "date"}, "day": {"type": "date"}},
            "rules": [rule("r", "yes", within)],
        },
    )
    answer = d.decide({"start": "2024-03-01", "day": "2024-05-31"})
    expected = {
        "en": "r does not apply: day is 91 days after start; the limit is 90 (window_days)",
        "uk": "r не застосовується: day настає через 91 дн. після start; межа — 90 (window_days)",
        "ru": "r не применяется: day наступает через 91 дн. после start; предел — 90 (window_days)",
        "zh": "r不适用：day在start之后91天；上限为90 (window_days)",
    }
    for language, message in expected.items():
        assert explain(d, answer, language)[0].message == message


def test_a_date_facts_default_is_a_date_like_any_given_one() -> None:
    d = CompiledDecision(
        "d",
        {
            "default": "no",
            "as_of": "day",
            "outcomes": {},
            "facts": {"day": {"type": "date"}, "since": {"type": "date", "default": "2020-01-01"}},
            "rules": [
                rule(
                    "r",
                    "yes",
                    {"op": "<=", "left": FACT_DAY, "right": {"op": "fact", "name": "since", "type": "date"}},
                )
            ],
        },
    )
    answer = d.decide({"day": "2024-01-01"})
    assert answer.outcome == "no"
    assert (
        explain(d, answer)[0].message
        == "r does not apply: day is 2024-01-01; the rule needs on or before 2020-01-01 (since)"
    )
    assert d.decide({"day": "2019-12-31"}).outcome == "yes"


INJECTED = "x') or __import__('os').system('echo pwned') or ('"


@pytest.mark.parametrize(
    "facts",
    [
        {INJECTED: {"type": "bool"}},
        {"x\n": {"type": "bool"}},
        {"flag": {"type": "bool", "default": [INJECTED]}},
    ],
    ids=["code as a fact's name", "a name with a newline", "a default that is no JSON scalar"],
)
def test_generated_decisions_refuse_what_is_not_a_name_or_a_value(facts: dict) -> None:
    with pytest.raises(RuleError):
        CompiledDecision("d", {"default": "no", "as_of": None, "facts": facts, "rules": []})


def test_a_rule_naming_an_undeclared_fact_is_refused() -> None:
    with pytest.raises(RuleError, match="undeclared fact 'colour'"):
        decision(rule("r", "yes", {"op": "fact", "name": "colour", "type": "bool"}))


def test_texts_from_the_bundle_stay_texts_in_generated_code() -> None:
    """Clause ids, outcomes, defaults and enum values with quotes in them are data, never code."""
    is_injected = {
        "op": "==",
        "left": {"op": "fact", "name": "kind", "type": "enum:kind"},
        "right": {"op": "const", "type": "enum:kind", "value": INJECTED},
    }
    d = CompiledDecision(
        "d",
        {
            "default": "no",
            "as_of": None,
            "outcomes": {},
            "facts": {"kind": {"type": "enum", "values": [INJECTED, "plain"], "default": INJECTED}},
            "rules": [rule(INJECTED, INJECTED + "{x}", is_injected)],
        },
    )
    applies, fails = d.decide({}, "2024-01-01"), d.decide({"kind": "plain"}, "2024-01-01")
    assert (applies.outcome, applies.facts) == (INJECTED + "{x}", {"kind": INJECTED})
    assert (
        explain_interpreted(d, fails)[0].message
        == f"{INJECTED} does not apply: kind is plain; the rule needs {INJECTED}"
    )
    for answer in (applies, fails):
        assert compile_explainer(d, "en", False)(answer) == explain_interpreted(d, answer)[:1]
