"""terms diff: clauses added, removed and changed, redlines, logic changes and the behavioural
diff, between corpus folders, built bundles and git revisions."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from terms_compiler.editions.compare import compare
from terms_compiler.editions.edition import Edition
from terms_compiler.editions.read import edition_from_corpus, load_edition
from terms_compiler.editions.redline import redline, redline_text, tokens
from terms_compiler.editions.render import changes_summary, dump_json, render
from terms_compiler.pipeline import compile_corpus

ROOT = Path(__file__).resolve().parent.parent


def read_edition(spec: Path) -> Edition:
    """A corpus folder or bundle read as `terms diff` reads it."""
    return load_edition(str(spec), Path("terms"), compile_corpus)


OLD = ROOT / "tests" / "fixtures" / "diff" / "old"
NEW = ROOT / "tests" / "fixtures" / "diff" / "new"
OLD_ARG, NEW_ARG = "tests/fixtures/diff/old", "tests/fixtures/diff/new"

EXPECTED_SUMMARY = {
    "added": ["buying.renewal"],
    "removed": ["buying.intro"],
    "changed": {
        "buying.window": ["parameters", "prose:en", "prose:uk"],
        "buying.select-closed": ["parameters", "overrides", "effective", "prose:en", "prose:uk"],
    },
    "decisions": {},
    "glossary": {},
}


def days(facts: dict[str, Any]) -> int:
    return (dt.date.fromisoformat(facts["order_date"]) - dt.date.fromisoformat(facts["license_date"])).days


def fact_sets(
    report: dict[str, Any], decision: str = "purchase"
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(situation, fact set) pairs of the JSON report's behavioural diff."""
    [behaviour] = [b for b in report["behaviour"] if b["decision"] == decision]
    return [
        (situation, fact_set) for situation in behaviour["situations"] for fact_set in situation["fact_sets"]
    ]


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


# the fixtures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("corpus", [OLD, NEW], ids=["old", "new"])
def test_fixture_corpora_are_valid(corpus: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_terms("validate", str(corpus))
    assert code == 0, out + err


# golden outputs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name"), [("text", "fixtures.txt"), ("markdown", "fixtures.md"), ("json", "fixtures.json")]
)
def test_golden_outputs(fmt: str, name: str, at_root: None, run_terms, golden) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_terms("diff", OLD_ARG, NEW_ARG, "--format", fmt)
    assert (code, err) == (0, "")
    golden(f"diff/{name}", out)


def test_golden_markdown_in_one_language(at_root: None, run_terms, golden) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_terms("diff", OLD_ARG, NEW_ARG, "--format", "markdown", "--lang", "uk")
    assert (code, err) == (0, "")
    golden("diff/fixtures-uk.md", out)


def test_json_output_is_json_with_the_summary(at_root: None, run_terms) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_terms("diff", OLD_ARG, NEW_ARG, "--format", "json")
    assert code == 0
    report = json.loads(out)
    summary = dict(report["summary"])
    behaviour = summary.pop("behaviour")
    assert summary == EXPECTED_SUMMARY
    assert behaviour == sum(b["fact_sets"] for b in report["behaviour"]) > 0
    assert report["old"]["kind"] == report["new"]["kind"] == "folder"
    assert (report["old"]["edition"], report["new"]["edition"]) == ("2026-01", "2026-02")


# logic changes and redlines -------------------------------------------------------------------


def test_logic_changes(at_root: None, run_terms) -> None:  # type: ignore[no-untyped-def]
    report = json.loads(run_terms("diff", OLD_ARG, NEW_ARG, "--format", "json")[1])
    changed = {c["id"]: c for c in report["clauses"]["changed"]}
    assert changed["buying.window"]["logic"] == [
        {"kind": "parameters", "what": "window_days", "old": 90, "new": 60}
    ]
    assert changed["buying.select-closed"]["logic"] == [
        {"kind": "parameters", "what": "closed_from", "old": "2025-01-01", "new": "2025-03-01"},
        {"kind": "overrides", "what": "buying.renewal", "old": None, "new": "buying.renewal"},
        {"kind": "effective", "what": "from", "old": "2025-01-01", "new": "2025-03-01"},
    ]
    [added] = report["clauses"]["added"]
    assert added["rule"] == (
        "purchase: allowed when renewal and days(license_date, order_date) >= 0 "
        "and days(license_date, order_date) <= renewal_days"
    )


def test_prose_redlines_in_text(at_root: None, run_terms) -> None:  # type: ignore[no-untyped-def]
    out = run_terms("diff", OLD_ARG, NEW_ARG)[1]
    assert "within [-90-]{+60+} days {+of the license date+} (see the exception)." in out
    assert "протягом [-90-]{+60+} днів {+від дати ліцензії+}" in out
    assert "title [uk]: Строк {+придбання+}" in out
    assert "From 1 [-January-]{+March+} 2025" in out


def test_lang_restricts_redlines(at_root: None, run_terms) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_terms("diff", OLD_ARG, NEW_ARG, "--lang", "uk")
    assert code == 0
    assert "prose [uk]:" in out and "title [uk]:" in out
    assert "prose [en]" not in out
    # the kinds of change still say that the English prose changed
    assert "~ buying.window  [parameters, prose:en, prose:uk]" in out
    report = json.loads(run_terms("diff", OLD_ARG, NEW_ARG, "--lang", "uk", "--format", "json")[1])
    assert {lang for c in report["clauses"]["changed"] for lang in c["prose"]} == {"uk"}
    assert report["clauses"]["added"][0]["titles"] == {"uk": "Поновлення"}


def test_unknown_lang_is_an_error(at_root: None, run_terms) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_terms("diff", OLD_ARG, NEW_ARG, "--lang", "fr")
    assert (code, out) == (2, "")
    assert err == "terms diff: language 'fr' is in neither edition (en, uk)\n"


def test_redline_words_and_cjk_characters() -> None:
    ops = redline("may buy it within 90 days of the purchase", "may buy it within 60 days of the order")
    assert redline_text(ops) == "may buy it within [-90-]{+60+} days of the [-purchase-]{+order+}"
    assert (
        redline_text(ops, markdown=True)
        == "may buy it within ~~90~~ **60** days of the ~~purchase~~ **order**"
    )
    # Chinese has no spaces: it is compared character by character, and a single unchanged
    # character between two changes is folded into them
    assert tokens("可在转让后30天内购买") == ["可", "在", "转", "让", "后", "30", "天", "内", "购", "买"]
    zh = redline("可在转让后30天内购买软件保障。", "可在转让后45天内订购软件保障。")
    assert redline_text(zh) == "可在转让后[-30-]{+45+}天内[-购买-]{+订购+}软件保障。"
    # a rewritten phrase reads as one deletion and one insertion
    assert redline_text(redline("a b c d e", "a x y z e")) == "a [-b c d-]{+x y z+} e"


def test_long_unchanged_text_is_cut_around_changes() -> None:
    old = " ".join(f"w{i}" for i in range(40))
    new = old.replace("w20", "CHANGED")
    assert (
        redline_text(redline(old, new))
        == "… w14 w15 w16 w17 w18 w19 [-w20-]{+CHANGED+} w21 w22 w23 w24 w25 w26 …"
    )
    assert "w0 w1" in redline_text(redline(old, new), trim=False)


# behaviour ------------------------------------------------------------------------------------


def test_days_61_to_90_flip_from_allowed_to_denied(at_root: None, run_terms) -> None:  # type: ignore[no-untyped-def]
    report = json.loads(run_terms("diff", OLD_ARG, NEW_ARG, "--format", "json")[1])
    flipped = set()
    for situation, fact_set in fact_sets(report):
        facts = fact_set["facts"]
        if facts["program"] != "open" or facts.get("renewal"):
            continue  # the window rule alone decides for these
        assert 61 <= days(facts) <= 90, fact_set
        assert (situation["old"], situation["new"]) == (
            {"outcome": "allowed", "deciding": ["buying.window"], "overridden": []},
            {"outcome": "denied", "deciding": [], "overridden": []},
        )
        flipped.add(days(facts))
    # the boundaries of both windows were generated, and the worked examples are there
    assert {61, 89, 90} <= flipped
    names = {fs.get("name") for _, fs in fact_sets(report)}
    assert {"buying.window: Day 61", "buying.window: Day 90"} <= names


def test_behaviour_of_the_new_clause_and_the_moved_effective_date(at_root: None, run_terms) -> None:  # type: ignore[no-untyped-def]
    report = json.loads(run_terms("diff", OLD_ARG, NEW_ARG, "--format", "json")[1])
    answers = [
        (
            (s["old"]["outcome"], tuple(s["old"]["deciding"])),
            (s["new"]["outcome"], tuple(s["new"]["deciding"])),
            fs["facts"],
        )
        for s, fs in fact_sets(report)
    ]
    # a renewal on day 200 was denied (no rule) and is now allowed by the new clause
    assert (
        ("denied", ()),
        ("allowed", ("buying.renewal",)),
        {"program": "open", "license_date": "2024-03-01", "order_date": "2024-09-17", "renewal": True},
    ) in answers
    # Select in January and February 2025: closed in the old edition, not yet in the new one
    select = [
        (old, new)
        for old, new, facts in answers
        if facts["program"] == "select"
        and not facts.get("renewal")
        and 0 <= days(facts) <= 60
        and "2025-01-01" <= facts["order_date"] < "2025-03-01"
    ]
    assert select and set(select) == {
        (("denied", ("buying.select-closed",)), ("allowed", ("buying.window",)))
    }
    # nothing changes for Select before 2025 or from March 2025 within 60 days
    for _, _, facts in answers:
        if facts["program"] == "select" and not facts.get("renewal") and 0 <= days(facts) <= 60:
            assert "2025-01-01" <= facts["order_date"] < "2025-03-01", facts


def test_text_lists_situations_with_outcome_changes_first(at_root: None, run_terms) -> None:  # type: ignore[no-untyped-def]
    lines = run_terms("diff", OLD_ARG, NEW_ARG)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  purchase: "))
    assert lines[start + 1].startswith(
        "    {order_date: 2024-05-01}, as of 2024-05-01: allowed -> denied (buying.window -> no rule) "
        "[example: buying.window: Day 61] (+"
    )
    same = lines.index("    same outcome, other deciding clauses:")
    answers = [re.search(r", as of [0-9-]+: (\S+) -> (\S+) \(", line) for line in lines[start + 1 :]]
    assert all(m is not None and m[1] != m[2] for m in answers[: same - start - 1])
    assert all(m is not None and m[1] == m[2] for m in answers[same - start :])


def test_identical_editions_have_no_changes(at_root: None, run_terms) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_terms("diff", OLD_ARG, OLD_ARG)
    assert (code, err) == (0, "")
    assert out.splitlines()[3:] == [
        "clauses: 0 added, 0 removed, 0 changed",
        "behaviour: 0 fact sets answer differently, in 0 situations (0 compared in 0 decisions "
        "whose logic changed)",
    ]


@pytest.mark.parametrize(("new", "code"), [(NEW_ARG, 1), (OLD_ARG, 0)])
def test_exit_code_says_whether_the_editions_differ(at_root: None, run_terms, new: str, code: int) -> None:  # type: ignore[no-untyped-def]
    assert run_terms("diff", OLD_ARG, new, "--exit-code", "--format", "json")[0] == code
    assert run_terms("diff", OLD_ARG, new)[0] == 0  # without it, a report is a success


def test_differing_editions_with_one_label_are_warned_about(tmp_path: Path, at_root: None, run_terms) -> None:  # type: ignore[no-untyped-def]
    shutil.copytree(NEW_ARG, tmp_path / "new")
    corpus = tmp_path / "new" / "corpus.yaml"
    corpus.write_text(corpus.read_text(encoding="utf-8").replace('edition: "2026-02"', 'edition: "2026-01"'))
    code, _, err = run_terms("diff", OLD_ARG, str(tmp_path / "new"))
    assert code == 0
    assert err == (
        "terms diff: warning: both editions are labelled '2026-01' although they differ; "
        "give the new one its own edition label in corpus.yaml\n"
    )


def test_fact_sets_only_one_edition_accepts_are_not_comparable(tmp_path: Path) -> None:
    shutil.copytree(NEW, tmp_path / "terms")
    decisions = tmp_path / "terms" / "decisions.yaml"
    decisions.write_text(
        decisions.read_text(encoding="utf-8").replace(
            "      select: {en: Select, uk: Select}\n",
            "      select: {en: Select, uk: Select}\n      mpsa: {en: MPSA, uk: MPSA}\n",
        ),
        encoding="utf-8",
    )
    changes = compare(read_edition(OLD), read_edition(tmp_path / "terms"))
    [behaviour] = changes.behaviour
    [unmatched] = behaviour.unmatched
    assert unmatched.side == "old"
    assert unmatched.problem == "fact 'program' must be one of open, select, found \"mpsa\""
    assert {case.facts["program"] for case in unmatched.cases} == {"mpsa"}
    assert changes_summary(changes)["decisions"] == {"purchase": ["facts"]}
    text = render(changes, "text")
    assert "    fact program values: + mpsa" in text
    assert "only one edition accepts" in text and "old refuses: fact 'program' must be one of" in text


# sides: bundles, git revisions, errors ---------------------------------------------------------


def test_a_bundle_as_one_side(tmp_path: Path, at_root: None, run_terms) -> None:  # type: ignore[no-untyped-def]
    assert run_terms("build", str(OLD), "--out", str(tmp_path), "-q", "--no-site")[0] == 0
    bundle = tmp_path / "bundle" / "mini-terms.json"
    code, out, err = run_terms("diff", str(bundle), NEW_ARG, "--format", "json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["old"]["kind"] == "bundle" and report["old"]["label"] == str(bundle)
    summary = dict(report["summary"])
    summary.pop("behaviour")
    assert summary == EXPECTED_SUMMARY
    # without the worked examples (a bundle does not carry them) the generated cases still find
    # the days 61 to 90
    flipped = {
        days(fs["facts"])
        for s, fs in fact_sets(report)
        if fs["facts"]["program"] == "open" and not fs["facts"].get("renewal")
    }
    assert {61, 90} <= flipped <= set(range(61, 91))
    # the folder holding the bundle works too
    code, out, _ = run_terms("diff", str(tmp_path / "bundle"), NEW_ARG)
    assert code == 0 and "(bundle)" in out.splitlines()[1]


def test_a_tampered_bundle_is_refused(tmp_path: Path, at_root: None, run_terms) -> None:  # type: ignore[no-untyped-def]
    assert run_terms("build", str(OLD), "--out", str(tmp_path), "-q", "--no-site")[0] == 0
    bundle = tmp_path / "bundle" / "mini-terms.json"
    bundle.write_bytes(bundle.read_bytes().replace(b'"denied"', b'"allowed"', 1))
    code, out, err = run_terms("diff", str(bundle), NEW_ARG)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith(f"terms diff: {bundle}: SHA-256 is ")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        [
            "git",
            "-c",
            "user.name=Terms Test",
            "-c",
            "user.email=terms@example.com",
            "-c",
            "commit.gpgsign=false",
            "-C",
            str(repo),
            *args,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with the old fixture committed as terms/ (with a conformance case, named
    by corpus.yaml), then the new one."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "tests" / "conformance").mkdir(parents=True)
    (repo / "tests" / "conformance" / "purchase.yaml").write_text(
        "decision: purchase\ncases:\n  - name: day 75\n"
        "    facts: {program: open, license_date: 2024-03-01, order_date: 2024-05-15}\n"
        "    outcome: allowed\n    deciding: [buying.window]\n",
        encoding="utf-8",
    )
    for side, message in ((OLD, "old"), (NEW, "new")):
        shutil.rmtree(repo / "terms", ignore_errors=True)
        shutil.copytree(side, repo / "terms")
        with (repo / "terms" / "corpus.yaml").open("a", encoding="utf-8") as corpus:
            corpus.write("conformance: ../tests/conformance\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", message)
    return repo


def test_git_revisions_as_sides(repo: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_terms("diff", "HEAD~1", "HEAD", "--path", str(repo / "terms"), "--format", "json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["old"]["kind"] == report["new"]["kind"] == "git"
    assert report["old"]["revision"] == git(repo, "rev-parse", "HEAD~1")
    assert report["new"]["revision"] == git(repo, "rev-parse", "HEAD")
    summary = dict(report["summary"])
    summary.pop("behaviour")
    assert summary == EXPECTED_SUMMARY
    # the conformance case of the revision is compared, and shown first in its situation
    [situation] = [s for s, fs in fact_sets(report) if fs.get("name") == "day 75"]
    assert situation["fact_sets"][0]["source"] == "conformance"
    assert (situation["old"]["outcome"], situation["new"]["outcome"]) == ("allowed", "denied")
    # a revision against a folder, in text
    code, out, err = run_terms("diff", "HEAD~1", str(repo / "terms"), "--path", str(repo / "terms"))
    assert (code, err) == (0, "")
    assert out.splitlines()[1] == (
        f"  old: mini-terms, edition 2026-01 (git revision {git(repo, 'rev-parse', 'HEAD~1')[:12]})"
    )
    assert "[conformance: day 75]" in out


def test_a_revision_that_does_not_compile(repo: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    section = repo / "terms" / "sections" / "10-buying.yaml"
    section.write_text(
        section.read_text(encoding="utf-8").replace("when: program == select", "when: program == selekt"),
        encoding="utf-8",
    )
    git(repo, "commit", "-q", "-am", "broken")
    code, out, err = run_terms("diff", "HEAD~1", "HEAD", "--path", str(repo / "terms"))
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == "terms diff: 'HEAD' does not compile (1 error)"
    assert "HEAD:terms/sections/10-buying.yaml:" in err  # where the error is, in the revision
    assert "selekt" in err and "Traceback" not in err


def test_a_revision_without_the_corpus_folder(repo: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    (repo / "other").mkdir()
    code, _, err = run_terms("diff", "HEAD", "HEAD", "--path", str(repo / "other"))
    assert code == 2
    assert err == "terms diff: revision 'HEAD' has no other/\n"


@pytest.mark.parametrize(
    ("side", "message"),
    [
        (
            "no-such-thing",
            "'no-such-thing' is neither a bundle (.json file), a corpus folder nor a git revision of ",
        ),
        ("README.md", "'README.md' is a file but not a bundle (a .json file)"),
        ("tests", "'tests' is a folder without corpus.yaml (nor a single bundle)"),
    ],
)
def test_a_bad_side_is_a_one_line_error(side: str, message: str, at_root: None, run_terms) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_terms("diff", side, NEW_ARG)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith(f"terms diff: {message}"), err


def test_a_folder_that_does_not_compile(tmp_path: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    shutil.copytree(NEW, tmp_path / "terms")
    (tmp_path / "terms" / "glossary.yaml").write_text("terms: [\n", encoding="utf-8")
    code, out, err = run_terms("diff", str(OLD), str(tmp_path / "terms"))
    assert (code, out) == (2, "")
    assert err.splitlines()[-1].startswith(f"terms diff: '{tmp_path / 'terms'}' does not compile (")
    assert "glossary.yaml" in err and "Traceback" not in err


# the library API, for the build and the site ---------------------------------------------------


def test_compare_editions_from_compiled_corpora() -> None:
    old, new = compile_corpus(OLD), compile_corpus(NEW)
    assert old.corpus is not None and new.corpus is not None
    changes = compare(
        edition_from_corpus(old.corpus, label="2026-01"), edition_from_corpus(new.corpus, label="2026-02")
    )
    summary = changes_summary(changes)
    assert json.loads(json.dumps(summary)) == summary
    assert {k: v for k, v in summary.items() if k != "behaviour"} == EXPECTED_SUMMARY
    assert summary["behaviour"] > 0
    page = render(changes, "markdown", language="uk")
    assert page.startswith("# What changed: 2026-01 → 2026-02\n")
    assert "- prose (uk): " in page and "- prose (en)" not in page
    assert "- `buying.renewal` (buying): Поновлення" in page


def test_the_same_input_gives_the_same_output() -> None:
    first = render(compare(read_edition(OLD), read_edition(NEW)), "json")
    second = render(compare(read_edition(OLD), read_edition(NEW)), "json")
    assert first == second


def test_dump_json_writes_short_values_on_one_line() -> None:
    value = {"a": [1, 2], "b": {"c": "x" * 120}, "d": []}
    text = dump_json(value)
    assert json.loads(text) == value
    assert text.splitlines() == [
        "{",
        '  "a": [1, 2],',
        '  "b": {',
        f'    "c": "{"x" * 120}"',
        "  },",
        '  "d": []',
        "}",
    ]


def test_edition_is_frozen() -> None:
    edition = read_edition(OLD)
    assert isinstance(edition, Edition)
    with pytest.raises(AttributeError):
        edition.label = "x"  # type: ignore[misc]


def test_a_text_fact_with_a_pattern_is_varied_with_a_text_it_matches(tmp_path: Path) -> None:
    """The probe varies a text fact with a value no rule names: for regional-availability's
    country ([A-Z]{2}) a country code, not "other", which both editions would refuse (and the
    change below would go unseen)."""
    shutil.copytree(ROOT / "terms", tmp_path / "terms")
    shutil.copytree(ROOT / "tests" / "conformance", tmp_path / "tests" / "conformance")
    section = tmp_path / "terms" / "sections" / "50-regional-availability.yaml"
    section.write_text(
        section.read_text(encoding="utf-8").replace(
            'when: country == "RU" and transaction == windows-update',
            'when: country not in ["BY", "KZ"] and transaction == windows-update',
        ),
        encoding="utf-8",
    )
    changes = compare(read_edition(ROOT / "terms"), read_edition(tmp_path / "terms"))
    [behaviour] = changes.behaviour
    # Every country but BY and KZ is now blocked: a country no rule names shows it ("other",
    # refused by both editions, showed nothing).
    countries = {case.facts["country"] for flip in behaviour.flips for case in flip.cases}
    assert "ZZ" in countries and "other" not in countries and behaviour.unmatched == ()
