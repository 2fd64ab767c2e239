"""The build cache (build/.cache/ and reused sites): a rebuild gives exactly what a build from
scratch gives, whatever the cache holds."""

from __future__ import annotations

import gzip
import io
import marshal
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from terms_compiler.build import CACHE_FOLDER, BuildResult, build
from terms_compiler.cache import HEADER, fingerprint, write_entry
from terms_compiler.emit.site import BUILT_BY

CONFORMANCE = Path("no-conformance")  # the mini corpus has none; keep the builds small


def build_into(corpus: Path, out: Path, use_cache: bool = True) -> BuildResult:
    result = build(corpus, out, conformance=CONFORMANCE, use_cache=use_cache)
    assert result.bundle is not None, result.diagnostics
    return result


def outputs(out: Path) -> dict[str, bytes]:
    """Every published output file (bundle, MkDocs sources, site) by relative path, with the
    sitemap unzipped (gzip stamps the time of writing)."""
    files = {}
    for part in ("bundle", "docs", "site"):
        for path in sorted((out / part).rglob("*")):
            name = str(path.relative_to(out))
            if path.is_file():
                data = path.read_bytes()
                files[name] = gzip.decompress(data) if name.endswith(".gz") else data
    return files


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first occurrence of old."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


SECTION = Path("terms/sections/10-buying.yaml")


def memo_values(path: Path) -> list[Any]:
    """The values in a memo file: the compiler's fingerprint, then (key, value) entries, each
    marshalled and preceded by its length in 8 bytes, a check of the length (8 bytes) and its
    SHA-256."""
    data, values, at = path.read_bytes(), [], 0
    while at < len(data):
        size = int.from_bytes(data[at : at + 8], "little")
        values.append(marshal.loads(data[at + HEADER : at + HEADER + size]))
        at += HEADER + size
    return values


def memo_bytes(*values: Any) -> bytes:
    """A memo file holding values, each entry with a valid digest (as the compiler writes it)."""
    stream = io.BytesIO()
    for value in values:
        write_entry(stream, marshal.dumps(value))
    return stream.getvalue()


def published_folder(out: Path, part: str) -> Path:
    """The published build's real folder (out/bundle, out/docs and out/site are links)."""
    return (out / part).resolve()


def forget_last_build(out: Path) -> None:
    """Remove the record that lets a build with unchanged inputs keep the last output."""
    (out / CACHE_FOLDER / "last-build.marshal").unlink()


def test_a_rebuild_after_edits_gives_the_same_files_as_a_build_from_scratch(mini: Path) -> None:
    cached, fresh = Path("cached"), Path("fresh")
    build_into(mini, cached)
    edit(SECTION, "This section is about buying", "This section covers buying")
    edit(SECTION, "Строк", "Строк придбання")
    edit(Path("terms/glossary.yaml"), "Software Assurance", "Software  Assurance")
    rebuilt = build_into(mini, cached)
    build_into(mini, fresh, use_cache=False)
    assert outputs(cached) == outputs(fresh)
    assert "This section covers buying" in (cached / "site/en/2026-01/buying/index.html").read_text("utf-8")
    # Both languages changed, and each reused its unchanged pages: all but en's section and
    # glossary, and uk's section, decision and status pages (its section became stale).
    assert rebuilt.reused.endswith("pages 9/14, sites -"), rebuilt.reused


def test_an_english_edit_renders_only_the_pages_it_changes_and_the_site_is_that_of_a_fresh_build(
    mini: Path,
) -> None:
    """The pages that did not change keep the last build's HTML (MkDocs' dirty build), yet every
    file, the search indexes included, is the one a build from scratch writes."""
    out = Path("out")
    build_into(mini, out)
    glossary = out / "site/en/2026-01/glossary/index.html"
    written = glossary.stat().st_mtime_ns
    edit(SECTION, "This section is about buying", "This section covers buying")
    rebuilt = build_into(mini, out)
    # en's section page changed (uk's text records no English it translates: nothing to mark).
    assert rebuilt.reused.endswith("pages 6/7, sites uk"), rebuilt.reused
    assert glossary.stat().st_mtime_ns == written  # kept, not rendered again
    build_into(mini, Path("fresh"), use_cache=False)
    files = outputs(out)
    assert {"site/en/2026-01/search/search_index.json", "site/uk/2026-01/search/search_index.json"} <= set(
        files
    )
    assert files == outputs(Path("fresh"))


def test_only_the_languages_whose_pages_changed_are_built_again(mini: Path) -> None:
    out = Path("out")
    first = build_into(mini, out)
    assert first.reused.endswith("pages 0/14, sites -")
    edit(SECTION, "Цей розділ про придбання", "Цей розділ стосується придбання")
    second = build_into(mini, out)
    # The files the cache gave back (the drift checks of the edited file's clauses ran again),
    # en's section page linked from the last build, then the uk site built again from 6 of its
    # 7 pages (the one that changed rendered anew) and the en site reused whole.
    assert (
        second.reused == "documents 3/4, valid 3/4, drift-checked 0/3, decisions-checked "
        "1/1, rendered 5/6, section-pages 1/2, pages 6/7, sites en"
    ), second.reused
    build_into(mini, Path("fresh"), use_cache=False)
    assert outputs(out) == outputs(Path("fresh"))


def test_a_section_page_is_written_again_when_only_other_files_change_what_it_shows(mini: Path) -> None:
    """A section page shows outcome labels and enum values (decisions.yaml) and the glossary's
    definitions as link titles: changing those in English alone changes the English page."""
    out = Path("out")
    build_into(mini, out)
    edit(Path("terms/decisions.yaml"), "allowed: {en: allowed,", "allowed: {en: permitted,")
    edit(Path("terms/decisions.yaml"), "select: {en: Select,", "select: {en: Select plan,")
    edit(Path("terms/glossary.yaml"), "A maintenance offering.", "A maintenance plan.")
    rebuilt = build_into(mini, out)
    assert "section-pages 1/2," in rebuilt.reused, rebuilt.reused  # uk's, unchanged
    page = (out / "docs/en/docs/buying.md").read_text("utf-8")
    assert "permitted" in page and "Select plan" in page and "A maintenance plan." in page
    build_into(mini, Path("fresh"), use_cache=False)
    assert outputs(out) == outputs(Path("fresh"))


def test_a_section_page_edited_since_the_last_build_is_written_again(mini: Path) -> None:
    out = Path("out")
    build_into(mini, out)
    page = out / "docs/en/docs/buying.md"
    page.write_text(page.read_text("utf-8") + "<!-- planted -->", encoding="utf-8")
    edit(Path("terms/glossary.yaml"), "Право використовувати продукт.", "Право користування.")
    rebuilt = build_into(mini, out)
    assert "section-pages 0/2," in rebuilt.reused, rebuilt.reused  # uk's shows the definition
    assert "planted" not in page.read_text("utf-8")
    build_into(mini, Path("fresh"), use_cache=False)
    assert outputs(out) == outputs(Path("fresh"))


def test_a_site_built_by_another_compiler_is_not_reused(mini: Path) -> None:
    out = Path("out")
    build_into(mini, out)
    edit(SECTION, "Цей розділ про придбання", "Цей розділ стосується придбання")  # uk only
    (out / "docs" / "en" / BUILT_BY).write_text("another compiler\n", encoding="utf-8")
    # Nothing of en is reused (uk reuses its 6 unchanged pages).
    assert build_into(mini, out).reused.endswith("pages 6/14, sites -")
    # Control: with the stamp intact, the unchanged en site is reused.
    edit(SECTION, "стосується", "є")
    assert build_into(mini, out).reused.endswith("sites en")


def test_a_site_edited_since_the_last_build_is_built_again(mini: Path) -> None:
    out = Path("out")
    build_into(mini, out)
    edit(SECTION, "Цей розділ про придбання", "Цей розділ стосується придбання")  # uk only
    page = out / "site/en/2026-01/buying/index.html"
    page.write_text(page.read_text("utf-8") + "<!-- planted -->", encoding="utf-8")
    assert build_into(mini, out).reused.endswith("pages 6/14, sites -")  # 0 of en's pages
    assert "planted" not in page.read_text("utf-8")
    build_into(mini, Path("fresh"), use_cache=False)
    assert outputs(out) == outputs(Path("fresh"))


def test_cache_entries_are_used_only_under_the_fingerprint_of_this_compiler(mini: Path) -> None:
    out = Path("out")
    build_into(mini, out)
    memo = out / CACHE_FOLDER / "rendered.marshal"
    stamp, *entries = memo_values(memo)
    assert stamp == fingerprint() and len(entries) == 6
    poisoned = [(key, ("<p>POISON</p>\n", "POISON")) for key, _ in entries]
    shutil.rmtree(published_folder(out, "site"))  # so the sites are built again from the bundle's HTML

    # Control: under this compiler's fingerprint the entries are trusted (so the test can fail).
    memo.write_bytes(memo_bytes(stamp, *poisoned))
    build_into(mini, out)
    assert "POISON" in (out / "bundle/mini-terms.json").read_text("utf-8")

    # Under any other fingerprint (another version of the code, templates or libraries) they
    # are ignored and the text is rendered again.
    memo.write_bytes(memo_bytes("0" * 64, *poisoned))
    forget_last_build(out)  # which the new compiler would not find either
    build_into(mini, out)
    assert "POISON" not in (out / "bundle/mini-terms.json").read_text("utf-8")
    assert "POISON" not in (out / "site/en/2026-01/buying/index.html").read_text("utf-8")


def test_a_damaged_cache_is_ignored(mini: Path) -> None:
    out = Path("out")
    build_into(mini, out)
    expected = outputs(out)
    for memo in (out / CACHE_FOLDER).iterdir():
        memo.write_bytes(b"\x00 not a cache" + memo.read_bytes()[:40])
    shutil.rmtree(published_folder(out, "site"))
    result = build_into(mini, out)
    assert (
        result.reused == "documents 0/4, valid 0/4, drift-checked 0/3, decisions-checked "
        "0/1, rendered 0/6, section-pages 0/2, pages 0/14, sites -"
    ), result.reused
    assert outputs(out) == expected


def test_a_file_with_errors_is_checked_again_not_taken_from_the_cache(mini: Path) -> None:
    out = Path("out")
    build_into(mini, out)
    edit(SECTION, "    parameters:\n", "    colour: red\n    parameters:\n")
    failed = build(mini, out, conformance=CONFORMANCE)
    assert failed.bundle is None
    assert [(d.code, d.span.line if d.span else 0) for d in failed.diagnostics] == [("E201", 18)], (
        failed.diagnostics
    )
    edit(SECTION, "    colour: red\n", "")
    forget_last_build(out)  # else the output of the first build is kept, the stages not run
    assert build_into(mini, out).reused.startswith("documents 4/4, valid 4/4")


def test_files_without_problems_are_read_once(mini: Path) -> None:
    """Positions are found again only for a file with a problem to report (see load.Document)."""
    from terms_compiler.pipeline import compile_corpus

    result = compile_corpus(mini)
    assert result.ok and result.corpus is not None and not result.diagnostics
    documents = {c.origin.document.path: c.origin.document for c in result.corpus.all_clauses()}
    assert documents and all(not doc._placement for doc in documents.values())
    edit(SECTION, "within {{ window_days }} days", "within 90 days")  # E410, hand-typed number
    problem = compile_corpus(mini)
    assert sorted(d.code for d in problem.diagnostics) == ["E400", "E410"]  # uk keeps it


def test_a_memo_saves_and_reads_back_its_entries(tmp_path: Path) -> None:
    from terms_compiler.cache import Memo

    memo = Memo(tmp_path, "rendered")
    entries = {f"key-{n}": (f"<p>{n}</p>\n", str(n)) for n in range(2500)}
    for key, value in entries.items():
        memo.put(key, value)
    memo.save()
    again = Memo(tmp_path, "rendered")
    assert {key: again.get(key) for key in entries} == entries and again.hits == 2500
    assert again.get("key-2500") is None and again.misses == 1
    path = tmp_path / "rendered.marshal"
    path.write_bytes(path.read_bytes()[:-3])  # a file cut short loses its last entry
    cut = Memo(tmp_path, "rendered")
    assert len(cut.previous) == 2499 and "key-2499" not in cut.previous and cut.damaged == 1


def test_build_reports_what_it_reused_and_no_cache_reuses_nothing(mini: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    args = ("build", "terms", "--out", "out", "--conformance", str(CONFORMANCE), "-v")
    assert run_terms(*args)[0] == 0
    code, _, err = run_terms(*args)
    assert (
        code == 0
        and "kept out/bundle/mini-terms.json and out/site/ (nothing changed since the last build)" in err
    ), err
    forget_last_build(Path("out"))
    code, _, err = run_terms(*args)
    assert (
        code == 0
        and "reused from out/.cache: documents 4/4, valid 4/4, drift-checked 3/3, "
        "decisions-checked 1/1, rendered 6/6, section-pages 0/2, pages 0/14, sites -"
        in err
    ), err  # without the record, a site cannot be known to be untouched
    page = Path("out/site/en/2026-01/buying/index.html")
    page.write_text(page.read_text("utf-8") + "<!-- planted -->", encoding="utf-8")
    code, _, err = run_terms(*args, "--no-cache")
    assert code == 0 and "reused" not in err
    assert "planted" not in page.read_text("utf-8")  # the site was built again


def test_a_file_changed_during_the_build_is_not_used_to_place_its_problems(mini: Path) -> None:
    from terms_compiler.load import load_file

    document = load_file(SECTION, "section")
    assert document.span(("clauses", 1, "parameters")).line == 18  # read again, as loaded
    changed = load_file(SECTION, "section")
    SECTION.write_text("\n\n\n" + SECTION.read_text("utf-8"), encoding="utf-8")
    # Positions from the new text would be three lines off: the first line is honest.
    assert (changed.span(("clauses", 1, "parameters")).line, changed.lines) == (1, ())


# A build whose inputs did not change keeps the last output -----------------------------------

CASES = Path("cases")
PURCHASE_CASE = (
    "decision: purchase\ncases:\n  - name: day 75\n"
    "    facts: {program: open, license_date: 2024-03-01, order_date: 2024-05-15}\n"
    "    outcome: allowed\n    deciding: [buying.window]\n"
)


def test_a_build_with_no_input_changed_keeps_the_output_and_reports_the_same_warnings(mini: Path) -> None:
    # An unresolvable previous edition is a warning (W500), which must be reported every time.
    edit(mini / "corpus.yaml", "edition: ", "previous_edition: no-such-revision\nedition: ")
    out = Path("out")
    first = build_into(mini, out)
    assert [d.code for d in first.diagnostics] == ["W500"] and not first.unchanged
    written = {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()}
    second = build_into(mini, out)
    assert second.unchanged and second.diagnostics == first.diagnostics
    assert second.bundle == first.bundle
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()} == written


def plant(out: Path) -> None:
    page = out / "site/en/2026-01/buying/index.html"
    page.write_text(page.read_text("utf-8") + "<!-- planted -->", encoding="utf-8")


CHANGES = {
    "a corpus file": lambda out: edit(SECTION, "id: buying\n", "id: buying  # a comment\n"),
    "a new section file": lambda out: (SECTION.parent / "20-more.yaml").write_text(
        "id: more\ntitle: {en: More, uk: Більше}\nclauses:\n  - id: more.note\n    text:\n"
        "      en: {title: Note, body: A note.}\n      uk: {title: Примітка, body: Примітка.}\n",
        encoding="utf-8",
    ),
    "a conformance case": lambda out: (CASES / "purchase.yaml").write_text(
        PURCHASE_CASE.replace("day 75", "day 75 again"), encoding="utf-8"
    ),
    "a page of the site edited": plant,
    "a page of the site deleted": lambda out: (out / "site/en/2026-01/buying/index.html").unlink(),
    "a file added to the docs": lambda out: (out / "docs/en/docs/extra.md").write_text("# Extra\n"),
    "the bundle rewritten with the same bytes": lambda out: (out / "bundle/mini-terms.json").write_bytes(
        (out / "bundle/mini-terms.json").read_bytes()
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_to_an_input_or_an_output_builds_again(mini: Path, change: str) -> None:
    CASES.mkdir()
    (CASES / "purchase.yaml").write_text(PURCHASE_CASE, encoding="utf-8")
    out = Path("out")
    build(mini, out, conformance=CASES)
    assert build(mini, out, conformance=CASES).unchanged  # control: the test can fail
    CHANGES[change](out)
    rebuilt = build(mini, out, conformance=CASES)
    assert rebuilt.bundle is not None and not rebuilt.unchanged
    build(mini, Path("fresh"), conformance=CASES, use_cache=False)
    assert outputs(out) == outputs(Path("fresh"))


def test_the_site_option_and_another_compiler_build_again(mini: Path) -> None:
    out = Path("out")
    build_into(mini, out)
    assert not build(mini, out, with_site=False, conformance=CONFORMANCE).unchanged
    build_into(mini, out)
    assert build_into(mini, out).unchanged  # control
    record = out / CACHE_FOLDER / "last-build.marshal"
    [(stamp, kept)] = memo_values(record)
    assert stamp == fingerprint()
    record.write_bytes(memo_bytes(("0" * 64, kept)))  # as another compiler would find it
    assert not build_into(mini, out).unchanged


def test_a_previous_edition_named_by_a_revision_is_followed(mini: Path) -> None:
    from tests.test_diff import git

    git(Path("."), "init", "-q")
    git(Path("."), "add", "terms")
    git(Path("."), "commit", "-q", "-m", "first edition")
    git(Path("."), "tag", "previous")
    edit(mini / "corpus.yaml", "edition: ", "previous_edition: previous\nedition: ")
    git(Path("."), "commit", "-q", "-am", "second edition")
    out = Path("out")
    build_into(mini, out)
    assert build_into(mini, out).unchanged  # control
    # The tag moves to another commit (the corpus and HEAD stay as they are): the list of
    # changes may differ, so the site is built again.
    main = git(Path("."), "rev-parse", "--abbrev-ref", "HEAD")
    changes = out / "site/en/2026-01/changes/index.html"
    before = changes.read_text("utf-8")
    git(Path("."), "checkout", "-q", "-b", "other", "HEAD~1")
    edit(SECTION, "This section is about buying", "This section covers buying")
    git(Path("."), "commit", "-q", "-am", "another first edition")
    git(Path("."), "tag", "-f", "previous")
    git(Path("."), "checkout", "-q", main)
    assert not build_into(mini, out).unchanged
    assert "buying.intro" in changes.read_text("utf-8") and "buying.intro" not in before


def test_a_previous_edition_named_by_a_path_is_never_kept(mini: Path) -> None:
    shutil.copytree(mini, "old")
    edit(mini / "corpus.yaml", "edition: ", "previous_edition: old\nedition: ")
    out = Path("out")
    build_into(mini, out)
    again = build_into(mini, out)
    assert not again.unchanged
    assert again.reused.endswith("sites en uk")  # the record still serves to reuse the sites
    changes = out / "site/en/2026-01/changes/index.html"
    assert "buying.intro" not in changes.read_text("utf-8")
    # A change to the old edition, whose files are not among the build's inputs:
    edit(Path("old/sections/10-buying.yaml"), "This section is about", "This section covers")
    assert not build_into(mini, out).unchanged
    assert "buying.intro" in changes.read_text("utf-8")


def test_a_changed_navigation_builds_every_page_of_that_language_again(mini: Path) -> None:
    out = Path("out")
    build_into(mini, out)
    edit(SECTION, "en: Buying", "en: Ordering")  # a section title: the navigation of en
    rebuilt = build_into(mini, out)
    assert rebuilt.reused.endswith("pages 0/7, sites uk"), rebuilt.reused
    assert "Ordering" in (out / "site/en/2026-01/glossary/index.html").read_text("utf-8")
    build_into(mini, Path("fresh"), use_cache=False)
    assert outputs(out) == outputs(Path("fresh"))


def test_sources_edited_since_the_last_build_are_not_trusted(mini: Path) -> None:
    """Pages are compared with the last build's MkDocs sources; had somebody made those
    sources what the next build writes, the old site would pass for an up-to-date one."""
    out, fresh = Path("out"), Path("fresh")
    build_into(mini, out)
    edit(SECTION, "Цей розділ про придбання", "Цей розділ стосується придбання")
    build_into(mini, fresh, use_cache=False)
    page = "docs/uk/docs/buying.md"
    shutil.copy(fresh / page, out / page)
    rebuilt = build_into(mini, out)
    assert rebuilt.reused.endswith("pages 0/7, sites en"), rebuilt.reused
    assert outputs(out) == outputs(fresh)


def test_a_clause_found_free_of_drift_is_checked_again_when_a_parameter_changes(mini: Path) -> None:
    """The drift checks read a clause's parameters as well as its texts: a typed date that
    becomes a parameter's value must be reported, though no text changed."""
    out = Path("out")
    edit(SECTION, "From {{ closed_from }}, Select", "From {{ closed_from }} to 2025-06-01, Select")
    assert build_into(mini, out).reused.startswith("documents 0/4, valid 0/4, drift-checked 0/3")
    edit(SECTION, "closed_from: 2025-01-01", "closed_from: 2025-06-01")
    failed = build(mini, out, conformance=CONFORMANCE)
    assert failed.bundle is None
    assert [
        (d.code, d.span.line if d.span else 0, d.span.column if d.span else 0)
        for d in failed.diagnostics
        if d.code == "E410"
    ] == [("E410", 52, 37)], failed.diagnostics


def test_drift_warnings_kept_from_the_last_build_are_where_a_fresh_build_places_them(mini: Path) -> None:
    """A stale translation's warning is kept with its position while its file is unchanged,
    and placed again once the file changes (here, lines above it are added)."""
    out = Path("out")
    edit(SECTION, "        title: Вступ\n", "        title: Вступ\n        translates: 0123456789ab\n")
    first = build_into(mini, out)
    stale = [d.render() for d in first.diagnostics if d.code == "W420"]
    assert stale and "10-buying.yaml:12:7:" in stale[0], stale

    edit(Path("terms/glossary.yaml"), "Software Assurance", "Software  Assurance")
    kept = build_into(mini, out)
    assert "drift-checked 3/3" in kept.reused, kept.reused
    assert [d.render() for d in kept.diagnostics if d.code == "W420"] == stale

    edit(SECTION, "id: buying\n", "# Two lines added\n# above every clause\nid: buying\n")
    placed = build_into(mini, out)
    assert "drift-checked 0/3" in placed.reused, placed.reused
    moved = [d.render() for d in placed.diagnostics if d.code == "W420"]
    assert moved and "10-buying.yaml:14:7:" in moved[0], moved
    fresh = build_into(mini, Path("fresh"), use_cache=False)
    assert moved == [d.render() for d in fresh.diagnostics if d.code == "W420"]


def test_a_decision_found_free_of_problems_is_checked_again_when_its_example_base_changes(mini: Path) -> None:
    """The examples start from the decision's example_base, which is not part of the decision
    as tools get it (decision_json): a change there must still run the examples again."""
    out = Path("out")
    assert "decisions-checked 0/1" in build_into(mini, out).reused
    edit(
        Path("terms/decisions.yaml"),
        "license_date: 2024-03-01, order_date",
        "license_date: 2024-03-02, order_date",
    )
    failed = build(mini, out, conformance=CONFORMANCE)
    fresh = build(mini, Path("fresh"), conformance=CONFORMANCE, use_cache=False)
    assert failed.bundle is None
    assert [d.render() for d in failed.diagnostics] == [d.render() for d in fresh.diagnostics]
    assert [d.code for d in failed.diagnostics] == ["E360"], failed.diagnostics


def test_a_decision_found_free_of_problems_is_checked_again_when_a_rule_changes(mini: Path) -> None:
    out = Path("out")
    build_into(mini, out)
    edit(SECTION, "window_days: 90", "window_days: 89")  # "Day 90" is no longer allowed
    failed = build(mini, out, conformance=CONFORMANCE)
    assert failed.bundle is None
    assert [(d.code, d.span.line if d.span else 0) for d in failed.diagnostics] == [("E360", 36)], (
        failed.diagnostics
    )


def test_a_bundle_only_build_removes_the_site_of_an_earlier_build(mini: Path) -> None:
    """A site beside a newer bundle would show other rules and texts than tools read."""
    out = Path("out")
    build_into(mini, out)
    assert (out / "site/en/2026-01/buying/index.html").is_file()  # control
    edit(SECTION, "This section is about buying", "This section covers buying")
    assert build(mini, out, with_site=False, conformance=CONFORMANCE).bundle is not None
    assert "This section covers buying" in (out / "bundle/mini-terms.json").read_text("utf-8")
    assert not (out / "site").exists() and not (out / "docs").exists()
    build_into(mini, out)
    build_into(mini, Path("fresh"), use_cache=False)
    assert outputs(out) == outputs(Path("fresh"))


def test_a_build_puts_the_garbage_collector_s_thresholds_back(mini: Path) -> None:
    """A build collects garbage less often while it runs (see pipeline._fewer_collections);
    a long-running process such as `terms serve` gets its own settings back."""
    import gc

    before = gc.get_threshold()
    build_into(mini, Path("out"))
    assert gc.get_threshold() == before != (100_000, 50, 100)


CACHE_FILES = (
    "documents",
    "valid",
    "drift-checked",
    "decisions-checked",
    "rendered",
    "section-pages",
    "last-build",
)
FLIPS = 8  # per cache file, at positions drawn from a fixed seed


@pytest.mark.parametrize("kind", CACHE_FILES)
def test_a_cache_file_with_a_flipped_byte_gives_the_output_of_a_build_without_cache(
    mini: Path, kind: str
) -> None:
    """Whatever byte of a cache file is changed, the next build writes what a build without
    the cache writes, with the same diagnostics: a damaged entry is discarded, never used."""
    base = Path("base")
    build_into(mini, base)
    edit(Path("terms/glossary.yaml"), "Software Assurance", "Software  Assurance")  # not the section
    fresh = build(mini, Path("fresh"), conformance=CONFORMANCE, use_cache=False)
    expected = outputs(Path("fresh"))
    data = (base / CACHE_FOLDER / f"{kind}.marshal").read_bytes()
    positions = random.Random(f"{kind}-14").sample(range(len(data)), min(FLIPS, len(data)))
    for position in positions:
        out = Path(f"out-{position}")
        shutil.copytree(base, out, symlinks=True)
        flipped = bytearray(data)
        flipped[position] ^= 0x20  # as 'Products' -> 'ProducTs', or a length grown by 32
        (out / CACHE_FOLDER / f"{kind}.marshal").write_bytes(flipped)
        result = build(mini, out, conformance=CONFORMANCE)
        assert (result.bundle is None, result.diagnostics) == (fresh.bundle is None, fresh.diagnostics)
        assert outputs(out) == expected, position
        shutil.rmtree(out)
