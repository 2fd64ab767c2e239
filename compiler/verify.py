"""Verify stage: run the worked examples, then the drift checks (translations, hand-typed
numbers, freshness) and the logic checks (conflicts, dead overrides, gaps in coverage)."""

from __future__ import annotations

from compiler.bundle import decision_json, example_facts
from compiler.cache import Memo
from compiler.conflicts import logic_problems
from compiler.diagnostics import Diagnostic
from compiler.drift import drift_problems
from compiler.evaluate import CompiledDecision, FactError
from compiler.explain import explain
from compiler.model import Corpus


def compile_decisions(corpus: Corpus) -> dict[str, CompiledDecision]:
    return {d.id: CompiledDecision(d.id, decision_json(corpus, d))
            for d in corpus.decisions.values()}


def verify(corpus: Corpus, drift_checked: Memo | None = None) -> list[Diagnostic]:
    """Problems found by the examples, drift and logic checks (after a clean link stage).
    `drift_checked`: clauses in which an earlier build found no drift (see drift_problems)."""
    return run_examples(corpus) + drift_problems(corpus, drift_checked) + logic_problems(corpus)


def run_examples(corpus: Corpus) -> list[Diagnostic]:
    compiled = compile_decisions(corpus)
    problems = []
    for clause in corpus.all_clauses():
        if clause.rule is None or clause.rule.decision not in compiled:
            continue
        decision = compiled[clause.rule.decision]
        for example in clause.examples:
            facts = example_facts(corpus.decisions[decision.id], example.facts)
            # Decisions dated by the caller run their examples as of the edition date.
            as_of = example.as_of or (None if decision.as_of_fact else corpus.edition_date)
            try:
                answer = decision.decide(facts, as_of)
            except FactError as error:
                problems.append(Diagnostic("E361", f"example cannot run: {error}",
                                           example.origin.span()))
                continue
            if answer.outcome != example.outcome:
                reasons = [r.message for r in explain(decision, answer)]
                problems.append(Diagnostic(
                    "E360", f"example expects '{example.outcome}' but the rules give "
                    f"'{answer.outcome}'", example.origin.span(), excerpt=tuple(reasons)))
    return problems
