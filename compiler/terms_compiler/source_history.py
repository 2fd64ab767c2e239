"""The source text a translation was made from, found again in git by the hash it records.

A translation records only the hash of the source text it translates (`translates:`), so the
text itself is read from the history of the clause's file: the newest commit in which the
clause's source text has that hash. A corpus outside git, or a text never committed, cannot be
found; the caller says so rather than guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from terms_compiler.diagnostics import CompileError
from terms_compiler.freshness import text_hash
from terms_compiler.model import Clause
from terms_compiler.revision import git
from terms_compiler.yaml_reader import read_text

MAX_COMMITS = 1000
"""How far back the history of one file is read: enough for years of edits, bounded in time."""


@dataclass(frozen=True, slots=True)
class PastSource:
    """A clause's source text as it was in a commit."""

    commit: str
    title: str
    body: str


class NotInGit(Exception):
    """The file is not in a git work tree (or git is missing): no history to search."""


def find_past_sources(
    file: Path, wanted: Iterable[tuple[str, str]], source_language: str
) -> dict[tuple[str, str], PastSource]:
    """For each (clause id, source hash) wanted, the newest committed source text of that
    clause in `file` whose hash it is; pairs not found in the file's history are left out.
    Raises NotInGit when the file has no git history to search."""
    missing = set(wanted)
    found: dict[tuple[str, str], PastSource] = {}
    for commit, text in _file_history(file):
        for clause in _clauses(text, file):
            texts = clause.get("text")
            source = texts.get(source_language) if isinstance(texts, dict) else None
            if not isinstance(source, dict):
                continue
            title, body = str(source.get("title", "")), str(source.get("body", ""))
            key = (str(clause.get("id")), text_hash(title, body))
            if key in missing:
                found[key] = PastSource(commit, title, body)
                missing.discard(key)
        if not missing:
            break
    return found


def _file_history(file: Path) -> Iterator[tuple[str, str]]:
    """(commit, the file's text in it), newest first, following renames."""
    folder = file.resolve().parent
    try:
        log = git(
            folder, "log", f"-{MAX_COMMITS}", "--follow", "--format=%x00%H", "--name-only", "--", file.name
        )
    except OSError:
        raise NotInGit from None
    if log.returncode != 0:
        raise NotInGit
    top = git(folder, "rev-parse", "--show-toplevel").stdout.decode().strip()
    for entry in log.stdout.decode("utf-8", "replace").split("\0")[1:]:
        commit, _, names = entry.strip().partition("\n")
        name = names.strip().splitlines()[-1] if names.strip() else ""
        shown = git(Path(top), "show", f"{commit}:{name}") if name else None
        if shown is not None and shown.returncode == 0:
            yield commit, shown.stdout.decode("utf-8", "replace")


def _clauses(text: str, file: Path) -> list[dict[str, Any]]:
    """The clauses (mappings) of a version of a section file; none when it does not parse."""
    try:
        data = read_text(text, str(file))
    except CompileError:  # a commit in which the file did not parse holds nothing to find
        return []
    clauses = data.get("clauses") if isinstance(data, dict) else None
    return [clause for clause in clauses if isinstance(clause, dict)] if isinstance(clauses, list) else []


def past_sources(
    clauses: Iterable[tuple[Clause, str]], source_language: str
) -> tuple[dict[tuple[str, str], PastSource], bool]:
    """For each (clause, recorded source hash), the source text found in git (pairs not found are
    left out), and whether every clause's file has a git history to search."""
    by_file: dict[Path, list[tuple[str, str]]] = {}
    for clause, recorded in clauses:
        by_file.setdefault(clause.origin.document.source, []).append((clause.id, recorded))
    found: dict[tuple[str, str], PastSource] = {}
    in_git = True
    for file, wanted in by_file.items():
        try:
            found |= find_past_sources(file, wanted, source_language)
        except NotInGit:
            in_git = False
    return found, in_git
