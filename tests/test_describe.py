"""`terms describe` (issue 17, item 18): a bundle's decisions with their facts and outcomes, in a
language; and `terms check` without --bundle inside a built corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest


def test_describe_lists_a_decisions_facts_and_outcomes(run_terms, shipped_bundle: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_terms("describe", "--bundle", str(shipped_bundle), "regional-availability")
    assert (code, err) == (0, "")
    assert out.splitlines()[:6] == [
        "regional-availability: Is this transaction offered in this country?",
        "  outcomes: allowed (offered), denied (not offered), not-applicable (no regional restriction "
        "applies); default not-applicable",
        "  answered as of: the fact date",
        "  facts:",
        "    country (required): a text matching [A-Z]{2}",
        "      the customer's country (ISO 3166-1 alpha-2 code)",
    ]


def test_describe_as_json_in_a_language_keeps_ids_and_gives_every_decision(
    run_terms, shipped_bundle: Path
) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_terms("describe", "--bundle", str(shipped_bundle), "--format", "json", "--lang", "uk")
    described = json.loads(out)["decisions"]
    bundle = json.loads(shipped_bundle.read_text(encoding="utf-8"))
    assert (code, list(described)) == (0, list(bundle["decisions"]))
    purchase = described["sa-purchase"]
    assert purchase["outcomes"] == {"allowed": "дозволено", "denied": "не дозволено"}
    assert (purchase["default"], purchase["as_of"]) == ("denied", "order_date")
    assert purchase["facts"]["transferor_had_sa"] == {
        "type": "bool",
        "default": False,
        "required": False,
        "accepts": "true or false",
        "description": "особа, яка передала ліцензію, зберігала активну Підтримку програмного "
        "забезпечення до передавання",
    }
    assert purchase["facts"]["pool"]["values"] == ["applications", "systems", "servers"]
    assert described["regional-availability"]["facts"]["country"]["pattern"] == "[A-Z]{2}"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nothing"], "terms describe: unknown decision 'nothing'; the bundle has: "),
        (["--lang", "de"], "terms describe: language 'de' is not in the bundle (en, uk, ru, zh)"),
    ],
)
def test_describe_refuses_an_unknown_decision_or_language(
    run_terms, shipped_bundle: Path, arguments, message
) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_terms("describe", "--bundle", str(shipped_bundle), *arguments)
    assert (code, out) == (2, "")
    assert err.startswith(message)


def test_check_and_describe_inside_a_built_corpus_need_no_bundle(
    run_terms,  # type: ignore[no-untyped-def]
    shipped_bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    facts = tmp_path / "f.json"
    facts.write_text(
        json.dumps(
            {
                "country": "NO",
                "transaction": "renewal",
                "customer_type": "private",
                "sanctioned": False,
                "date": "2024-01-01",
            }
        ),
        encoding="utf-8",
    )
    asked = ("check", "--decision", "regional-availability", "--explain", "none", str(facts))
    assert run_terms(*asked) == (
        2,
        "",
        "terms check: no --bundle given, and no corpus here (corpus.yaml in . or in terms/) to take it from\n",
    )
    (tmp_path / "terms").mkdir()
    (tmp_path / "terms" / "corpus.yaml").write_text("id: x\n", encoding="utf-8")
    assert run_terms(*asked)[2] == (
        "terms check: no --bundle given, and the corpus in ./terms has no one built bundle in ./build/bundle "
        "(found none): run terms build, or give --bundle\n"
    )
    shutil.copytree(shipped_bundle.parent, tmp_path / "build" / "bundle")
    assert run_terms(*asked) == (
        0,
        "regional-availability: no regional restriction applies (not-applicable), as of 2024-01-01\n",
        "",
    )
    assert run_terms("describe", "sa-renewal")[1].startswith(
        "sa-renewal: May Software Assurance be renewed?\n"
    )
