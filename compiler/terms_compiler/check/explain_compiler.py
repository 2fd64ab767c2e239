"""Explain, compiled: the Python source of a decision's explainer, from its rules' ASTs.

The generated `reasons(answer)` gives the reasons explain.py's `_Describer` finds by walking the
AST, in one language: for each rule that did not apply, a chain of tests finds its first failing
part, and the sentence is built from literal pieces and the facts' values. `_ExplainerSource`'s
methods mirror `_Describer`'s one for one. As in evaluate.py, the code is built from whitelisted
constructs, every text from the bundle goes through repr(), and it runs without builtins.
Imported by explain.py on the second answer in a language, not at the start of `terms check`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from terms_compiler.check.evaluate import (
    CACHE_LIMIT,
    FAR_FUTURE,
    FAR_PAST,
    Answer,
    CompiledDecision,
    CompiledRule,
    constant_value,
    define,
    node_type,
    to_python,
)
from terms_compiler.check.explain import NEGATION, PHRASES, Reason, operator_words, show_value, window_words


def compile_explainer(
    decision: CompiledDecision, language: str, as_json: bool
) -> Callable[[Answer], list[Any]]:
    """A function from an answer to its rules' reasons (Reasons, or their JSON objects), in
    language, which must be one of LANGUAGES."""
    source = _ExplainerSource(decision, PHRASES[language], as_json).source()
    return define(source, "reasons", _NAMESPACE, f"explain {decision.id} {language}")


class Code(NamedTuple):
    """A piece of a message computed at run time: the Python source of a str."""

    source: str


Text = list[str | Code]
"""A message being generated: literal pieces, and pieces computed from the facts."""

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _fill(phrase: str, **parts: Text) -> Text:
    """phrase.format(**parts), as a Text."""
    text: Text = []
    for index, piece in enumerate(_PLACEHOLDER.split(phrase)):
        text += parts[piece] if index % 2 else [piece]
    return text


def _joined(separator: str, texts: list[Text]) -> Text:
    joined: Text = []
    for index, text in enumerate(texts):
        joined += [separator, *text] if index else text
    return joined


def _source(text: Text) -> str:
    """Python source of an expression giving the text: literal pieces merged and repr()'d."""
    sources, literal = [], ""
    for piece in text:
        if isinstance(piece, Code):
            sources += [repr(literal), piece.source] if literal else [piece.source]
            literal = ""
        else:
            literal += piece
    if literal or not sources:
        sources.append(repr(literal))
    return sources[0] if len(sources) == 1 else "(" + " + ".join(sources) + ")"


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


class _ExplainerSource:
    """Python source of `reasons(answer)`: a decision's reasons for its rules, in one language.

    Its methods mirror _Describer's, but give a Text, the message as the generated code will
    build it from the facts (`f`, the prepared facts, as in evaluate.fact_in_dict).
    """

    def __init__(self, decision: CompiledDecision, phrases: Mapping[str, str], as_json: bool) -> None:
        self.decision = decision
        self.phrases = phrases
        self.as_json = as_json

    def source(self) -> str:
        return (
            "\n".join(
                [
                    "def reasons(answer):",
                    "    f, day, deciding, overridden = answer.facts, answer.day, answer.deciding, "
                    "answer.overridden",
                    "    return [",
                    *(f"        {self.reason(rule)}," for rule in self.decision.rules),
                    "    ]",
                ]
            )
            + "\n"
        )

    def reason(self, rule: CompiledRule) -> str:
        """Source of the rule's reason, whichever of the four it is."""
        clause, outcome = str(rule.clause), str(rule.outcome)
        deciding = self.record(
            rule, "deciding", _fill(self.phrases["deciding"], clause=[clause], outcome=[outcome])
        )
        overriders = tuple(r.clause for r in self.decision.rules if rule.clause in r.overrides)
        beaten_by = Code(f"', '.join([c for c in {overriders!r} if c in deciding or c in overridden])")
        overridden = self.record(
            rule, "overridden", _fill(self.phrases["overridden"], clause=[clause], by=[beaten_by])
        )
        otherwise = self.record(
            rule,
            "not-met",
            _fill(self.phrases["not-met"], clause=[clause], failure=self.failure(rule.spec["when"])),
        )
        if (rule.start, rule.end) != (FAR_PAST, FAR_FUTURE):
            not_in_effect = self.record(
                rule,
                "not-in-effect",
                _fill(
                    self.phrases["not-in-effect"],
                    clause=[clause],
                    date=[Code("answer.as_of")],
                    window=[window_words(rule, self.phrases)],
                ),
            )
            otherwise = f"{not_in_effect} if not {rule.start!r} <= day <= {rule.end!r} else {otherwise}"
        return (
            f"({deciding} if {rule.clause!r} in deciding else {overridden} if {rule.clause!r} "
            f"in overridden else {otherwise})"
        )

    def record(self, rule: CompiledRule, status: str, message: Text) -> str:
        if self.as_json:
            return (
                f"{{'clause': {rule.clause!r}, 'status': {status!r}, 'outcome': {rule.outcome!r}, "
                f"'message': {_source(message)}}}"
            )
        return f"Reason({rule.clause!r}, {status!r}, {rule.outcome!r}, {_source(message)})"

    def failure(self, node: Mapping[str, Any], negated: bool = False) -> Text:
        op = node["op"]
        if op == ("or" if negated else "and"):
            # The first part that fails: a chain of conditional expressions, the last part
            # needing no test (one part fails, or the rule would hold).
            *firsts, last = node["args"]
            chain = _source(self.failure(last, negated))
            for arg in reversed(firsts):
                fails = to_python(arg) if negated else f"not {to_python(arg)}"
                chain = f"({_source(self.failure(arg, negated))} if {fails} else {chain})"
            return [Code(chain)]
        if op in ("and", "or"):
            parts = [self.failure(arg, negated) for arg in node["args"]]
            return _fill(self.phrases["or"], alternatives=_joined(self.phrases["or-joiner"], parts))
        if op == "not":
            return self.failure(node["arg"], not negated)
        return self.describe_leaf(node, negated)

    def describe_leaf(self, node: Mapping[str, Any], negated: bool) -> Text:
        op = node["op"]
        if op == "in":
            options = _joined(", ", [self.show(o) for o in node["options"]])
            return _fill(
                self.phrases["not-in" if negated else "in"],
                subject=self.subject(node["value"]),
                value=self.show(node["value"], named=False),
                options=options,
            )
        if op == "fact" or op in ("const", "param"):
            value: Text
            if op != "fact":
                value = [show_value(constant_value(node), "bool")]
            elif self.always(node["name"], "bool", bool):
                # A true-or-false fact that fails is false (true, when negated): no need to look.
                value = ["true" if negated else "false"]
            else:
                value = [Code(f"text({to_python(node)})")]
            return _fill(self.phrases["bool"], subject=self.subject(node), value=value)
        return self.comparison(node, negated)

    def comparison(self, node: Mapping[str, Any], negated: bool) -> Text:
        op = NEGATION[node["op"]] if negated else node["op"]
        left, right = node["left"], node["right"]
        kind = "date" if node_type(left) == "date" else "int"
        words = operator_words(self.phrases[f"{kind}-ops"])
        sentence = _fill(
            self.phrases["compare"],
            subject=self.subject(left),
            value=self.show(left, named=False),
            op=[words[op]],
            limit=self.show(right),
        )
        compare = _with_single_spaces(sentence)
        if left["op"] == "days" and op in ("<=", "<"):
            start, end = left["args"]
            days = to_python(left)
            days_limit = _fill(
                self.phrases["days-limit"],
                end=self.subject(end),
                start=self.subject(start),
                count=[Code(f"text({days})")],
                limit=self.show(right),
            )
            return [Code(f"({_source(days_limit)} if {days} >= 0 else {_source(compare)})")]
        return compare

    def subject(self, node: Mapping[str, Any]) -> Text:
        if node["op"] in ("fact", "param"):
            return [str(node["name"])]
        if node["op"] == "days":
            start, end = node["args"]
            return _fill(self.phrases["days"], start=self.subject(start), end=self.subject(end))
        return self.show(node)

    def show(self, node: Mapping[str, Any], named: bool = True) -> Text:
        named_by = [f" ({node['name']})"] if named and node["op"] in ("param", "fact") else []
        type_ = node_type(node)
        if node["op"] in ("const", "param"):
            return [show_value(constant_value(node), type_), *named_by]
        value = to_python(node)
        if type_ == "date":
            return [Code(f"date_text({value})"), *named_by]
        if node["op"] == "fact" and self.is_text(node):
            return [Code(value), *named_by]
        return [Code(f"text({value})"), *named_by]

    def is_text(self, node: Mapping[str, Any]) -> bool:
        """Whether the node is a fact whose value is always a str (shown as it is)."""
        return self.always(node["name"], "enum", str) or self.always(node["name"], "string", str)

    def always(self, name: str, type_: str, python_type: type) -> bool:
        """Whether the fact is declared of type_ and its default (if any) is a python_type, so
        that its prepared value always is one (evaluate checks given values)."""
        spec = self.decision.facts.get(name, {})
        return bool(
            spec.get("type") == type_ and ("default" not in spec or spec["default"].__class__ is python_type)
        )


def _with_single_spaces(text: Text) -> Text:
    """The text with each double space made single (the words for == are empty)."""
    if all(isinstance(piece, str) for piece in text):
        return ["".join(piece for piece in text if isinstance(piece, str)).replace("  ", " ")]
    return [Code(f"{_source(text)}.replace('  ', ' ')")]
