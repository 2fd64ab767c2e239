"""Reading an edition: a corpus folder or a git revision (compiled as the build does), or a bundle.

A corpus folder, and a git revision exported to a temporary folder, go through
`pipeline.compile_corpus`, so `terms diff` compiles exactly what `terms build` compiles. This is
the only module of the package that imports the pipeline.
"""

from __future__ import annotations

import dataclasses
import io
import json
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

# The module, not its names: pipeline imports editions.compare, which runs this package's
# __init__ and so this module, possibly while pipeline is still half-loaded.
from terms_compiler import pipeline
from terms_compiler.check.bundle import Bundle, BundleError
from terms_compiler.editions.edition import Edition, FactSet
from terms_compiler.emit.bundle import build_bundle, example_facts
from terms_compiler.revision import git


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
    cases (as terms_compiler.pipeline.conformance_cases returns them). Pass the bundle when it is
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


def load_edition(spec: str, corpus_folder: Path = Path("terms")) -> Edition:
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
            return _load_folder(path, spec, "folder")
        bundles = sorted(p for p in path.glob("*.json") if p.with_name(p.name + ".sha256").is_file())
        if len(bundles) == 1:
            return _load_bundle(bundles[0], spec)
        raise DiffError(f"'{spec}' is a folder without corpus.yaml (nor a single bundle)")
    return _load_revision(spec, corpus_folder)


def _load_bundle(path: Path, label: str) -> Edition:
    try:
        data = Bundle.load(path).data
    except BundleError as error:
        raise DiffError(str(error)) from None
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
    folder: Path,
    label: str,
    kind: str,
    revision: str | None = None,
    shown: Callable[[str], str] | None = None,
) -> Edition:
    result = pipeline.compile_corpus(folder)
    if not result.ok or result.corpus is None:
        diagnostics = result.diagnostics
        if shown is not None:
            diagnostics = tuple(_relocated(d, shown) for d in diagnostics)
        errors = sum(1 for d in diagnostics if d.severity.value == "error")
        raise DiffError(f"'{label}' does not compile ({errors} error{'s' * (errors != 1)})", diagnostics)
    conformance = folder.resolve().parent / "tests" / "conformance"
    try:
        cases = pipeline.conformance_cases(conformance) if conformance.is_dir() else []
    except Exception as error:  # a broken conformance file: say so, as for the corpus
        raise DiffError(f"'{label}': cannot read the conformance cases ({error})") from None
    return edition_from_corpus(result.corpus, cases, label, kind, revision)


def _relocated(diagnostic: Any, shown: Callable[[str], str]) -> Any:
    if diagnostic.span is None:
        return diagnostic
    return dataclasses.replace(
        diagnostic, span=dataclasses.replace(diagnostic.span, file=shown(diagnostic.span.file))
    )


def _load_revision(spec: str, corpus_folder: Path) -> Edition:
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
    paths = [prefix] if prefix else []
    try:
        conformance = (
            (corpus_folder.resolve().parent / "tests" / "conformance").relative_to(root.resolve()).as_posix()
        )
    except ValueError:
        conformance = ""
    if prefix and conformance and git(root, "cat-file", "-e", f"{commit}:{conformance}").returncode == 0:
        paths.append(conformance)
    archive = git(root, "archive", "--format=tar", commit, "--", *paths)
    if archive.returncode != 0:
        problem = archive.stderr.decode(errors="replace").strip().splitlines()
        raise DiffError(f"cannot export revision '{spec}': {problem[0] if problem else 'git failed'}")
    with tempfile.TemporaryDirectory(prefix="terms-diff-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(tmp, filter="data")
            else:  # pragma: no cover - Python before 3.11.4
                tar.extractall(tmp)
        folder = Path(tmp) / prefix if prefix else Path(tmp)
        resolved_tmp = str(Path(tmp).resolve())

        def shown(file: str) -> str:
            for base in (tmp, resolved_tmp):
                if file.startswith(base):
                    return f"{spec}:{file[len(base) :].lstrip('/')}"
            return file

        return _load_folder(folder, spec, "git", commit, shown)
