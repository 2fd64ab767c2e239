"""`terms check` on hostile facts (issue 14, items 4 and 8): a JSON Lines batch answers every
line, or gives an error record naming it, in order, whatever one line holds; a single fact file
never ends in a traceback; YAML facts are read the way the corpus is read."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

RunTerms = Callable[..., tuple[int, str, str]]
DECISION = "regional-availability"
"""Its fact `country` is a string with a pattern, quoted back in its error: a lone surrogate
reaches the output."""
FACTS = {"country": "RU", "customer_type": "private", "date": "2024-01-01", "sanctioned": False}
ALLOWED = json.dumps({**FACTS, "transaction": "renewal"})
SURROGATE = ALLOWED.replace('"RU"', '"\\ud800"')
"""The JSON escape of a lone surrogate, which no UTF-8 text can carry."""
DEEP = "[" * 100_000
BATCH = b"\n".join(
    [ALLOWED.encode(), DEEP.encode(), SURROGATE.encode(), b'{"country": "\xff"}', b"", ALLOWED.encode()]
)
"""One good line, a JSON depth bomb, a lone surrogate, a byte that is not UTF-8, a blank line,
and a good line again."""


def check(run_terms: RunTerms, bundle: Path, facts: Path | str, *options: str) -> tuple[int, str, str]:
    return run_terms("check", "--bundle", str(bundle), "--decision", DECISION, *options, str(facts))


def test_a_batch_answers_every_line_in_order(
    run_terms: RunTerms, shipped_bundle: Path, tmp_path: Path
) -> None:
    (tmp_path / "batch.jsonl").write_bytes(BATCH)
    code, out, err = check(run_terms, shipped_bundle, tmp_path / "batch.jsonl")
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        "line 1: allowed (regional.ru-renewal-resumed)",
        "line 2: error: the JSON is nested too deeply to read",
        "line 3: error: fact 'country' must be a text matching [A-Z]{2}, found \"\\ud800\"",
        "line 4: error: not valid UTF-8",
        "line 6: allowed (regional.ru-renewal-resumed)",
    ]


def test_a_json_batch_gives_a_record_per_line_and_keeps_a_lone_surrogate(
    run_terms: RunTerms, shipped_bundle: Path, tmp_path: Path
) -> None:
    (tmp_path / "batch.jsonl").write_bytes(BATCH)
    code, out, _ = check(run_terms, shipped_bundle, tmp_path / "batch.jsonl", "--format", "json")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [(r["line"], r.get("outcome"), r.get("error")) for r in records] == [
        (1, "allowed", None),
        (2, None, "the JSON is nested too deeply to read"),
        (3, None, "fact 'country' must be a text matching [A-Z]{2}, found \"\ud800\""),
        (4, None, "not valid UTF-8"),
        (6, "allowed", None),
    ]
    # Written as a JSON escape, it reads back as exactly what the caller sent.
    assert records[2]["problems"] == [records[2]["error"]]
    assert "\\ud800" in out.splitlines()[2]


def test_a_batch_on_standard_input_of_a_real_process(shipped_bundle: Path) -> None:
    """Through the real stdin and stdout (UTF-8, strict), not the test's captured streams."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "terms_compiler",
            "check",
            "--bundle",
            str(shipped_bundle),
            "--decision",
            DECISION,
            "--lines",
            "-",
        ],
        input=BATCH,
        capture_output=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (1, b"")
    assert [line.split(b":")[0] for line in done.stdout.splitlines()] == [
        b"line 1",
        b"line 2",
        b"line 3",
        b"line 4",
        b"line 6",
    ]


def test_one_fact_set_with_a_lone_surrogate_is_refused_legibly(shipped_bundle: Path, tmp_path: Path) -> None:
    """Through a real process: standard error escapes a lone surrogate (backslashreplace), standard
    output writes the JSON record with it escaped."""
    (tmp_path / "f.json").write_text(SURROGATE, encoding="utf-8")
    problem = "fact 'country' must be a text matching [A-Z]{2}, found \"\\ud800\""
    command = [sys.executable, "-m", "terms_compiler", "check", "--bundle", str(shipped_bundle)]
    command += ["--decision", DECISION, str(tmp_path / "f.json")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        f"{tmp_path / 'f.json'}: error: {problem}\n",
    )
    done = subprocess.run([*command, "--format", "json"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (2, "")
    assert "\\ud800" in done.stdout  # escaped as JSON, which reads back as what the caller sent
    sent = problem.replace("\\ud800", "\ud800")
    assert json.loads(done.stdout) == {"error": sent, "problems": [sent]}


def test_one_unreadable_fact_file_is_an_error_not_a_traceback(
    run_terms: RunTerms, shipped_bundle: Path, tmp_path: Path
) -> None:
    (tmp_path / "deep.json").write_text(DEEP, encoding="utf-8")
    (tmp_path / "bytes.json").write_bytes(b'{\n  "country": "\xff"}\n')
    assert check(run_terms, shipped_bundle, tmp_path / "deep.json")[::2] == (
        2,
        f"{tmp_path / 'deep.json'}: error: cannot read the facts: the JSON is nested too deeply to read\n",
    )
    assert check(run_terms, shipped_bundle, tmp_path / "bytes.json")[::2] == (
        2,
        f"{tmp_path / 'bytes.json'}: error: cannot read the facts: not valid UTF-8 (byte 0xff at line 2, "
        "column 15)\n",
    )


YAML_FACTS = """\
country: NO   # Norway: a country code, not false
customer_type: private
date: 2024-01-01
sanctioned: false
transaction: renewal
"""


def test_yaml_facts_are_read_as_the_corpus_is(
    run_terms: RunTerms, shipped_bundle: Path, tmp_path: Path
) -> None:
    """YAML 1.2 scalars: an unquoted date stays an ISO string, NO stays text."""
    (tmp_path / "f.yaml").write_text(YAML_FACTS, encoding="utf-8")
    code, out, err = check(run_terms, shipped_bundle, tmp_path / "f.yaml", "--format", "json")
    assert (code, err) == (0, "")
    assert (json.loads(out)["outcome"], json.loads(out)["as_of"]) == ("not-applicable", "2024-01-01")


def test_yes_is_not_a_boolean_in_yaml_facts(
    run_terms: RunTerms, shipped_bundle: Path, tmp_path: Path
) -> None:
    (tmp_path / "f.yaml").write_text(
        YAML_FACTS.replace("sanctioned: false", "sanctioned: yes"), encoding="utf-8"
    )
    assert check(run_terms, shipped_bundle, tmp_path / "f.yaml")[::2] == (
        2,
        f"{tmp_path / 'f.yaml'}: error: fact 'sanctioned' must be true or false, found \"yes\"\n",
    )


def test_a_yaml_facts_error_names_its_line_and_column(
    run_terms: RunTerms, shipped_bundle: Path, tmp_path: Path
) -> None:
    (tmp_path / "f.yaml").write_text(YAML_FACTS + "country: RU\n", encoding="utf-8")
    assert check(run_terms, shipped_bundle, tmp_path / "f.yaml")[::2] == (
        2,
        f"{tmp_path / 'f.yaml'}: error: cannot read the facts: duplicate key 'country' (first defined "
        "at line 1) (line 6, column 1)\n",
    )


BLOCK_YAML = "import sys; sys.modules['yaml'] = None; from terms_compiler.cli import main; sys.exit(main())"
"""Runs terms as an installation without the build extra (no PyYAML) would."""


def test_without_pyyaml_json_facts_work_and_yaml_facts_name_the_extra(
    shipped_bundle: Path, tmp_path: Path
) -> None:
    (tmp_path / "f.json").write_text(ALLOWED, encoding="utf-8")
    (tmp_path / "f.yaml").write_text(YAML_FACTS, encoding="utf-8")
    command = [
        sys.executable,
        "-c",
        BLOCK_YAML,
        "check",
        "--bundle",
        str(shipped_bundle),
        "--decision",
        DECISION,
    ]
    answered = subprocess.run(
        [*command, str(tmp_path / "f.json")], capture_output=True, text=True, timeout=60
    )
    assert (answered.returncode, answered.stdout.splitlines()[0]) == (
        0,
        "regional-availability: offered (allowed), as of 2024-01-01",
    )
    refused = subprocess.run([*command, str(tmp_path / "f.yaml")], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert "no module 'yaml'" in refused.stderr and "pip install 'terms-compiler[build]'" in refused.stderr


def test_a_bundle_error_is_printed_whole(tmp_path: Path, shipped_bundle: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    from terms_compiler.check.bundle import Bundle, BundleError

    bundle = json.loads(shipped_bundle.read_text(encoding="utf-8"))
    bundle["decisions"]["sa-renewal"]["facts"]["program"]["type"] = "boolean"
    data = json.dumps(bundle).encode()
    path = tmp_path / "b.json"
    path.write_bytes(data)
    (tmp_path / "b.json.sha256").write_text(f"{hashlib.sha256(data).hexdigest()}  b.json\n", encoding="utf-8")
    with pytest.raises(BundleError) as refused:
        Bundle.load(str(path))
    assert str(refused.value).endswith('found "boolean"')
    code, _, err = run_terms("check", "--bundle", str(path), "--decision", "sa-renewal", "-")
    # whole, its closing quote included (the CLI once stripped '"' from both ends of every message)
    assert (code, err) == (2, f"terms check: {refused.value}\n")
