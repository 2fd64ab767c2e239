"""Validate stage: each document against its JSON Schema (draft 2020-12), every error at once.

Most documents are valid, so each is first checked by jsonschema-rs (0.05 s instead of 2.5 s
for the 32 MB of the 2,000 x 10 benchmark corpus); only a document it rejects is walked by
jsonschema, whose errors make the diagnostics. For our schemas the fast check is never more
lenient than jsonschema (tests/test_validate_fast.py); where the two differ it is stricter (a
pattern's `$` does not match before a final newline in Rust's regex), and jsonschema decides.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
from referencing import Registry, Resource

from terms_compiler.diagnostics import Diagnostic
from terms_compiler.load import Document
from terms_compiler.places import place_name
from terms_compiler.resources import schemas_folder

SCHEMA_DIR = schemas_folder()
SCHEMA_FILES = {
    "corpus": "corpus.schema.json",
    "decisions": "decisions.schema.json",
    "glossary": "glossary.schema.json",
    "section": "section.schema.json",
}

# Readable names for the patterns of common.schema.json, so an error says what was expected.
PATTERN_NAMES = {
    "^[a-z0-9]+(-[a-z0-9]+)*$": "a kebab-case id (lower-case words joined by hyphens)",
    "^[a-z0-9]+(-[a-z0-9]+)*(\\.[a-z0-9]+(-[a-z0-9]+)*)*$": "a clause id (kebab-case words joined by dots)",
    "^[a-z][a-z0-9_]*$": "a snake_case name",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "a date (YYYY-MM-DD)",
    "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$": "a language code such as en or zh-Hans",
    "^[0-9a-f]{8,64}$": "a hexadecimal hash",
}
JSON_TYPES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a text",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "nothing",
    "number": "a number",
}


def schema_path(kind: str) -> Path:
    return SCHEMA_DIR / SCHEMA_FILES[kind]


@cache
def _schemas() -> dict[str, Any]:
    """Every schema, by its $id."""
    schemas = (json.loads(path.read_text(encoding="utf-8")) for path in SCHEMA_DIR.glob("*.schema.json"))
    return {schema["$id"]: schema for schema in schemas}


@cache
def _registry() -> Registry:
    return Registry().with_resources(
        (uri, Resource.from_contents(schema)) for uri, schema in _schemas().items()
    )


@cache
def _validator(kind: str) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_path(kind).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, registry=_registry())


@cache
def _fast_validator(kind: str) -> jsonschema_rs.Validator:
    schema = json.loads(schema_path(kind).read_text(encoding="utf-8"))
    # Formats are annotations only, as in jsonschema without a format checker; every $ref is
    # to one of our schemas, so nothing is fetched.
    return jsonschema_rs.Draft202012Validator(
        schema, registry=jsonschema_rs.Registry(_schemas().items()), validate_formats=False, offline=True
    )


def is_valid_fast(kind: str, data: Any) -> bool:
    """True when jsonschema-rs finds the data valid; False when it does not, or cannot tell."""
    try:
        return _fast_validator(kind).is_valid(data)
    except ValueError:  # a value with no JSON counterpart (such as NaN): let jsonschema judge
        return False


def validate_document(document: Document) -> list[Diagnostic]:
    """Every schema problem of one document, each at the line of the offending value."""
    if is_valid_fast(document.kind, document.data):
        return []
    validator = _validator(document.kind)
    # The loader refuses deeply nested values, so the schema walk cannot exhaust the stack.
    return [d for error in validator.iter_errors(document.data) for d in _diagnose(document, error)]


def _found(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return JSON_TYPES["object" if isinstance(value, dict) else "array"]
    if value is None:
        return "nothing"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def _one_of_types(types: list[str]) -> str:
    names = [JSON_TYPES[t] for t in types]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def _json_path(path: tuple[Any, ...]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _diagnose(document: Document, error: jsonschema.ValidationError) -> Iterator[Diagnostic]:
    path = tuple(error.absolute_path)
    where = place_name(document.data, path) or "the file"

    def diagnostic(code: str, message: str, at: tuple[Any, ...] = path, hint: str = "") -> Diagnostic:
        return Diagnostic(code, message, document.span(at), _json_path(at), hint)

    # jsonschema types these as "maybe unset"; for an error from iter_errors they are set.
    validator = error.validator
    schema: Any = error.schema
    expected: Any = error.validator_value
    instance: Any = error.instance
    if validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        for key in sorted(set(instance) - set(allowed)):
            hint = f"expected one of: {', '.join(allowed)}" if allowed else ""
            yield diagnostic("E201", f"unknown property '{key}' in {where}", (*path, key), hint)
    elif validator == "required":
        missing = [k for k in expected if k not in instance]
        for key in missing:
            yield diagnostic("E202", f"missing required property '{key}' in {where}")
    elif validator == "type":
        types = [expected] if isinstance(expected, str) else expected
        yield diagnostic("E203", f"{where} must be {_one_of_types(types)}, found {_found(instance)}")
    elif validator == "anyOf" and all(set(branch) == {"type"} for branch in expected):
        # A union of types, written as anyOf so strict validators (ajv) accept the schema.
        types = [branch["type"] for branch in expected]
        yield diagnostic("E203", f"{where} must be {_one_of_types(types)}, found {_found(instance)}")
    elif validator == "pattern":
        name = PATTERN_NAMES.get(expected, f"text matching {expected}")
        if "propertyNames" in error.absolute_schema_path:  # a mapping key, not a value
            yield diagnostic("E204", f"key {_found(instance)} in {where} is not {name}", (*path, instance))
        else:
            yield diagnostic("E204", f"{_found(instance)} is not {name} (in {where})")
    elif validator == "enum":
        options = ", ".join(str(v) for v in expected)
        yield diagnostic("E204", f"{where} must be one of {options}, found {_found(instance)}")
    elif validator in ("oneOf", "anyOf") and error.context:
        yield from _diagnose(document, jsonschema.exceptions.best_match(error.context))
    elif validator == "not" and expected == {"required": ["enum"]}:
        yield diagnostic("E205", f"'enum' is only for facts of type enum (in {where})", (*path, "enum"))
    else:
        yield diagnostic("E205", f"{where}: {error.message}")
