"""Explain: why each rule of a decision did or did not decide an answer, in en, uk, ru or zh.

For a rule whose condition failed, the reason names the first condition that failed, with the
facts' values and the limit: "order_date is 91 days after license_date; the limit is 90
(window_days)". Like evaluate.py, this module is on the light `terms check` path.

The words are a function of the rule's AST and the facts, so they are compiled like the rules
(explain_compiler.py), once per decision and language. `_Describer` here finds the same words
by walking the AST for each answer: it explains a first answer (cheaper than compiling, for a
single call) and is the reference the compiled explainer is tested against.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from terms_compiler.check.evaluate import (
    CONFLICT,
    Answer,
    CompiledDecision,
    CompiledRule,
    constant_value,
    from_ordinal,
    node_type,
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
    },
}


class Reason(NamedTuple):
    clause: str
    status: str
    """deciding, overridden, not-in-effect or not-met."""
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


def explain_interpreted(decision: CompiledDecision, answer: Answer, language: str = "en") -> list[Reason]:
    """The same reasons as explain, found by walking each rule's AST for this answer: the
    reference the compiled explainer is tested against."""
    reasons = _walked_reasons(decision, answer, PHRASES.get(language, PHRASES["en"]))
    closing = _closing(decision, answer, language)
    return reasons if closing is None else [*reasons, closing]


def _rule_reasons(decision: CompiledDecision, answer: Answer, language: str, as_json: bool) -> list[Any]:
    """The rules' reasons, by the decision's compiled explainer for the language (English when
    it has no phrases). Compiling costs about ten walks of the AST, so the first answer in each
    language is explained by walking it (a single `terms check` pays only that), and the second
    compiles the explainer, which is kept."""
    key = (language if language in PHRASES else "en", as_json)
    if key not in decision.explainers:
        decision.explainers[key] = None
        reasons = _walked_reasons(decision, answer, PHRASES[key[0]])
        return [reason.to_json() for reason in reasons] if as_json else reasons
    explainer = decision.explainers[key]
    if explainer is None:
        from terms_compiler.check.explain_compiler import compile_explainer

        explainer = decision.explainers[key] = compile_explainer(decision, *key)
    return explainer(answer)


def _walked_reasons(decision: CompiledDecision, answer: Answer, phrases: Mapping[str, str]) -> list[Reason]:
    return [_reason(rule, answer, phrases, decision.rules) for rule in decision.rules]


def _closing(decision: CompiledDecision, answer: Answer, language: str) -> Reason | None:
    """The reason after the rules' reasons: the conflict, or the default, or none."""
    phrases = PHRASES.get(language, PHRASES["en"])
    if answer.outcome == CONFLICT:
        return Reason(
            "", "conflict", CONFLICT, phrases["conflict"].format(clauses=", ".join(answer.deciding))
        )
    if not answer.deciding:
        outcome = _outcome_label(decision.spec.get("outcomes", {}), answer.outcome, language)
        return Reason("", "default", answer.outcome, phrases["default"].format(outcome=outcome))
    return None


def _outcome_label(labels: Mapping[str, Mapping[str, str]], outcome: str, language: str) -> str:
    label = labels.get(outcome, {}).get(language)
    return f"{label} ({outcome})" if label and label != outcome else outcome


def _reason(
    rule: CompiledRule, answer: Answer, phrases: Mapping[str, str], rules: tuple[CompiledRule, ...]
) -> Reason:
    clause, outcome = rule.clause, rule.outcome
    if clause in answer.deciding:
        return Reason(clause, "deciding", outcome, phrases["deciding"].format(clause=clause, outcome=outcome))
    if clause in answer.overridden:
        applied = {*answer.deciding, *answer.overridden}
        beaten_by = ", ".join(r.clause for r in rules if r.clause in applied and clause in r.overrides)
        return Reason(
            clause, "overridden", outcome, phrases["overridden"].format(clause=clause, by=beaten_by)
        )
    if not rule.in_effect(answer.day):
        return Reason(
            clause,
            "not-in-effect",
            outcome,
            phrases["not-in-effect"].format(
                clause=clause, date=answer.as_of, window=window_words(rule, phrases)
            ),
        )
    failure = _Describer(answer.facts, phrases).failure(rule.spec["when"])
    return Reason(clause, "not-met", outcome, phrases["not-met"].format(clause=clause, failure=failure))


def window_words(rule: CompiledRule, phrases: Mapping[str, str]) -> str:
    effective = rule.spec.get("effective") or {}
    start, end = effective.get("from"), effective.get("until")
    if start and end:
        return phrases["from-until"].format(start=start, end=end)
    return phrases["from"].format(date=start) if start else phrases["until"].format(date=end)


@lru_cache(maxsize=64)
def operator_words(phrase_table: str) -> dict[str, str]:
    return dict(pair.split(":", 1) for pair in phrase_table.split("|"))


class _Describer:
    """Finds the first failing part of a condition and says it in words, by walking the AST.

    Every method below is only called on a part that fails: false, or true when `negated`.
    """

    def __init__(self, facts: Mapping[str, Any], phrases: Mapping[str, str]) -> None:
        self.facts = facts
        self.phrases = phrases

    def value(self, node: Mapping[str, Any]) -> Any:
        op = node["op"]
        if op == "fact":
            return self.facts[node["name"]]
        if op in ("const", "param"):
            return constant_value(node)
        if op == "and":
            return all(self.value(arg) for arg in node["args"])
        if op == "or":
            return any(self.value(arg) for arg in node["args"])
        if op == "not":
            return not self.value(node["arg"])
        if op == "in":
            return self.value(node["value"]) in [self.value(o) for o in node["options"]]
        if op == "days":
            return self.value(node["args"][1]) - self.value(node["args"][0])
        left, right = self.value(node["left"]), self.value(node["right"])
        return _OPERATIONS[op](left, right)

    def failure(self, node: Mapping[str, Any], negated: bool = False) -> str:
        """Words for why node is false (or true, when negated)."""
        op = node["op"]
        if op == ("or" if negated else "and"):
            first = next(arg for arg in node["args"] if bool(self.value(arg)) == negated)
            return self.failure(first, negated)
        if op in ("and", "or"):
            parts = [self.failure(arg, negated) for arg in node["args"]]
            return self.phrases["or"].format(alternatives=self.phrases["or-joiner"].join(parts))
        if op == "not":
            return self.failure(node["arg"], not negated)
        return self.describe_leaf(node, negated)

    def describe_leaf(self, node: Mapping[str, Any], negated: bool) -> str:
        op = node["op"]
        if op == "in":
            options = ", ".join(self.show(o) for o in node["options"])
            return self.phrases["not-in" if negated else "in"].format(
                subject=self.subject(node["value"]),
                value=self.show(node["value"], named=False),
                options=options,
            )
        if op == "fact" or op in ("const", "param"):
            return self.phrases["bool"].format(
                subject=self.subject(node), value=show_value(self.value(node), "bool")
            )
        return self.comparison(node, negated)

    def comparison(self, node: Mapping[str, Any], negated: bool) -> str:
        op = NEGATION[node["op"]] if negated else node["op"]
        left, right = node["left"], node["right"]
        if left["op"] == "days" and op in ("<=", "<") and self.value(left) >= 0:
            start, end = left["args"]
            return self.phrases["days-limit"].format(
                end=self.subject(end),
                start=self.subject(start),
                count=self.value(left),
                limit=self.show(right),
            )
        kind = "date" if node_type(left) == "date" else "int"
        words = operator_words(self.phrases[f"{kind}-ops"])
        sentence = self.phrases["compare"].format(
            subject=self.subject(left),
            value=self.show(left, named=False),
            op=words[op],
            limit=self.show(right),
        )
        return sentence.replace("  ", " ")  # the words for == are empty

    def subject(self, node: Mapping[str, Any]) -> str:
        if node["op"] in ("fact", "param"):
            return str(node["name"])
        if node["op"] == "days":
            start, end = node["args"]
            return self.phrases["days"].format(start=self.subject(start), end=self.subject(end))
        return self.show(node)

    def show(self, node: Mapping[str, Any], named: bool = True) -> str:
        """The node's value, with the name of the parameter or fact it comes from."""
        shown = show_value(self.value(node), node_type(node))
        return f"{shown} ({node['name']})" if named and node["op"] in ("param", "fact") else shown


def show_value(value: Any, type_: str) -> str:
    if type_ == "date" and isinstance(value, int):
        return from_ordinal(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_OPERATIONS = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
}
NEGATION = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
