"""Explain: why each rule of a decision did or did not decide an answer, in en, uk, ru or zh.

The words are describe.py's. They are found in one of two ways: by walking the rules' nodes
with the answer at hand (the walk below), or by a function compiled from the same Describer once
per decision and language (explain_compiler.py), which a batch then runs line after line.
Compiling costs about ten walks, so the first answer in a language is walked (a single `terms
check` pays only that) and the second compiles. Like evaluate.py, this module is on the light
`terms check` path.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from terms_compiler.check.describe import (
    PHRASES,
    Case,
    Describer,
    Reason,
    RuleTest,
    Text,
    outcome_words,
    plain,
    show_value,
    words_language,
)
from terms_compiler.check.evaluate import CONFLICT, Answer, CompiledDecision
from terms_compiler.check.explain_compiler import compile_explainer
from terms_compiler.check.rules import (
    Arithmetic,
    BoolOp,
    Compare,
    Const,
    Days,
    Expr,
    Fact,
    Membership,
    Not,
    Param,
    Rule,
    constant_value,
)


def explain(decision: CompiledDecision, answer: Answer, language: str = "en") -> list[Reason]:
    """One reason per rule of the decision, in rule order, plus the default or the conflict."""
    reasons: list[Reason] = _rule_reasons(decision, answer, language, as_json=False)
    closing = _closing(decision, answer, language)
    return reasons if closing is None else [*reasons, closing]


def explain_json(decision: CompiledDecision, answer: Answer, language: str = "en") -> list[dict[str, str]]:
    """The same reasons as JSON objects (Reason.to_json), as `terms check --format json` writes
    them; built as objects directly, which saves a batch a tuple and a call per reason."""
    reasons: list[dict[str, str]] = _rule_reasons(decision, answer, language, as_json=True)
    closing = _closing(decision, answer, language)
    return reasons if closing is None else [*reasons, closing.to_json()]


def explain_deciding(decision: CompiledDecision, answer: Answer, language: str = "en") -> list[Reason]:
    """The deciding rules' reasons, then the default or the conflict: what `terms check --explain
    deciding` gives. The same words as explain's, found without wording the other rules."""
    describer = Describer(decision, language, _Walk(answer))
    reasons = [describer.reason(rule) for rule in decision.rules if rule.clause in answer.deciding]
    closing = _closing(decision, answer, language)
    return reasons if closing is None else [*reasons, closing]


def explain_interpreted(decision: CompiledDecision, answer: Answer, language: str = "en") -> list[Reason]:
    """The same reasons as explain, always found by walking the rules for this answer: what the
    compiled explainer is tested against."""
    reasons = _walked_reasons(decision, answer, language)
    closing = _closing(decision, answer, language)
    return reasons if closing is None else [*reasons, closing]


def _rule_reasons(decision: CompiledDecision, answer: Answer, language: str, as_json: bool) -> list[Any]:
    """The rules' reasons: walked for the first answer in the language, by the decision's
    compiled explainer (kept) from the second on."""
    key = (language, as_json)  # the language asked for: its labels and descriptions
    if key not in decision.explainers:
        decision.explainers[key] = None
        reasons = _walked_reasons(decision, answer, key[0])
        return [reason.to_json() for reason in reasons] if as_json else reasons
    explainer = decision.explainers[key]
    if explainer is None:
        explainer = decision.explainers[key] = compile_explainer(decision, *key)
    return explainer(answer)


def _walked_reasons(decision: CompiledDecision, answer: Answer, language: str) -> list[Reason]:
    describer = Describer(decision, language, _Walk(answer))
    return [describer.reason(rule) for rule in decision.rules]


def _closing(decision: CompiledDecision, answer: Answer, language: str) -> Reason | None:
    """The reason after the rules' reasons: the conflict, or the default, or none."""
    phrases = PHRASES[words_language(language)]
    if answer.outcome == CONFLICT:
        return Reason(
            "", "conflict", CONFLICT, phrases["conflict"].format(clauses=", ".join(answer.deciding))
        )
    if not answer.deciding:
        outcome = outcome_words(decision.spec.get("outcomes", {}), answer.outcome, language)
        return Reason("", "default", answer.outcome, phrases["default"].format(outcome=outcome))
    return None


class _Walk:
    """The stage of a Describer that has the answer at hand: it decides each test and shows
    each value as the description meets them."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.facts = answer.facts

    def shown(self, node: Expr, type_: str) -> Text:
        return [show_value(self.value(node), type_)]

    def choose(self, cases: list[Case], otherwise: Callable[[], Text]) -> Text:
        return next((then for test, then in cases if self.value(test)), otherwise)()

    def first_reason(
        self, rule: Rule, cases: list[tuple[RuleTest, Callable[[], Reason]]], otherwise: Callable[[], Reason]
    ) -> Reason:
        return next((reason for test, reason in cases if self.passes(rule, test)), otherwise)()

    def passes(self, rule: Rule, test: RuleTest) -> bool:
        match test:
            case "deciding":
                return rule.clause in self.answer.deciding
            case "overridden":
                return rule.clause in self.answer.overridden
        return not rule.in_effect(self.answer.day)

    def reason(self, rule: Rule, status: str, message: Text) -> Reason:
        return Reason(rule.clause, status, rule.outcome, plain(message))

    def as_of(self) -> Text:
        return [self.answer.as_of]

    def applied(self, clauses: tuple[str, ...]) -> Text:
        applied = {*self.answer.deciding, *self.answer.overridden}
        return [", ".join(clause for clause in clauses if clause in applied)]

    def value(self, node: Expr) -> Any:
        """The node's value for the answer's facts (dates as ordinals)."""
        match node:
            case Fact(name=name):
                return self.facts[name]
            case Param() | Const():
                return constant_value(node)
            case BoolOp(op="and", args=args):
                return all(self.value(arg) for arg in args)
            case BoolOp(args=args):
                return any(self.value(arg) for arg in args)
            case Not(arg=arg):
                return not self.value(arg)
            case Membership(value=value, options=options):
                return self.value(value) in [self.value(option) for option in options]
            case Days(start=start, end=end):
                return self.value(end) - self.value(start)
            case Compare(op=op, left=left, right=right) | Arithmetic(op=op, left=left, right=right):
                return _OPERATIONS[op](self.value(left), self.value(right))
        raise TypeError(f"not a rule node: {node!r}")


_OPERATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "+": operator.add,
    "-": operator.sub,
}
