"""The pipeline: the stages in order, run until one reports errors; the build writes atomically."""

from __future__ import annotations

import gc
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from terms_compiler import link as link_stage
from terms_compiler import model as model_stage
from terms_compiler import verify as verify_stage
from terms_compiler.cache import BuildCache, LastBuild, content_key
from terms_compiler.diagnostics import CompileError, Diagnostic, Severity, SourceSpan, has_errors
from terms_compiler.emit.bundle import build_bundle, canonical_json, digest_line, write_canonical_json
from terms_compiler.load import Document, discover, display_path, load_corpus_files, load_file
from terms_compiler.revision import source_revision
from terms_compiler.validate import validate_document

StageHook = Callable[[str, float], None]
CACHE_FOLDER = ".cache"


@dataclass
class _State:
    root: Path
    cache: BuildCache
    documents: list[Document] = field(default_factory=list)
    corpus: model_stage.Corpus | None = None


def _load(state: _State) -> list[Diagnostic]:
    state.documents, problems = load_corpus_files(state.root, state.cache.documents)
    return problems


def _validate(state: _State) -> list[Diagnostic]:
    found = []
    for doc in state.documents:
        key = content_key(doc.kind, doc.digest)
        if state.cache.valid.get(key):
            continue
        problems = validate_document(doc)
        if problems:
            found.extend(problems)
        else:
            state.cache.valid.put(key, True)  # only validity is kept: errors are found again
    return found


def _model(state: _State) -> list[Diagnostic]:
    state.corpus, problems = model_stage.build(state.documents)
    return problems


def _link(state: _State) -> list[Diagnostic]:
    assert state.corpus is not None
    state.corpus, problems = link_stage.link(state.corpus)
    return problems


def _verify(state: _State) -> list[Diagnostic]:
    assert state.corpus is not None
    return verify_stage.verify(state.corpus, state.cache.drift_checked, state.cache.decisions_checked)


# The whole processing order, in one place. A stage runs only when the ones before it found no
# error, except that validation also runs over the files that did load, so one bad file does not
# hide the schema errors of the others.
STAGES: tuple[tuple[str, Callable[[_State], list[Diagnostic]]], ...] = (
    ("load", _load),
    ("validate", _validate),
    ("model", _model),
    ("link", _link),
    ("verify", _verify),
)


@dataclass(frozen=True, slots=True)
class Result:
    corpus: model_stage.Corpus | None
    """The linked, verified corpus; None when a stage found errors."""
    diagnostics: tuple[Diagnostic, ...]
    timings: tuple[tuple[str, float], ...]
    """(stage, seconds) for each stage that ran."""

    @property
    def ok(self) -> bool:
        return self.corpus is not None and not has_errors(self.diagnostics)


def compile_corpus(root: Path, on_stage: StageHook | None = None, cache: BuildCache | None = None) -> Result:
    """Run the stages over the corpus at root; `cache` holds results of earlier builds."""
    state = _State(root, cache or BuildCache(None))
    diagnostics: list[Diagnostic] = []
    timings: list[tuple[str, float]] = []
    try:
        for name, stage in STAGES:
            started = time.perf_counter()
            found = stage(state)
            timings.append((name, time.perf_counter() - started))
            if on_stage:
                on_stage(name, timings[-1][1])
            diagnostics.extend(found)
            if has_errors(diagnostics) and name != "load":
                return Result(None, tuple(diagnostics), tuple(timings))
    except CompileError as error:
        return Result(None, (*diagnostics, *error.diagnostics), tuple(timings))
    return Result(state.corpus, tuple(diagnostics), tuple(timings))


@dataclass(frozen=True, slots=True)
class BuildResult:
    diagnostics: tuple[Diagnostic, ...]
    """Everything found, errors and warnings, from every stage."""
    bundle: Path | None
    """The bundle written; None when the build failed (the previous output is untouched)."""
    reused: str = ""
    """What the build cache gave back, e.g. "documents 40/41, valid 40/41, ..." (see
    BuildCache.summary)."""
    unchanged: bool = False
    """No input changed since the last build, whose output was kept as it is."""


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cyclic garbage collector, run less often. A build allocates millions of objects
    that live until it ends and makes little cyclic garbage, yet at the default thresholds the
    collector scanned the whole growing heap five times in a build at 2,000 x 10 (about 0.3 s of
    6 s, with the same peak memory). Young objects are still collected, and the thresholds are
    put back afterwards."""
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


@_fewer_collections()
def build(
    root: Path,
    out: Path,
    with_site: bool = True,
    on_stage: StageHook | None = None,
    conformance: Path | None = None,
    use_cache: bool = True,
) -> BuildResult:
    """Compile the corpus, then write the bundle (and the site) into out/, atomically.
    Conformance cases come from `conformance`, default tests/conformance beside the corpus.
    With `use_cache`, results of earlier builds under out/.cache/ are reused where their
    inputs are unchanged (see terms_compiler.cache), and unchanged languages skip MkDocs; when no
    input changed at all and the output is as the last build left it, it is kept as it is."""
    folder = conformance or root.resolve().parent / "tests" / "conformance"
    revision = source_revision(root)
    last_build = LastBuild(out / CACHE_FOLDER, root) if use_cache else None
    inputs = build_inputs(root, folder, revision, with_site) if last_build else None
    if last_build and inputs and (kept := last_build.unchanged(inputs, out)):
        return BuildResult(kept[1], kept[0], "everything: no input changed", unchanged=True)
    cache = BuildCache(out / CACHE_FOLDER if use_cache else None)
    result = compile_corpus(root, on_stage, cache)
    if not result.ok or result.corpus is None:
        return BuildResult(result.diagnostics, None)
    if last_build:
        cache.reusable_sites = {
            language
            for language in result.corpus.languages
            if last_build.untouched(out, f"docs/{language}") and last_build.untouched(out, f"site/{language}")
        }
    try:
        bundle, warnings = write_outputs(
            result.corpus,
            root,
            out,
            revision,
            conformance_cases(folder) if folder.is_dir() else [],
            with_site,
            on_stage,
            cache,
        )
    except CompileError as error:
        return BuildResult((*result.diagnostics, *error.diagnostics), None)
    cache.save()
    diagnostics = (*result.diagnostics, *warnings)
    if last_build and inputs:
        last_build.save(inputs, out, bundle, diagnostics, result.corpus.previous_edition)
    return BuildResult(diagnostics, bundle, cache.summary())


def build_inputs(root: Path, conformance: Path, revision: str | None, with_site: bool) -> str | None:
    """A key over everything a build reads besides the compiler (see cache.fingerprint): the
    bytes of each corpus file and conformance case, the corpus's git revision, the folder as
    diagnostics name it, and whether the site is built. None when a corpus file is missing
    (that build fails and is never kept)."""
    parts: list[str | bytes] = [display_path(root), str(revision), "site" if with_site else "no site"]
    cases = sorted(conformance.glob("*.yaml")) if conformance.is_dir() else []
    for path in [path for path, _ in discover(root)] + cases:
        try:
            parts += [str(path), path.read_bytes()]
        except OSError:
            return None
    return content_key(*parts)


def conformance_cases(folder: Path) -> list[dict[str, Any]]:
    """Conformance cases from tests/conformance/*.yaml (a decision and its cases per file),
    flattened for export beside the bundle."""
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        data = load_file(path, "conformance").data  # our loader: dates stay ISO strings
        for case in data["cases"]:
            cases.append({"file": path.name, "decision": data["decision"], **case})
    return cases


def changes_since_previous(
    corpus: model_stage.Corpus, root: Path, bundle: dict[str, Any], conformance: list[dict[str, Any]]
) -> tuple[Any, list[Diagnostic]]:
    """The changes since the edition corpus.yaml names as previous (None when it names none or
    it cannot be read: a warning then, not a failed build, e.g. in a shallow clone)."""
    if not corpus.previous_edition:
        return None, []
    from terms_compiler.editions import DiffError, compare, edition_from_corpus, load_edition

    try:
        old = load_edition(corpus.previous_edition, root)
    except DiffError as error:
        return None, [
            Diagnostic(
                "W500",
                f"the previous edition '{corpus.previous_edition}' cannot be read ({error}); "
                "the site has no list of changes",
                SourceSpan(display_path(root / "corpus.yaml"), 1, 1),
                severity=Severity.WARNING,
            )
        ]
    new = edition_from_corpus(corpus, conformance, label=corpus.edition, bundle=bundle)
    return compare(old, new), []


def write_outputs(
    corpus: model_stage.Corpus,
    root: Path,
    out: Path,
    revision: str | None,
    conformance: list[dict[str, Any]],
    with_site: bool = True,
    on_stage: StageHook | None = None,
    cache: BuildCache | None = None,
) -> tuple[Path, list[Diagnostic]]:
    """Write build/bundle, build/docs and build/site into a staging folder, then swap each in,
    so a failed build leaves the previous output untouched. Returns the bundle's path and
    warnings."""
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))

    def timed(stage: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        if on_stage:
            on_stage(stage, time.perf_counter() - started)
        return result

    try:
        name = f"{corpus.id}.json"
        rendered = cache.rendered if cache is not None else None
        bundle = timed("render bundle", lambda: build_bundle(corpus, revision, rendered))
        changes, warnings = timed(
            "diff previous edition", lambda: changes_since_previous(corpus, root, bundle, conformance)
        )
        if changes is not None:
            from terms_compiler.editions import changes_summary

            bundle["changes"] = {"previous_edition": corpus.previous_edition, **changes_summary(changes)}
        timed("write bundle", lambda: _write_bundle(bundle, staging / "bundle", name, conformance))
        if with_site:
            from terms_compiler.emit import site  # Jinja and MkDocs only when a site is built

            previous = out if cache is not None and cache.folder is not None else None
            reusable = cache.reusable_sites if cache is not None else set()
            last = (
                site.LastSources(out / "docs", frozenset(reusable), cache.section_pages.previous)
                if cache is not None and previous is not None
                else None
            )
            pages = timed(
                "emit markdown",
                lambda: site.write_docs(corpus, bundle, staging / "bundle", staging / "docs", changes, last),
            )
            if cache is not None:
                cache.section_pages.note(pages)
            builds = timed(
                "mkdocs",
                lambda: site.build_sites(
                    staging / "docs", staging / "site", corpus.languages, previous, reusable
                ),
            )
            if cache is not None:
                cache.sites_reused = [lang for lang, b in builds.items() if b.pages_reused == b.pages]
                cache.pages_reused = [
                    (b.pages_reused, b.pages) for lang, b in builds.items() if lang not in cache.sites_reused
                ]
        for part in ("bundle", "docs", "site"):
            if (staging / part).exists():
                swap_in(staging / part, out / part)
            elif (out / part).exists():  # an earlier build's site would not match this bundle
                shutil.rmtree(out / part)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out / "bundle" / name, warnings


def _write_bundle(bundle: dict[str, Any], folder: Path, name: str, conformance: list[dict[str, Any]]) -> None:
    folder.mkdir()
    digest = write_canonical_json(bundle, folder / name)
    (folder / f"{name}.sha256").write_text(digest_line(digest, name), encoding="utf-8")
    (folder / "conformance.json").write_bytes(canonical_json({"bundle": name, "cases": conformance}))


def swap_in(staging: Path, target: Path) -> None:
    """Replace target by staging with renames, so readers never see a half-written folder."""
    old = target.with_name(f".{target.name}-old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
