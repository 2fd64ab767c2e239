"""Conformance cases (tests/conformance/*.yaml) run against the shipped bundle.

Each case gives facts and the expected outcome, deciding clauses (corpus order) and, where it
matters, the overridden clauses. The expectations were derived by hand from the corpus prose,
not copied from the program, so a failure here means the program, a rule or a case is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from terms_compiler.check.bundle import Bundle
from terms_compiler.load import load_file

CONFORMANCE = Path(__file__).resolve().parent / "conformance"
MIN_CASES = 60
CASE_KEYS = {"name", "facts", "as_of", "outcome", "deciding", "overridden"}


def _load_cases() -> list[tuple[str, dict[str, Any]]]:
    """(decision id, case) for every case of every file, files in name order."""
    cases = []
    for path in sorted(CONFORMANCE.glob("*.yaml")):
        data = load_file(path, "conformance").data  # dates stay ISO strings, as in JSON
        assert path.stem == data["decision"], f"{path.name} holds cases for {data['decision']}"
        for case in data["cases"]:
            cases.append((data["decision"], case))
    return cases


CASES = _load_cases()
IDS = [f"{decision}: {case['name']}" for decision, case in CASES]


@pytest.fixture(scope="module")
def bundle(shipped_bundle: Path) -> Bundle:
    return Bundle.load(shipped_bundle)


@pytest.mark.parametrize(("decision", "case"), CASES, ids=IDS)
def test_case(bundle: Bundle, decision: str, case: dict[str, Any]) -> None:
    unknown = set(case) - CASE_KEYS
    assert not unknown, f"unknown keys in the case: {sorted(unknown)}"
    answer = bundle.decide(decision, case["facts"], case.get("as_of"))
    got = {"outcome": answer.outcome, "deciding": list(answer.deciding)}
    want = {"outcome": case["outcome"], "deciding": case["deciding"]}
    if "overridden" in case:
        got["overridden"] = list(answer.overridden)
        want["overridden"] = case["overridden"]
    assert got == want


def test_case_names_are_unique() -> None:
    assert len(IDS) == len(set(IDS)), sorted({i for i in IDS if IDS.count(i) > 1})


def test_every_rule_clause_decides_some_case(bundle: Bundle) -> None:
    assert len(CASES) >= MIN_CASES, f"only {len(CASES)} conformance cases"
    with_rules = {
        (decision_id, rule["clause"])
        for decision_id, decision in bundle.data["decisions"].items()
        for rule in decision["rules"]
    }
    decided = {(decision, clause) for decision, case in CASES for clause in case["deciding"]}
    missing = sorted(f"{d}: {c}" for d, c in with_rules - decided)
    assert not missing, f"rule clauses that decide no conformance case: {missing}"
    assert {d for d, _ in CASES} == set(bundle.data["decisions"]), "a decision has no cases"


def test_build_exports_the_cases(shipped_bundle: Path) -> None:
    exported = json.loads((shipped_bundle.parent / "conformance.json").read_text("utf-8"))
    assert len(exported["cases"]) == len(CASES)
    for case in exported["cases"]:
        assert {"decision", "facts", "outcome"} <= set(case), case
    assert [(c["decision"], c["name"]) for c in exported["cases"]] == [(d, c["name"]) for d, c in CASES]
