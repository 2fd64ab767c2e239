"""Verify stage: run the worked examples, then the drift checks (translations, hand-typed
numbers, freshness) and the logic checks (conflicts, dead overrides, gaps in coverage)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from terms_compiler.cache import content_key
from terms_compiler.check.evaluate import CompiledDecision, FactError
from terms_compiler.check.explain import explain
from terms_compiler.diagnostics import Diagnostic
from terms_compiler.emit.bundle import decision_json, example_facts
from terms_compiler.model import Clause, Corpus, Decision, Example
from terms_compiler.verify.conflicts import logic_problems
from terms_compiler.verify.drift import clause_drift


def verify(corpus: Corpus) -> list[Diagnostic]:
    """Problems found by the examples, drift and logic checks (after a clean link stage). The
    pipeline runs the same checks one decision and one clause at a time, to reuse what an
    earlier build found (see pipeline._verify)."""
    problems: list[Diagnostic] = []
    examples = worked_examples(corpus)
    for decision in corpus.decisions.values():
        problems += decision_problems(
            corpus, decision, decision_json(corpus, decision), examples[decision.id]
        )
    for clause in corpus.all_clauses():
        problems += clause_drift(clause, corpus.source_language)
    return problems


def worked_examples(corpus: Corpus) -> dict[str, list[tuple[Clause, Example]]]:
    """The worked examples of each decision's clauses, by decision id."""
    examples: dict[str, list[tuple[Clause, Example]]] = {d: [] for d in corpus.decisions}
    for clause in corpus.all_clauses():
        if clause.rule is not None and clause.rule.decision in examples:
            examples[clause.rule.decision] += ((clause, example) for example in clause.examples)
    return examples


def decision_problems(
    corpus: Corpus, decision: Decision, spec: Mapping[str, Any], examples: list[tuple[Clause, Example]]
) -> list[Diagnostic]:
    """What the worked examples and the logic checks (conflicts, dead overrides, gaps) find in
    one decision; spec is its decision_json."""
    return run_examples(corpus, decision, spec, examples) + logic_problems(corpus, decision, spec)


def decision_key(
    corpus: Corpus, decision: Decision, spec: Mapping[str, Any], examples: list[tuple[Clause, Example]]
) -> str:
    """Everything the examples and logic checks of a decision read: its spec (facts, enum
    values and rules, as tools get them), its clauses' examples with the facts they start from
    (example_base), and the edition date they run at when the decision has no date fact."""
    return content_key(
        decision.id,
        str(decision.as_of),
        decision.default,
        str(corpus.edition_date),
        json.dumps(spec, sort_keys=True, default=str),
        repr(sorted(decision.example_base.items())),
        repr([(clause.id, example.facts, example.as_of, example.outcome) for clause, example in examples]),
    )


def run_examples(
    corpus: Corpus, decision: Decision, spec: Mapping[str, Any], examples: list[tuple[Clause, Example]]
) -> list[Diagnostic]:
    """Run the worked examples of one decision's clauses against the decision (compiled from
    spec, its decision_json, as tools compile it)."""
    compiled = CompiledDecision(decision.id, spec)
    problems = []
    for _, example in examples:
        facts = example_facts(decision, example.facts)
        # Decisions dated by the caller run their examples as of the edition date.
        as_of = example.as_of or (None if compiled.as_of_fact else corpus.edition_date)
        try:
            answer = compiled.decide(facts, as_of)
        except FactError as error:
            problems.append(Diagnostic("E361", f"example cannot run: {error}", example.origin.span()))
            continue
        if answer.outcome != example.outcome:
            reasons = [r.message for r in explain(compiled, answer)]
            problems.append(
                Diagnostic(
                    "E360",
                    f"example expects '{example.outcome}' but the rules give '{answer.outcome}'",
                    example.origin.span(),
                    excerpt=tuple(reasons),
                )
            )
    return problems
