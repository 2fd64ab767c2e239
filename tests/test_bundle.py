"""The bundle: canonical bytes, valid against its schema, digest beside it, safe rendered text."""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from terms_compiler.cli import main
from terms_compiler.emit.bundle import canonical_json, write_canonical_json

from tests.conftest import MINI_CORPUS, ROOT, SHIPPED_CORPUS

BUNDLE_SCHEMA = json.loads((ROOT / "schemas" / "bundle.schema.json").read_text(encoding="utf-8"))


def build(corpus: Path, out: Path) -> Path:
    assert main(["build", str(corpus), "--out", str(out), "-q", "--no-site"]) == 0
    return out / "bundle"


def test_two_builds_of_the_same_commit_give_the_same_bytes(tmp_path: Path) -> None:
    first, second = build(SHIPPED_CORPUS, tmp_path / "a"), build(SHIPPED_CORPUS, tmp_path / "b")
    for name in ("product-terms-sa.json", "product-terms-sa.json.sha256", "conformance.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


@pytest.mark.parametrize("corpus", [SHIPPED_CORPUS, MINI_CORPUS], ids=["shipped", "mini"])
def test_every_emitted_bundle_is_valid_against_the_bundle_schema(corpus: Path, tmp_path: Path) -> None:
    bundle_dir = build(corpus, tmp_path)
    bundle = json.loads(next(bundle_dir.glob("*terms*.json")).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(BUNDLE_SCHEMA)
    assert [e.message for e in validator.iter_errors(bundle)] == []


def test_the_digest_file_holds_the_sha256_in_sha256sum_format(shipped_bundle: Path) -> None:
    digest = shipped_bundle.with_name("product-terms-sa.json.sha256").read_text(encoding="utf-8")
    assert digest == f"{hashlib.sha256(shipped_bundle.read_bytes()).hexdigest()}  product-terms-sa.json\n"


def test_the_bundle_is_written_in_pieces_with_the_same_bytes_as_one_canonical_text(
    shipped_bundle: Path, tmp_path: Path
) -> None:
    data = json.loads(shipped_bundle.read_bytes())
    # Several megabytes, so the writer flushes more than once, and text in every script.
    data["padding"] = [data["clauses"]] * 24
    expected = canonical_json(data)
    assert len(expected) > 3 << 20
    written = tmp_path / "bundle.json"
    assert write_canonical_json(data, written) == hashlib.sha256(expected).hexdigest()
    assert written.read_bytes() == expected


def test_the_bundle_carries_what_tools_need(shipped_bundle: Path) -> None:
    bundle = json.loads(shipped_bundle.read_text(encoding="utf-8"))
    assert bundle["format"] == "terms-bundle" and bundle["format_version"] == "1.0"
    assert bundle["languages"] == ["en", "uk", "ru", "zh"]
    assert sorted(bundle["decisions"]) == [
        "license-switch",
        "proof-of-license",
        "regional-availability",
        "sa-purchase",
        "sa-renewal",
    ]
    transfer = bundle["clauses"]["sa-purchase.transfer"]["text"]
    assert "within 30 days of the transfer" in transfer["en"]["markdown"]
    assert "{{" not in json.dumps(bundle, ensure_ascii=False)
    assert transfer["uk"]["url"] == "uk/2026-11/sa-purchase/#sa-purchase.transfer"  # the edition's address
    assert transfer["en"]["hash"] == hashlib.sha256(transfer["en"]["markdown"].encode()).hexdigest()
    cutoff = bundle["clauses"]["sa-purchase.oem-sql-server-2017"]["text"]
    assert "31 березня 2020 р." in cutoff["uk"]["markdown"]
    assert "2020年3月31日" in cutoff["zh"]["markdown"]


def test_the_facts_schema_in_the_bundle_accepts_good_facts_and_rejects_bad(shipped_bundle: Path) -> None:
    schema = json.loads(shipped_bundle.read_text(encoding="utf-8"))["decisions"]["proof-of-license"][
        "facts_schema"
    ]
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"program": "open-license", "order_date": "2020-08-01"})
    assert not validator.is_valid({"program": "open-licence", "order_date": "2020-08-01"})
    assert not validator.is_valid({"program": "open-license"})
    assert not validator.is_valid({"program": "open-license", "order_date": "2020-08-01", "x": 1})


def test_raw_html_in_prose_is_shown_as_text_never_as_markup(mini: Path, tmp_path: Path) -> None:
    section = mini / "sections" / "10-buying.yaml"
    text = section.read_text(encoding="utf-8").replace(
        "This section is about", "<script>alert(1)</script> <img src=x onerror=alert(2)> About"
    )
    section.write_text(text, encoding="utf-8")
    bundle_dir = build(mini, tmp_path / "out")
    html = json.loads((bundle_dir / "mini-terms.json").read_text(encoding="utf-8"))["clauses"][
        "buying.intro"
    ]["text"]["en"]["html"]
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_failed_build_leaves_the_previous_output_untouched(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    bundle_dir = build(mini, out)
    before = (bundle_dir / "mini-terms.json").read_bytes()
    (mini / "glossary.yaml").write_text("terms: [", encoding="utf-8")
    assert main(["build", str(mini), "--out", str(out), "-q", "--no-site"]) == 1
    assert (bundle_dir / "mini-terms.json").read_bytes() == before
    # No folder of the failed build left behind: only the first build, still published.
    assert [p.name for p in (out / ".builds").iterdir()] == [(out / "current").resolve().name]


def test_texts_parsed_in_worker_processes_give_the_same_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    from terms_compiler import workers
    from terms_compiler.emit import bundle as bundle_module
    from terms_compiler.pipeline import compile_corpus

    result = compile_corpus(SHIPPED_CORPUS)
    assert result.corpus is not None
    here = canonical_json(bundle_module.build_bundle(result.corpus, None))
    pools = []

    class RecordingPool(ProcessPoolExecutor):
        def map(self, *args: Any, **kwargs: Any) -> Any:
            pools.append(self)
            return super().map(*args, **kwargs)

    monkeypatch.setattr(bundle_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(workers, "ProcessPoolExecutor", RecordingPool)
    assert canonical_json(bundle_module.build_bundle(result.corpus, None)) == here
    assert len(pools) == 1
    # A worker that dies (killed for memory, say) costs time, not the build: parsed here instead.
    monkeypatch.setattr(bundle_module, "_parse_block", _die)
    assert canonical_json(bundle_module.build_bundle(result.corpus, None)) == here
    assert len(pools) == 2


def _die(texts: list[str]) -> bytes:
    os._exit(9)
