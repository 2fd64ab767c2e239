"""`terms status --diff LANG` (issue 17, item 12): for each stale translation, a word-level
redline of what changed in the source text since the translation was made, the old text found
in git by the hash the translation records."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from terms_compiler.emit.bundle import build_bundle
from terms_compiler.emit.site import write_docs
from terms_compiler.pipeline import compile_corpus

SECTION = "terms/sections/10-buying.yaml"
GIT_USER = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
}


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def edit_source(old: str, new: str) -> None:
    path = Path(SECTION)
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def translated_then_changed(mini: Path, run_terms, monkeypatch: pytest.MonkeyPatch) -> str:  # type: ignore[no-untyped-def]
    """The mini corpus in git: buying.window's uk translation recorded, committed, then its
    English title and prose changed (and committed: the old text must be in a commit, the new
    one need not). Returns the commit that holds the text the translation was made from."""
    for name, value in GIT_USER.items():
        monkeypatch.setenv(name, value)
    git("init", "-q")
    assert run_terms("translated", "uk", "buying.window", "--path", "terms")[0] == 0
    git("add", "-A")
    git("commit", "-qm", "translated")
    translated = git("rev-parse", "HEAD")
    edit_source("        title: The window\n", "        title: The ordering window\n")
    edit_source("may get Software Assurance", "may buy Software Assurance")
    git("commit", "-qam", "source changed")
    return translated


def test_the_redline_of_a_stale_translations_source(translated_then_changed: str, run_terms) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_terms("status", "terms", "--diff", "uk")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{SECTION}:17:5: buying.window (uk is stale)",
        f"  en text changed since {translated_then_changed[:12]} (399f877af170):",
        "  title: The {+ordering+} window",
        "  body: A [License](term:license) may [-get-]{+buy+} Software Assurance within {{ window_days }} …",
    ]
    assert run_terms("status", "terms", "--diff", "uk", "--strict")[0] == 1


def test_the_redline_in_json(translated_then_changed: str, run_terms) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_terms("status", "terms", "--diff", "uk", "--format", "json")
    assert code == 0
    [stale] = json.loads(out)["stale"]
    assert stale["clause"] == "buying.window"
    assert stale["found_in_commit"] == translated_then_changed
    assert stale["title"] == [["=", "The "], ["+", "ordering "], ["=", "window"]]
    assert stale["body"][:3] == [["=", "A [License](term:license) may "], ["-", "get"], ["+", "buy"]]


def test_outside_git_it_says_the_old_text_cannot_be_shown(mini: Path, run_terms, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(Path.cwd().parent))  # even if /tmp is in git
    run_terms("translated", "uk", "buying.window", "--path", "terms")
    edit_source("may get Software Assurance", "may buy Software Assurance")
    code, out, _ = run_terms("status", "terms", "--diff", "uk")
    assert code == 0
    assert out.splitlines() == [
        f"{SECTION}:17:5: buying.window (uk is stale)",
        "  the en text it translates (399f877af170) was not found",
        "note: the corpus is not in a git repository, so the source text a translation was made "
        "from cannot be shown",
    ]


def test_a_language_that_is_not_translated_is_refused(mini: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_terms("status", "terms", "--diff", "de")
    assert (code, out) == (2, "")
    assert err == "error[E430]: 'de' is not a translated language of the corpus (uk)\n"


def test_the_status_page_shows_the_redline_under_the_stale_clause(  # type: ignore[no-untyped-def]
    translated_then_changed: str, tmp_path: Path
) -> None:
    result = compile_corpus(Path("terms"))
    assert result.corpus is not None
    bundle_dir = tmp_path / "bundle"
    bundle_dir.mkdir()
    write_docs(result.corpus, build_bundle(result.corpus, None), bundle_dir, tmp_path / "docs")
    status = (tmp_path / "docs/en/docs/status.md").read_text(encoding="utf-8")
    assert (
        '<code>buying.<wbr>window</code><div class="terms-status-change">'
        "<p>Changes to the source text since the translation (uk):</p>"
        "<p>The <strong>ordering</strong> window</p>"
        "<p>A [License](term:license) may <s>get</s> <strong>buy</strong> Software Assurance "
        "within {{ window_days }} …</p></div>"
    ) in status
    uk = (tmp_path / "docs/uk/docs/status.md").read_text(encoding="utf-8")
    assert "<p>Зміни у вихідному тексті після перекладу (uk):</p>" in uk
