"""Bad input: every diagnostic code, at the right file, line and column, with no traceback.

Each test makes the smallest edit of a copy of the mini corpus (tests/fixtures/mini) that
causes one problem, runs `terms validate terms` in-process and compares the whole output.
Positions are literal, and `expect` also checks that the text at that position is the token
the diagnostic is about, so a wrong position fails even if someone copies it from the output.

Tests marked xfail(strict=True) describe the correct behaviour of a bug found in compiler/;
each reason says what happens instead. docs/diagnostics.md lists the codes.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "fixtures" / "bad"
SECTION = "sections/10-buying.yaml"

RunTerms = Callable[..., tuple[int, str, str]]
"""The run_terms fixture of conftest.py: CLI arguments -> (exit code, stdout, stderr)."""


# Helpers -------------------------------------------------------------------------------------


def edit(corpus: Path, name: str, old: str, new: str) -> None:
    """Replace `old`, which must occur exactly once, by `new` in corpus file `name`."""
    path = corpus / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def write(corpus: Path, name: str, text: str) -> None:
    (corpus / name).write_text(text, encoding="utf-8")


def source_line(corpus: Path, name: str, line: int) -> str:
    return (corpus / name).read_text(encoding="utf-8").splitlines()[line - 1]


def caret(corpus: Path, name: str, line: int, column: int, width: int = 1) -> list[str]:
    """The excerpt lines the CLI prints under a headline: the source line and a caret."""
    return ["  " + source_line(corpus, name, line), "  " + " " * (column - 1) + "^" * width]


def summary(errors: int) -> str:
    return f"{errors} error{'s' * (errors != 1)}, 0 warnings\n"


def expect(
    run_terms: RunTerms,
    corpus: Path,
    name: str,
    line: int,
    column: int,
    token: str | None,
    code: str,
    message: str,
    *more: str,
    errors: int = 1,
) -> None:
    """Validate; the output must be exactly the headline followed by `more` lines.

    `token` is the text the diagnostic is about: it must start at (line, column) in the file.
    """
    if token is not None:
        found = source_line(corpus, name, line)[column - 1 :]
        assert found.startswith(token), f"{name}:{line}:{column} is at {found!r}, not {token!r}"
    status, out, err = run_terms("validate", "terms")
    assert out.splitlines() == [f"terms/{name}:{line}:{column}: error[{code}]: {message}", *more]
    assert err == summary(errors)
    assert status == 1


def headlines(out: str) -> list[str]:
    return [line for line in out.splitlines() if not line.startswith(" ")]


# Load (E100-E109) ----------------------------------------------------------------------------


def test_e100_missing_corpus_folder(mini: Path, run_terms: RunTerms) -> None:
    status, out, err = run_terms("validate", "missing")
    assert out.splitlines() == [
        "error[E100]: corpus folder 'missing' does not exist",
        "  hint: pass the folder holding corpus.yaml",
    ]
    assert err == summary(1)
    assert status == 1


def test_e100_missing_corpus_folder_json(mini: Path, run_terms: RunTerms) -> None:
    status, out, _ = run_terms("validate", "missing", "--format", "json")
    assert json.loads(out) == [
        {
            "code": "E100",
            "severity": "error",
            "message": "corpus folder 'missing' does not exist",
            "file": None,
            "line": None,
            "column": None,
            "json_path": "",
            "hint": "pass the folder holding corpus.yaml",
        }
    ]
    assert status == 1


def test_e100_corpus_path_is_a_file(mini: Path, run_terms: RunTerms) -> None:
    status, out, _ = run_terms("validate", "terms/corpus.yaml")
    assert out.startswith("error[E100]: ")
    assert "does not exist" not in out
    assert status == 1


def test_e101_yaml_syntax_error(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "  en: Buying\n", "  en: Buying: at last\n")
    expect(
        run_terms,
        mini,
        SECTION,
        3,
        13,
        ": at last",
        "E101",
        "YAML syntax error: mapping values are not allowed here",
        *caret(mini, SECTION, 3, 13),
    )


def test_e101_unclosed_flow_list(mini: Path, run_terms: RunTerms) -> None:
    # PyYAML notices the missing ']' at the next ':' (line 4), where the flow list cannot go on.
    edit(mini, SECTION, "  en: Buying\n", "  en: [Buying\n")
    expect(
        run_terms,
        mini,
        SECTION,
        4,
        5,
        ": Придбання",
        "E101",
        "YAML syntax error: expected ',' or ']', but got ':' while parsing a flow sequence",
        *caret(mini, SECTION, 4, 5),
    )


def test_e101_undefined_alias(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "  en: Buying\n", "  en: *nowhere\n")
    expect(
        run_terms,
        mini,
        SECTION,
        3,
        7,
        "*nowhere",
        "E101",
        "YAML syntax error: found undefined alias 'nowhere'",
        *caret(mini, SECTION, 3, 7),
    )


def test_e101_complex_mapping_key(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "  en: Buying\n", "  en: Buying\n  ? [a, b]\n  : c\n")
    expect(
        run_terms,
        mini,
        SECTION,
        4,
        5,
        "[a, b]",
        "E101",
        "YAML syntax error: a mapping key must be a plain value",
    )


def test_e101_second_document_message_reads_in_order(mini: Path, run_terms: RunTerms) -> None:
    (mini / SECTION).write_text(
        (mini / SECTION).read_text(encoding="utf-8") + "---\nid: more\n", encoding="utf-8"
    )
    expect(
        run_terms,
        mini,
        SECTION,
        69,
        1,
        "---",
        "E101",
        "YAML syntax error: expected a single document in the stream but found another document",
        *caret(mini, SECTION, 69, 1),
    )


def test_e101_unclosed_quote_points_at_the_quote(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "  en: Buying\n", '  en: "Buying\n')
    status, out, _ = run_terms("validate", "terms")
    assert out.splitlines()[0] == (
        f"terms/{SECTION}:3:7: error[E101]: YAML syntax error: found "
        "unexpected end of stream while scanning a quoted scalar"
    )
    assert status == 1


def test_e102_tab_indentation(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "  en: Buying\n", "\ten: Buying\n")
    expect(
        run_terms,
        mini,
        SECTION,
        3,
        1,
        "\ten",
        "E102",
        "a tab character is used for indentation",
        *caret(mini, SECTION, 3, 1),
        "  hint: YAML indents with spaces only",
    )


def test_e102_a_tab_before_a_comment_is_valid_yaml(mini: Path, run_terms: RunTerms) -> None:
    # YAML allows tabs as separation inside a line; only indentation must be spaces.
    edit(mini, SECTION, "      window_days: 90\n", "      window_days: 90\t# days\n")
    assert run_terms("validate", "terms")[:2] == (0, "")


def test_e103_duplicate_key(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "  uk: Придбання\n", "  uk: Придбання\n  en: Buying again\n")
    expect(
        run_terms,
        mini,
        SECTION,
        5,
        3,
        "en: Buying again",
        "E103",
        "duplicate key 'en' (first defined at line 3)",
        "  hint: each key may appear once in a mapping",
    )


def test_e104_not_utf8(mini: Path, run_terms: RunTerms) -> None:
    # The column counts characters, not bytes: Придбання is 9 characters, 18 bytes.
    path = mini / SECTION
    path.write_bytes(path.read_bytes().replace("Придбання\n".encode(), "Придбання".encode() + b"\xff\n"))
    status, out, err = run_terms("validate", "terms")
    assert out.splitlines() == [
        f"terms/{SECTION}:4:16: error[E104]: the file is not valid UTF-8 (byte 0xff)",
        "  hint: save the file as UTF-8",
    ]
    assert err == summary(1)
    assert status == 1


def test_e104_latin1_file(mini: Path, run_terms: RunTerms) -> None:
    path = mini / SECTION
    path.write_bytes(path.read_bytes().replace(b"  en: Buying\n", "  en: Buyé\n".encode("latin-1")))
    status, out, _ = run_terms("validate", "terms")
    assert out.splitlines() == [
        f"terms/{SECTION}:3:10: error[E104]: the file is not valid UTF-8 (byte 0xe9)",
        "  hint: save the file as UTF-8",
    ]
    assert status == 1


def test_e105_empty_file(mini: Path, run_terms: RunTerms) -> None:
    write(mini, "sections/20-empty.yaml", "")
    expect(
        run_terms, mini, "sections/20-empty.yaml", 1, 1, None, "E105", "the file is empty; expected a mapping"
    )


def test_e105_file_with_only_a_comment(mini: Path, run_terms: RunTerms) -> None:
    write(mini, "sections/20-empty.yaml", "# to do\n")
    expect(
        run_terms,
        mini,
        "sections/20-empty.yaml",
        1,
        1,
        "# to do",
        "E105",
        "the file is empty; expected a mapping",
    )


def test_e106_missing_corpus_file(mini: Path, run_terms: RunTerms) -> None:
    (mini / "glossary.yaml").unlink()
    status, out, err = run_terms("validate", "terms")
    # The corpus folder itself is the position (there is no file to point into).
    assert out.splitlines() == ["terms:1:1: error[E106]: missing corpus file 'terms/glossary.yaml'"]
    assert err == summary(1)
    assert status == 1


def test_e106_corpus_file_that_is_a_folder(mini: Path, run_terms: RunTerms) -> None:
    (mini / "glossary.yaml").unlink()
    (mini / "glossary.yaml").mkdir()
    status, out, _ = run_terms("validate", "terms")
    assert re.match(r"terms(/glossary\.yaml)?:1:1: error\[E10\d\]: .*glossary\.yaml", out)
    assert status == 1


def test_e107_nested_too_deeply(mini: Path, run_terms: RunTerms) -> None:
    write(mini, "sections/20-deep.yaml", "id: " + "[" * 10_000 + "]" * 10_000 + "\n")
    expect(
        run_terms,
        mini,
        "sections/20-deep.yaml",
        1,
        1,
        "id: [[[",
        "E107",
        "the file is nested too deeply to read",
    )


def test_e108_alias_bomb_is_refused_quickly(mini: Path, run_terms: RunTerms) -> None:
    shutil.copy(BAD / "billion-laughs.yaml", mini / "sections" / "20-bomb.yaml")
    started = time.perf_counter()
    status, out, err = run_terms("validate", "terms")
    assert time.perf_counter() - started < 2
    # Reported at the last alias written: in a bomb, the outermost and largest expansion.
    assert out.splitlines() == [
        "terms/sections/20-bomb.yaml:11:50: error[E108]: aliases expand this file beyond 100000 extra values",
        "  hint: this looks like an alias bomb",
    ]
    assert source_line(mini, "sections/20-bomb.yaml", 11)[49:] == "*a8]"
    assert err == summary(1)
    assert status == 1


def test_e108_alias_bomb_points_at_an_alias(mini: Path, run_terms: RunTerms) -> None:
    shutil.copy(BAD / "billion-laughs.yaml", mini / "sections" / "20-bomb.yaml")
    _, out, _ = run_terms("validate", "terms")
    where = re.match(r"terms/sections/20-bomb\.yaml:(\d+):(\d+): error\[E108\]: ", out)
    assert where is not None
    line, column = int(where[1]), int(where[2])
    assert source_line(mini, "sections/20-bomb.yaml", line)[column - 1] == "*"


def test_e108_recursive_alias(mini: Path, run_terms: RunTerms) -> None:
    shutil.copy(BAD / "recursive-alias.yaml", mini / "sections" / "20-loop.yaml")
    # Reported at the anchored value the alias refers to (PyYAML keeps no position for aliases).
    expect(
        run_terms,
        mini,
        "sections/20-loop.yaml",
        2,
        5,
        "&loop",
        "E108",
        "an alias refers to a value that contains it",
    )


def test_e109_forbidden_tag(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "  en: Buying\n", '  en: !!python/object/apply:os.system ["echo hi"]\n')
    expect(
        run_terms,
        mini,
        SECTION,
        3,
        7,
        "!!python/object/apply:os.system",
        "E109",
        "the YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
        "  hint: terms files hold plain mappings, lists, text, numbers and booleans",
    )


def test_e109_custom_tag(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "      window_days: 90\n", "      window_days: !days 90\n")
    expect(
        run_terms,
        mini,
        SECTION,
        19,
        20,
        "!days",
        "E109",
        "the YAML tag '!days' is not allowed",
        "  hint: terms files hold plain mappings, lists, text, numbers and booleans",
    )


# Schema (E201-E205) --------------------------------------------------------------------------
# Schema problems are placed at the key of the offending value (or the item, in a list).


def test_e201_unknown_property(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "  - id: buying.intro\n", "  - id: buying.intro\n    colour: red\n")
    expect(
        run_terms,
        mini,
        SECTION,
        7,
        5,
        "colour",
        "E201",
        "unknown property 'colour' in clauses.0",
        "  hint: expected one of: effective, examples, id, notes, parameters, rule, text",
    )


def test_e201_unknown_top_level_property(mini: Path, run_terms: RunTerms) -> None:
    write(mini, "corpus.yaml", (mini / "corpus.yaml").read_text(encoding="utf-8") + "owner: me\n")
    expect(
        run_terms,
        mini,
        "corpus.yaml",
        9,
        1,
        "owner",
        "E201",
        "unknown property 'owner' in the file",
        "  hint: expected one of: description, edition, edition_date, id, languages, "
        "previous_edition, source_language, title",
    )


def test_e202_missing_required_property(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "        title: Introduction\n", "")
    expect(
        run_terms,
        mini,
        SECTION,
        8,
        7,
        "en:",
        "E202",
        "missing required property 'title' in clauses.0.text.en",
    )


def test_e202_enum_fact_without_enum(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, "decisions.yaml", "{type: enum, enum: program,", "{type: enum,")
    expect(
        run_terms,
        mini,
        "decisions.yaml",
        15,
        7,
        "program:",
        "E202",
        "missing required property 'enum' in decisions.purchase.facts.program",
    )


def test_e203_wrong_type(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "        title: Introduction\n", "        title: 42\n")
    expect(
        run_terms,
        mini,
        SECTION,
        9,
        9,
        "title: 42",
        "E203",
        "clauses.0.text.en.title must be a text, found 42",
    )


def test_e203_parameter_that_is_a_list(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "      window_days: 90\n", "      window_days: [90]\n")
    expect(
        run_terms,
        mini,
        SECTION,
        19,
        7,
        "window_days",
        "E203",
        "clauses.1.parameters.window_days must be a whole number, true or false or a text, found a list",
    )


def test_e203_file_that_is_a_list(mini: Path, run_terms: RunTerms) -> None:
    write(mini, "corpus.yaml", "- id: mini-terms\n")
    expect(run_terms, mini, "corpus.yaml", 1, 1, "- id", "E203", "the file must be a mapping, found a list")


def test_e204_value_not_matching_pattern(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "  - id: buying.intro\n", "  - id: Buying.Intro\n")
    expect(
        run_terms,
        mini,
        SECTION,
        6,
        5,
        "id: Buying.Intro",
        "E204",
        '"Buying.Intro" is not a clause id (kebab-case words joined by dots) (in clauses.0.id)',
    )


def test_e204_key_not_matching_pattern(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "      window_days: 90\n", "      window_days: 90\n      WindowDays: 3\n")
    expect(
        run_terms,
        mini,
        SECTION,
        20,
        7,
        "WindowDays",
        "E204",
        'key "WindowDays" in clauses.1.parameters is not a snake_case name',
    )


def test_e204_value_not_in_enum(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, "decisions.yaml", "renewal: {type: bool,", "renewal: {type: boolean,")
    expect(
        run_terms,
        mini,
        "decisions.yaml",
        18,
        17,
        "type: boolean",
        "E204",
        'decisions.purchase.facts.renewal.type must be one of enum, date, int, bool, string, found "boolean"',
    )


def test_e205_other_schema_rule(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "        title: Introduction\n", '        title: ""\n')
    expect(run_terms, mini, SECTION, 9, 9, "title", "E205", "clauses.0.text.en.title: '' should be non-empty")


def test_e205_repeated_override(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "overrides: [buying.window]", "overrides: [buying.window, buying.window]")
    expect(
        run_terms,
        mini,
        SECTION,
        61,
        7,
        "overrides",
        "E205",
        "clauses.2.rule.overrides: ['buying.window', 'buying.window'] has non-unique elements",
    )


def test_e205_enum_on_a_fact_that_is_not_an_enum(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, "decisions.yaml", "renewal: {type: bool,", "renewal: {type: bool, enum: program,")
    expect(
        run_terms,
        mini,
        "decisions.yaml",
        18,
        29,
        "enum: program",
        "E205",
        "'enum' is only for facts of type enum (in decisions.purchase.facts.renewal)",
    )


def test_deeply_nested_lists_in_a_unique_list(mini: Path, run_terms: RunTerms) -> None:
    deep = "[" * 300 + "]" * 300
    edit(mini, SECTION, "overrides: [buying.window]", f"overrides: [{deep}, {deep}]")
    status, out, _ = run_terms("validate", "terms")
    # The loader refuses values nested beyond 64 levels, before any later stage can recurse.
    assert (
        out.splitlines()[0].startswith(f"terms/{SECTION}:61:")
        and "error[E107]: values are nested more than 64 levels deep" in out
    )
    assert status == 1


# Model (E301-E305) ---------------------------------------------------------------------------


def test_e301_source_language_not_in_languages(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, "corpus.yaml", "source_language: en", "source_language: de")
    expect(
        run_terms,
        mini,
        "corpus.yaml",
        5,
        1,
        "source_language",
        "E301",
        "the source language 'de' is not in languages [en, uk]",
    )


def test_e301_source_language_not_first(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, "corpus.yaml", "languages: [en, uk]", "languages: [uk, en]")
    expect(
        run_terms,
        mini,
        "corpus.yaml",
        6,
        1,
        "languages",
        "E301",
        "languages must list the source language 'en' first",
    )


def test_e302_unknown_language(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "  uk: Придбання\n", "  uk: Придбання\n  de: Kaufen\n")
    expect(
        run_terms,
        mini,
        SECTION,
        5,
        3,
        "de: Kaufen",
        "E302",
        "unknown language 'de'; the corpus languages are en, uk",
        "  hint: add it to languages in corpus.yaml or remove this entry",
    )


def test_e303_missing_language(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "  uk: Придбання\n", "")
    expect(run_terms, mini, SECTION, 2, 1, "title:", "E303", "missing language uk in 'title'")


def test_e303_missing_languages(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, "corpus.yaml", "languages: [en, uk]", "languages: [en, uk, de, pl]")
    status, out, _ = run_terms("validate", "terms")
    assert out.splitlines()[0] == "terms/corpus.yaml:2:1: error[E303]: missing languages de, pl in 'title'"
    assert status == 1


def test_e304_effective_bound_not_a_date(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "      from: closed_from", "      from: closed_frm")
    expect(
        run_terms,
        mini,
        SECTION,
        47,
        7,
        "from: closed_frm",
        "E304",
        "effective.from 'closed_frm' is neither a date (YYYY-MM-DD) nor a date parameter of this clause",
    )


def test_e304_ends_before_it_starts(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "      from: closed_from", "      from: closed_from\n      until: 2024-12-31")
    expect(
        run_terms,
        mini,
        SECTION,
        46,
        5,
        "effective",
        "E304",
        "the clause is in effect from 2025-01-01 until 2024-12-31: it ends before it starts",
    )


def test_e305_duplicate_clause_id_across_files(mini: Path, run_terms: RunTerms) -> None:
    shutil.copy(BAD / "20-duplicate.yaml", mini / "sections" / "20-duplicate.yaml")
    expect(
        run_terms,
        mini,
        "sections/20-duplicate.yaml",
        4,
        5,
        "id: buying.intro",
        "E305",
        "duplicate clause id 'buying.intro' (first defined at terms/sections/10-buying.yaml:6:5)",
    )


def test_e305_duplicate_section_id(mini: Path, run_terms: RunTerms) -> None:
    shutil.copy(BAD / "20-duplicate.yaml", mini / "sections" / "20-duplicate.yaml")
    edit(mini, "sections/20-duplicate.yaml", "id: more-buying", "id: buying")
    edit(mini, "sections/20-duplicate.yaml", "  - id: buying.intro", "  - id: buying.again")
    expect(
        run_terms,
        mini,
        "sections/20-duplicate.yaml",
        1,
        1,
        "id: buying",
        "E305",
        "duplicate section id 'buying' (first defined at terms/sections/10-buying.yaml:1:1)",
    )


def test_e305_duplicate_term_id(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, "glossary.yaml", "  - id: license\n", "  - id: software-assurance\n")
    expect(
        run_terms,
        mini,
        "glossary.yaml",
        6,
        5,
        "id: software-assurance",
        "E305",
        "duplicate term id 'software-assurance' (first defined at terms/glossary.yaml:2:5)",
    )


# Link: decisions (E310-E313) -----------------------------------------------------------------


def test_e310_default_not_an_outcome(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, "decisions.yaml", "    default: denied", "    default: refused")
    expect(
        run_terms,
        mini,
        "decisions.yaml",
        12,
        5,
        "default: refused",
        "E310",
        "default outcome 'refused' is not one of the outcomes allowed, denied",
    )


def test_e310_conflict_is_reserved(mini: Path, run_terms: RunTerms) -> None:
    edit(
        mini,
        "decisions.yaml",
        "      denied: {en: denied, uk: не дозволено}\n",
        "      denied: {en: denied, uk: не дозволено}\n      conflict: {en: clash, uk: конфлікт}\n",
    )
    expect(
        run_terms,
        mini,
        "decisions.yaml",
        12,
        7,
        "conflict:",
        "E310",
        "'conflict' is reserved for conflicting rules and cannot be an outcome",
    )


def test_e311_as_of_not_a_date_fact(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, "decisions.yaml", "    as_of: order_date", "    as_of: renewal")
    expect(
        run_terms,
        mini,
        "decisions.yaml",
        13,
        5,
        "as_of: renewal",
        "E311",
        "as_of must name a date fact of the decision, found 'renewal'",
    )


def test_e312_unknown_enum(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, "decisions.yaml", "{type: enum, enum: program,", "{type: enum, enum: programme,")
    status, out, _ = run_terms("validate", "terms")
    assert out.splitlines()[:2] == [
        "terms/decisions.yaml:15:29: error[E312]: fact 'program' uses unknown enum 'programme'",
        "  hint: did you mean 'program'?",
    ]
    assert source_line(mini, "decisions.yaml", 15)[28:].startswith("enum: programme")
    assert status == 1


def test_e312_unknown_enum_gives_no_follow_on_errors(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, "decisions.yaml", "{type: enum, enum: program,", "{type: enum, enum: programme,")
    expect(
        run_terms,
        mini,
        "decisions.yaml",
        15,
        29,
        "enum: programme",
        "E312",
        "fact 'program' uses unknown enum 'programme'",
        "  hint: did you mean 'program'?",
    )


def test_e313_default_does_not_fit(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, "decisions.yaml", "{type: bool, default: false,", "{type: bool, default: 3,")
    expect(
        run_terms,
        mini,
        "decisions.yaml",
        18,
        29,
        "default: 3",
        "E313",
        "the default of fact 'renewal' does not fit: fact 'renewal' is bool, found 3",
    )


# Link: prose (E320-E325) ---------------------------------------------------------------------


def test_e320_unknown_parameter_in_placeholder(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "within {{ window_days }} days", "within {{ window_day }} days")
    expect(
        run_terms,
        mini,
        SECTION,
        24,
        71,
        "{{ window_day }}",
        "E320",
        "unknown parameter 'window_day' in placeholder",
        *caret(mini, SECTION, 24, 71, len("{{ window_day }}")),
        "  hint: did you mean 'window_days'?",
    )


def test_e320_in_a_quoted_title(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "        title: Select is closed", '        title: "Closed from {{ closed_frm }}"')
    expect(
        run_terms,
        mini,
        SECTION,
        50,
        29,
        "{{ closed_frm }}",
        "E320",
        "unknown parameter 'closed_frm' in placeholder",
        *caret(mini, SECTION, 50, 29, len("{{ closed_frm }}")),
        "  hint: did you mean 'closed_from'?",
    )


def test_e320_in_the_second_language(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "{{ closed_from }} клієнти", "{{ closed }} клієнти")
    expect(
        run_terms,
        mini,
        SECTION,
        56,
        13,
        "{{ closed }}",
        "E320",
        "unknown parameter 'closed' in placeholder",
        *caret(mini, SECTION, 56, 13, len("{{ closed }}")),
        "  hint: did you mean 'closed_from'?",
    )


def test_e320_in_a_plain_title_over_two_lines(mini: Path, run_terms: RunTerms) -> None:
    edit(
        mini,
        SECTION,
        "        title: Select is closed",
        "        title: Closed\n          from {{ closed_frm }}",
    )
    expect(
        run_terms,
        mini,
        SECTION,
        51,
        16,
        "{{ closed_frm }}",
        "E320",
        "unknown parameter 'closed_frm' in placeholder",
        *caret(mini, SECTION, 51, 16, len("{{ closed_frm }}")),
        "  hint: did you mean 'closed_from'?",
    )


def test_e320_after_escapes_in_a_quoted_title(mini: Path, run_terms: RunTerms) -> None:
    edit(
        mini,
        SECTION,
        "        title: Select is closed",
        '        title: "The \\"closed\\" rule from {{ closed_frm }}"',
    )
    expect(
        run_terms,
        mini,
        SECTION,
        50,
        42,
        "{{ closed_frm }}",
        "E320",
        "unknown parameter 'closed_frm' in placeholder",
        *caret(mini, SECTION, 50, 42, len("{{ closed_frm }}")),
        "  hint: did you mean 'closed_from'?",
    )


def test_e321_malformed_placeholder(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "within {{ window_days }} days", "within {{ a + b }} days")
    expect(
        run_terms,
        mini,
        SECTION,
        24,
        71,
        "{{ a + b }}",
        "E321",
        "'{{ a + b }}' is not a placeholder; only {{ parameter_name }} is allowed in prose",
        *caret(mini, SECTION, 24, 71, len("{{ a + b }}")),
    )


def test_e321_unclosed_placeholder(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "within {{ window_days }} days", "within {{ window_days days")
    expect(
        run_terms,
        mini,
        SECTION,
        24,
        71,
        "{{ window_days days",
        "E321",
        "'{{' is not closed by '}}' (or '{%' is used); only {{ parameter_name }} is allowed in prose",
    )


def test_e321_jinja_statement(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "within {{ window_days }} days", "within {% if x %} days")
    expect(
        run_terms,
        mini,
        SECTION,
        24,
        71,
        "{% if x %}",
        "E321",
        "'{{' is not closed by '}}' (or '{%' is used); only {{ parameter_name }} is allowed in prose",
    )


def test_e322_link_to_unknown_term(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "(term:software-assurance).\n      uk", "(term:software-assurence).\n      uk")
    expect(
        run_terms,
        mini,
        SECTION,
        11,
        61,
        "term:software-assurence",
        "E322",
        "link to unknown glossary term 'software-assurence'",
        "  hint: did you mean 'software-assurance'?",
    )


def test_e322_link_in_a_glossary_definition(mini: Path, run_terms: RunTerms) -> None:
    edit(
        mini,
        "glossary.yaml",
        "definition: A maintenance offering.}",
        'definition: "A maintenance offering for a [license](term:licence)."}',
    )
    expect(
        run_terms,
        mini,
        "glossary.yaml",
        4,
        90,
        "term:licence",
        "E322",
        "link to unknown glossary term 'licence'",
        "  hint: did you mean 'license'?",
    )


def test_e323_link_to_unknown_clause(mini: Path, run_terms: RunTerms) -> None:
    edit(
        mini,
        SECTION,
        "(see [the exception](clause:buying.select-closed))",
        "(see [the exception](clause:buying.select-close))",
    )
    expect(
        run_terms,
        mini,
        SECTION,
        25,
        32,
        "clause:buying.select-close",
        "E323",
        "link to unknown clause 'buying.select-close'",
        "  hint: did you mean 'buying.select-closed'?",
    )


def test_e324_link_scheme_not_allowed(mini: Path, run_terms: RunTerms) -> None:
    edit(
        mini,
        SECTION,
        "[Software Assurance](term:software-assurance).\n      uk",
        "[Software Assurance](javascript:alert(1)).\n      uk",
    )
    expect(
        run_terms,
        mini,
        SECTION,
        11,
        61,
        "javascript:",
        "E324",
        "link scheme 'javascript:' is not allowed; use term:, clause:, http:, https: or mailto:",
    )


def test_e325_unused_parameter(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "      window_days: 90\n", "      window_days: 90\n      grace_days: 5\n")
    expect(
        run_terms,
        mini,
        SECTION,
        20,
        7,
        "grace_days",
        "E325",
        "parameter 'grace_days' is defined but not used in the prose, the rule or the effective dates",
        "  hint: remove it, or show it in the prose as {{ grace_days }}",
    )


# Link: rules (E330-E334) ---------------------------------------------------------------------


def test_e330_unknown_decision(mini: Path, run_terms: RunTerms) -> None:
    edit(
        mini,
        SECTION,
        "      decision: purchase\n      when: program",
        "      decision: purchse\n      when: program",
    )
    expect(
        run_terms,
        mini,
        SECTION,
        58,
        7,
        "decision: purchse",
        "E330",
        "unknown decision 'purchse'",
        "  hint: did you mean 'purchase'?",
    )


def test_e331_unknown_outcome(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "      outcome: denied\n      overrides", "      outcome: deny\n      overrides")
    expect(
        run_terms,
        mini,
        SECTION,
        60,
        7,
        "outcome: deny",
        "E331",
        "outcome 'deny' is not an outcome of decision 'purchase' (allowed, denied)",
        "  hint: did you mean 'denied'?",
    )


def test_e332_override_of_unknown_clause(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "overrides: [buying.window]", "overrides: [buying.windw]")
    expect(
        run_terms,
        mini,
        SECTION,
        61,
        19,
        "buying.windw",
        "E332",
        "overrides unknown clause 'buying.windw'",
        "  hint: did you mean 'buying.window'?",
    )


def test_e332_override_of_clause_without_rule(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "overrides: [buying.window]", "overrides: [buying.window, buying.intro]")
    expect(
        run_terms,
        mini,
        SECTION,
        61,
        34,
        "buying.intro",
        "E332",
        "overrides clause 'buying.intro', which has no rule",
    )


def test_e333_override_across_decisions(mini: Path, run_terms: RunTerms) -> None:
    write(
        mini,
        "decisions.yaml",
        (mini / "decisions.yaml").read_text(encoding="utf-8")
        + (BAD / "transfer-decision.yaml").read_text(encoding="utf-8"),
    )
    shutil.copy(BAD / "20-transfer.yaml", mini / "sections" / "20-transfer.yaml")
    expect(
        run_terms,
        mini,
        "sections/20-transfer.yaml",
        12,
        19,
        "buying.window",
        "E333",
        "overrides clause 'buying.window' of decision 'purchase'; a rule may only override "
        "rules of its own decision 'transfer'",
    )


def test_e334_clause_overrides_itself(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "overrides: [buying.window]", "overrides: [buying.select-closed]")
    expect(
        run_terms,
        mini,
        SECTION,
        61,
        19,
        "buying.select-closed",
        "E334",
        "clause 'buying.select-closed' overrides itself",
    )


def test_e334_override_cycle(mini: Path, run_terms: RunTerms) -> None:
    edit(
        mini,
        SECTION,
        "      outcome: allowed\n    examples:\n      - title: Day 90",
        "      outcome: allowed\n      overrides: [buying.select-closed]\n"
        "    examples:\n      - title: Day 90",
    )
    expect(
        run_terms,
        mini,
        SECTION,
        35,
        7,
        "overrides: [buying.select-closed]",
        "E334",
        "override cycle: buying.window -> buying.select-closed -> buying.window",
    )


# Link: conditions (E340, E341) ---------------------------------------------------------------

WHEN = "      when: program == select"


def set_when(corpus: Path, condition: str) -> None:
    """Replace the condition of buying.select-closed (line 59, which starts at column 13)."""
    edit(corpus, SECTION, WHEN, "      when: " + condition)


def test_e340_single_equals(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "program = select")
    expect(
        run_terms,
        mini,
        SECTION,
        59,
        21,
        "= select",
        "E340",
        "condition syntax error: unexpected '='; use '==' to compare",
        *caret(mini, SECTION, 59, 21),
    )


def test_e340_dangling_and(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "program == select and")
    # The end of the condition: one column past its last character.
    assert len(source_line(mini, SECTION, 59)) == 33
    expect(
        run_terms,
        mini,
        SECTION,
        59,
        34,
        None,
        "E340",
        "condition syntax error: expected a fact, a parameter, a value or '(', found the end "
        "of the condition",
        *caret(mini, SECTION, 59, 34),
    )


def test_e340_unclosed_parenthesis(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "(program == select or renewal")
    expect(
        run_terms,
        mini,
        SECTION,
        59,
        42,
        None,
        "E340",
        "condition syntax error: expected ')' to close the parenthesis, found the end of the condition",
        *caret(mini, SECTION, 59, 42),
    )


def test_e340_empty_list(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "program in []")
    expect(
        run_terms,
        mini,
        SECTION,
        59,
        25,
        "]",
        "E340",
        "condition syntax error: the list after 'in' is empty",
        *caret(mini, SECTION, 59, 25),
    )


def test_e341_unknown_fact(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "programme == select")
    expect(
        run_terms,
        mini,
        SECTION,
        59,
        13,
        "programme",
        "E341",
        "unknown name 'programme': not a fact of decision 'purchase' nor a parameter of this clause",
        *caret(mini, SECTION, 59, 13, len("programme")),
        "  hint: did you mean 'program'?",
    )


def test_e341_misspelt_enum_value(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "program == selct")
    expect(
        run_terms,
        mini,
        SECTION,
        59,
        24,
        "selct",
        "E341",
        "'selct' is not a value of enum 'program'; expected one of: open, select",
        *caret(mini, SECTION, 59, 24, len("selct")),
        "  hint: did you mean 'select'?",
    )


def test_e341_misspelt_enum_value_on_the_left(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "selct == program")
    expect(
        run_terms,
        mini,
        SECTION,
        59,
        13,
        "selct",
        "E341",
        "'selct' is not a value of enum 'program'; expected one of: open, select",
        *caret(mini, SECTION, 59, 13, len("selct")),
        "  hint: did you mean 'select'?",
    )


def test_e341_misspelt_enum_value_in_a_list(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "program in [open, selct]")
    expect(
        run_terms,
        mini,
        SECTION,
        59,
        31,
        "selct",
        "E341",
        "'selct' is not a value of enum 'program'; expected one of: open, select",
        *caret(mini, SECTION, 59, 31, len("selct")),
        "  hint: did you mean 'select'?",
    )


def test_e341_misspelt_enum_value_in_a_literal_block(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "|\n        renewal == false\n        and program == selct")
    expect(
        run_terms,
        mini,
        SECTION,
        61,
        24,
        "selct",
        "E341",
        "'selct' is not a value of enum 'program'; expected one of: open, select",
        *caret(mini, SECTION, 61, 24, len("selct")),
        "  hint: did you mean 'select'?",
    )


def test_e341_misspelt_enum_value_in_a_quoted_condition(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, '"program == selct"')
    expect(
        run_terms,
        mini,
        SECTION,
        59,
        25,
        "selct",
        "E341",
        "'selct' is not a value of enum 'program'; expected one of: open, select",
        *caret(mini, SECTION, 59, 25, len("selct")),
        "  hint: did you mean 'select'?",
    )


def test_e341_in_a_plain_condition_over_two_lines(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "renewal == false\n        and program == selct")
    expect(
        run_terms,
        mini,
        SECTION,
        60,
        24,
        "selct",
        "E341",
        "'selct' is not a value of enum 'program'; expected one of: open, select",
        *caret(mini, SECTION, 60, 24, len("selct")),
        "  hint: did you mean 'select'?",
    )


def test_e341_in_a_folded_condition(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, ">\n        renewal == false\n        and program == selct")
    expect(
        run_terms,
        mini,
        SECTION,
        61,
        24,
        "selct",
        "E341",
        "'selct' is not a value of enum 'program'; expected one of: open, select",
        *caret(mini, SECTION, 61, 24, len("selct")),
        "  hint: did you mean 'select'?",
    )


def test_e341_date_compared_with_a_number(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "order_date > 5")
    expect(
        run_terms,
        mini,
        SECTION,
        59,
        26,
        "5",
        "E341",
        "cannot compare a date with a whole number",
        *caret(mini, SECTION, 59, 26),
    )


def test_e341_wrong_operand_of_and(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "program == select and 5")
    expect(
        run_terms,
        mini,
        SECTION,
        59,
        35,
        "5",
        "E341",
        "'and' needs a condition (true/false), but this is a whole number",
        *caret(mini, SECTION, 59, 35),
    )


def test_e341_ordering_booleans(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "renewal < true")
    expect(
        run_terms,
        mini,
        SECTION,
        59,
        21,
        "< true",
        "E341",
        "'<' compares numbers or dates, not true/false",
        *caret(mini, SECTION, 59, 21),
    )


def test_e341_condition_that_is_not_true_or_false(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "order_date")
    expect(
        run_terms,
        mini,
        SECTION,
        59,
        13,
        "order_date",
        "E341",
        "a condition must be true or false, but this is a date",
        *caret(mini, SECTION, 59, 13, len("order_date")),
    )


def test_e341_unknown_function(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "weeks(license_date, order_date) > 2")
    expect(
        run_terms,
        mini,
        SECTION,
        59,
        13,
        "weeks(",
        "E341",
        "unknown function 'weeks'; the only function is days(from, to)",
        *caret(mini, SECTION, 59, 13, len("weeks(license_date, order_date)")),
    )


def test_e341_invalid_date_literal(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "order_date >= 2025-02-30")
    expect(
        run_terms,
        mini,
        SECTION,
        59,
        27,
        "2025-02-30",
        "E341",
        "'2025-02-30' is not a valid date",
        *caret(mini, SECTION, 59, 27, len("2025-02-30")),
    )


def test_e340_deeply_nested_parentheses(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "(" * 200 + "program == select" + ")" * 200)
    status, out, _ = run_terms("validate", "terms")
    assert re.match(rf"terms/{SECTION}:59:\d+: error\[E34\d\]: ", out)
    assert status == 1


def test_e341_very_long_sum(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "order_date" + " + 1" * 1500 + " > license_date")
    status, out, _ = run_terms("validate", "terms")
    assert re.match(rf"terms/{SECTION}:59:\d+: error\[E34\d\]: ", out)
    assert status == 1


def test_e341_long_sum_beyond_pythons_nesting_limit(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "order_date" + " + 1" * 300 + " > license_date")
    status, out, _ = run_terms("validate", "terms")
    assert re.match(rf"terms/{SECTION}:59:\d+: error\[E34\d\]: ", out)
    assert status == 1


# Examples (E350, E351, E360, E361) -----------------------------------------------------------


def test_e350_examples_without_rule(mini: Path, run_terms: RunTerms) -> None:
    edit(
        mini,
        SECTION,
        "(term:software-assurance).\n\n",
        "(term:software-assurance).\n    examples:\n      - facts: {}\n        outcome: allowed\n\n",
    )
    expect(
        run_terms,
        mini,
        SECTION,
        16,
        5,
        "examples:",
        "E350",
        "clause 'buying.intro' has examples but no rule to run them on",
    )


def test_e351_unknown_fact_in_example(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "facts: {order_date: 2024-05-31}", "facts: {order_dat: 2024-05-31}")
    expect(
        run_terms,
        mini,
        SECTION,
        40,
        17,
        "order_dat",
        "E351",
        "unknown fact 'order_dat' for decision 'purchase'; did you mean 'order_date'?",
    )


def test_e351_misspelt_enum_value_in_example(mini: Path, run_terms: RunTerms) -> None:
    edit(
        mini,
        SECTION,
        "facts: {program: select, license_date: 2025-02-01",
        "facts: {program: selct, license_date: 2025-02-01",
    )
    expect(
        run_terms,
        mini,
        SECTION,
        64,
        17,
        "program: selct",
        "E351",
        "'selct' is not a value of enum 'program' (fact 'program'); did you mean 'select'?",
    )


def test_e351_wrong_type_in_example(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "facts: {order_date: 2024-05-31}", "facts: {order_date: 2024-02-30}")
    expect(
        run_terms,
        mini,
        SECTION,
        40,
        17,
        "order_date: 2024-02-30",
        "E351",
        "fact 'order_date' is date, found '2024-02-30'",
    )


def test_e351_unknown_fact_in_example_base(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, "decisions.yaml", "example_base: {program: open,", "example_base: {programme: open,")
    expect(
        run_terms,
        mini,
        "decisions.yaml",
        19,
        20,
        "programme: open",
        "E351",
        "unknown fact 'programme' for decision 'purchase'; did you mean 'program'?",
    )


def test_e360_failing_example(mini: Path, run_terms: RunTerms) -> None:
    edit(
        mini,
        SECTION,
        "facts: {order_date: 2024-05-31}\n        outcome: denied",
        "facts: {order_date: 2024-05-31}\n        outcome: allowed",
    )
    expect(
        run_terms,
        mini,
        SECTION,
        39,
        9,
        "title: Day 91",
        "E360",
        "example expects 'allowed' but the rules give 'denied'",
        "  buying.window does not apply: order_date is 91 days after license_date; the limit "
        "is 90 (window_days)",
        "  buying.select-closed is not in effect on 2024-05-31 (in effect from 2025-01-01)",
        "  no rule applies, so the answer is the default: denied",
    )


def test_e360_failing_example_overridden_rule(mini: Path, run_terms: RunTerms) -> None:
    edit(
        mini,
        SECTION,
        "order_date: 2025-02-01}\n        outcome: denied",
        "order_date: 2025-02-01}\n        outcome: allowed",
    )
    expect(
        run_terms,
        mini,
        SECTION,
        63,
        9,
        "title: Select after",
        "E360",
        "example expects 'allowed' but the rules give 'denied'",
        "  buying.window applies but is overridden by buying.select-closed",
        "  buying.select-closed applies: denied",
    )


def test_e361_example_missing_a_required_fact(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, "decisions.yaml", "license_date: 2024-03-01, ", "")
    message = "example cannot run: missing fact 'license_date' (a date (YYYY-MM-DD))"
    expect(
        run_terms,
        mini,
        SECTION,
        36,
        9,
        "title: Day 90",
        "E361",
        message,
        f"terms/{SECTION}:39:9: error[E361]: {message}",
        errors=2,
    )


def test_e361_example_with_impossible_as_of(mini: Path, run_terms: RunTerms) -> None:
    edit(
        mini,
        SECTION,
        "facts: {order_date: 2024-05-31}\n",
        "facts: {order_date: 2024-05-31}\n        as_of: 2024-02-30\n",
    )
    expect(
        run_terms,
        mini,
        SECTION,
        39,
        9,
        "title: Day 91",
        "E361",
        'example cannot run: the as-of date must be a date (YYYY-MM-DD), found "2024-02-30"',
    )


# Several problems, JSON output, the shipped corpus, the command line -------------------------


def test_problems_in_several_files_are_sorted_by_file_then_line(mini: Path, run_terms: RunTerms) -> None:
    write(mini, "corpus.yaml", (mini / "corpus.yaml").read_text(encoding="utf-8") + "owner: me\n")
    edit(mini, "decisions.yaml", "    default: denied", "    default: Denied")
    edit(mini, SECTION, "        title: Introduction\n", "        title: 42\n")
    edit(mini, SECTION, "  en: Buying\n", "  en: 7\n")
    write(mini, "sections/05-broken.yaml", "id: broken\ntitle: {en: Broken\n")
    status, out, err = run_terms("validate", "terms")
    assert headlines(out) == [
        "terms/corpus.yaml:9:1: error[E201]: unknown property 'owner' in the file",
        'terms/decisions.yaml:12:5: error[E204]: "Denied" is not a kebab-case id (lower-case '
        "words joined by hyphens) (in decisions.purchase.default)",
        "terms/sections/05-broken.yaml:3:1: error[E101]: YAML syntax error: expected ',' or '}', "
        "but got '<stream end>' while parsing a flow mapping",
        "terms/sections/10-buying.yaml:3:3: error[E203]: title.en must be a text, found 7",
        "terms/sections/10-buying.yaml:9:9: error[E203]: clauses.0.text.en.title must be a text, found 42",
    ]
    assert err == summary(5)
    assert status == 1


def test_link_problems_in_several_files_are_all_reported(mini: Path, run_terms: RunTerms) -> None:
    edit(
        mini,
        "glossary.yaml",
        "definition: A maintenance offering.}",
        'definition: "See [the window](clause:buying.windows)."}',
    )
    edit(mini, SECTION, "within {{ window_days }} days", "within {{ window_day }} days")
    set_when(mini, "programme == select")
    status, out, err = run_terms("validate", "terms")
    assert headlines(out) == [
        "terms/glossary.yaml:4:68: error[E323]: link to unknown clause 'buying.windows'",
        f"terms/{SECTION}:24:71: error[E320]: unknown parameter 'window_day' in placeholder",
        f"terms/{SECTION}:59:13: error[E341]: unknown name 'programme': not a fact of decision "
        "'purchase' nor a parameter of this clause",
    ]
    assert source_line(mini, "glossary.yaml", 4)[67:].startswith("clause:buying.windows")
    assert err == summary(3)
    assert status == 1


def test_json_format(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, "  - id: buying.intro\n", "  - id: buying.intro\n    colour: red\n")
    edit(mini, "corpus.yaml", 'edition: "2026-01"', "edition: 2026")
    status, out, err = run_terms("validate", "terms", "--format", "json")
    assert json.loads(out) == [
        {
            "code": "E203",
            "severity": "error",
            "message": "edition must be a text, found 2026",
            "file": "terms/corpus.yaml",
            "line": 7,
            "column": 1,
            "json_path": "$.edition",
            "hint": None,
        },
        {
            "code": "E201",
            "severity": "error",
            "message": "unknown property 'colour' in clauses.0",
            "file": f"terms/{SECTION}",
            "line": 7,
            "column": 5,
            "json_path": "$.clauses[0].colour",
            "hint": "expected one of: effective, examples, id, notes, parameters, rule, text",
        },
    ]
    assert err == ""
    assert status == 1


def test_json_format_matches_text_format(mini: Path, run_terms: RunTerms) -> None:
    set_when(mini, "programme == select")
    edit(mini, SECTION, "within {{ window_days }} days", "within {{ window_day }} days")
    _, text, _ = run_terms("validate", "terms")
    status, out, _ = run_terms("validate", "terms", "--format", "json")
    records = json.loads(out)
    assert [
        f"{r['file']}:{r['line']}:{r['column']}: {r['severity']}[{r['code']}]: {r['message']}"
        for r in records
    ] == headlines(text)
    assert records[1] == {
        "code": "E341",
        "severity": "error",
        "message": "unknown name 'programme': not a fact of decision 'purchase' nor a parameter "
        "of this clause",
        "file": f"terms/{SECTION}",
        "line": 59,
        "column": 13,
        "json_path": "",
        "hint": "did you mean 'program'?",
    }
    assert status == 1


def test_json_format_when_clean(mini: Path, run_terms: RunTerms) -> None:
    status, out, err = run_terms("validate", "terms", "--format", "json")
    assert (json.loads(out), err, status) == ([], "", 0)


def test_mini_corpus_is_clean(mini: Path, run_terms: RunTerms) -> None:
    assert run_terms("validate", "terms") == (0, "", "")


def test_shipped_corpus_is_clean(run_terms: RunTerms, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert run_terms("validate", "terms") == (0, "", "")


def test_help(run_terms: RunTerms) -> None:
    status, out, _ = run_terms("--help")
    assert status == 0
    assert out.startswith("usage: terms ")
    assert "validate" in out


def test_validate_help(run_terms: RunTerms) -> None:
    status, out, _ = run_terms("validate", "--help")
    assert status == 0
    assert out.startswith("usage: terms validate [-h] [--format {text,json}] [path]")


def test_unknown_option(mini: Path, run_terms: RunTerms) -> None:
    status, out, err = run_terms("validate", "terms", "--strict")
    assert out == ""
    assert err.splitlines()[-1] == "terms: error: unrecognized arguments: --strict"
    assert status == 2


def test_unknown_format(mini: Path, run_terms: RunTerms) -> None:
    status, out, err = run_terms("validate", "terms", "--format", "yaml")
    assert out == ""
    assert err.splitlines()[-1] == (
        "terms validate: error: argument --format: invalid choice: 'yaml' (choose from 'text', 'json')"
    )
    assert status == 2


def test_no_command(run_terms: RunTerms) -> None:
    status, out, err = run_terms()
    assert out == ""
    assert err.splitlines()[-1] == "terms: error: the following arguments are required: COMMAND"
    assert status == 2
