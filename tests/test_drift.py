"""Drift guards: each kind of drift, made in a fixture copy, gives its exact diagnostic."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

SECTION = "sections/10-buying.yaml"


def edit(corpus: Path, old: str, new: str, name: str = SECTION) -> None:
    path = corpus / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def first_line(run_terms, *args: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    code, out, _ = run_terms("validate", "terms", *args)
    return code, out.splitlines()[0] if out else ""


def test_a_number_typed_in_english_prose_instead_of_its_parameter(mini: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    edit(mini, "within {{ window_days }} days\n", "within 90 days\n")
    code, out, _ = run_terms("validate", "terms")
    assert code == 1
    assert out.splitlines()[:3] == [
        f"terms/{SECTION}:24:71: error[E410]: '90' is typed by hand but is the value of parameter "
        "'window_days'; write {{ window_days }}",
        "            A [License](term:license) may get Software Assurance within 90 days",
        " " * 72 + "^^",
    ]  # excerpt lines are indented by two


def test_a_date_typed_in_a_translation_instead_of_its_parameter(mini: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    edit(mini, "З {{ closed_from }} клієнти", "З 2025-01-01 клієнти")
    code, line = first_line(run_terms)
    assert code == 1
    assert line.startswith(
        f"terms/{SECTION}:55:9: error[E400]: the uk translation of "
        "'buying.select-closed' lacks placeholder {{ closed_from }}"
    )
    _, out, _ = run_terms("validate", "terms")
    assert (
        f"terms/{SECTION}:56:13: error[E410]: '2025-01-01' is typed by hand but is the value "
        "of parameter 'closed_from'; write {{ closed_from }}"
    ) in out.splitlines()


def test_list_numbers_and_numbers_that_are_not_parameters_are_fine(mini: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    for old in ("          (see [the exception]", "          (див. [виняток]"):  # en, then uk
        edit(mini, old, "          1. item for Office 2019 and 91\n" + old)
    code, out, _ = run_terms("validate", "terms")
    assert "E410" not in out
    assert code == 0


def test_a_placeholder_dropped_from_the_translation(mini: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    edit(mini, "протягом {{ window_days }} днів", "протягом дев'яноста днів")
    assert first_line(run_terms) == (
        1,
        (
            f"terms/{SECTION}:28:9: error[E400]: the uk translation of 'buying.window' lacks "
            "placeholder {{ window_days }} (compared with the en source)"
        ),
    )


def test_a_glossary_link_and_a_cross_reference_missing_from_the_translation(mini: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    edit(mini, "[Ліцензія](term:license)", "Ліцензія")
    edit(mini, "(див. [виняток](clause:buying.select-closed))", "(див. виняток)")
    code, out, _ = run_terms("validate", "terms")
    assert code == 1
    assert out.splitlines() == [
        f"terms/{SECTION}:28:9: error[E401]: the uk translation of 'buying.window' lacks "
        "glossary term license (compared with the en source)",
        f"terms/{SECTION}:28:9: error[E402]: the uk translation of 'buying.window' lacks "
        "cross-reference buying.select-closed (compared with the en source)",
        f"terms/{SECTION}:28:9: error[E403]: the uk translation of 'buying.window' has 0 links, "
        "the en source has 2",
    ]


def test_a_translation_with_another_markdown_structure(mini: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    edit(mini, "          Цей розділ про придбання", "          Вступ.\n\n          Цей розділ про придбання")
    assert first_line(run_terms) == (
        1,
        (
            f"terms/{SECTION}:14:9: error[E403]: the uk translation of 'buying.intro' has 2 "
            "paragraphs, the en source has 1"
        ),
    )


def test_english_prose_changed_without_touching_the_translation_is_stale(mini: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    assert run_terms("translated", "uk", "--all")[0] == 0
    assert run_terms("validate", "terms")[:2] == (0, "")
    edit(mini, "This section is about buying", "This section is about how to buy")
    code, out, _ = run_terms("validate", "terms")
    assert code == 0  # a warning: the site marks it and `terms status --strict` fails on it
    assert out.splitlines() == [
        f"terms/{SECTION}:12:7: warning[W420]: the uk translation of 'buying.intro' is stale: "
        "its source text changed since it was translated",
        "  hint: bring it up to date, then run: terms translated uk buying.intro",
    ]
    code, out, _ = run_terms("status", "terms", "--format", "json", "--strict")
    assert code == 1
    assert json.loads(out)["languages"]["uk"]["stale"] == ["buying.intro"]


def test_recording_a_translation_changes_only_its_hash_line(mini: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    before = (mini / SECTION).read_text(encoding="utf-8").splitlines()
    code, out, _ = run_terms("translated", "uk", "buying.window")
    assert (code, out) == (0, "recorded 1 uk translation(s) as up to date: buying.window\n")
    after = (mini / SECTION).read_text(encoding="utf-8").splitlines()
    added = [line for line in after if line not in before]
    source = (
        "The window\n\nA [License](term:license) may get Software Assurance within "
        "{{ window_days }} days\n(see [the exception](clause:buying.select-closed)).\n"
    )
    assert added == [f"        translates: {hashlib.sha256(source.encode()).hexdigest()[:12]}"]
    assert [line for line in after if "translates" not in line] == before
    assert run_terms("translated", "uk", "buying.window")[1] == "recorded 0 uk translation(s) as up to date\n"


def test_status_counts_each_state_per_language(mini: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    run_terms("translated", "uk", "buying.window")
    code, out, _ = run_terms("status", "terms")
    assert code == 0
    assert out.splitlines()[:3] == [
        "language    up to date   stale  unrecorded  missing",
        "en (source)           3",
        "uk                   1       0           2        0",
    ]
    assert run_terms("status", "terms", "--strict")[0] == 1


def test_translated_refuses_an_unknown_language_or_clause(mini: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_terms("translated", "de", "buying.windo")
    assert code == 2
    assert err.splitlines() == [
        "error[E430]: 'de' is not a translated language of the corpus (uk)",
        "error[E430]: unknown clause 'buying.windo'",
    ]


def test_two_rules_that_can_both_apply_with_different_outcomes_are_a_conflict(mini: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    edit(mini, "      overrides: [buying.window]\n", "")
    code, out, _ = run_terms("validate", "terms")
    assert code == 1
    # (the example "Select after the closing" then fails too, with E360, further down)
    headline, hint = out.splitlines()[:2]
    assert headline == (
        f"terms/{SECTION}:57:5: error[E370]: rules 'buying.window' (allowed) and "
        "'buying.select-closed' (denied) of decision 'purchase' can both apply and neither "
        "overrides the other"
    )
    prefix = "  hint: add one to the other's overrides, or narrow a condition; both apply to "
    assert hint.startswith(prefix)
    facts_json, as_of = hint[len(prefix) :].split(" as of ")
    facts = json.loads(facts_json)
    # The fact set the solver found really makes both rules apply:
    days = (dt.date.fromisoformat(facts["order_date"]) - dt.date.fromisoformat(facts["license_date"])).days
    assert facts["program"] == "select" and 0 <= days <= 90  # buying.window's condition
    assert as_of == facts["order_date"] and as_of >= "2025-01-01"  # select-closed in effect


def test_an_override_of_a_rule_that_can_never_apply(mini: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    edit(
        mini,
        "      when: days(license_date, order_date) >= 0 and",
        "      when: renewal and not renewal and days(license_date, order_date) >= 0 and",
    )
    edit(
        mini,
        "- title: Day 90\n        facts: {order_date: 2024-05-30}\n        outcome: allowed",
        "- title: Day 90\n        facts: {order_date: 2024-05-30}\n        outcome: denied",
    )
    edit(
        mini,
        "      - title: Select before the closing\n        facts: {program: select, "
        "license_date: 2024-12-01, order_date: 2024-12-31}\n        outcome: allowed\n",
        "",
    )
    code, out, _ = run_terms("validate", "terms")
    assert (code, out.splitlines()) == (
        0,
        [
            f"terms/{SECTION}:61:7: warning[W371]: 'buying.select-closed' overrides 'buying.window', "
            "which can never apply"
        ],
    )


def test_dates_with_no_rule_in_effect_are_reported(mini: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    edit(
        mini,
        "    rule:\n      decision: purchase\n      when: days(",
        "    effective:\n      until: 2024-12-31\n    rule:\n      decision: purchase\n      when: days(",
    )
    edit(mini, "      closed_from: 2025-01-01", "      closed_from: 2025-02-01")
    code, out, _ = run_terms("validate", "terms")
    assert (code, out.splitlines()) == (
        0,
        [
            "terms/decisions.yaml:7:3: warning[W372]: no rule of decision 'purchase' is in effect "
            "from 2025-01-01 to 2025-01-31; it answers 'denied' then"
        ],
    )


def test_the_conflict_search_skips_only_pairs_kept_apart_by_a_pinned_fact() -> None:
    import itertools
    import random

    from terms_compiler.verify.conflicts import _candidate_pairs, _may_overlap

    chance = random.Random(7)
    for _ in range(200):
        rules, pinned = [], {}
        for index in range(chance.randint(0, 12)):
            rules.append({"clause": f"c{index}"})
            pinned[f"c{index}"] = {
                fact: frozenset(chance.sample(range(4), chance.randint(1, 2)))
                for fact in ("product", "program")
                if chance.random() < 0.7
            }
        candidates = [(a["clause"], b["clause"]) for a, b in _candidate_pairs(rules, pinned)]
        in_order = [(a["clause"], b["clause"]) for a, b in itertools.combinations(rules, 2)]
        assert candidates == [pair for pair in in_order if pair in set(candidates)]  # order kept
        assert {pair for pair in in_order if _may_overlap(pinned[pair[0]], pinned[pair[1]])} <= set(
            candidates
        )


def test_translated_takes_the_corpus_folder_first_as_the_other_commands_do(
    mini: Path,
    run_terms,  # type: ignore[no-untyped-def]
) -> None:
    moved = Path("corpus")
    mini.rename(moved)
    code, out, err = run_terms("translated", "corpus", "uk", "buying.window")
    assert (code, out, err) == (0, "recorded 1 uk translation(s) as up to date: buying.window\n", "")
    code, out, err = run_terms("translated", "uk", "--all", "--path", "corpus")  # deprecated, still works
    assert (code, out) == (
        0,
        "recorded 2 uk translation(s) as up to date: buying.intro, buying.select-closed\n",
    )
    assert err == (
        "terms translated: --path is deprecated; give the corpus folder first, as the other commands "
        "take it: terms translated PATH LANGUAGE [CLAUSE ...]\n"
    )
    code, _, err = run_terms("translated", "uk", "buying.window")  # no ./terms: the default folder
    assert (code, err.splitlines()[0]) == (1, "error[E100]: corpus folder 'terms' does not exist")
