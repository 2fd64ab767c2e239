"""`terms init`: a new corpus that builds clean at once, in the languages asked for, and refusing
folders and languages it must not use."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest
from terms_compiler.check.bundle import Bundle
from terms_compiler.cli import INIT_LANGUAGES
from terms_compiler.commands.init import supported_languages
from terms_compiler.load import load_file
from terms_compiler.resources import schemas_folder

DECISION = "subscription-renewal"
STARTER_FILES = {
    ".gitignore",
    ".vscode/settings.json",
    "README.md",
    "conformance/subscription-renewal.yaml",
    "corpus.yaml",
    "decisions.yaml",
    "glossary.yaml",
    "sections/10-renewal.yaml",
    *(f"schemas/{schema.name}" for schema in schemas_folder().glob("*.json")),
}
# The kind of each corpus file, as the loader sees it: each must have a schema in the mapping.
KINDS = {"corpus": "corpus.yaml", "decisions": "decisions.yaml", "glossary": "glossary.yaml"}


def init(run_terms, folder: Path, *options: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    result: tuple[int, str, str] = run_terms("init", str(folder), *options)
    return result


def data(path: Path) -> Any:
    return load_file(path, "test").data  # the compiler's loader: dates stay ISO strings


def written(out: str, folder: Path) -> set[str]:
    lines = [line.removeprefix("wrote ") for line in out.splitlines() if line.startswith("wrote ")]
    return {Path(line).relative_to(folder).as_posix() for line in lines}


@pytest.mark.parametrize("languages", [[], ["--languages", "en,de"]], ids=["default", "en,de"])
def test_new_corpus_builds_clean_and_answers_its_examples(
    run_terms, tmp_path: Path, languages: list[str]
) -> None:
    corpus = tmp_path / "acme-terms"
    code, out, err = init(run_terms, corpus, *languages)
    assert (code, err) == (0, "")
    assert written(out, corpus) == STARTER_FILES
    assert out.endswith(
        f"next:\n  cd {corpus}\n  terms build .   # the rule bundle and the website, in build/\n"
        "  terms serve .   # live preview on http://127.0.0.1:8000/, rebuilt on every save\n"
    )

    code, out, _ = run_terms("build", str(corpus), "--out", str(tmp_path / "build"), "-q", "--format", "json")
    assert (code, json.loads(out)) == (0, [])
    bundle = tmp_path / "build" / "bundle" / "acme-terms.json"
    assert Bundle.load(bundle).data["languages"] == (["en", "de"] if languages else ["en"])
    assert (tmp_path / "build" / "site" / "en" / "index.html").is_file()

    base = data(corpus / "decisions.yaml")["decisions"][DECISION]["example_base"]
    (clause,) = data(corpus / "sections" / "10-renewal.yaml")["clauses"]
    assert [example["outcome"] for example in clause["examples"]] == ["allowed", "denied"]
    for number, example in enumerate(clause["examples"]):
        facts = tmp_path / f"example-{number}.json"
        facts.write_text(json.dumps({**base, **example["facts"]}), encoding="utf-8")
        code, out, _ = run_terms(
            "check", "--bundle", str(bundle), "--decision", DECISION, "--format", "json", str(facts)
        )
        assert (code, json.loads(out)["outcome"]) == (0, example["outcome"]), example["title"]


def test_translations_are_recorded_as_up_to_date(run_terms, tmp_path: Path) -> None:
    corpus = tmp_path / "terms"
    assert init(run_terms, corpus, "--languages", "de,en,uk")[0] == 0
    code, out, _ = run_terms("status", str(corpus), "--strict")
    assert code == 0, out
    assert data(corpus / "corpus.yaml")["source_language"] == "de"
    section = (corpus / "sections" / "10-renewal.yaml").read_bytes()
    for language in ("en", "uk"):  # the hash `terms translated` writes is the one already there
        code, out, _ = run_terms("translated", str(corpus), language, "--all")
        assert (code, out) == (0, f"recorded 0 {language} translation(s) as up to date\n")
    assert (corpus / "sections" / "10-renewal.yaml").read_bytes() == section


def test_every_supported_language_passes_the_drift_checks(run_terms, tmp_path: Path) -> None:
    corpus = tmp_path / "terms"
    assert (
        init(
            run_terms, corpus, "--languages", ",".join(["en", *sorted(set(supported_languages()) - {"en"})])
        )[0]
        == 0
    )
    code, out, _ = run_terms("validate", str(corpus), "--format", "json")
    assert (code, json.loads(out)) == (0, [])


def test_conformance_cases_hold_against_the_bundle(run_terms, tmp_path: Path) -> None:
    corpus = tmp_path / "terms"
    init(run_terms, corpus)
    assert data(corpus / "corpus.yaml")["conformance"] == "conformance"
    assert run_terms("build", str(corpus), "--out", str(tmp_path / "build"), "-q", "--no-site")[0] == 0
    bundle = Bundle.load(tmp_path / "build" / "bundle" / "terms.json")
    cases = data(corpus / "conformance" / f"{DECISION}.yaml")
    assert cases["decision"] == DECISION
    for case in cases["cases"]:
        answer = bundle.decide(DECISION, case["facts"], case.get("as_of"))
        assert (answer.outcome, list(answer.deciding)) == (case["outcome"], case["deciding"]), case["name"]
    exported = json.loads((tmp_path / "build" / "bundle" / "conformance.json").read_text("utf-8"))
    assert [case["name"] for case in exported["cases"]] == [case["name"] for case in cases["cases"]]


def test_vscode_settings_map_every_file_kind_to_a_copied_schema(run_terms, tmp_path: Path) -> None:
    corpus = tmp_path / "terms"
    init(run_terms, corpus)
    mapping = json.loads((corpus / ".vscode" / "settings.json").read_text("utf-8"))["yaml.schemas"]
    for schema in mapping:
        assert not Path(schema).is_absolute(), schema
        assert (corpus / schema).read_bytes() == (schemas_folder() / Path(schema).name).read_bytes()
    files = {**KINDS, "section": "sections/10-renewal.yaml"}
    for kind, name in files.items():
        schemas = [schema for schema, pattern in mapping.items() if fnmatch.fnmatch(name, pattern)]
        assert schemas == [f"schemas/{kind}.schema.json"], kind


def test_a_folder_that_is_not_empty_is_refused(run_terms, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    code, out, err = init(run_terms, tmp_path)
    assert (code, out) == (2, "")
    assert err == (
        f"terms init: {tmp_path} is not empty (notes.txt); choose an empty or new folder, or pass "
        "--force to write the starter files into it anyway (files of the same name are replaced)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_force_writes_beside_the_files_already_there(run_terms, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    code, out, _ = init(run_terms, tmp_path, "--force")
    assert code == 0
    assert written(out, tmp_path) == STARTER_FILES
    assert (tmp_path / "notes.txt").read_text("utf-8") == "mine"


def test_a_folder_holding_only_git_counts_as_empty(run_terms, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    assert init(run_terms, tmp_path)[0] == 0


def test_an_unsupported_language_is_refused_naming_the_supported_ones(run_terms, tmp_path: Path) -> None:
    code, out, err = init(run_terms, tmp_path / "new", "--languages", "en,xx,tlh")
    assert (code, out) == (2, "")
    assert err == (
        "terms init: no starter texts for 'xx', 'tlh'; supported languages: "
        "de, en, es, fr, it, ja, pt, ru, uk, zh (add others to the corpus afterwards)\n"
    )
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    ("languages", "message"),
    [
        ("en,de,en", "a language is named twice: en"),
        (
            "en,",
            "name one or more languages, e.g. --languages en,de (supported: de, en, es, fr, it, ja, pt, ru, uk, zh)",
        ),
    ],
)
def test_a_bad_language_list_is_refused(run_terms, tmp_path: Path, languages: str, message: str) -> None:
    assert init(run_terms, tmp_path / "new", "--languages", languages) == (2, "", f"terms init: {message}\n")


def test_help_names_the_supported_languages(run_terms) -> None:
    code, out, _ = run_terms("init", "--help")
    assert code == 0
    assert list(INIT_LANGUAGES) == supported_languages()
    assert ", ".join(INIT_LANGUAGES) in " ".join(out.split())


def test_every_language_has_every_text() -> None:
    from importlib.resources import files

    import yaml

    folder = files("terms_compiler") / "scaffold" / "languages"
    keys = {
        code: set(yaml.safe_load((folder / f"{code}.yaml").read_text("utf-8")))
        for code in supported_languages()
    }
    assert all(found == keys["en"] for found in keys.values()), keys
