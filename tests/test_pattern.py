"""The pattern of a string fact (issue 17, item 22): the portable subset, read with exact messages;
a value checked by a full match; a bundle with a pattern outside the subset refused as malformed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from terms_compiler.check.bundle import Bundle, BundleError, FactError
from terms_compiler.check.pattern import pattern_problem

INSIDE = [
    "[A-Z]{2}",
    "[a-z0-9_.]+",
    "(?:ab|cd)*",
    "(a|b){2,5}",
    "a{2,}x?",
    "[^a-c]",
    "[-a]",
    "[a-]",
    "[\\]\\[\\-\\^\\\\]",
    "\\\\\\.\\-\\(\\)\\[\\]\\{\\}\\*\\+\\?\\|\\^\\$\\/",
    "a|",
    "x" * 200,
    "a{1000}",
]


@pytest.mark.parametrize("pattern", INSIDE)
def test_patterns_inside_the_subset_are_accepted(pattern: str) -> None:
    assert pattern_problem(pattern) is None


OUTSIDE = {
    "\\d{2}": "the escape \\d (only \\ and one of $()*+-./?[\\]^{|}) (at character 1)",
    "\\w": "the escape \\w (only \\ and one of $()*+-./?[\\]^{|}) (at character 1)",
    "[\\d]": "the escape \\d in a class (only \\ and one of -[\\]^) (at character 2)",
    "^[A-Z]{2}$": "'^' (the whole value must match: a pattern has no anchors) (at character 1)",
    "[A-Z]{2}$": "'$' (the whole value must match: a pattern has no anchors) (at character 9)",
    "(a+)*": "a quantifier on a group that holds one (no nested repetition) (at character 5)",
    "((a){2})+": "a quantifier on a group that holds one (no nested repetition) (at character 9)",
    "a*?": "a quantifier after a quantifier (at character 3)",
    "a++": "a quantifier after a quantifier (at character 3)",
    "(?=a)": "only groups (...) and (?:...) (at character 2)",
    "(?i)a": "only groups (...) and (?:...) (at character 2)",
    "(a)\\1": "the escape \\1 (only \\ and one of $()*+-./?[\\]^{|}) (at character 4)",
    "*a": "'*' with nothing to repeat (a literal '*' is written \\*) (at character 1)",
    "a{,3}": "'{' starts {n}, {n,} or {n,m} (a literal '{' is written \\{) (at character 2)",
    "a{3,1}": "{3,1}: the first count is above the second (at character 2)",
    "a{1001}": "a count above 1000 (at character 2)",
    "a]": "a literal ']' is written \\] (at character 2)",
    "[]": "an empty class (a literal ']' is written \\]) (at character 2)",
    "[a-": "a '[' without its ']' (at character 1)",
    "[[a]": "a literal '[' in a class is written \\[ (at character 2)",
    "[--a]": "'--' in a class (read as a set operation by some engines) (at character 2)",
    "[a&&b]": "'&&' in a class (read as a set operation by some engines) (at character 3)",
    "[z-a]": "the range z-a runs backwards (at character 5)",
    "(a": "a '(' without its ')' (at character 3)",
    "a)": "a ')' without its '(' (at character 2)",
    "é": "only printable ASCII characters, found U+00E9 (at character 1)",
    "a\tb": "only printable ASCII characters, found U+0009 (at character 2)",
    "x" * 201: "a pattern has at most 200 characters, found 201",
}


@pytest.mark.parametrize(("pattern", "problem"), OUTSIDE.items(), ids=list(OUTSIDE))
def test_patterns_outside_the_subset_are_refused_saying_what_and_where(pattern: str, problem: str) -> None:
    assert pattern_problem(pattern) == problem


def test_a_pattern_that_is_not_a_text_is_refused() -> None:
    assert pattern_problem(["[A-Z]"]) == "a pattern is a text"


REGIONAL_FACTS = {"transaction": "renewal", "customer_type": "private", "sanctioned": False}


@pytest.fixture(scope="module")
def bundle(shipped_bundle: Path) -> Bundle:
    return Bundle.load(shipped_bundle)


def decide(bundle: Bundle, country: Any) -> Any:
    return bundle.decide(
        "regional-availability", {**REGIONAL_FACTS, "date": "2024-01-01", "country": country}
    )


def test_the_shipped_country_must_be_two_capital_letters(bundle: Bundle) -> None:
    decision = bundle.data["decisions"]["regional-availability"]
    assert decision["facts"]["country"]["pattern"] == "[A-Z]{2}"
    assert decision["facts_schema"]["properties"]["country"]["pattern"] == "^(?:[A-Z]{2})$"
    assert decide(bundle, "RU").outcome == "allowed"
    assert decide(bundle, "NO").outcome == "not-applicable"
    for country, shown in [("ru", '"ru"'), ("R", '"R"'), ("RUS", '"RUS"'), ("RU\n", '"RU\n"'), (7, "7")]:
        with pytest.raises(FactError) as refused:
            decide(bundle, country)
        assert refused.value.problems == [f"fact 'country' must be a text matching [A-Z]{{2}}, found {shown}"]


def test_a_missing_pattern_fact_names_its_pattern(bundle: Bundle) -> None:
    with pytest.raises(FactError) as refused:
        bundle.decide("regional-availability", {**REGIONAL_FACTS, "date": "2024-01-01"})
    assert refused.value.problems == ["missing fact 'country' (a text matching [A-Z]{2})"]


def test_the_quick_and_the_careful_paths_agree_on_a_match(bundle: Bundle) -> None:
    """The first answer of a fact set goes through generated code (decide_quickly); a refused one
    through prepare: both match the whole value."""
    decision = bundle.decision("regional-availability")
    for country in ["RU", "ZZ", "ru", "RUx", "xRU", "", "R\u0130"]:
        facts = {**REGIONAL_FACTS, "date": "2024-01-01", "country": country}
        quick = decision._decide_quickly(facts, None)
        assert (quick is not None) == (len(country) == 2 and country.isascii() and country.isupper())


def malformed(data: dict[str, Any], change: Any) -> str:
    data = copy.deepcopy(data)
    change(data["decisions"]["regional-availability"]["facts"])
    with pytest.raises(BundleError) as refused:
        Bundle(data, "b.json")
    return str(refused.value)


def test_a_bundle_with_a_pattern_outside_the_subset_is_malformed(shipped_bundle: Path) -> None:
    data = json.loads(shipped_bundle.read_text(encoding="utf-8"))
    path = "decisions.regional-availability.facts"

    def set_pattern(pattern: Any, fact: str = "country") -> Any:
        return lambda facts: facts[fact].update(pattern=pattern)

    assert malformed(data, set_pattern("\\d\\d")) == (
        f"b.json: the bundle is malformed: {path}.country.pattern: the escape \\d (only \\ and one of "
        '$()*+-./?[\\]^{|}) (at character 1), found "\\\\d\\\\d"'
    )
    assert malformed(data, set_pattern("[A-Z]{2}", "sanctioned")) == (
        f"b.json: the bundle is malformed: {path}.sanctioned.pattern: a pattern is for a string fact, "
        'found "[A-Z]{2}"'
    )
    assert malformed(data, lambda facts: facts["country"].update(default="ru")) == (
        f'b.json: the bundle is malformed: {path}.country.default: expected a value of type string, found "ru"'
    )
