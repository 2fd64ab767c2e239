"""Explain, compiled: the Python source of a decision's explainer, from describe.py's Describer.

The generated `reasons(answer)` gives the reasons the walk in explain.py finds, in one language:
the Describer runs once over the stage below, which knows the decision but no answer, so each
test it asks becomes a conditional expression (for a rule that did not apply, a chain finding
the first failing part of its condition) and each value the code that shows it; the sentences
are literal pieces and those values. As in evaluate.py, the code is built from whitelisted
constructs, every text from the bundle goes through repr(), and it runs without builtins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from terms_compiler.check.describe import (
    Case,
    Code,
    Describer,
    Reason,
    RuleTest,
    Text,
    always,
    show_value,
    text_source,
)
from terms_compiler.check.evaluate import (
    CACHE_LIMIT,
    Answer,
    CompiledDecision,
    define,
    in_effect_source,
    to_python,
)
from terms_compiler.check.rules import Const, Expr, Fact, Param, Rule, constant_value


def compile_explainer(
    decision: CompiledDecision, language: str, as_json: bool
) -> Callable[[Answer], list[Any]]:
    """A function from an answer to its rules' reasons (Reasons, or their JSON objects), in
    language (its words in English when describe.PHRASES has none of its own)."""
    stage = _Source(decision, as_json)
    describer = Describer(decision, language, stage)
    rules = [f"        {describer.reason(rule)}," for rule in decision.rules]
    source = "\n".join(
        [
            *stage.helpers,
            "def reasons(answer):",
            "    f, day, deciding, overridden = answer.facts, answer.day, answer.deciding, answer.overridden",
            "    return [",
            *rules,
            "    ]",
        ]
    )
    return define(source + "\n", "reasons", _NAMESPACE, f"explain {decision.id} {language}")


def _text(value: Any) -> str:
    return show_value(value, "")


_DATE_TEXTS: dict[Any, str] = {}


def _date_text(value: Any) -> str:
    """show_value(value, "date"), remembered: a batch shows the same dates again and again."""
    text = _DATE_TEXTS.get(value)
    if text is None:
        if len(_DATE_TEXTS) >= CACHE_LIMIT:
            _DATE_TEXTS.clear()
        text = _DATE_TEXTS[value] = show_value(value, "date")
    return text


_NAMESPACE = {"Reason": Reason, "text": _text, "date_text": _date_text}
INLINE_CASES = 8
"""Most cases a choice makes inline (a chain of conditional expressions, each one level of
Python's syntax tree); more become a function (a call costs about as much as a few tests)."""


class _Source:
    """The stage of a Describer that knows the decision but no answer: what it is asked becomes
    Python source over the generated function's locals (`f`, the prepared facts, as in
    evaluate.fact_in_dict; `day`, `deciding`, `overridden`; `answer`). A reason is the source of
    a Reason, or of its JSON object."""

    def __init__(self, decision: CompiledDecision, as_json: bool) -> None:
        self.facts = decision.facts
        self.as_json = as_json
        self.helpers: list[str] = []
        """Source of the functions that choose among several cases, defined before `reasons`."""
        self.count = 0
        """How many helpers are named so far."""

    def shown(self, node: Expr, type_: str) -> Text:
        if isinstance(node, Param | Const):  # known now
            return [show_value(constant_value(node), type_)]
        value = to_python(node)
        if type_ == "date":
            return [Code(f"date_text({value})")]
        if isinstance(node, Fact) and self.always_text(node.name):
            return [Code(value)]
        return [Code(f"text({value})")]

    def choose(self, cases: list[Case], otherwise: Callable[[], Text]) -> Text:
        """A few cases: one conditional expression, flat (`a if t else b if u else c` needs no
        parentheses). More (the parts of a long `and`): a function of flat `if`s, called where
        the text goes, so that a long `and` nests the source no deeper than a short one."""
        if len(cases) <= INLINE_CASES:
            chain = text_source(otherwise())
            for test, then in reversed(cases):
                chain = f"{text_source(then())} if {to_python(test)} else {chain}"
            return [Code(f"({chain})")]
        self.count += 1
        name = f"choice_{self.count}"
        lines = [f"def {name}(f):"]
        for test, then in cases:
            lines += [f"    if {to_python(test)}:", f"        return {text_source(then())}"]
        self.helpers.append("\n".join([*lines, f"    return {text_source(otherwise())}"]))
        return [Code(f"{name}(f)")]

    def first_reason(
        self, rule: Rule, cases: list[tuple[RuleTest, Callable[[], str]]], otherwise: Callable[[], str]
    ) -> str:
        chain = otherwise()
        for test, reason in reversed(cases):
            chain = f"{reason()} if {self.passes(rule, test)} else {chain}"
        return f"({chain})"

    def passes(self, rule: Rule, test: RuleTest) -> str:
        match test:
            case "deciding":
                return f"{rule.clause!r} in deciding"
            case "overridden":
                return f"{rule.clause!r} in overridden"
        return f"not {in_effect_source(rule)}"

    def reason(self, rule: Rule, status: str, message: Text) -> str:
        if self.as_json:
            return (
                f"{{'clause': {rule.clause!r}, 'status': {status!r}, 'outcome': {rule.outcome!r}, "
                f"'message': {text_source(message)}}}"
            )
        return f"Reason({rule.clause!r}, {status!r}, {rule.outcome!r}, {text_source(message)})"

    def as_of(self) -> Text:
        return [Code("answer.as_of")]

    def applied(self, clauses: tuple[str, ...]) -> Text:
        return [Code(f"', '.join([c for c in {clauses!r} if c in deciding or c in overridden])")]

    def always_text(self, name: str) -> bool:
        """Whether the fact's prepared value always is a str: shown as it is."""
        return always(self.facts, name, "enum", str) or always(self.facts, name, "string", str)
