"""Describe: why a rule did or did not decide an answer, in words: the one source of the wording.

For a rule whose condition failed, the reason names the first part of the condition that failed,
with the facts' values and the limit: "order_date is 91 days after license_date; the limit is
90 (window_days)". The Describer below finds those words from a rule's typed nodes, and is
written once for both ways of explaining, through a Stage:
  - explain.py's walk knows the answer: a test is decided and a value shown as it is met;
  - explain_compiler.py's stage knows only the decision: a test becomes a conditional
    expression and a value the code that shows it, and the words become the source of a
    function that explains any answer of the decision (what a batch runs, line after line).
Either way the sentences are put together here, so the two cannot drift.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache, partial
from typing import Any, Generic, Literal, NamedTuple, Protocol, TypeVar

from terms_compiler.check.dates import day_text, from_ordinal
from terms_compiler.check.evaluate import CompiledDecision
from terms_compiler.check.rules import (
    BoolOp,
    Compare,
    Comparison,
    Const,
    Days,
    Expr,
    Fact,
    Membership,
    Not,
    Param,
    Rule,
    type_of,
)

LANGUAGES = ("en", "uk", "ru", "zh")

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "deciding": "{clause} applies: {outcome}",
        "overridden": "{clause} applies but is overridden by {by}",
        "not-in-effect": "{clause} is not in effect on {date} (in effect {window})",
        "not-met": "{clause} does not apply: {failure}",
        "default": "no rule applies, so the answer is the default: {outcome}",
        "conflict": "conflict: {clauses} apply with different outcomes and none overrides the others",
        "from": "from {date}",
        "until": "until {date}",
        "from-until": "from {start} until {end}",
        "compare": "{subject} is {value}; the rule needs {op} {limit}",
        "days-limit": "{end} is {count} days after {start}; the limit is {limit}",
        "days": "the number of days from {start} to {end}",
        "bool": "{subject} is {value}",
        "in": "{subject} is {value}, which is not one of: {options}",
        "not-in": "{subject} is {value}, which is excluded ({options})",
        "or": "none of the alternatives holds: {alternatives}",
        "or-joiner": "; or ",
        "int-ops": "<=:at most|<:less than|>=:at least|>:more than|==:|!=:anything but",
        "date-ops": "<=:on or before|<:before|>=:on or after|>:after|==:|!=:anything but",
        "answer": "{decision}: {outcome}, as of {date}",
        "quote": "{title}: {text}",
    },
    "uk": {
        "deciding": "{clause} застосовується: {outcome}",
        "overridden": "{clause} застосовується, але його перекриває {by}",
        "not-in-effect": "{clause} не діє на {date} (діє {window})",
        "not-met": "{clause} не застосовується: {failure}",
        "default": "жодне правило не застосовується, тому відповідь типова: {outcome}",
        "conflict": "конфлікт: {clauses} застосовуються з різними результатами, і жоден не перекриває інші",
        "from": "з {date}",
        "until": "до {date}",
        "from-until": "з {start} до {end}",
        "compare": "{subject} = {value}; правило вимагає: {op} {limit}",
        "days-limit": "{end} настає через {count} дн. після {start}; межа — {limit}",
        "days": "кількість днів від {start} до {end}",
        "bool": "{subject} має значення {value}",
        "in": "{subject} = {value}, а це не одне з: {options}",
        "not-in": "{subject} = {value}, а це одне з виключених значень ({options})",
        "or": "не виконується жодна з умов: {alternatives}",
        "or-joiner": "; або ",
        "int-ops": "<=:не більше ніж|<:менше ніж|>=:не менше ніж|>:більше ніж|==:|!=:будь-що, крім",
        "date-ops": "<=:не пізніше|<:раніше ніж|>=:не раніше|>:пізніше ніж|==:|!=:будь-що, крім",
        "answer": "{decision}: {outcome}, станом на {date}",
        "quote": "{title}: {text}",
    },
    "ru": {
        "deciding": "{clause} применяется: {outcome}",
        "overridden": "{clause} применяется, но его перекрывает {by}",
        "not-in-effect": "{clause} не действует на {date} (действует {window})",
        "not-met": "{clause} не применяется: {failure}",
        "default": "ни одно правило не применяется, поэтому ответ по умолчанию: {outcome}",
        "conflict": "конфликт: {clauses} применяются с разными результатами, и ни одно не перекрывает другие",
        "from": "с {date}",
        "until": "по {date}",
        "from-until": "с {start} по {end}",
        "compare": "{subject} = {value}; правило требует: {op} {limit}",
        "days-limit": "{end} наступает через {count} дн. после {start}; предел — {limit}",
        "days": "количество дней от {start} до {end}",
        "bool": "{subject} имеет значение {value}",
        "in": "{subject} = {value}, а это не одно из: {options}",
        "not-in": "{subject} = {value}, а это одно из исключённых значений ({options})",
        "or": "не выполняется ни одно из условий: {alternatives}",
        "or-joiner": "; или ",
        "int-ops": "<=:не больше|<:меньше|>=:не меньше|>:больше|==:|!=:что угодно, кроме",
        "date-ops": "<=:не позднее|<:ранее|>=:не ранее|>:позднее|==:|!=:что угодно, кроме",
        "answer": "{decision}: {outcome}, по состоянию на {date}",
        "quote": "{title}: {text}",
    },
    "zh": {
        "deciding": "{clause}适用：{outcome}",
        "overridden": "{clause}适用，但被{by}优先取代",
        "not-in-effect": "{clause}在{date}不生效（生效期：{window}）",
        "not-met": "{clause}不适用：{failure}",
        "default": "没有适用的规则，因此结果为默认值：{outcome}",
        "conflict": "冲突：{clauses}均适用但结果不同，且互不优先",
        "from": "自{date}起",
        "until": "至{date}止",
        "from-until": "自{start}至{end}",
        "compare": "{subject}为{value}；规则要求：{op}{limit}",
        "days-limit": "{end}在{start}之后{count}天；上限为{limit}",
        "days": "从{start}到{end}的天数",
        "bool": "{subject}为{value}",
        "in": "{subject}为{value}，不在以下值中：{options}",
        "not-in": "{subject}为{value}，属于被排除的值（{options}）",
        "or": "以下条件均不满足：{alternatives}",
        "or-joiner": "；或",
        "int-ops": "<=:不超过|<:小于|>=:不少于|>:大于|==:|!=:不为",
        "date-ops": "<=:不晚于|<:早于|>=:不早于|>:晚于|==:|!=:不为",
        "answer": "{decision}：{outcome}，截至{date}",
        "quote": "{title}：{text}",
    },
}


def words_language(language: str) -> str:
    """The language of the words: English for one without phrases."""
    return language if language in PHRASES else "en"


def outcome_words(labels: Any, outcome: str, language: str) -> str:
    """An outcome in a message: `LABEL (outcome)` with the bundle's label in the language, the
    outcome alone when the label is the same or missing."""
    entry = labels.get(outcome) if isinstance(labels, dict) else None
    label = entry.get(language) if isinstance(entry, dict) else None
    return f"{label} ({outcome})" if isinstance(label, str) and label and label != outcome else outcome


def fact_words(facts: Mapping[str, Any], name: str, language: str) -> str:
    """A fact as a message names it: by its description in the language, when the words are not
    English and the bundle has one (the names are English identifiers); else by its name."""
    if words_language(language) == "en":
        return name
    spec = facts.get(name)
    description = spec.get("description") if isinstance(spec, dict) else None
    text = description.get(language) if isinstance(description, dict) else None
    return text if isinstance(text, str) and text else name


NEGATION: dict[Comparison, Comparison] = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


class Reason(NamedTuple):
    clause: str
    status: str
    """deciding, overridden, not-in-effect or not-met; default or conflict after the rules."""
    outcome: str
    """The rule's outcome (what it would have given)."""
    message: str

    def to_json(self) -> dict[str, str]:
        return {
            "clause": self.clause,
            "status": self.status,
            "outcome": self.outcome,
            "message": self.message,
        }


def show_value(value: Any, type_: str) -> str:
    """A value in a message: a date as its ISO text (dates.day_text), true and false as in JSON."""
    if type_ == "date" and isinstance(value, int):
        return day_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@lru_cache(maxsize=64)
def operator_words(phrase_table: str) -> dict[str, str]:
    return dict(pair.split(":", 1) for pair in phrase_table.split("|"))


def always(facts: Mapping[str, Mapping[str, Any]], name: str, type_: str, python_type: type) -> bool:
    """Whether the fact is declared of type_ and its default (if any) is a python_type, so that
    its prepared value always is one (evaluate checks given values)."""
    spec = facts.get(name, {})
    return bool(
        spec.get("type") == type_ and ("default" not in spec or spec["default"].__class__ is python_type)
    )


# Messages as they are put together ------------------------------------------------------------


class Code(NamedTuple):
    """A piece of a message known only once an answer is explained: the Python source of a str
    (only the compiling stage makes these)."""

    source: str


Text = list[str | Code]
"""A message being put together: literal pieces, and pieces computed from an answer."""

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def fill(phrase: str, **parts: Text) -> Text:
    """phrase.format(**parts), as a Text."""
    text: Text = []
    for index, piece in enumerate(_PLACEHOLDER.split(phrase)):
        text += parts[piece] if index % 2 else [piece]
    return text


def joined(separator: str, texts: list[Text]) -> Text:
    text: Text = []
    for index, part in enumerate(texts):
        text += [separator, *part] if index else part
    return text


def text_source(text: Text) -> str:
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
    if len(sources) == 1:
        return sources[0]
    if len(sources) > MOST_ADDED:
        return "''.join((" + ", ".join(sources) + "))"
    return "(" + " + ".join(sources) + ")"


MOST_ADDED = 32
"""Most pieces text_source adds with `+`; more are joined: a long `+` chain nests Python's syntax
tree one level a piece, past the depth its compiler allows (the words of an `or` of 5,000 parts)."""


def plain(text: Text) -> str:
    """A text of literal pieces only (as the walking stage makes them), as a str."""
    if not all(isinstance(piece, str) for piece in text):
        raise ValueError(f"a text with pieces computed later: {text!r}")
    return "".join(piece for piece in text if isinstance(piece, str))


def with_single_spaces(text: Text) -> Text:
    """The text with each double space made single (the words for == are empty)."""
    if all(isinstance(piece, str) for piece in text):
        return [plain(text).replace("  ", " ")]
    return [Code(f"{text_source(text)}.replace('  ', ' ')")]


# The describer, over a stage ------------------------------------------------------------------

R = TypeVar("R")
"""What a stage makes of a reason: a Reason (walking), or the source of one (compiling)."""

Case = tuple[Expr, Callable[[], Text]]
"""A condition, and the words when it holds (made only then)."""

RuleTest = Literal["deciding", "overridden", "not-in-effect"]
"""What is asked of the answer about a rule: it decides, it is overridden, it is not in effect
on the as-of date."""


class Stage(Protocol[R]):
    """What the Describer asks of the answer it explains: decided now, or turned into code."""

    def shown(self, node: Expr, type_: str) -> Text:
        """The node's value in words, as show_value(value, type_) gives it."""
        ...

    def choose(self, cases: list[Case], otherwise: Callable[[], Text]) -> Text:
        """The text of the first case whose condition holds for the answer's facts, else
        otherwise's. One flat choice however many cases (an `and` of any length), never a chain
        of nested ones: generated code stays within the nesting Python's parser allows."""
        ...

    def first_reason(
        self, rule: Rule, cases: list[tuple[RuleTest, Callable[[], R]]], otherwise: Callable[[], R]
    ) -> R:
        """The reason of the first case whose test the answer passes for the rule, else otherwise's."""
        ...

    def reason(self, rule: Rule, status: str, message: Text) -> R:
        """The rule's reason with this status and message."""
        ...

    def as_of(self) -> Text:
        """The answer's as-of date."""
        ...

    def applied(self, clauses: tuple[str, ...]) -> Text:
        """Those of the clauses whose rules applied for the answer, in order, joined by commas."""
        ...


class Describer(Generic[R]):
    """A decision's reasons for its rules in one language, over a stage. Every method that
    describes a part of a condition is only called on a part that fails: false, or true when
    `negated`."""

    def __init__(self, decision: CompiledDecision, language: str, stage: Stage[R]) -> None:
        self.decision = decision
        self.language = language
        """The language asked for: of the outcome labels and fact descriptions."""
        self.phrases = PHRASES[words_language(language)]
        self.stage = stage

    def reason(self, rule: Rule) -> R:
        """The rule's reason: the first status the answer gives it, in this order."""
        stage, phrases = self.stage, self.phrases
        clause: Text = [rule.clause]
        overriders = tuple(r.clause for r in self.decision.rules if rule.clause in r.overrides)

        def deciding() -> R:
            outcome = outcome_words(self.decision.spec.get("outcomes"), rule.outcome, self.language)
            message = fill(phrases["deciding"], clause=clause, outcome=[outcome])
            return stage.reason(rule, "deciding", message)

        def overridden() -> R:
            message = fill(phrases["overridden"], clause=clause, by=stage.applied(overriders))
            return stage.reason(rule, "overridden", message)

        def not_in_effect() -> R:
            window: Text = [self.window_words(rule)]
            message = fill(phrases["not-in-effect"], clause=clause, date=stage.as_of(), window=window)
            return stage.reason(rule, "not-in-effect", message)

        def not_met() -> R:
            message = fill(phrases["not-met"], clause=clause, failure=self.failure(rule.when))
            return stage.reason(rule, "not-met", message)

        cases: list[tuple[RuleTest, Callable[[], R]]] = [("deciding", deciding), ("overridden", overridden)]
        if rule.start is not None or rule.end is not None:
            cases.append(("not-in-effect", not_in_effect))
        return stage.first_reason(rule, cases, not_met)

    def window_words(self, rule: Rule) -> str:
        start = None if rule.start is None else from_ordinal(rule.start)
        end = None if rule.end is None else from_ordinal(rule.end)
        if start and end:
            return self.phrases["from-until"].format(start=start, end=end)
        return self.phrases["from"].format(date=start) if start else self.phrases["until"].format(date=end)

    def failure(self, node: Expr, negated: bool = False) -> Text:
        """Words for why node is false (or true, when negated)."""
        match node:
            case BoolOp(op=op, args=args) if op == ("or" if negated else "and"):
                return self.first_failure(args, negated)
            case BoolOp(args=args):  # every part fails
                parts = [self.failure(arg, negated) for arg in args]
                return fill(self.phrases["or"], alternatives=joined(self.phrases["or-joiner"], parts))
            case Not(arg=arg):
                return self.failure(arg, not negated)
            case Membership():
                return self.membership(node, negated)
            case Compare():
                return self.comparison(node, negated)
            case Fact() | Param() | Const():
                return fill(self.phrases["bool"], subject=self.subject(node), value=self.truth(node, negated))
        raise TypeError(f"not a condition: {node!r}")

    def first_failure(self, args: tuple[Expr, ...], negated: bool) -> Text:
        """Words for the first of args that fails (one does, or the rule would hold; so when
        all others hold, the last one)."""
        *others, last = args
        cases: list[Case] = [
            (arg if negated else Not(arg), partial(self.failure, arg, negated)) for arg in others
        ]
        return self.stage.choose(cases, partial(self.failure, last, negated))

    def truth(self, node: Fact | Param | Const, negated: bool) -> Text:
        """The value of a failing true-or-false node."""
        if isinstance(node, Fact) and always(self.decision.facts, node.name, "bool", bool):
            # A true-or-false fact that fails is false (true, when negated): no need to look.
            return ["true" if negated else "false"]
        return self.stage.shown(node, "bool")

    def membership(self, node: Membership, negated: bool) -> Text:
        return fill(
            self.phrases["not-in" if negated else "in"],
            subject=self.subject(node.value),
            value=self.show(node.value, named=False),
            options=joined(", ", [self.show(option) for option in node.options]),
        )

    def comparison(self, node: Compare, negated: bool) -> Text:
        op = NEGATION[node.op] if negated else node.op
        left, right = node.left, node.right
        kind = "date" if type_of(left) == "date" else "int"

        def compare() -> Text:
            return with_single_spaces(
                fill(
                    self.phrases["compare"],
                    subject=self.subject(left),
                    value=self.show(left, named=False),
                    op=[operator_words(self.phrases[f"{kind}-ops"])[op]],
                    limit=self.show(right),
                )
            )

        if not isinstance(left, Days) or op not in ("<=", "<"):
            return compare()

        def days_limit() -> Text:
            return fill(
                self.phrases["days-limit"],
                end=self.subject(left.end),
                start=self.subject(left.start),
                count=self.stage.shown(left, "int"),
                limit=self.show(right),
            )

        # Within a limit of days, a later date is said as "N days after"; an earlier one is not.
        return self.stage.choose([(Compare(">=", left, Const("int", 0)), days_limit)], compare)

    def subject(self, node: Expr) -> Text:
        match node:
            case Fact(name=name):
                return [fact_words(self.decision.facts, name, self.language)]
            case Param(name=name):
                return [name]
            case Days(start=start, end=end):
                return fill(self.phrases["days"], start=self.subject(start), end=self.subject(end))
        return self.show(node)

    def show(self, node: Expr, named: bool = True) -> Text:
        """The node's value, with the name of the parameter or fact it comes from."""
        shown = self.stage.shown(node, type_of(node))
        if named and isinstance(node, Fact):
            return [*shown, f" ({fact_words(self.decision.facts, node.name, self.language)})"]
        return [*shown, f" ({node.name})"] if named and isinstance(node, Param) else shown
