"""Shape: the structure of a bundle the check runtime relies on, checked before anything is compiled.

The bundle's published schema is schemas/bundle.schema.json, but the runtime has no JSON Schema
validator (standard library only), so the parts of that schema it relies on are checked here as
plain code, with what a schema cannot state: every listed language in each clause, at least one
outcome, the default among the outcomes, each rule's clause in the bundle and its outcome among its
decision's. The rules' condition ASTs are checked by their typed reader (rules.py), when a decision
is compiled. Every problem is found, each with its JSON path, as the compiler's stages find theirs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from terms_compiler.check.dates import parse_date
from terms_compiler.check.pattern import matcher, pattern_problem
from terms_compiler.check.rules import MISSING, NAME, found

FACT_TYPES = ("enum", "date", "int", "bool", "string")
CLAUSE_TEXTS = ("title", "markdown", "html", "plain", "hash", "url")
"""The texts of a clause in one language that tools are given (`Bundle.clause_text`)."""
_HASH = re.compile(r"[0-9a-f]{64}")


def bundle_problems(data: Any) -> list[str]:
    """Every problem of the bundle's structure, as `<JSON path>: <what is wrong>`; [] when the
    runtime can use it."""
    if not isinstance(data, dict):
        return [f"the bundle: expected a JSON object, found {found(data)}"]
    return list(_problems(data))


def _problems(data: dict[str, Any]) -> Iterator[str]:
    languages = data.get("languages", MISSING)
    if not _texts(languages) or not languages:
        yield f"languages: expected a list of one or more language codes, found {found(languages)}"
        languages = []
    decisions, clauses = data.get("decisions", MISSING), data.get("clauses", MISSING)
    if not isinstance(decisions, dict):
        yield f"decisions: expected an object (decision id -> decision), found {found(decisions)}"
    if not isinstance(clauses, dict):
        yield f"clauses: expected an object (clause id -> clause), found {found(clauses)}"
    # A part that is not an object is one problem: no follow-on problems of what refers to it.
    if isinstance(decisions, dict):
        for decision_id, decision in decisions.items():
            yield from _decision(f"decisions.{decision_id}", decision, clauses)
    if isinstance(clauses, dict):
        for clause_id, clause in clauses.items():
            yield from _clause(f"clauses.{clause_id}", clause, languages, decisions)


def _decision(path: str, decision: Any, clauses: Any) -> Iterator[str]:
    if not isinstance(decision, dict):
        yield f"{path}: expected an object (a decision), found {found(decision)}"
        return
    outcomes = decision.get("outcomes", MISSING)
    if not isinstance(outcomes, dict):
        yield f"{path}.outcomes: expected an object (outcome -> labels), found {found(outcomes)}"
        outcomes = None
    elif not outcomes:
        yield f"{path}.outcomes: a decision has one or more outcomes, found none"
    default = decision.get("default", MISSING)
    if not isinstance(default, str):
        yield f"{path}.default: expected an outcome, found {found(default)}"
    elif outcomes is not None and default not in outcomes:
        yield f"{path}.default: '{default}' is not one of the decision's outcomes ({', '.join(outcomes)})"
    facts = decision.get("facts", MISSING)
    if not isinstance(facts, dict):
        yield f"{path}.facts: expected an object (fact name -> declaration), found {found(facts)}"
        facts = {}
    as_of = decision.get("as_of", MISSING)
    if as_of is not None and not (isinstance(as_of, str) and _type_of(facts.get(as_of)) == "date"):
        yield f"{path}.as_of: {found(as_of)} is not a date fact of the decision"
    for name, fact in facts.items():
        yield from _fact(f"{path}.facts.{name}", name, fact)
    rules = decision.get("rules", MISSING)
    if not isinstance(rules, list):
        yield f"{path}.rules: expected a list of rules, found {found(rules)}"
        rules = []
    for index, rule in enumerate(rules):
        yield from _rule(f"{path}.rules[{index}]", rule, outcomes or {}, clauses)


def _type_of(fact: Any) -> Any:
    return fact.get("type") if isinstance(fact, dict) else None


def _fact(path: str, name: str, fact: Any) -> Iterator[str]:
    if not NAME.fullmatch(name):
        yield f"{path}: a fact's name is a-z, 0-9 and _, starting with a letter"
    type_ = _type_of(fact)
    if type_ not in FACT_TYPES:
        yield f"{path}.type: expected one of {', '.join(FACT_TYPES)}, found {found(type_)}"
        return
    values = fact.get("values", MISSING)
    if (type_ == "enum" or values is not MISSING) and (not _texts(values) or not values):
        yield f"{path}.values: expected the enum's values (a list of texts), found {found(values)}"
        values = []
    pattern = fact.get("pattern", MISSING)
    if pattern is not MISSING:
        problem = "a pattern is for a string fact" if type_ != "string" else pattern_problem(pattern)
        if problem:
            yield f"{path}.pattern: {problem}, found {found(pattern)}"
            pattern = MISSING
    default = fact.get("default", MISSING)
    if default is not MISSING and not _fits(default, type_, values, pattern):
        yield f"{path}.default: expected a value of type {type_}, found {found(default)}"


def _fits(value: Any, type_: str, values: Any, pattern: Any = MISSING) -> bool:
    """Whether value is a valid value of a fact of type_ (an enum's among values, a string
    matching its pattern)."""
    if pattern is not MISSING:
        return isinstance(value, str) and matcher(pattern)(value) is not None
    if type_ == "date":
        return parse_date(value) is not None
    if type_ == "enum":
        return isinstance(value, str) and value in values
    return value.__class__ is {"int": int, "bool": bool, "string": str}[type_]


def _rule(path: str, rule: Any, outcomes: dict[str, Any], clauses: Any) -> Iterator[str]:
    if not isinstance(rule, dict):
        return  # the typed reader words it, with the rest of the rule's problems
    clause = rule.get("clause")
    if isinstance(clause, str) and isinstance(clauses, dict) and clause not in clauses:
        yield f"{path}.clause: '{clause}' is not a clause of the bundle"
    outcome = rule.get("outcome")
    if isinstance(outcome, str) and outcomes and outcome not in outcomes:
        yield f"{path}.outcome: '{outcome}' is not one of the decision's outcomes ({', '.join(outcomes)})"


def _clause(path: str, clause: Any, languages: list[str], decisions: Any) -> Iterator[str]:
    if not isinstance(clause, dict):
        yield f"{path}: expected an object (a clause), found {found(clause)}"
        return
    decision = clause.get("decision")
    if (
        decision is not None
        and isinstance(decisions, dict)
        and not (isinstance(decision, str) and decision in decisions)
    ):
        yield f"{path}.decision: {found(decision)} is not a decision of the bundle"
    texts = clause.get("text", MISSING)
    if not isinstance(texts, dict):
        yield f"{path}.text: expected an object (language -> text), found {found(texts)}"
        return
    missing = [language for language in languages if language not in texts]
    if missing:
        listed = ", ".join(languages)
        missed = f"language {missing[0]}" if len(missing) == 1 else f"languages {', '.join(missing)}"
        yield f"{path}.text: missing {missed} (the bundle's languages are {listed})"
    for language, text in texts.items():
        if not _plainly_valid(
            text
        ):  # the common case, without a generator: `terms check` loads a bundle per call
            yield from _clause_text(f"{path}.text.{language}", text)


def _plainly_valid(text: Any) -> bool:
    """Whether a clause's text in one language is valid (its problems are then none)."""
    if text.__class__ is not dict:
        return False
    get = text.get
    for key in CLAUSE_TEXTS:
        if get(key).__class__ is not str:
            return False
    return _HASH.fullmatch(text["hash"]) is not None


def _clause_text(path: str, text: Any) -> Iterator[str]:
    if not isinstance(text, dict):
        yield f"{path}: expected an object ({', '.join(CLAUSE_TEXTS)}), found {found(text)}"
        return
    for key in CLAUSE_TEXTS:
        if not isinstance(text.get(key), str):
            yield f"{path}.{key}: expected a text, found {found(text.get(key, MISSING))}"
    if isinstance(text.get("hash"), str) and not _HASH.fullmatch(text["hash"]):
        yield f"{path}.hash: expected a SHA-256 (64 lower-case hex digits), found {found(text['hash'])}"


def _texts(value: Any) -> bool:
    """Whether value is a list of texts."""
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
