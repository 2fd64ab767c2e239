"""Bad input: every diagnostic code, at the right file, line and column, with no traceback.

The cases are data: tests/diagnostics/*.yaml, a file per stage, read by `load_cases` and run
one per test by `test_diagnostic` (tests/diagnostics/README.md says how to write one). A case
makes the smallest edit of a copy of the mini corpus (tests/fixtures/mini) that causes one
problem, runs `terms validate terms` in-process and compares the whole output. Positions are
literal, and each `token` is checked to start at its position in the edited file, so a wrong
position fails even if someone copies it from the output.

A case with `xfail` describes the correct behaviour of a bug found in compiler/; it runs as
xfail(strict=True) and its reason says what happens instead. docs/diagnostics.md lists the codes.

The test functions after `test_diagnostic` do not fit the data form; each says why.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "diagnostics"
BAD = ROOT / "tests" / "fixtures" / "bad"
SECTION = "sections/10-buying.yaml"
WHEN = "      when: program == select"
"""The condition of buying.select-closed (line 59 of SECTION, which starts at column 13)."""

RunTerms = Callable[..., tuple[int, str, str]]
"""The run_terms fixture of conftest.py: CLI arguments -> (exit code, stdout, stderr)."""


# Reading the cases ---------------------------------------------------------------------------


class CaseLoader(yaml.SafeLoader):
    """YAML with every scalar read as text: no YAML 1.1 dates, yes/no booleans or numbers can
    change an expected message or an edit. The readers below make ints of lines and columns."""


CaseLoader.yaml_implicit_resolvers = {}

EDIT_FIELDS = {
    "replace": ({"old", "new"}, {"encoding"}),
    "write": (set(), {"text", "from"}),
    "append": (set(), {"text", "from"}),
    "delete": (set(), set()),
}
"""Edit kind -> (required, optional) fields besides the kind, whose value is the corpus file."""
CASE_FIELDS = {"name", "args", "edits", "expect", "output", "xfail"}
EXPECT_FIELDS = {"at", "token", "code", "message", "caret", "excerpt", "hint"}
OUTPUT_MODES = {"exact", "headlines", "beginning"}


@dataclass(frozen=True, slots=True)
class Expected:
    """One diagnostic the CLI must print, and what must be found at its position."""

    at: str | None
    """`file:line:column` as printed (the file relative to the working folder); None for a
    problem with no position."""
    code: str
    message: str
    token: str | None
    """The text the diagnostic is about; it must start at `at` in the edited file."""
    caret: int | None
    """Width of the caret under the source line the CLI prints; None when it prints none."""
    excerpt: tuple[str, ...]
    """Other indented lines after the headline (the explanation of a failing example)."""
    hint: str | None

    @property
    def position(self) -> tuple[Path, int, int]:
        assert self.at is not None
        file, line, column = self.at.rsplit(":", 2)
        return Path(file), int(line), int(column)

    def lines(self) -> list[str]:
        """The output lines of this diagnostic: headline, excerpt, hint."""
        where = "" if self.at is None else f"{self.at}: "
        lines = [f"{where}error[{self.code}]: {self.message}"]
        if self.caret is not None:
            file, line, column = self.position
            source = file.read_text(encoding="utf-8").splitlines()[line - 1]
            lines += ["  " + source, "  " + " " * (column - 1) + "^" * self.caret]
        lines += [f"  {line}" for line in self.excerpt]
        if self.hint is not None:
            lines.append(f"  hint: {self.hint}")
        return lines


@dataclass(frozen=True, slots=True)
class Case:
    """Edits of the mini corpus, the command line, and the output expected from it."""

    name: str
    args: tuple[str, ...]
    edits: tuple[dict[str, str], ...]
    expect: tuple[Expected, ...]
    output: str
    """exact: stdout is exactly the expected lines and stderr the summary; headlines: only the
    unindented lines are compared; beginning: stdout starts with the expected lines, stderr is
    not compared. Kept from hand-written tests that pinned no more than that."""
    xfail: str | None


def check_fields(where: str, found: dict[str, Any], allowed: set[str], required: set[str]) -> None:
    if not isinstance(found, dict) or set(found) - allowed or required - set(found):
        raise ValueError(
            f"{where}: fields {sorted(found)}; allowed {sorted(allowed)}, required {sorted(required)}"
        )


def read_edit(where: str, edit: dict[str, str]) -> dict[str, str]:
    kinds = set(edit) & set(EDIT_FIELDS)
    if len(kinds) != 1:
        raise ValueError(f"{where}: an edit has one kind of {sorted(EDIT_FIELDS)}, found {edit}")
    kind = kinds.pop()
    required, optional = EDIT_FIELDS[kind]
    check_fields(f"{where} {kind}", edit, {kind} | required | optional, {kind} | required)
    if kind in ("write", "append") and len(set(edit) & {"text", "from"}) != 1:
        raise ValueError(f"{where}: {kind} takes either text or from")
    return edit


def read_expected(where: str, fields: dict[str, Any]) -> Expected:
    check_fields(where, fields, EXPECT_FIELDS, {"code", "message"})
    expected = Expected(
        at=fields.get("at"),
        code=fields["code"],
        message=fields["message"],
        token=fields.get("token"),
        caret=int(fields["caret"]) if "caret" in fields else None,
        excerpt=tuple(fields.get("excerpt", ())),
        hint=fields.get("hint"),
    )
    if expected.at is not None and not re.fullmatch(r".+:[1-9][0-9]*:[1-9][0-9]*", expected.at):
        raise ValueError(f"{where}: at is file:line:column, found {expected.at!r}")
    if expected.at is None and (expected.token is not None or expected.caret is not None):
        raise ValueError(f"{where}: a token or a caret needs a position (at)")
    return expected


def read_case(where: str, fields: dict[str, Any]) -> Case:
    check_fields(where, fields, CASE_FIELDS, {"name", "edits", "expect"})
    where = f"{where} ({fields['name']})"
    case = Case(
        name=fields["name"],
        args=tuple(fields.get("args", ("validate", "terms"))),
        edits=tuple(read_edit(where, edit) for edit in fields["edits"]),
        expect=tuple(read_expected(where, expected) for expected in fields["expect"]),
        output=fields.get("output", "exact"),
        xfail=fields.get("xfail"),
    )
    if case.output not in OUTPUT_MODES:
        raise ValueError(f"{where}: output is one of {sorted(OUTPUT_MODES)}")
    return case


def load_cases() -> Iterator[Case]:
    names: set[str] = set()
    for path in sorted(CASES.glob("*.yaml")):
        for index, fields in enumerate(yaml.load(path.read_text(encoding="utf-8"), Loader=CaseLoader)):
            case = read_case(f"{path.relative_to(ROOT)} case {index + 1}", fields)
            if case.name in names:
                raise ValueError(f"{path.relative_to(ROOT)}: a second case named {case.name}")
            names.add(case.name)
            yield case


# Running a case ------------------------------------------------------------------------------


def edit(corpus: Path, name: str, old: str, new: str, encoding: str = "utf-8") -> None:
    """Replace `old`, which must occur exactly once, by `new` in corpus file `name`. `new` is
    written in `encoding`; a lone surrogate (\\udcff) is that raw byte (Python's surrogateescape)."""
    path = corpus / name
    raw, old_bytes = path.read_bytes(), old.encode("utf-8")
    assert raw.count(old_bytes) == 1, f"{old!r} occurs {raw.count(old_bytes)} times in {name}"
    path.write_bytes(raw.replace(old_bytes, new.encode(encoding, "surrogateescape")))


def new_content(change: dict[str, str]) -> bytes:
    """The bytes a write or append edit adds: its text, or a file of tests/fixtures/bad/."""
    if "from" in change:
        return (BAD / change["from"]).read_bytes()
    return change["text"].encode("utf-8", "surrogateescape")


def apply_edit(corpus: Path, change: dict[str, str]) -> None:
    if "replace" in change:
        edit(corpus, change["replace"], change["old"], change["new"], change.get("encoding", "utf-8"))
    elif "write" in change:
        (corpus / change["write"]).write_bytes(new_content(change))
    elif "append" in change:
        path = corpus / change["append"]
        path.write_bytes(path.read_bytes() + new_content(change))
    else:
        (corpus / change["delete"]).unlink()


def check_token(expected: Expected) -> None:
    """The token must start at the diagnostic's position; a line break ("\\n") is a token too."""
    if expected.token is None:
        return
    file, line, column = expected.position
    found = file.read_text(encoding="utf-8").splitlines(keepends=True)[line - 1][column - 1 :]
    assert found.startswith(expected.token), f"{expected.at} is at {found!r}, not {expected.token!r}"


def summary(errors: int) -> str:
    if errors:
        return f"{errors} error{'s' * (errors != 1)}, 0 warnings\n"
    # A clean run says what it checked: the mini corpus, as its files hold it.
    return "terms: 1 section, 3 clauses in 2 languages, 1 decision, 4 worked examples checked; 0 errors, 0 warnings\n"


def headlines(lines: list[str]) -> list[str]:
    return [line for line in lines if not line.startswith(" ")]


def case_params() -> list[Any]:
    return [
        pytest.param(case, id=case.name, marks=[pytest.mark.xfail(reason=case.xfail, strict=True)])
        if case.xfail
        else pytest.param(case, id=case.name)
        for case in load_cases()
    ]


@pytest.mark.parametrize("case", case_params())
def test_diagnostic(case: Case, mini: Path, run_terms: RunTerms) -> None:
    for change in case.edits:
        apply_edit(mini, change)
    for expected in case.expect:
        check_token(expected)
    wanted = [line for expected in case.expect for line in expected.lines()]
    status, out, err = run_terms(*case.args)
    if case.output == "exact":
        assert out.splitlines() == wanted
    elif case.output == "headlines":
        assert headlines(out.splitlines()) == headlines(wanted)
    else:
        assert out.splitlines()[: len(wanted)] == wanted
    if case.output != "beginning":
        assert err == summary(len(case.expect))
    assert status == (1 if case.expect else 0)


def test_no_case_file_went_missing() -> None:
    """A renamed folder or a lost file would leave fewer cases, and fewer tests, silently."""
    assert len(list(load_cases())) >= 98


# Not data: the reviewed assertions leave the position or the code open ------------------------
# These check that hostile or odd input gives a diagnostic and no traceback; where exactly the
# parser gives up is not pinned, and the inputs are generated (up to 6,000 characters).


def test_e100_corpus_path_is_a_file(mini: Path, run_terms: RunTerms) -> None:
    status, out, _ = run_terms("validate", "terms/corpus.yaml")
    assert out.startswith("error[E100]: ")
    assert "does not exist" not in out
    assert status == 1


def test_e106_corpus_file_that_is_a_folder(mini: Path, run_terms: RunTerms) -> None:
    (mini / "glossary.yaml").unlink()
    (mini / "glossary.yaml").mkdir()
    status, out, _ = run_terms("validate", "terms")
    assert re.match(r"terms(/glossary\.yaml)?:1:1: error\[E10\d\]: .*glossary\.yaml", out)
    assert status == 1


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


def test_e340_deeply_nested_parentheses(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, WHEN, "      when: " + "(" * 200 + "program == select" + ")" * 200)
    status, out, _ = run_terms("validate", "terms")
    assert re.match(rf"terms/{SECTION}:59:\d+: error\[E34\d\]: ", out)
    assert status == 1


def test_e341_very_long_sum(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, WHEN, "      when: order_date" + " + 1" * 1500 + " > license_date")
    status, out, _ = run_terms("validate", "terms")
    assert re.match(rf"terms/{SECTION}:59:\d+: error\[E34\d\]: ", out)
    assert status == 1


def test_e341_long_sum_beyond_pythons_nesting_limit(mini: Path, run_terms: RunTerms) -> None:
    edit(mini, SECTION, WHEN, "      when: order_date" + " + 1" * 300 + " > license_date")
    status, out, _ = run_terms("validate", "terms")
    assert re.match(rf"terms/{SECTION}:59:\d+: error\[E34\d\]: ", out)
    assert status == 1


# Not data: a time limit (the output of the same input is the data case e108_alias_bomb) --------


def test_e108_alias_bomb_is_refused_quickly(mini: Path, run_terms: RunTerms) -> None:
    shutil.copy(BAD / "billion-laughs.yaml", mini / "sections" / "20-bomb.yaml")
    started = time.perf_counter()
    status, _, _ = run_terms("validate", "terms")
    assert time.perf_counter() - started < 2
    assert status == 1


# Not data: JSON output is compared as parsed JSON, not as lines ------------------------------


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
            "message": "unknown property 'colour' in clause 'buying.intro'",
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
    edit(mini, SECTION, WHEN, "      when: programme == select")
    edit(mini, SECTION, "within {{ window_days }} days", "within {{ window_day }} days")
    _, text, _ = run_terms("validate", "terms")
    status, out, _ = run_terms("validate", "terms", "--format", "json")
    records = json.loads(out)
    assert [
        f"{r['file']}:{r['line']}:{r['column']}: {r['severity']}[{r['code']}]: {r['message']}"
        for r in records
    ] == headlines(text.splitlines())
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


# Not data: the shipped corpus, not an edit of the mini corpus --------------------------------


def test_shipped_corpus_is_clean(run_terms: RunTerms, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    # A clean run says what it checked (counted here from the files, not by the compiler).
    sections = [
        yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(Path("terms/sections").glob("*.yaml"))
    ]
    clauses = [clause for section in sections for clause in section["clauses"]]
    examples = sum(len(clause.get("examples", [])) for clause in clauses)
    decisions = yaml.safe_load(Path("terms/decisions.yaml").read_text(encoding="utf-8"))["decisions"]
    summary = (
        f"terms: {len(sections)} sections, {len(clauses)} clauses in 4 languages, {len(decisions)} decisions, "
        f"{examples} worked examples checked; 0 errors, 0 warnings\n"
    )
    assert run_terms("validate", "terms") == (0, "", summary)


# Not data: command-line usage, answered by argparse before any corpus is read ----------------


def test_help(run_terms: RunTerms) -> None:
    status, out, _ = run_terms("--help")
    assert status == 0
    assert out.startswith("usage: terms ")
    assert "later" not in out  # the site exists
    listed = [
        line.split()[0] for line in out.splitlines() if line.startswith("  ") and not line.startswith("   ")
    ]
    commands = [
        "init",
        "validate",
        "build",
        "serve",
        "status",
        "translated",
        "diff",
        "check",
        "keygen",
        "verify",
        "fetch",
    ]
    assert [name for name in listed if name in commands] == commands  # each command once


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
