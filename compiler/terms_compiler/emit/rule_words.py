"""Rule in words: a typed condition AST -> an HTML sentence list in en, uk, ru or zh.

Facts are named by their description in the language ("the date the license was acquired"),
enum values by their labels and parameters by their formatted value, so a reader sees the rule
the bundle runs, not its syntax.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from terms_compiler.check.rules import (
    Arithmetic,
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
    read_condition,
    type_of,
)
from terms_compiler.emit.templates import html_text
from terms_compiler.model import Corpus, Decision
from terms_compiler.prose import format_value

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "all": "all of the following hold:",
        "any": "one of the following holds:",
        "not": "it is not the case that {x}",
        "is": "{d} is {v}",
        "is-not": "{d} is not {v}",
        "or": " or ",
        "list-sep": ", ",
        "in": "{d} is {v}",
        "not-in": "{d} is none of: {v}",
        "same": "{d} is the same as {e}",
        "differs": "{d} differs from {e}",
        "int": "<=:{d} is at most {v}|<:{d} is less than {v}|>=:{d} is at least {v}|"
        ">:{d} is more than {v}|==:{d} is {v}|!=:{d} is not {v}",
        "date": "<=:{d} is on or before {v}|<:{d} is before {v}|>=:{d} is on or after {v}|"
        ">:{d} is after {v}|==:{d} is {v}|!=:{d} is not {v}",
        "days": "<=:{end} is no more than {days} after {start}|<:{end} is less than {days} "
        "after {start}|>=:{end} is at least {days} after {start}|>:{end} is more than "
        "{days} after {start}|==:{end} is exactly {days} after {start}|"
        "!=:{end} is not exactly {days} after {start}",
        "days0": ">=:{end} is on or after {start}|>:{end} is after {start}|"
        "<=:{end} is on or before {start}|<:{end} is before {start}|"
        "==:{end} is the same day as {start}|!=:{end} is not the same day as {start}",
        "true": "true",
        "false": "false",
    },
    "uk": {
        "all": "виконуються всі умови:",
        "any": "виконується одна з умов:",
        "not": "неправда, що {x}",
        "is": "{d} — {v}",
        "is-not": "{d} — не {v}",
        "or": " або ",
        "list-sep": ", ",
        "in": "{d} — {v}",
        "not-in": "{d} — жодне з: {v}",
        "same": "{d} збігається з {e}",
        "differs": "{d} відрізняється від {e}",
        "int": "<=:{d} — не більше ніж {v}|<:{d} — менше ніж {v}|>=:{d} — не менше ніж {v}|"
        ">:{d} — більше ніж {v}|==:{d} — {v}|!=:{d} — не {v}",
        "date": "<=:{d} — не пізніше {v}|<:{d} — раніше ніж {v}|>=:{d} — не раніше {v}|"
        ">:{d} — пізніше ніж {v}|==:{d} — {v}|!=:{d} — не {v}",
        "days": "<=:{end} — не більше ніж через {days} після {start}|<:{end} — менше ніж через "
        "{days} після {start}|>=:{end} — щонайменше через {days} після {start}|"
        ">:{end} — більше ніж через {days} після {start}|==:{end} — рівно через {days} "
        "після {start}|!=:{end} — не рівно через {days} після {start}",
        "days0": ">=:{end} — не раніше ніж {start}|>:{end} — пізніше ніж {start}|"
        "<=:{end} — не пізніше ніж {start}|<:{end} — раніше ніж {start}|"
        "==:{end} — той самий день, що й {start}|!=:{end} — інший день, ніж {start}",
        "true": "так",
        "false": "ні",
    },
    "ru": {
        "all": "выполняются все условия:",
        "any": "выполняется одно из условий:",
        "not": "неверно, что {x}",
        "is": "{d} — {v}",
        "is-not": "{d} — не {v}",
        "or": " или ",
        "list-sep": ", ",
        "in": "{d} — {v}",
        "not-in": "{d} — ни одно из: {v}",
        "same": "{d} совпадает с {e}",
        "differs": "{d} отличается от {e}",
        "int": "<=:{d} — не более {v}|<:{d} — менее {v}|>=:{d} — не менее {v}|>:{d} — более {v}|"
        "==:{d} — {v}|!=:{d} — не {v}",
        "date": "<=:{d} — не позднее {v}|<:{d} — ранее {v}|>=:{d} — не ранее {v}|"
        ">:{d} — позднее {v}|==:{d} — {v}|!=:{d} — не {v}",
        "days": "<=:{end} — не более чем через {days} после {start}|<:{end} — менее чем через "
        "{days} после {start}|>=:{end} — не менее чем через {days} после {start}|"
        ">:{end} — более чем через {days} после {start}|==:{end} — ровно через {days} "
        "после {start}|!=:{end} — не ровно через {days} после {start}",
        "days0": ">=:{end} — не ранее чем {start}|>:{end} — позднее чем {start}|"
        "<=:{end} — не позднее чем {start}|<:{end} — ранее чем {start}|"
        "==:{end} — тот же день, что и {start}|!=:{end} — другой день, чем {start}",
        "true": "да",
        "false": "нет",
    },
    "zh": {
        "all": "同时满足以下全部条件：",
        "any": "满足以下任一条件：",
        "not": "并非{x}",
        "is": "{d}为{v}",
        "is-not": "{d}不为{v}",
        "or": "或",
        "list-sep": "、",
        "in": "{d}为{v}",
        "not-in": "{d}不属于：{v}",
        "same": "{d}与{e}相同",
        "differs": "{d}与{e}不同",
        "int": "<=:{d}不超过{v}|<:{d}小于{v}|>=:{d}不少于{v}|>:{d}大于{v}|==:{d}为{v}|!=:{d}不为{v}",
        "date": "<=:{d}不晚于{v}|<:{d}早于{v}|>=:{d}不早于{v}|>:{d}晚于{v}|==:{d}为{v}|!=:{d}不为{v}",
        "days": "<=:{end}不晚于{start}之后{days}|<:{end}早于{start}之后{days}|"
        ">=:{end}不早于{start}之后{days}|>:{end}晚于{start}之后{days}|"
        "==:{end}恰为{start}之后{days}|!=:{end}不恰为{start}之后{days}",
        "days0": ">=:{end}不早于{start}|>:{end}晚于{start}|<=:{end}不晚于{start}|"
        "<:{end}早于{start}|==:{end}与{start}为同一天|!=:{end}与{start}不为同一天",
        "true": "是",
        "false": "否",
    },
}
QUOTED_LANGUAGES = frozenset({"uk", "ru"})
_FLIP: dict[Comparison, Comparison] = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def rule_in_words(condition: Mapping[str, Any], corpus: Corpus, decision: Decision, language: str) -> Markup:
    """The condition (its JSON AST) as HTML: a sentence, or a nested list for and/or."""
    return _Renderer(corpus, decision, language).render(read_condition(condition))


class _Renderer:
    def __init__(self, corpus: Corpus, decision: Decision, language: str) -> None:
        self.corpus = corpus
        self.decision = decision
        self.language = language
        self.words = WORDS.get(language, WORDS["en"])

    def table(self, key: str) -> dict[str, str]:
        return dict(pair.split(":", 1) for pair in self.words[key].split("|"))

    def render(self, node: Expr) -> Markup:
        """The condition as HTML. Every text in it (words, descriptions, labels, values) passes
        through html_text, the site's one escaping; Markup.format escapes what it is given."""
        match node:
            case BoolOp(op=op, args=args):
                items = Markup("").join(Markup("<li>{}</li>").format(self.render(arg)) for arg in args)
                heading = self.words["all" if op == "and" else "any"]
                return Markup("{}<ul>{}</ul>").format(html_text(heading), items)
            case Not(arg=arg):
                return self.negation(arg)
        return html_text(self.leaf(node))

    def negation(self, node: Expr) -> Markup:
        match node:
            case Membership():
                return html_text(self.membership(node, negated=True))
            case Fact():
                return html_text(self.words["not"].format(x=self.describe(node)))
        return html_text(self.words["not"]).format(x=self.render(node))

    def leaf(self, node: Expr) -> str:
        """A condition that is not and, or, not."""
        match node:
            case Membership():
                return self.membership(node, negated=False)
            case Fact() | Param() | Const():
                return self.describe(node)
            case Compare():
                return self.comparison(node)
        raise TypeError(f"not a condition: {node!r}")

    def membership(self, node: Membership, negated: bool) -> str:
        values = [self.describe(option) for option in node.options]
        joined = self.words["list-sep"].join(values[:-1])
        listed = (joined + self.words["or"] + values[-1]) if joined else values[-1]
        if negated:
            listed = self.words["list-sep"].join(values)
        return self.words["not-in" if negated else "in"].format(d=self.describe(node.value), v=listed)

    def comparison(self, node: Compare) -> str:
        op, left, right = node.op, node.left, node.right
        if isinstance(right, Days) and not isinstance(left, Days):
            op, left, right = _FLIP[op], right, left
        if isinstance(left, Days):
            start, end = self.describe(left.start), self.describe(left.end)
            count = right.value if isinstance(right, Param | Const) else None
            if count == 0:
                return self.table("days0")[op].format(start=start, end=end)
            return self.table("days")[op].format(
                start=start, end=end, days=self.days(self.describe(right), count)
            )
        both_facts = isinstance(left, Fact) and isinstance(right, Fact)
        if op in ("==", "!=") and (both_facts or type_of(left) not in ("int", "date")):
            key = ("same" if op == "==" else "differs") if both_facts else ("is" if op == "==" else "is-not")
            return self.words[key].format(
                d=self.describe(left), e=self.describe(right), v=self.describe(right)
            )
        kind = "date" if type_of(left) == "date" else "int"
        return self.table(kind)[op].format(d=self.describe(left), v=self.describe(right))

    def days(self, count: str, value: Any) -> str:
        if self.language == "en":
            return f"{count} day" if value == 1 else f"{count} days"
        return f"{count}天" if self.language == "zh" else f"{count} дн."

    def describe(self, node: Expr) -> str:
        """A fact by its description, a value by its label or formatted value."""
        match node:
            case Fact(name=name, type=type_):
                # A fact an earlier edition's rule names may be gone from the corpus: its name.
                fact = self.decision.facts.get(name)
                text = fact.description.get(self.language, name) if fact else name
                # Slavic languages decline nouns after prepositions; a quoted description reads as
                # a label and stays grammatical in any position.
                quoted = self.language in QUOTED_LANGUAGES and type_ != "bool"
                return f"«{text}»" if quoted else text
            case Days(start=start, end=end):
                return f"days({self.describe(start)}, {self.describe(end)})"
            case Arithmetic(op=op, left=left, right=right):
                return f"{self.describe(left)} {op} {self.describe(right)}"
            case Param(type=type_, value=value) | Const(type=type_, value=value):
                return self.value(type_, value)
        raise TypeError(f"not a value: {node!r}")

    def value(self, type_: str, value: Any) -> str:
        if type_.startswith("enum:"):
            enum = self.corpus.enums.get(type_[5:])
            labels = enum.values.get(value, {}) if enum else {}
            return labels.get(self.language, value)
        if type_ == "bool":
            return self.words["true" if value else "false"]
        if type_ == "string":
            return f"“{value}”"
        return format_value(type_, value, self.language)
