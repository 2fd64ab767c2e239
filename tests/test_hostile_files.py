"""Special files in the corpus (issue 14, item 5): only regular files of at most MAX_FILE_BYTES
are read, symbolic links only within the corpus folder, and each refusal is a diagnostic at the
file's 1:1, never a traceback, a hang or a read of what lies outside.

Characters YAML refuses (E113) and numbers too large (E114, and E340 in a condition) are data
cases in tests/diagnostics/hostile.yaml; what an edit cannot make (FIFOs, links, sockets, sparse
files, 5,000 digits) is here."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from terms_compiler import load
from terms_compiler.condition.parser import ParseError, parse
from terms_compiler.diagnostics import CompileError, SourceSpan
from terms_compiler.yaml_reader import read_text

RunTerms = Callable[..., tuple[int, str, str]]
NEW = "sections/20-new.yaml"
"""A section file the tests make into something that is not a regular file."""
SECRET = "id: outside\ntitle: {en: TOP-SECRET}\n"
"""A readable section, kept outside the corpus folder: its text must never be shown."""

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, sockets and /dev are POSIX")


def validate(run_terms: RunTerms) -> tuple[int, list[str], str]:
    code, out, err = run_terms("validate", "terms")
    return code, out.splitlines(), err


def without_blocking(call: Callable[[], Any], fifo: Path) -> Any:
    """call() in a thread; if it is still blocked (opening the FIFO) after 5 s, the FIFO's
    writing end is opened to free it, and the test fails."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as error:  # handed to the test
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(5)
    if thread.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(5)
        pytest.fail("reading the corpus opened the FIFO and blocked")
    return outcome[0]


def test_a_fifo_is_refused_never_called_a_folder(mini: Path, run_terms: RunTerms) -> None:
    os.mkfifo(mini / NEW)
    assert validate(run_terms) == (
        1,
        [
            "terms/sections/20-new.yaml:1:1: error[E110]: 'terms/sections/20-new.yaml' is a named pipe "
            "(FIFO); expected a YAML file",
            "  hint: only regular files are read",
        ],
        "1 error, 0 warnings\n",
    )


def test_a_fifo_in_place_of_a_corpus_file_is_refused(mini: Path, run_terms: RunTerms) -> None:
    (mini / "glossary.yaml").unlink()
    os.mkfifo(mini / "glossary.yaml")
    code, lines, _ = validate(run_terms)
    assert (code, lines[0]) == (
        1,
        "terms/glossary.yaml:1:1: error[E110]: 'terms/glossary.yaml' is a named pipe (FIFO); "
        "expected a YAML file",
    )


def test_loading_a_fifo_never_opens_it(mini: Path) -> None:
    os.mkfifo(mini / NEW)
    error = without_blocking(lambda: load.load_file(mini / NEW, "section"), mini / NEW)
    assert isinstance(error, CompileError)
    assert [d.code for d in error.diagnostics] == ["E110"]


def test_a_file_swapped_for_a_fifo_after_the_check_does_not_block(
    mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The open file is checked again: a FIFO that appears between the look and the read
    opens without blocking and is refused."""
    os.mkfifo(mini / NEW)
    monkeypatch.setattr(load, "refusal", lambda path, kind: None)
    error = without_blocking(lambda: load.read_source(mini / NEW, "section"), mini / NEW)
    assert isinstance(error, load.RefusedFile)
    assert (error.diagnostic.code, error.diagnostic.span) == ("E110", SourceSpan(f"terms/{NEW}", 1, 1))


def test_a_socket_is_refused(mini: Path, run_terms: RunTerms) -> None:
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(mini / NEW))
        code, lines, _ = validate(run_terms)
    assert (code, lines[0]) == (
        1,
        "terms/sections/20-new.yaml:1:1: error[E110]: 'terms/sections/20-new.yaml' is a socket; "
        "expected a YAML file",
    )


@pytest.mark.parametrize("target", ["/dev/zero", "/etc/passwd", "outside.yaml"])
def test_a_link_leading_out_of_the_corpus_is_refused_unread(
    mini: Path, run_terms: RunTerms, target: str
) -> None:
    (mini.parent / "outside.yaml").write_text(SECRET, encoding="utf-8")
    (mini / NEW).symlink_to(Path(target) if target.startswith("/") else Path("../..", target))
    code, out, err = run_terms("validate", "terms")
    assert (code, out.splitlines(), err) == (
        1,
        [
            "terms/sections/20-new.yaml:1:1: error[E111]: 'terms/sections/20-new.yaml' leads outside "
            "the corpus folder 'terms' through a symbolic link",
            "  hint: links are followed only within the corpus folder; copy the file into it",
        ],
        "1 error, 0 warnings\n",
    )


def test_a_sections_folder_linked_out_of_the_corpus_is_refused(mini: Path, run_terms: RunTerms) -> None:
    (mini / "sections").rename(mini.parent / "elsewhere")
    (mini / "sections").symlink_to(Path("..", "elsewhere"))
    code, lines, _ = validate(run_terms)
    assert (code, lines[0]) == (
        1,
        "terms/sections/10-buying.yaml:1:1: error[E111]: 'terms/sections/10-buying.yaml' leads "
        "outside the corpus folder 'terms' through a symbolic link",
    )


def test_a_link_inside_the_corpus_is_followed(mini: Path, run_terms: RunTerms) -> None:
    (mini / "shared").mkdir()
    (mini / "sections" / "10-buying.yaml").rename(mini / "shared" / "10-buying.yaml")
    (mini / "sections" / "10-buying.yaml").symlink_to(Path("..", "shared", "10-buying.yaml"))
    clean = "terms: 1 section, 3 clauses in 2 languages, 1 decision, 4 worked examples checked; 0 errors, 0 warnings\n"
    assert validate(run_terms) == (0, [], clean)  # the linked section was read


def test_a_loop_of_links_is_a_diagnostic(mini: Path, run_terms: RunTerms) -> None:
    (mini / "sections" / "20-a.yaml").symlink_to("20-b.yaml")
    (mini / "sections" / "20-b.yaml").symlink_to("20-a.yaml")
    assert validate(run_terms) == (
        1,
        [
            "terms/sections/20-a.yaml:1:1: error[E111]: 'terms/sections/20-a.yaml' is a symbolic link "
            "in a loop of links",
            "terms/sections/20-b.yaml:1:1: error[E111]: 'terms/sections/20-b.yaml' is a symbolic link "
            "in a loop of links",
        ],
        "2 errors, 0 warnings\n",
    )


def test_a_link_to_nothing_is_placed_at_the_link(mini: Path, run_terms: RunTerms) -> None:
    (mini / NEW).symlink_to("20-gone.yaml")
    assert validate(run_terms) == (
        1,
        [
            "terms/sections/20-new.yaml:1:1: error[E111]: 'terms/sections/20-new.yaml' is a symbolic "
            "link to a file that does not exist"
        ],
        "1 error, 0 warnings\n",
    )


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    mini: Path, run_terms: RunTerms, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (mini / NEW).open("wb") as file:
        file.truncate(load.MAX_FILE_BYTES + 1)  # sparse: no disk used, and reading it is what fails
    read = load._read_regular

    def read_unless_new(path: Path) -> bytes:
        assert path.name != "20-new.yaml", "the file was read"
        return read(path)

    monkeypatch.setattr(load, "_read_regular", read_unless_new)
    assert validate(run_terms) == (
        1,
        [
            "terms/sections/20-new.yaml:1:1: error[E112]: the file has 8,388,609 bytes; files of more "
            "than 8,388,608 bytes (8 MiB) are not read",
            "  hint: split it into several section files",
        ],
        "1 error, 0 warnings\n",
    )


def test_a_file_that_grows_past_the_limit_while_read_is_refused(
    mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (mini / NEW).write_bytes(b"id: x\n" * 100)
    monkeypatch.setattr(load, "MAX_FILE_BYTES", 50)
    monkeypatch.setattr(load, "refusal", lambda path, kind: None)  # as if it grew after the look
    with pytest.raises(load.RefusedFile) as refused:
        load.read_source(mini / NEW, "section")
    assert refused.value.diagnostic.code == "E112"


def test_a_conformance_file_linked_out_of_its_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "cases").mkdir()
    (tmp_path / "secret.yaml").write_text("decision: x\ncases: []\n", encoding="utf-8")
    (tmp_path / "cases" / "x.yaml").symlink_to(Path("..", "secret.yaml"))
    with pytest.raises(CompileError) as error:
        load.load_conformance(tmp_path / "cases")
    assert [d.code for d in error.value.diagnostics] == ["E111"]


def test_build_with_a_fifo_ends_with_the_diagnostic(mini: Path, tmp_path: Path) -> None:
    os.mkfifo(mini / NEW)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "terms_compiler", "build", "terms", "--no-site", "-q"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("terms build blocked on the FIFO")
    assert done.returncode == 1
    assert "error[E110]" in done.stdout


def test_a_5000_digit_number_is_a_located_diagnostic_not_a_traceback() -> None:
    """Python refuses to convert more than 4,300 digits (ValueError); the limit is far lower."""
    with pytest.raises(CompileError) as error:
        read_text("a: 1\nb: " + "9" * 5000 + "\n", "f.yaml")
    assert [(d.code, d.span, d.message) for d in error.value.diagnostics] == [
        ("E114", SourceSpan("f.yaml", 2, 4), "this whole number has 5000 digits; at most 18 are allowed")
    ]
    with pytest.raises(ParseError) as parse_error:
        parse("x <= " + "9" * 5000)
    assert (parse_error.value.offset, parse_error.value.length) == (5, 5000)
