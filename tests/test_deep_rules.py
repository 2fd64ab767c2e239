"""What the compiler accepts, `terms check` answers (issue 14, item 3): a long `and` or `or` is
answered and explained at any length, a condition deeper than the checker reads is refused by
the compiler at its line, and date arithmetic past 9999-12-31 has a defined result."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from terms_compiler.check.evaluate import CompiledDecision
from terms_compiler.check.explain import explain, explain_interpreted, explain_json
from terms_compiler.check.rules import MAX_DEPTH, BoolOp, Compare, Const, Expr, Fact, Not, node_json

from tests.conftest import MINI_CORPUS

RunTerms = Callable[..., tuple[int, str, str]]
SECTION = Path("terms/sections/10-buying.yaml")
WINDOW = "when: days(license_date, order_date) >= 0 and days(license_date, order_date) <= window_days"
IN_WINDOW = "days(license_date, order_date) <= window_days"
LATE = {"program": "open", "license_date": "2024-03-01", "order_date": "2024-09-01"}


def deep(parentheses: int) -> str:
    """A condition of renewal (a bool fact) two levels deeper for each parenthesis (and, ==)."""
    return "(renewal and renewal == " * parentheses + "renewal" + ")" * parentheses


def corpus_with_rule(folder: Path, when: str) -> Path:
    """A copy of the mini corpus in folder whose clause buying.window has the rule `when`
    (its worked examples dropped) at line 33 of terms/sections/10-buying.yaml."""
    shutil.copytree(MINI_CORPUS, folder / "terms")
    section = folder / SECTION
    text = section.read_text(encoding="utf-8")
    examples = text.index("    examples:\n      - title: Day 90")
    text = text[:examples] + text[text.index("\n\n", examples) + 1 :]
    section.write_text(text.replace(WINDOW, f"when: {when}"), encoding="utf-8")
    return folder / "terms"


def built(run_terms: RunTerms, folder: Path, when: str) -> Path:
    code, _, err = run_terms(
        "build", str(corpus_with_rule(folder, when)), "--out", str(folder / "out"), "-q", "--no-site"
    )
    assert (code, err) == (0, ""), err
    return folder / "out" / "bundle" / "mini-terms.json"


def check(run_terms: RunTerms, bundle: Path, facts: Path, *options: str) -> tuple[int, str, str]:
    return run_terms("check", "--bundle", str(bundle), "--decision", "purchase", *options, str(facts))


@pytest.mark.parametrize("terms", [200, 5000])
def test_a_long_and_is_answered_and_explained(run_terms: RunTerms, tmp_path: Path, terms: int) -> None:
    """The explanation of a rule that fails is compiled for the second answer of a batch: 200
    terms gave `SyntaxError: too many nested parentheses` there."""
    bundle = built(run_terms, tmp_path, " and ".join([IN_WINDOW] * terms))
    (tmp_path / "late.jsonl").write_text(f"{json.dumps(LATE)}\n" * 3, encoding="utf-8")
    code, out, err = check(run_terms, bundle, tmp_path / "late.jsonl", "--format", "json")
    assert (code, err) == (0, "")
    messages = {json.loads(line)["reasons"][0]["message"] for line in out.splitlines()}
    assert messages == {
        "buying.window does not apply: order_date is 184 days after license_date; the limit is 90 (window_days)"
    }


def test_a_long_or_is_explained_part_by_part(run_terms: RunTerms, tmp_path: Path) -> None:
    bundle = built(run_terms, tmp_path, " or ".join([IN_WINDOW] * 3000))
    (tmp_path / "late.jsonl").write_text(f"{json.dumps(LATE)}\n" * 2, encoding="utf-8")
    code, out, err = check(run_terms, bundle, tmp_path / "late.jsonl", "--format", "json", "--lang", "uk")
    assert (code, err) == (0, "")
    first, second = (json.loads(line)["reasons"][0]["message"] for line in out.splitlines())
    assert first == second
    # In Ukrainian a fact is named by its Ukrainian description (issue 17, item 16).
    assert (
        first.count("дата замовлення настає через 184 дн. після дата ліцензії; межа — 90 (window_days)")
        == 3000
    )


@pytest.mark.parametrize(
    ("when", "column", "message"),
    [
        pytest.param(
            "not " * 250 + "days(license_date, order_date) > window_days",
            213,
            "condition syntax error: the condition is nested more than 50 levels deep; split it",
            id="250 nested not",
        ),
        pytest.param(
            "days(license_date, order_date)" + " + 0" * 299 + " <= window_days",
            244,
            "condition syntax error: the condition is nested more than 50 levels deep; split it",
            id="a 300-term + chain",
        ),
        pytest.param(
            f"{IN_WINDOW} or {deep(32)}",
            807,
            "the condition is more than 64 levels deep as the bundle stores it (each and, or, not, "
            "comparison, in, +, -, days and value is a level); split it",
            id="32 parentheses: 2 levels each",
        ),
    ],
)
def test_a_condition_too_deep_is_refused_at_its_line(
    run_terms: RunTerms, tmp_path: Path, when: str, column: int, message: str
) -> None:
    corpus = corpus_with_rule(tmp_path, when)
    code, out, err = run_terms("build", str(corpus), "--out", str(tmp_path / "out"), "-q", "--no-site")
    code_of = "E340" if "syntax" in message else "E341"
    assert (code, err) == (1, "build failed: 1 error, 0 warnings\n")
    assert (
        out.splitlines()[0]
        == f"{corpus / 'sections' / '10-buying.yaml'}:33:{column}: error[{code_of}]: {message}"
    )


def test_the_deepest_condition_the_compiler_accepts_is_answered(run_terms: RunTerms, tmp_path: Path) -> None:
    """or, 31 parentheses of 2 levels each and the value at the bottom: 64 levels, the most the
    checker reads."""
    bundle = built(run_terms, tmp_path, f"{IN_WINDOW} or {deep(31)}")
    (tmp_path / "f.jsonl").write_text(f"{json.dumps(LATE)}\n" * 2, encoding="utf-8")
    code, out, err = check(run_terms, bundle, tmp_path / "f.jsonl", "--format", "json")
    assert (code, err) == (0, "")
    first, second = (json.loads(line) for line in out.splitlines())
    assert first == {**second, "line": 1}
    assert first["reasons"][0]["message"].startswith(
        "buying.window does not apply: none of the alternatives holds"
    )


def random_condition(rng: random.Random, depth: int) -> Expr:
    """A condition exactly `depth` levels deep, of and, or, not and == over bools; an and or an or
    of 2 to 12 parts (a compiled explanation chooses among up to 8 inline, among more in a
    function)."""
    if depth == 2:
        return Compare(rng.choice(["==", "!="]), Fact("renewal", "bool"), Const("bool", rng.random() < 0.5))
    below = random_condition(rng, depth - 1)
    kind = rng.choice(["and", "or", "not", "=="])
    if kind == "not":
        return Not(below)
    if kind == "==":
        return Compare(rng.choice(["==", "!="]), below, Fact("renewal", "bool"))
    others = [Fact("renewal", "bool"), Not(Fact("renewal", "bool"))]
    args = [below, *rng.choices(others, k=rng.choice([1, 2, 7, 8, 11]))]  # inline, and a function
    rng.shuffle(args)
    return BoolOp(kind, tuple(args))  # type: ignore[arg-type]


def test_any_condition_as_deep_as_the_checker_reads_is_decided_and_explained_both_ways() -> None:
    """Walked and compiled explanations (and the generated decider) of conditions MAX_DEPTH deep."""
    rng = random.Random(14)
    facts: dict[str, Any] = {"renewal": {"type": "bool"}}
    for attempt in range(40):
        rules = [
            {"clause": f"c{index}", "outcome": "yes", "when": node_json(random_condition(rng, MAX_DEPTH))}
            for index in range(3)
        ]
        decision = CompiledDecision("d", {"default": "no", "as_of": None, "facts": facts, "rules": rules})
        for renewal in (True, False):
            answer = decision.decide({"renewal": renewal}, "2024-01-01")
            walked = explain_interpreted(decision, answer)
            assert explain(decision, answer) == walked, attempt  # walked: the first answer
            assert explain(decision, answer) == walked, attempt  # compiled from the second on
            assert explain_json(decision, answer) == [r.to_json() for r in walked]
            assert explain_json(decision, answer) == [r.to_json() for r in walked]


DATE_RULE = (
    f"days(license_date, order_date) >= 0 and {IN_WINDOW} or license_date + window_days < order_date "
    "or order_date - window_days > license_date"
)


@pytest.mark.parametrize(
    ("license_date", "order_date", "outcome", "shown"),
    [
        ("9999-12-31", "2024-09-01", "denied", "+010000-03-30"),
        ("2024-01-01", "0001-01-01", "denied", "0000-10-03"),
        ("2024-01-01", "9999-12-31", "allowed", None),
    ],
)
def test_date_arithmetic_past_the_calendar_compares_as_day_numbers(
    run_terms: RunTerms, tmp_path: Path, license_date: str, order_date: str, outcome: str, shown: str | None
) -> None:
    """d + 90 with d = 9999-12-31 gave `ValueError: year 10000 is out of range` in the
    explanation; it is the day number 90 days on, shown in ISO 8601's expanded form."""
    bundle = built(run_terms, tmp_path, DATE_RULE)
    facts = {"program": "open", "license_date": license_date, "order_date": order_date}
    (tmp_path / "f.json").write_text(json.dumps(facts), encoding="utf-8")
    (tmp_path / "f.jsonl").write_text(f"{json.dumps(facts)}\n" * 2, encoding="utf-8")
    code, out, err = check(run_terms, bundle, tmp_path / "f.json")
    assert (code, err) == (0, "")
    assert out.startswith(f"purchase: {outcome}")
    if shown is not None:
        assert shown in out
    code, out, err = check(run_terms, bundle, tmp_path / "f.jsonl", "--format", "json")
    assert (code, err) == (0, "")
    first, second = out.splitlines()
    assert json.loads(first)["reasons"] == json.loads(second)["reasons"]
