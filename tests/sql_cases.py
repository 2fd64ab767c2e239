"""Rows for the SQL back end's differential tests: fact sets aimed at every rule's boundaries (the
generator of js/test/differential.py, invalid ones included) as a table holds them, with what the
Python checker answers for the same row.

A table cannot hold every fact set: a key that is no fact is a column the query refuses before it
runs (tested on its own), and a null is a NULL, which means "not given". So each fact set is
reduced to what a row holds (unknown keys and nulls dropped, keys in the table's column order)
and the Python checker answers that reduced fact set. A JSON row keeps every other value as its
JSON text (a float, a list, a misspelt enum value, a date that is no date); a typed row (BOOLEAN,
BIGINT, DATE, VARCHAR) only the fact sets whose values have the facts' types.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from terms_compiler.check.bundle import Bundle, FactError

ROOT = Path(__file__).resolve().parent.parent
KEY, AS_OF = "_key", "_as_of"
"""Columns beside the facts: no fact's name starts with an underscore."""
BIGINT = 2**63 - 1
WHOLE = 10**38 - 1
"""SQL computes with whole numbers as DECIMAL(38, 0): a fact of more digits is refused there."""


def _generator_module() -> Any:
    spec = importlib.util.spec_from_file_location("js_differential", ROOT / "js" / "test" / "differential.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Case(NamedTuple):
    row: dict[str, Any]
    """Column -> value (JSON text for a JSON row; None is NULL)."""
    expected: tuple[str | None, tuple[str, ...] | None, str | None]
    """(outcome, deciding, error) as the Python checker gives them (error: problems joined by "; ")."""
    wide: bool
    """An int fact beyond DECIMAL(38, 0): SQL refuses it, where Python computes with it."""


def _typed_fits(spec: dict[str, Any], value: Any) -> bool:
    type_ = spec["type"]
    if type_ == "bool":
        return isinstance(value, bool)
    if type_ == "int":
        return isinstance(value, int) and not isinstance(value, bool) and -BIGINT <= value <= BIGINT
    if type_ == "date":
        try:
            return isinstance(value, str) and len(value) == 10 and bool(dt.date.fromisoformat(value))
        except ValueError:
            return False
    return isinstance(value, str)


def cell_text(value: Any) -> str:
    """A JSON value as a table's text cell holds it (a CSV's cell, a VARCHAR column)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def as_read(spec: dict[str, Any], text: str) -> Any:
    """What a text cell means: the fact's value when it is one written as text (`12`, `true`,
    `2024-06-01`), else the text itself (a problem shows it in quotes)."""
    type_ = spec["type"]
    if type_ == "bool" and text in ("true", "false"):
        return text == "true"
    if type_ == "int" and text.lstrip("-").isascii() and text.lstrip("-").isdigit() and text.count("-") <= 1:
        return int(text) if text[:1] != "-" or len(text) > 1 else text
    return text


def cases(bundle: Bundle, decision_id: str, count: int, seed: int, form: str) -> Iterator[Case]:
    """`count` rows for the decision (fewer for form "typed": only those a typed table holds)."""
    module = _generator_module()
    spec = bundle.data["decisions"][decision_id]
    facts_spec = spec["facts"]
    generator = module.Generator(decision_id, spec, random.Random(seed))
    decision = bundle.decision(decision_id)
    for number, (facts, as_of) in enumerate(generator.cases(count), start=1):
        held = {name: facts[name] for name in facts_spec if facts.get(name) is not None}
        if form == "text":
            held = {name: as_read(facts_spec[name], cell_text(value)) for name, value in held.items()}
        if form == "typed" and not all(_typed_fits(facts_spec[n], v) for n, v in held.items()):
            continue
        if form == "typed" and as_of is not None and not _typed_fits({"type": "date"}, as_of):
            continue
        try:
            answer = decision.decide(held, as_of)
            expected: tuple[str | None, tuple[str, ...] | None, str | None] = (
                answer.outcome,
                tuple(answer.deciding),
                None,
            )
        except FactError as error:
            expected = (None, None, "; ".join(error.problems))
        wide = any(
            facts_spec[n]["type"] == "int" and isinstance(v, int) and not -WHOLE <= v <= WHOLE
            for n, v in held.items()
        )
        row: dict[str, Any] = {KEY: number, AS_OF: as_of}
        for name in facts_spec:
            value = held.get(name)
            if value is None:
                row[name] = None
            elif form == "text":
                row[name] = cell_text(value)
            else:
                row[name] = value
        yield Case(row, expected, wide)


def disagreements(cases_: list[Case], answers: dict[int, tuple[Any, Any, Any]]) -> list[str]:
    """Rows whose SQL answer differs from the Python checker's, described (at most 10)."""
    found = []
    for case in cases_:
        outcome, deciding, error = answers[case.row[KEY]]
        got = (outcome, tuple(deciding) if deciding is not None else None, error)
        if case.wide:
            if error is None or "must be a whole number" not in error:
                found.append(f"row {case.row}: a wide int should be an error, got {got}")
        elif got != case.expected:
            found.append(f"row {case.row}: Python {case.expected}, SQL {got}")
        if len(found) >= 10:
            break
    return found
