"""Our JSON Schemas compile in ajv 8's strict mode and accept the shipped files there.

Tools in other languages validate our bundle (and editors our sources) with such validators, so
the schemas must be strict JSON Schema, not only what Python's jsonschema accepts. ajv runs under
Node from tests/node (`npm ci --prefix tests/node`, which .ci/run does).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from terms_compiler.load import discover, load_file

from tests.conftest import MINI_CORPUS, ROOT, SHIPPED_CORPUS

NODE_TOOLS = ROOT / "tests" / "node"
SCHEMAS = ROOT / "schemas"


def ajv(schemas: Path, instances: dict[str, Any], tmp_path: Path) -> tuple[int, dict[str, Any]]:
    """Run ajv-strict.mjs: compile every schema in the folder, validate each instance (a name
    'schema-file=label' and its data) against its schema. Returns the exit code and the report."""
    node = shutil.which("node")
    assert node, "these tests need Node.js (apt-get install nodejs)"
    assert (NODE_TOOLS / "node_modules" / "ajv").is_dir(), "run: npm ci --prefix tests/node"
    pairs = []
    for number, (name, data) in enumerate(instances.items()):
        instance = tmp_path / f"instance-{number}.json"
        instance.write_text(json.dumps(data), encoding="utf-8")
        pairs.append(f"{name.split('=')[0]}={instance}")
    run = subprocess.run(
        [node, str(NODE_TOOLS / "ajv-strict.mjs"), str(schemas), *pairs],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return run.returncode, json.loads(run.stdout)


def sources(corpus: Path) -> dict[str, Any]:
    """Each YAML file of a corpus, as the compiler reads it (YAML 1.2), keyed 'schema=file'."""
    return {
        f"{kind}.schema.json={path.relative_to(ROOT)}": load_file(path, kind).data
        for path, kind in discover(corpus)
        if path.is_file()
    }


def test_every_schema_compiles_strict_and_accepts_the_shipped_sources_and_bundle(
    tmp_path: Path, shipped_bundle: Path
) -> None:
    instances = sources(SHIPPED_CORPUS) | sources(MINI_CORPUS)
    instances["bundle.schema.json=bundle"] = json.loads(shipped_bundle.read_text(encoding="utf-8"))
    code, report = ajv(SCHEMAS, instances, tmp_path)
    assert report["problems"] == []
    assert code == 0
    assert report["compiled"] == sorted(p.name for p in SCHEMAS.glob("*.schema.json"))
    assert report["validated"] == len(instances) > 10


# The test of the test: the harness fails on what strict mode refuses, and on a bad file.


@pytest.mark.parametrize(
    ("schema", "refusal"),
    [
        ({"type": "object", "properties": {"v": {"type": ["string", "integer"]}}}, "strictTypes"),
        ({"type": "object", "if": {"required": ["y"]}, "then": {"required": ["x"]}}, "strictRequired"),
        ({"type": "string", "format": "no-such-format"}, "unknown format"),
    ],
)
def test_a_schema_strict_mode_refuses_is_reported(
    tmp_path: Path, schema: dict[str, Any], refusal: str
) -> None:
    folder = tmp_path / "schemas"
    folder.mkdir()
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://x/t.schema.json",
        **schema,
    }
    (folder / "t.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    code, report = ajv(folder, {}, tmp_path)
    assert code == 1
    assert refusal in report["problems"][0]["error"]


def test_a_file_the_schema_refuses_is_reported(tmp_path: Path) -> None:
    corpus = sources(MINI_CORPUS)["corpus.schema.json=tests/fixtures/mini/corpus.yaml"]
    code, report = ajv(SCHEMAS, {"corpus.schema.json=bad": {**corpus, "edition_date": "1 May"}}, tmp_path)
    assert code == 1
    assert report["problems"][0]["errors"][0]["instancePath"] == "/edition_date"
