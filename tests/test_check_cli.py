"""`terms check`: one fact set, batches, languages, and refusing bad facts and bad bundles."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

OEM_SERVER = {
    "program": "select",
    "channel": "oem",
    "pool": "servers",
    "product": "windows-server-2022",
    "enterprise_product": False,
    "latest_version": True,
    "license_date": "2024-03-01",
    "order_date": "2024-05-30",
}


def write(path: Path, value: object) -> str:
    path.write_text(json.dumps(value), encoding="utf-8")
    return str(path)


def check(run_terms, bundle: Path, facts: str, *options: str):  # type: ignore[no-untyped-def]
    return run_terms("check", "--bundle", str(bundle), "--decision", "sa-purchase", *options, facts)


def test_json_answer_names_outcome_deciding_clauses_and_reasons(
    run_terms, shipped_bundle: Path, tmp_path: Path
) -> None:
    code, out, err = check(
        run_terms, shipped_bundle, write(tmp_path / "f.json", OEM_SERVER), "--format", "json"
    )
    answer = json.loads(out)
    assert (code, err) == (0, "")
    assert {k: answer[k] for k in ("decision", "outcome", "as_of", "deciding", "overridden")} == {
        "decision": "sa-purchase",
        "outcome": "allowed",
        "as_of": "2024-05-30",
        "deciding": ["sa-purchase.oem-retail"],
        "overridden": [],
    }
    reasons = {r["clause"]: r for r in answer["reasons"]}
    assert reasons["sa-purchase.oem-retail"]["status"] == "deciding"
    assert reasons["sa-purchase.with-license"]["message"] == (
        "sa-purchase.with-license does not apply: channel is oem; the rule needs volume-licensing"
    )


def test_text_answer_quotes_the_deciding_clause_in_the_chosen_language(
    run_terms, shipped_bundle: Path, tmp_path: Path
) -> None:
    code, out, _ = check(run_terms, shipped_bundle, write(tmp_path / "f.json", OEM_SERVER), "--lang", "uk")
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == "sa-purchase: дозволено (allowed), станом на 2024-05-30"
    assert "  - sa-purchase.oem-retail застосовується: дозволено (allowed)" in lines
    assert any("протягом 90 днів" in line for line in lines)


def test_day_91_is_denied_with_the_limit_in_the_reason(
    run_terms, shipped_bundle: Path, tmp_path: Path
) -> None:
    facts = {**OEM_SERVER, "order_date": "2024-05-31"}
    code, out, _ = check(run_terms, shipped_bundle, write(tmp_path / "f.json", facts))
    assert code == 0
    assert out.splitlines()[0] == "sa-purchase: denied, as of 2024-05-31"
    assert (
        "  - sa-purchase.oem-retail does not apply: order_date is 91 days after "
        "license_date; the limit is 90 (window_days)"
    ) in out.splitlines()


def test_yaml_facts_and_standard_input_are_read(
    run_terms, shipped_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    yaml_file = tmp_path / "f.yaml"
    yaml_file.write_text("\n".join(f"{k}: {json.dumps(v)}" for k, v in OEM_SERVER.items()), encoding="utf-8")
    assert check(run_terms, shipped_bundle, str(yaml_file))[0] == 0
    monkeypatch.setattr("sys.stdin", open(write(tmp_path / "f.json", OEM_SERVER)))  # noqa: SIM115
    code, out, _ = check(run_terms, shipped_bundle, "-", "--format", "json")
    assert (code, json.loads(out)["outcome"]) == (0, "allowed")


def test_bad_facts_are_a_clear_error_with_exit_2(run_terms, shipped_bundle: Path, tmp_path: Path) -> None:
    facts = {**OEM_SERVER, "pool": "server", "colour": "red"}
    del facts["order_date"]
    code, out, err = check(run_terms, shipped_bundle, write(tmp_path / "f.json", facts))
    path = tmp_path / "f.json"
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"{path}: error: fact 'pool' must be one of applications, systems, servers, found \"server\"",
        f"{path}: error: unknown fact 'colour'",
        f"{path}: error: missing fact 'order_date' (a date (YYYY-MM-DD))",
    ]


def test_a_batch_answers_every_line_in_order_and_reports_bad_lines(
    run_terms, shipped_bundle: Path, tmp_path: Path
) -> None:
    lines = [
        json.dumps(OEM_SERVER),
        "{not json",
        json.dumps({**OEM_SERVER, "pool": 7}),
        "",
        json.dumps({**OEM_SERVER, "order_date": "2024-05-31"}),
    ]
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = check(run_terms, shipped_bundle, str(batch), "--format", "json")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [(r["line"], r.get("outcome"), "error" in r) for r in records] == [
        (1, "allowed", False),
        (2, None, True),
        (3, None, True),
        (5, "denied", False),
    ]
    assert records[2]["error"] == "fact 'pool' must be one of applications, systems, servers, found 7"


def test_a_clean_batch_exits_0_in_text_format(run_terms, shipped_bundle: Path, tmp_path: Path) -> None:
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps(OEM_SERVER) + "\n" + json.dumps(OEM_SERVER) + "\n", encoding="utf-8")
    code, out, _ = check(run_terms, shipped_bundle, str(batch))
    assert (code, out) == (
        0,
        "line 1: allowed (sa-purchase.oem-retail)\nline 2: allowed (sa-purchase.oem-retail)\n",
    )


@pytest.fixture
def bundle_copy(shipped_bundle: Path, tmp_path: Path) -> Path:
    target = tmp_path / "bundle.json"
    shutil.copy(shipped_bundle, target)
    shutil.copy(shipped_bundle.with_name(shipped_bundle.name + ".sha256"), tmp_path / "bundle.json.sha256")
    return target


def refused(run_terms, bundle: Path, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    code, out, err = check(run_terms, bundle, write(tmp_path / "f.json", OEM_SERVER))
    assert (code, out) == (2, "")
    return err


def test_a_tampered_bundle_is_refused(run_terms, bundle_copy: Path, tmp_path: Path) -> None:
    data = bundle_copy.read_bytes().replace(b'"window_days"', b'"window_dayz"', 1)
    bundle_copy.write_bytes(data)
    assert "the bundle was changed or truncated" in refused(run_terms, bundle_copy, tmp_path)


def test_a_truncated_bundle_is_refused(run_terms, bundle_copy: Path, tmp_path: Path) -> None:
    bundle_copy.write_bytes(bundle_copy.read_bytes()[:1000])
    assert "the bundle was changed or truncated" in refused(run_terms, bundle_copy, tmp_path)


def test_a_bundle_without_its_digest_is_refused(run_terms, bundle_copy: Path, tmp_path: Path) -> None:
    (tmp_path / "bundle.json.sha256").unlink()
    assert refused(run_terms, bundle_copy, tmp_path) == (
        f"terms check: {bundle_copy}: no digest file {bundle_copy}.sha256; refusing an unverified bundle\n"
    )


def rewrite(bundle: Path, change) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    data = json.loads(bundle.read_text(encoding="utf-8"))
    change(data)
    raw = json.dumps(data).encode()
    bundle.write_bytes(raw)
    bundle.with_name(bundle.name + ".sha256").write_text(hashlib.sha256(raw).hexdigest() + "\n")


def test_an_unknown_major_format_version_is_refused(run_terms, bundle_copy: Path, tmp_path: Path) -> None:
    rewrite(bundle_copy, lambda d: d.update(format_version="2.0"))
    assert refused(run_terms, bundle_copy, tmp_path) == (
        f"terms check: {bundle_copy}: format version 2.0 is not supported; this checker reads 1.x\n"
    )


def test_a_rule_with_code_in_it_is_refused_not_run(run_terms, bundle_copy: Path, tmp_path: Path) -> None:
    def inject(data: dict) -> None:
        data["decisions"]["sa-purchase"]["rules"][0]["when"] = {
            "op": "fact",
            "name": "__import__('os').system('echo pwned')",
            "type": "bool",
        }

    rewrite(bundle_copy, inject)
    assert refused(run_terms, bundle_copy, tmp_path) == (
        f"terms check: {bundle_copy}: a rule in the bundle is malformed (clause 'sa-purchase.with-license', "
        "at decisions.sa-purchase.rules[0].when.name: expected a name (a-z, 0-9, _), found "
        "\"__import__('os').system('echo pwned')\")\n"
    )


def test_an_ill_typed_rule_is_refused_as_a_malformed_bundle_not_as_bad_facts(
    run_terms, bundle_copy: Path, tmp_path: Path
) -> None:
    def compare_a_date_with_a_number(data: dict) -> None:
        data["decisions"]["sa-purchase"]["rules"][0]["when"] = {
            "op": "<=",
            "left": {"op": "fact", "name": "order_date", "type": "date"},
            "right": {"op": "const", "type": "int", "value": 90},
        }

    rewrite(bundle_copy, compare_a_date_with_a_number)
    assert refused(run_terms, bundle_copy, tmp_path) == (
        f"terms check: {bundle_copy}: a rule in the bundle is malformed (clause 'sa-purchase.with-license', "
        "at decisions.sa-purchase.rules[0].when: '<=' compares values of one type, found date and int)\n"
    )


def test_an_unknown_decision_is_a_usage_error(run_terms, shipped_bundle: Path, tmp_path: Path) -> None:
    code, _, err = run_terms(
        "check",
        "--bundle",
        str(shipped_bundle),
        "--decision",
        "sa-purchse",
        write(tmp_path / "f.json", OEM_SERVER),
    )
    assert code == 2
    assert err.startswith("terms check: unknown decision 'sa-purchse'; the bundle has: ")


def test_a_conflict_exits_3(run_terms, bundle_copy: Path, tmp_path: Path) -> None:
    def drop_override(data: dict) -> None:
        for rule in data["decisions"]["sa-purchase"]["rules"]:
            if rule["clause"] == "sa-purchase.latest-version":
                rule["overrides"] = []

    rewrite(bundle_copy, drop_override)
    facts = {**OEM_SERVER, "latest_version": False}
    code, out, _ = check(run_terms, bundle_copy, write(tmp_path / "f.json", facts), "--format", "json")
    assert (code, json.loads(out)["outcome"]) == (3, "conflict")


def test_check_options_may_be_abbreviated_and_a_bad_one_is_a_usage_error(
    run_terms, shipped_bundle: Path, tmp_path: Path
) -> None:
    code, out, _ = run_terms(
        "check", "--bund", str(shipped_bundle), "--dec", "sa-purchase", write(tmp_path / "f.json", OEM_SERVER)
    )
    assert (code, out.splitlines()[0]) == (0, "sa-purchase: allowed, as of 2024-05-30")
    code, _, err = run_terms(
        "check", "--bundle", str(shipped_bundle), "--decision", "sa-purchase", "--format", "xml", "f.json"
    )
    assert code == 2
    assert "argument --format: invalid choice: 'xml' (choose from 'text', 'json')" in err


def test_a_malformed_rule_is_refused_only_for_its_own_decision(
    run_terms, bundle_copy: Path, tmp_path: Path
) -> None:
    def inject(data: dict) -> None:
        data["decisions"]["sa-renewal"]["rules"][0]["when"] = {"op": "__import__('os')"}

    rewrite(bundle_copy, inject)
    assert check(run_terms, bundle_copy, write(tmp_path / "f.json", OEM_SERVER))[0] == 0
    code, _, err = run_terms(
        "check", "--bundle", str(bundle_copy), "--decision", "sa-renewal", str(tmp_path / "f.json")
    )
    assert code == 2
    assert err == (
        f"terms check: {bundle_copy}: a rule in the bundle is malformed (clause 'sa-renewal.same-agreement', "
        "at decisions.sa-renewal.rules[0].when: unknown operator \"__import__('os')\"; expected one of: "
        "and, or, not, ==, !=, <, <=, >, >=, in, days, +, -, fact, param, const)\n"
    )


def test_a_batch_explains_every_line_alike_in_each_language(
    run_terms, shipped_bundle: Path, tmp_path: Path
) -> None:
    """The first line is explained by walking the rules, the next ones by the compiled
    explainer: the records differ only in their line numbers."""
    batch = tmp_path / "batch.jsonl"
    batch.write_text((json.dumps({**OEM_SERVER, "order_date": "2024-05-31"}) + "\n") * 3, encoding="utf-8")
    for language in ("en", "zh"):
        code, out, _ = check(run_terms, shipped_bundle, str(batch), "--format", "json", "--lang", language)
        records = [json.loads(line) for line in out.splitlines()]
        assert code == 0
        assert [r.pop("line") for r in records] == [1, 2, 3]
        assert records[0] == records[1] == records[2]
        assert len(records[0]["reasons"]) == 10  # nine rules and the default


def test_a_digest_file_recording_another_sha256_is_refused_naming_both(
    run_terms, bundle_copy: Path, tmp_path: Path
) -> None:
    digest = tmp_path / "bundle.json.sha256"
    actual = digest.read_text().split()[0]
    digest.write_text("0" * 64 + "  bundle.json\n")
    assert refused(run_terms, bundle_copy, tmp_path) == (
        f"terms check: {bundle_copy}: SHA-256 is {actual} but bundle.json.sha256 records {'0' * 64}; "
        "the bundle was changed or truncated\n"
    )


def test_the_recorded_digest_may_be_upper_case(run_terms, bundle_copy: Path, tmp_path: Path) -> None:
    digest = tmp_path / "bundle.json.sha256"
    digest.write_text(digest.read_text().upper())
    code, out, _ = check(run_terms, bundle_copy, write(tmp_path / "f.json", OEM_SERVER))
    assert (code, out.splitlines()[0]) == (0, "sa-purchase: allowed, as of 2024-05-30")


# Issue 17: one JSON shape for refused facts (item 14), --explain (item 15), --lang (item 16) ---


def test_refused_facts_alone_get_a_batch_lines_json_record_without_its_line(
    run_terms, shipped_bundle: Path, tmp_path: Path
) -> None:
    facts = {**OEM_SERVER, "pool": "server", "colour": "red"}
    one = write(tmp_path / "f.json", facts)
    code, out, err = check(run_terms, shipped_bundle, one, "--format", "json")
    problems = [
        "fact 'pool' must be one of applications, systems, servers, found \"server\"",
        "unknown fact 'colour'",
    ]
    assert (code, err) == (2, "")
    assert json.loads(out) == {"error": "; ".join(problems), "problems": problems}
    assert out.startswith('{\n  "error": ')  # indented by 2, as an answer alone is
    (tmp_path / "f.jsonl").write_text(json.dumps(facts) + "\n", encoding="utf-8")
    code, out, _ = check(run_terms, shipped_bundle, str(tmp_path / "f.jsonl"), "--format", "json")
    assert (code, json.loads(out)) == (1, {"line": 1, "error": "; ".join(problems), "problems": problems})
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    code, out, err = check(run_terms, shipped_bundle, str(tmp_path / "bad.json"), "--format", "json")
    unreadable = (
        "cannot read the facts: not valid JSON (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1))"
    )
    assert (code, json.loads(out), err) == (2, {"error": unreadable, "problems": [unreadable]}, "")


def test_explain_none_gives_the_outcome_alone_and_deciding_the_deciding_reasons(
    run_terms, shipped_bundle: Path, tmp_path: Path
) -> None:
    one = write(tmp_path / "f.json", OEM_SERVER)
    code, out, _ = check(run_terms, shipped_bundle, one, "--format", "json", "--explain", "none")
    assert (code, json.loads(out)) == (
        0,
        {
            "decision": "sa-purchase",
            "outcome": "allowed",
            "as_of": "2024-05-30",
            "deciding": ["sa-purchase.oem-retail"],
            "overridden": [],
        },
    )
    code, out, _ = check(run_terms, shipped_bundle, one, "--explain", "none")
    assert out == "sa-purchase: allowed, as of 2024-05-30\n"
    code, out, _ = check(run_terms, shipped_bundle, one, "--format", "json", "--explain", "deciding")
    assert json.loads(out)["reasons"] == [
        {
            "clause": "sa-purchase.oem-retail",
            "status": "deciding",
            "outcome": "allowed",
            "message": "sa-purchase.oem-retail applies: allowed",
        }
    ]
    late = {**OEM_SERVER, "order_date": "2024-12-30"}  # no rule applies: the default's reason stays
    lines = "".join(json.dumps(f) + "\n" for f in (OEM_SERVER, late))
    (tmp_path / "b.jsonl").write_text(lines, encoding="utf-8")
    batch = str(tmp_path / "b.jsonl")
    _, out, _ = check(run_terms, shipped_bundle, batch, "--format", "json", "--explain", "deciding")
    _, everything, _ = check(run_terms, shipped_bundle, batch, "--format", "json")
    for kept, whole in zip(out.splitlines(), everything.splitlines(), strict=True):
        whole_record = json.loads(whole)
        deciding = [r for r in whole_record["reasons"] if r["status"] in ("deciding", "default", "conflict")]
        assert json.loads(kept) == {**whole_record, "reasons": deciding}
    assert [r["status"] for r in json.loads(out.splitlines()[1])["reasons"]] == ["default"]
    _, out, _ = check(run_terms, shipped_bundle, batch, "--format", "json", "--explain", "none")
    assert [sorted(json.loads(line)) for line in out.splitlines()] == [
        ["as_of", "deciding", "decision", "line", "outcome", "overridden"]
    ] * 2


def test_text_in_chinese_reads_as_chinese_and_json_keeps_ids(
    run_terms, shipped_bundle: Path, tmp_path: Path
) -> None:
    facts = {**OEM_SERVER, "order_date": "2024-05-31"}
    one = write(tmp_path / "f.json", facts)
    _, out, _ = check(run_terms, shipped_bundle, one, "--lang", "zh")
    lines = out.splitlines()
    assert lines[0] == "sa-purchase：不允许 (denied)，截至2024-05-31"
    assert (
        "  - sa-purchase.oem-retail不适用：订购软件保障的日期在获得许可证的日期之后91天；上限为90 (window_days)"
    ) in lines
    assert "  - sa-purchase.with-license不适用：许可证的获取方式为oem；规则要求：volume-licensing" in lines
    assert lines[-1] == "  - 没有适用的规则，因此结果为默认值：不允许 (denied)"
    _, out, _ = check(run_terms, shipped_bundle, one, "--lang", "zh", "--format", "json")
    answer = json.loads(out)
    assert (answer["decision"], answer["outcome"]) == ("sa-purchase", "denied")
    assert {r["outcome"] for r in answer["reasons"]} <= {"allowed", "denied"}
    assert all(r["clause"].startswith("sa-purchase.") or r["clause"] == "" for r in answer["reasons"])
    _, out, _ = check(run_terms, shipped_bundle, write(tmp_path / "g.json", OEM_SERVER), "--lang", "zh")
    assert "  - sa-purchase.oem-retail适用：允许 (allowed)" in out.splitlines()
    assert any(line.startswith("      来自原始设备制造商或零售渠道的许可证：") for line in out.splitlines())


def test_a_country_in_lower_case_is_a_fact_error_not_an_escape(
    run_terms, shipped_bundle: Path, tmp_path: Path
) -> None:
    facts = {"country": "ru", "transaction": "renewal", "customer_type": "state", "sanctioned": True}
    path = write(tmp_path / "f.json", {**facts, "date": "2024-01-01"})
    code, out, err = run_terms(
        "check", "--bundle", str(shipped_bundle), "--decision", "regional-availability", path
    )
    assert (code, out) == (2, "")
    assert err == f"{path}: error: fact 'country' must be a text matching [A-Z]{{2}}, found \"ru\"\n"
