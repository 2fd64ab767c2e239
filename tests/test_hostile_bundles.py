"""Hostile bundles with a valid digest (issue 14, item 7): each is refused cleanly, with exit 2 and
a message saying what is wrong, never a traceback; and every bundle the compiler writes passes both
its published JSON Schema and the check runtime's own structural checks (check/shape.py)."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from terms_compiler.check.bundle import Bundle, BundleError
from terms_compiler.check.shape import bundle_problems
from terms_compiler.cli import main

from tests.conftest import MINI_CORPUS, ROOT

RunTerms = Callable[..., tuple[int, str, str]]
BUNDLE_SCHEMA = json.loads((ROOT / "schemas" / "bundle.schema.json").read_text(encoding="utf-8"))
FACTS = {"program": "open", "license_date": "2024-03-01", "order_date": "2024-03-31"}


@pytest.fixture(scope="module")
def mini_bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The mini corpus's bundle, as data."""
    out = tmp_path_factory.mktemp("mini-build")
    assert main(["build", str(MINI_CORPUS), "--out", str(out), "-q", "--no-site"]) == 0
    data: dict[str, Any] = json.loads((out / "bundle" / "mini-terms.json").read_bytes())
    return data


def written(folder: Path, raw: bytes, digest: bytes | None = None) -> Path:
    """A bundle file with raw bytes and, beside it, a digest file (by default, raw's true digest)."""
    path = folder / "bundle.json"
    path.write_bytes(raw)
    recorded = digest if digest is not None else f"{hashlib.sha256(raw).hexdigest()}  bundle.json\n".encode()
    (folder / "bundle.json.sha256").write_bytes(recorded)
    return path


def changed(data: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> bytes:
    tampered = copy.deepcopy(data)
    change(tampered)
    return json.dumps(tampered).encode()


def set_at(*path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for key in path[:-1]:
            data = data[key]
        data[path[-1]] = value

    return change


def program_less_than_5(data: dict[str, Any]) -> None:
    data["decisions"]["purchase"]["rules"][1]["when"] = {
        "op": "<",
        "left": {"op": "fact", "name": "program", "type": "enum:program"},
        "right": {"op": "const", "type": "int", "value": 5},
    }


def without_uk(data: dict[str, Any]) -> None:
    del data["clauses"]["buying.window"]["text"]["uk"]


MALFORMED = "the bundle is malformed: "
HOSTILE: dict[str, tuple[Callable[[dict[str, Any]], bytes], str]] = {
    "json depth bomb": (
        lambda data: b'{"decisions": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "the bundle is nested too deeply to read",
    ),
    "decisions as a list": (
        lambda data: changed(data, set_at("decisions", value=[data["decisions"]["purchase"]])),
        MALFORMED + "decisions: expected an object (decision id -> decision), found a list of 1",
    ),
    "languages as a number": (
        lambda data: changed(data, set_at("languages", value=5)),
        MALFORMED + "languages: expected a list of one or more language codes, found 5",
    ),
    "a language missing from a clause": (
        lambda data: changed(data, without_uk),
        MALFORMED + "clauses.buying.window.text: missing language uk (the bundle's languages are en, uk)",
    ),
    "no outcomes": (
        lambda data: changed(data, set_at("decisions", "purchase", "outcomes", value=[])),
        MALFORMED + "decisions.purchase.outcomes: expected an object (outcome -> labels), found a list of 0",
    ),
    "an empty object of outcomes": (
        lambda data: changed(data, set_at("decisions", "purchase", "outcomes", value={})),
        MALFORMED + "decisions.purchase.outcomes: a decision has one or more outcomes, found none; "
        "decisions.purchase.default: 'denied' is not one of the decision's outcomes ()",
    ),
    "a default that is not an outcome": (
        lambda data: changed(data, set_at("decisions", "purchase", "default", value="maybe")),
        MALFORMED
        + "decisions.purchase.default: 'maybe' is not one of the decision's outcomes (allowed, denied)",
    ),
    "a rule of a clause not in the bundle": (
        lambda data: changed(
            data, set_at("decisions", "purchase", "rules", 0, "clause", value="buying.gone")
        ),
        MALFORMED + "decisions.purchase.rules[0].clause: 'buying.gone' is not a clause of the bundle",
    ),
    "a fact of an unknown type": (
        lambda data: changed(
            data, set_at("decisions", "purchase", "facts", "renewal", "type", value="boolean")
        ),
        MALFORMED
        + 'decisions.purchase.facts.renewal.type: expected one of enum, date, int, bool, string, found "boolean"',
    ),
    "enum values as a number": (
        lambda data: changed(data, set_at("decisions", "purchase", "facts", "program", "values", value=5)),
        MALFORMED
        + "decisions.purchase.facts.program.values: expected the enum's values (a list of texts), found 5",
    ),
    "a clause's title as a number": (
        lambda data: changed(data, set_at("clauses", "buying.window", "text", "en", "title", value=7)),
        MALFORMED + "clauses.buying.window.text.en.title: expected a text, found 7",
    ),
    "a rule program < 5": (
        lambda data: changed(data, program_less_than_5),
        "a rule in the bundle is malformed (clause 'buying.select-closed', at "
        "decisions.purchase.rules[1].when: '<' compares values of one type, found enum:program and int)",
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_bundle_with_a_valid_digest_is_refused_with_its_message(
    name: str, mini_bundle: dict[str, Any], tmp_path: Path, run_terms: RunTerms
) -> None:
    make, message = HOSTILE[name]
    path = written(tmp_path, make(mini_bundle))
    with pytest.raises(BundleError) as refused:
        Bundle.load(path).decision("purchase")
    assert str(refused.value) == f"{path}: {message}"
    (tmp_path / "f.json").write_text(json.dumps(FACTS), encoding="utf-8")
    code, out, err = run_terms(
        "check", "--bundle", str(path), "--decision", "purchase", str(tmp_path / "f.json")
    )
    assert (code, out, err) == (2, "", f"terms check: {path}: {message}\n")  # whole, quotes kept


def test_a_binary_digest_file_is_refused(
    mini_bundle: dict[str, Any], tmp_path: Path, run_terms: RunTerms
) -> None:
    path = written(tmp_path, json.dumps(mini_bundle).encode(), b"\xff\xfe\x00binary\n")
    with pytest.raises(BundleError) as refused:
        Bundle.load(path)
    assert str(refused.value) == (
        f"{path}: the digest file {path}.sha256 does not start with a SHA-256 (64 hexadecimal digits); "
        "refusing an unverified bundle"
    )
    code, _, err = run_terms("check", "--bundle", str(path), "--decision", "purchase", "-")
    assert (code, err) == (2, f"terms check: {refused.value}\n")


def test_the_digest_is_checked_before_the_json_is_read(tmp_path: Path) -> None:
    """A depth bomb with a wrong digest is refused for its digest: nothing of it is parsed."""
    path = written(tmp_path, b"[" * 100_000, b"0" * 64 + b"  bundle.json\n")
    with pytest.raises(BundleError, match=r"SHA-256 is [0-9a-f]{64} but bundle\.json\.sha256 records 0{64}"):
        Bundle.load(path)


def test_every_problem_of_the_shape_is_found_with_its_path(mini_bundle: dict[str, Any]) -> None:
    data = copy.deepcopy(mini_bundle)
    data["languages"] = ["en", "uk", "de"]
    data["decisions"]["purchase"]["facts"]["renewal"]["default"] = "no"
    data["decisions"]["purchase"]["as_of"] = "program"
    assert bundle_problems(data) == [
        'decisions.purchase.as_of: "program" is not a date fact of the decision',
        'decisions.purchase.facts.renewal.default: expected a value of type bool, found "no"',
        *(
            f"clauses.{clause}.text: missing language de (the bundle's languages are en, uk, de)"
            for clause in data["clauses"]
        ),
    ]


def emitted_bundles(tmp_path: Path, shipped_bundle: Path) -> list[Path]:
    out = tmp_path / "mini"
    assert main(["build", str(MINI_CORPUS), "--out", str(out), "-q", "--no-site"]) == 0
    return [shipped_bundle, out / "bundle" / "mini-terms.json"]


def test_every_bundle_the_compiler_writes_passes_the_schema_and_the_runtime_checks(
    tmp_path: Path, shipped_bundle: Path
) -> None:
    validator = jsonschema.Draft202012Validator(BUNDLE_SCHEMA)
    for path in emitted_bundles(tmp_path, shipped_bundle):
        data = json.loads(path.read_bytes())
        assert [error.message for error in validator.iter_errors(data)] == [], path
        assert bundle_problems(data) == [], path
        bundle = Bundle.load(path)
        for decision in data["decisions"]:
            bundle.decision(decision)
