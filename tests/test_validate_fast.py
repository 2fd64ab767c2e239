"""The fast schema check (jsonschema-rs) against jsonschema, whose errors make the diagnostics.

validate_document trusts a "valid" from jsonschema-rs and walks the document with jsonschema
otherwise, so the fast check must never accept what jsonschema rejects. These tests run both
over every document of the corpora and fixtures, and over thousands of single-value edits of
the mini corpus, and require the same verdict. The one known difference (Rust's `$` does not
match before a final newline) makes the fast check stricter only, and is pinned on its own.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from terms_compiler import validate
from terms_compiler.diagnostics import CompileError
from terms_compiler.load import Document, load_corpus_files, load_file

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
BAD = ROOT / "tests" / "fixtures" / "bad"
BAD_KINDS = {"transfer-decision.yaml": "decisions"}
"""Kind of each bad fixture that is not a section file."""

WRONG_VALUES: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    7,
    1.5,
    math.inf,
    -math.inf,
    math.nan,
    "",
    " ",
    "Not An Id",
    "2024-13-45",
    "open-license",
    "é",
    [],
    ["x"],
    [{"en": "x"}],
    {},
    {"x": 1},
    {"en": ""},
)
"""What each value of a valid document is replaced by, one at a time."""


def jsonschema_accepts(kind: str, data: Any) -> bool:
    return next(iter(validate._validator(kind).iter_errors(data)), None) is None


def corpus_documents(root: Path) -> list[Document]:
    documents, problems = load_corpus_files(root)
    assert problems == []
    return documents


def paths(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every value in the data, the root included."""
    yield path
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield from paths(value, (*path, key))


def edited(data: Any, path: tuple[Any, ...], edit: Any) -> Any:
    copied = copy.deepcopy(data)
    if not path:
        return edit(copied)
    parent = copied
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = edit(parent[path[-1]])
    return copied


def edits(data: Any) -> Iterator[tuple[str, Any]]:
    """(description, edited data): each value replaced by each wrong value; in each mapping a
    key added or one removed; each list emptied or its first item repeated."""
    for path in paths(data):
        for wrong in WRONG_VALUES:
            yield f"{path} = {wrong!r}", edited(data, path, lambda _, w=wrong: copy.deepcopy(w))
        value = _at(data, path)
        if isinstance(value, dict):
            yield f"{path} + unknown key", edited(data, path, lambda v: {**v, "unknown_key": 1})
            for key in value:
                yield f"{path} - {key}", edited(data, path, lambda v, k=key: _without(v, k))
        if isinstance(value, list) and value:
            yield f"{path} emptied", edited(data, path, lambda v: [])
            yield f"{path} first repeated", edited(data, path, lambda v: [*v, copy.deepcopy(v[0])])


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


def _without(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}


def bad_fixture_documents() -> list[Document]:
    documents = []
    for path in sorted(BAD.glob("*.yaml")):
        try:
            documents.append(load_file(path, BAD_KINDS.get(path.name, "section")))
        except CompileError:  # the alias bombs are refused by the loader, before any schema
            continue
    return documents


# Every document we have ----------------------------------------------------------------------


@pytest.mark.parametrize("root", [ROOT / "terms", MINI], ids=["shipped", "mini"])
def test_every_corpus_document_is_valid_for_both(root: Path) -> None:
    for document in corpus_documents(root):
        assert validate.is_valid_fast(document.kind, document.data), document.path
        assert jsonschema_accepts(document.kind, document.data), document.path


def test_bad_fixtures_get_the_same_verdict_from_both() -> None:
    documents = bad_fixture_documents()
    assert len(documents) >= 3, "the loadable bad fixtures"
    verdicts = [
        (d.path, validate.is_valid_fast(d.kind, d.data), jsonschema_accepts(d.kind, d.data))
        for d in documents
    ]
    assert [v[1] for v in verdicts] == [v[2] for v in verdicts], verdicts
    assert any(not fast for _, fast, _ in verdicts), "one fixture (a bare decision) is invalid"


# Thousands of edits of the mini corpus -------------------------------------------------------


@pytest.mark.parametrize("document", corpus_documents(MINI), ids=lambda d: Path(d.path).name)
def test_every_single_edit_gets_the_same_verdict_from_both(document: Document) -> None:
    disagreements = []
    counts = {True: 0, False: 0}
    for description, data in edits(document.data):
        expected = jsonschema_accepts(document.kind, data)
        counts[expected] += 1
        if validate.is_valid_fast(document.kind, data) != expected:
            disagreements.append(f"{description}: jsonschema says {'valid' if expected else 'invalid'}")
    assert disagreements == []
    # The edits must exercise both answers, or agreement would say little.
    assert counts[False] > 100
    assert counts[True] > 10


# The known difference, and what validate_document makes of it ---------------------------------


def test_a_final_newline_is_rejected_by_the_fast_check_only_and_jsonschema_decides(tmp_path: Path) -> None:
    # Python's `$` matches before a final newline, the ECMA-262 and Rust `$` do not: for
    # "buying.intro\n" the fast check says invalid, jsonschema valid. The fast check is only
    # stricter, so validate_document asks jsonschema, and its answer (no problem) stands.
    text = (MINI / "sections" / "10-buying.yaml").read_text(encoding="utf-8")
    assert text.count("- id: buying.intro\n") == 1
    path = tmp_path / "10-buying.yaml"
    path.write_text(text.replace("- id: buying.intro\n", '- id: "buying.intro\\n"\n'), encoding="utf-8")
    document = load_file(path, "section")
    assert document.data["clauses"][0]["id"] == "buying.intro\n"
    assert not validate.is_valid_fast("section", document.data)
    assert jsonschema_accepts("section", document.data)
    assert validate.validate_document(document) == []


def test_an_invalid_document_gets_jsonschema_diagnostics(tmp_path: Path) -> None:
    text = (MINI / "sections" / "10-buying.yaml").read_text(encoding="utf-8")
    path = tmp_path / "10-buying.yaml"
    path.write_text(
        text.replace("- id: buying.intro\n", "- id: Buying.Intro\n    colour: red\n"), encoding="utf-8"
    )
    document = load_file(path, "section")
    assert [(d.code, d.message) for d in validate.validate_document(document)] == [
        ("E201", "unknown property 'colour' in clause 'Buying.Intro'"),
        ("E204", '"Buying.Intro" is not a clause id (kebab-case words joined by dots) (in id of clause 1)'),
    ]


@pytest.mark.parametrize("value", ["\ud800", b"bytes", {1: "integer key"}], ids=repr)
def test_data_jsonschema_rs_cannot_take_is_left_to_jsonschema(value: Any) -> None:
    # The loader never makes these, but a value with no JSON counterpart must not raise.
    corpus = next(d for d in corpus_documents(MINI) if d.kind == "corpus")
    assert validate.is_valid_fast("corpus", {**corpus.data, "title": value}) is False


def test_the_schemas_have_no_number_bounds() -> None:
    # jsonschema-rs lets an infinite or NaN float (YAML `1e400`) through minimum, maximum and
    # multipleOf, where jsonschema rejects it. None of the source schemas bounds a number; if
    # one ever does, is_valid_fast must first rule out non-finite floats.
    bounds = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
    for name in (*validate.SCHEMA_FILES.values(), "common.schema.json"):
        schema = json.loads((validate.SCHEMA_DIR / name).read_text(encoding="utf-8"))
        used = {key for path in paths(schema) for key in ([path[-1]] if path else [])}
        assert not used & bounds, f"{name} uses {used & bounds}"
