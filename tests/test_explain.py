"""Compiled decisions and explanations give, word for word, what the careful path and the AST walk give.

The fact sets are the conformance cases and seeded random variations of them: enum facts take
other values, booleans flip, numbers take the rules' constants and their neighbours, dates move
across the rules' windows and limits, optional facts are left out, and the as-of date moves
across the rules' effective dates.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from terms_compiler.check.bundle import Bundle
from terms_compiler.check.dates import from_ordinal, to_ordinal
from terms_compiler.check.describe import LANGUAGES
from terms_compiler.check.evaluate import CompiledDecision, FactError
from terms_compiler.check.explain import explain, explain_interpreted, explain_json
from terms_compiler.check.explain_compiler import compile_explainer
from terms_compiler.check.rules import Const, Param, walk

from tests.test_conformance import CASES

VARIATIONS_PER_CASE = 25
SHIFTS = (0, 1, -1, 29, 30, 31, 89, 90, 91, 92, -30, -91)


@pytest.fixture(scope="module")
def bundle(shipped_bundle: Path) -> Bundle:
    return Bundle.load(shipped_bundle)


def _constants(decision: CompiledDecision) -> list[Any]:
    """The values of the constants and parameters of the decision's rules."""
    return [
        node.value for rule in decision.rules for node in walk(rule.when) if isinstance(node, Const | Param)
    ]


def _vary(decision: CompiledDecision, base: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    constants = _constants(decision)
    numbers = [n + d for n in constants if type(n) is int for d in (-1, 0, 1)] + [0]
    dates = [v for v in constants if isinstance(v, str) and v[:2] in ("19", "20")]
    facts = dict(base)
    for name in rng.sample(sorted(decision.facts), k=rng.randint(1, min(3, len(decision.facts)))):
        spec = decision.facts[name]
        if "default" in spec and rng.random() < 0.2:
            facts.pop(name, None)
        elif spec["type"] == "enum":
            facts[name] = rng.choice(spec["values"])
        elif spec["type"] == "bool":
            facts[name] = rng.random() < 0.5
        elif spec["type"] == "int":
            facts[name] = rng.choice(numbers)
        elif spec["type"] == "date":
            others = [v for k, v in facts.items() if k != name and decision.facts[k]["type"] == "date"]
            start = rng.choice(others + dates or ["2024-01-01"])
            facts[name] = from_ordinal(to_ordinal(start) + rng.choice(SHIFTS))
    return facts


def _as_of(decision: CompiledDecision, rng: random.Random) -> str | None:
    edges = [
        day + shift
        for rule in decision.rules
        for day in (rule.start, rule.end)
        if day is not None
        for shift in (-1, 0, 1)
    ]
    return from_ordinal(rng.choice(edges)) if edges and rng.random() < 0.3 else None


def fact_sets(bundle: Bundle) -> list[tuple[str, dict[str, Any], str | None]]:
    """(decision, facts, as_of): each conformance case and its random variations."""
    rng = random.Random(20261123)
    sets = []
    for decision_id, case in CASES:
        decision = bundle.decision(decision_id)
        sets.append((decision_id, case["facts"], case.get("as_of")))
        sets += [
            (decision_id, _vary(decision, case["facts"], rng), _as_of(decision, rng))
            for _ in range(VARIATIONS_PER_CASE)
        ]
    return sets


def test_the_compiled_explainer_gives_the_walks_reasons_word_for_word(bundle: Bundle) -> None:
    compiled = {
        (decision_id, language, as_json): compile_explainer(bundle.decision(decision_id), language, as_json)
        for decision_id in bundle.data["decisions"]
        for language in LANGUAGES
        for as_json in (False, True)
    }
    statuses: Counter[str] = Counter()
    checked = 0
    for decision_id, facts, as_of in fact_sets(bundle):
        decision = bundle.decision(decision_id)
        try:
            answer = decision.decide(facts, as_of)
        except FactError:
            continue
        for language in LANGUAGES:
            walked = explain_interpreted(decision, answer, language)[: len(decision.rules)]
            assert compiled[decision_id, language, False](answer) == walked, (facts, as_of)
            assert compiled[decision_id, language, True](answer) == [reason.to_json() for reason in walked], (
                facts,
                as_of,
            )
            statuses.update(reason.status for reason in walked)
        checked += 1
    # The comparison means something only if every kind of reason came up, many times.
    assert checked > 1000
    assert min(statuses[s] for s in ("deciding", "overridden", "not-in-effect", "not-met")) > 50, statuses


def test_explain_walks_the_first_answer_and_compiles_for_the_second(bundle: Bundle) -> None:
    decision = Bundle(bundle.data).decision("sa-purchase")
    case = next(case for decision_id, case in CASES if decision_id == "sa-purchase")
    answer = decision.decide(case["facts"])
    first = explain(decision, answer, "uk")
    assert decision.explainers == {("uk", False): None}
    assert explain(decision, answer, "uk") == first == explain_interpreted(decision, answer, "uk")
    assert callable(decision.explainers["uk", False])
    assert explain_json(decision, answer, "uk") == [reason.to_json() for reason in first]


def test_a_language_without_phrases_is_explained_in_english(bundle: Bundle) -> None:
    decision = bundle.decision("sa-purchase")
    answer = decision.decide(next(case for d, case in CASES if d == "sa-purchase")["facts"])
    for _ in range(2):  # walked, then compiled
        assert [r.message for r in explain(decision, answer, "xx")] == [
            r.message for r in explain(decision, answer, "en")
        ]


def test_the_quick_path_answers_as_the_careful_path_or_leaves_it_the_facts(bundle: Bundle) -> None:
    """A dict takes the generated path; any other mapping takes the careful one (prepare)."""
    rng = random.Random(7)
    bad_values = (None, 1, -1, True, "x", "2024-02-30", "2024-05-30\n", [], {}, 1.5)
    refused = 0
    for decision_id, facts, as_of in fact_sets(bundle):
        decision = bundle.decision(decision_id)
        facts = dict(facts)
        if rng.random() < 0.3:
            facts[rng.choice([*facts, "unknown_fact"])] = rng.choice(bad_values)
        if rng.random() < 0.05:
            as_of = rng.choice(("2024-13-01", "yesterday"))
        try:
            careful = decision.decide(MappingProxyType(facts), as_of)
        except FactError as error:
            with pytest.raises(FactError) as quick_error:
                decision.decide(facts, as_of)
            assert quick_error.value.problems == error.problems
            refused += 1
            continue
        assert decision.decide(facts, as_of) == careful
    assert refused > 300
