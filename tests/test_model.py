"""The loaded model: a golden snapshot of the mini corpus, and dataclasses that match the schemas."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from terms_compiler import model
from terms_compiler.pipeline import compile_corpus

from tests.conftest import MINI_CORPUS, ROOT


def snapshot(value: Any) -> Any:
    """The model as plain JSON: dataclasses become objects, origins become file:line:col."""
    if isinstance(value, model.Origin):
        return repr(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: snapshot(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): snapshot(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [snapshot(v) for v in value]
    return value


def test_golden_loaded_model_of_the_mini_corpus(golden, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(MINI_CORPUS.parent)  # positions print relative to the working folder
    result = compile_corpus(Path("mini"))
    assert result.ok, result.diagnostics
    golden("mini-model.json", json.dumps(snapshot(result.corpus), ensure_ascii=False, indent=1) + "\n")


def schema_properties(file: str, *pointer: str) -> set[str]:
    node = json.loads((ROOT / "schemas" / file).read_text(encoding="utf-8"))
    for key in pointer:
        node = node[key]
    return set(node["properties"])


def fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


# Each schema object beside the dataclass that holds it, with the names that differ.
# Fields the model adds (origin, the owning section, parsed conditions) are not in the files.
MODEL_ADDS = {
    "origin",
    "section",
    "condition",
    "clauses",
    "enums",
    "decisions",
    "glossary",
    "sections",
    "name",
    "id",
    "type",
    "value",
}
PAIRS = [
    ("corpus.schema.json", (), model.Corpus, {}),
    ("section.schema.json", (), model.Section, {"notes": None}),
    ("section.schema.json", ("$defs", "clause"), model.Clause, {}),
    ("section.schema.json", ("$defs", "clause", "properties", "rule"), model.Rule, {}),
    (
        "section.schema.json",
        ("$defs", "clause", "properties", "effective"),
        model.Effective,
        {"from": "start", "until": "end"},
    ),
    ("section.schema.json", ("$defs", "clause", "properties", "examples", "items"), model.Example, {}),
    (
        "section.schema.json",
        ("$defs", "clause", "properties", "text", "additionalProperties"),
        model.ClauseText,
        {},
    ),
    ("glossary.schema.json", ("properties", "terms", "items"), model.Term, {"notes": None}),
    (
        "glossary.schema.json",
        ("properties", "terms", "items", "properties", "text", "additionalProperties"),
        model.TermText,
        {},
    ),
    (
        "decisions.schema.json",
        ("properties", "decisions", "additionalProperties"),
        model.Decision,
        {"notes": None},
    ),
    (
        "decisions.schema.json",
        ("properties", "decisions", "additionalProperties", "properties", "facts", "additionalProperties"),
        model.Fact,
        {},
    ),
    ("decisions.schema.json", ("properties", "enums", "additionalProperties"), model.Enum, {}),
]


@pytest.mark.parametrize(
    ("file", "pointer", "cls", "renames"), PAIRS, ids=[cls.__name__ for _, _, cls, _ in PAIRS]
)
def test_dataclasses_hold_every_property_of_their_schema(
    file: str, pointer: tuple[str, ...], cls: type, renames: dict
) -> None:
    expected = {renames.get(p, p) for p in schema_properties(file, *pointer)} - {None}
    assert expected <= fields(cls), f"{cls.__name__} lacks {expected - fields(cls)}"
    extra = fields(cls) - expected - MODEL_ADDS - {"start_parameter", "end_parameter"}
    assert not extra, f"{cls.__name__} has fields no schema describes: {extra}"


def every_object(node: Any, path: str = "$") -> list[tuple[str, dict]]:
    found = []
    if isinstance(node, dict):
        if "properties" in node:
            found.append((path, node))
        for key, value in node.items():
            found += every_object(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += every_object(value, f"{path}[{index}]")
    return found


@pytest.mark.parametrize("file", sorted(p.name for p in (ROOT / "schemas").glob("*.json")))
def test_schemas_describe_every_property_and_allow_no_others(file: str) -> None:
    schema = json.loads((ROOT / "schemas" / file).read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(file)
    for path, node in every_object(schema):
        if ".oneOf[" in path or path.endswith((".if", ".then")):
            continue  # variants and conditions of a described object, not objects of their own
        for name, prop in node["properties"].items():
            assert "description" in prop, f"{file} {path}.{name} has no description"
        assert node.get("additionalProperties") is False, f"{file} {path} is open"
