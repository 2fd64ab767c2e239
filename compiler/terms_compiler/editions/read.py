"""Reading an edition: a corpus folder or a git revision (compiled as the build does), or a bundle.

A corpus folder, and a git revision exported to a temporary folder, are compiled by the function
the caller passes (`pipeline.compile_corpus`), so `terms diff` compiles exactly what `terms build`
compiles; it is passed in because the pipeline itself reads the previous edition with it.
"""

from __future__ import annotations

import dataclasses
import io
import json
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from terms_compiler.check.bundle import Bundle, BundleError
from terms_compiler.diagnostics import CompileError
from terms_compiler.editions.edition import Edition, FactSet
from terms_compiler.emit.bundle import build_bundle, example_facts
from terms_compiler.load import load_conformance, load_file
from terms_compiler.revision import git

Compile = Callable[[Path], Any]
"""Compiles a corpus folder: pipeline.compile_corpus (returns a pipeline.Result)."""


class DiffError(Exception):
    """A side of the diff cannot be read; the message says why (one line)."""

    def __init__(self, message: str, diagnostics: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.diagnostics = tuple(diagnostics)


def edition_from_corpus(
    corpus: Any,
    conformance: Iterable[Mapping[str, Any]] = (),
    label: str = "",
    kind: str = "corpus",
    revision: str | None = None,
    bundle: Mapping[str, Any] | None = None,
) -> Edition:
    """An edition from a linked, verified corpus (terms_compiler.model.Corpus) and its conformance
    cases (as terms_compiler.load.load_conformance returns them). Pass the bundle when it is
    already built (build_bundle(corpus, revision)), to save building it again."""
    fact_sets = [_case_fact_set(case) for case in conformance]
    for clause in corpus.all_clauses():
        if clause.rule is None:
            continue
        decision = corpus.decisions.get(clause.rule.decision)
        if decision is None:
            continue
        for example in clause.examples:
            fact_sets.append(
                FactSet(
                    decision.id,
                    example_facts(decision, example.facts),
                    example.as_of,
                    "example",
                    f"{clause.id}: {example.title}",
                )
            )
    bases = {d.id: dict(d.example_base) for d in corpus.decisions.values() if d.example_base}
    return Edition(
        label or corpus.id,
        kind,
        bundle if bundle is not None else build_bundle(corpus, revision),
        tuple(fact_sets),
        bases,
        revision,
    )


def edition_from_bundle(
    data: Mapping[str, Any], cases: Iterable[Mapping[str, Any]] = (), label: str = ""
) -> Edition:
    """An edition from bundle data (e.g. checker.Bundle.load(path).data) and conformance cases."""
    return Edition(
        label or str(data.get("corpus", "bundle")),
        "bundle",
        data,
        tuple(_case_fact_set(case) for case in cases),
        {},
        data.get("source_revision"),
    )


def _case_fact_set(case: Mapping[str, Any]) -> FactSet:
    return FactSet(
        str(case["decision"]),
        dict(case.get("facts") or {}),
        case.get("as_of"),
        "conformance",
        str(case.get("name", "")),
    )


def load_edition(spec: str, corpus_folder: Path, compile_corpus: Compile) -> Edition:
    """Resolve a side: a bundle (.json with its .sha256 beside it), a corpus folder (holding
    corpus.yaml) or a git revision of the repository holding corpus_folder. A path that exists
    wins over a revision of the same name. Raises DiffError."""
    path = Path(spec)
    if path.is_file():
        if path.suffix != ".json":
            raise DiffError(f"'{spec}' is a file but not a bundle (a .json file)")
        return _load_bundle(path, spec)
    if path.is_dir():
        if (path / "corpus.yaml").is_file():
            return _load_folder(compile_corpus, path, spec, "folder")
        bundles = sorted(
            p
            for p in path.glob("*.json")
            if p.with_name(p.name + ".sha256").is_file() and ".rules." not in p.name  # docs/rules-files.md
        )
        if len(bundles) == 1:
            return _load_bundle(bundles[0], spec)
        raise DiffError(f"'{spec}' is a folder without corpus.yaml (nor a single bundle)")
    return _load_revision(compile_corpus, spec, corpus_folder)


def _load_bundle(path: Path, label: str) -> Edition:
    """A bundle, verified, with every decision compiled: a malformed rule is refused here, as
    comparing reads every rule."""
    try:
        bundle = Bundle.load(path)
        for decision_id in bundle.data["decisions"]:
            bundle.decision(decision_id)
    except BundleError as error:
        raise DiffError(str(error)) from None
    data = bundle.data
    cases: list[Mapping[str, Any]] = []
    conformance = path.with_name("conformance.json")
    if conformance.is_file():
        try:
            exported = json.loads(conformance.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise DiffError(f"{conformance}: cannot read the conformance cases ({error})") from None
        if isinstance(exported, dict) and exported.get("bundle") == path.name:
            cases = [c for c in exported.get("cases", []) if isinstance(c, dict)]
    return edition_from_bundle(data, cases, label)


def _load_folder(
    compile_corpus: Compile,
    folder: Path,
    label: str,
    kind: str,
    revision: str | None = None,
    shown: Callable[[str], str] | None = None,
) -> Edition:
    result = compile_corpus(folder)
    if not result.ok or result.corpus is None:
        diagnostics = result.diagnostics
        if shown is not None:
            diagnostics = tuple(_relocated(d, shown) for d in diagnostics)
        errors = sum(1 for d in diagnostics if d.severity.value == "error")
        raise DiffError(f"'{label}' does not compile ({errors} error{'s' * (errors != 1)})", diagnostics)
    conformance = result.corpus.conformance  # None: the edition names no conformance cases
    try:
        cases = load_conformance(conformance) if conformance is not None else []
    except CompileError as error:  # a broken conformance file: say so, as for the corpus
        raise DiffError(f"'{label}': cannot read the conformance cases", error.diagnostics) from None
    return edition_from_corpus(result.corpus, cases, label, kind, revision)


def _relocated(diagnostic: Any, shown: Callable[[str], str]) -> Any:
    if diagnostic.span is None:
        return diagnostic
    return dataclasses.replace(
        diagnostic, span=dataclasses.replace(diagnostic.span, file=shown(diagnostic.span.file))
    )


@contextmanager
def revision_folder(spec: str, corpus_folder: Path) -> Iterator[tuple[Path, str, Callable[[str], str]]]:
    """The corpus folder as of git revision spec of the repository holding corpus_folder,
    exported with its conformance cases into a temporary folder (removed afterwards): (the
    folder, the commit, a function naming an exported file as `spec:path`). Raises DiffError."""
    neither = f"'{spec}' is neither a bundle (.json file), a corpus folder nor a git revision"
    try:
        top = git(corpus_folder, "rev-parse", "--show-toplevel")
    except OSError:
        raise DiffError(f"{neither} (git is not available)") from None
    if top.returncode != 0:
        raise DiffError(f"{neither} ({corpus_folder} is not in a git repository)")
    root = Path(top.stdout.decode().strip())
    found = git(corpus_folder, "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}")
    if found.returncode != 0 or not found.stdout.strip():
        raise DiffError(f"{neither} of {root}")
    commit = found.stdout.decode().strip()
    prefix = git(corpus_folder, "rev-parse", "--show-prefix").stdout.decode().strip().rstrip("/")
    if prefix and git(root, "cat-file", "-e", f"{commit}:{prefix}").returncode != 0:
        raise DiffError(f"revision '{spec}' has no {prefix}/")
    with tempfile.TemporaryDirectory(prefix="terms-diff-") as tmp:
        _export(root, commit, prefix, Path(tmp), spec)
        folder = Path(tmp) / prefix if prefix else Path(tmp)
        cases = _named_conformance(folder, Path(tmp))
        if cases is not None and git(root, "cat-file", "-e", f"{commit}:{cases}").returncode == 0:
            _export(root, commit, cases, Path(tmp), spec)  # its conformance cases, wherever they are
        resolved_tmp = str(Path(tmp).resolve())

        def shown(file: str) -> str:
            for base in (tmp, resolved_tmp):
                if file.startswith(base):
                    return f"{spec}:{file[len(base) :].lstrip('/')}"
            return file

        yield folder, commit, shown


def _load_revision(compile_corpus: Compile, spec: str, corpus_folder: Path) -> Edition:
    with revision_folder(spec, corpus_folder) as (folder, commit, shown):
        return _load_folder(compile_corpus, folder, spec, "git", commit, shown)


def _export(root: Path, commit: str, path: str, into: Path, spec: str) -> None:
    """Extract path (all of the repository when "") as of commit into the folder into."""
    archive = git(root, "archive", "--format=tar", commit, "--", *([path] if path else []))
    if archive.returncode != 0:
        problem = archive.stderr.decode(errors="replace").strip().splitlines()
        raise DiffError(f"cannot export revision '{spec}': {problem[0] if problem else 'git failed'}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, filter="data")
        else:  # pragma: no cover - Python before 3.11.4
            tar.extractall(into)


def _named_conformance(folder: Path, top: Path) -> str | None:
    """The conformance folder the corpus.yaml in folder names, as a path from the top of the
    repository (None when it names none, or one outside the repository)."""
    try:
        named = load_file(folder / "corpus.yaml", "corpus").data.get("conformance")
    except (CompileError, AttributeError):
        return None  # compiling the corpus will say what is wrong with it
    if not isinstance(named, str):
        return None
    path = (folder / named).resolve()
    return path.relative_to(top.resolve()).as_posix() if path.is_relative_to(top.resolve()) else None
