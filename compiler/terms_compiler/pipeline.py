"""The pipeline: every stage from the corpus files to the site, in order, in one list.

    load -> validate -> model -> link -> verify                       (compile_corpus)
         -> render bundle -> diff previous edition -> write bundle
         -> emit markdown -> mkdocs                                     (build, into a staging folder)

Each stage reads what the stages before it left in the State and adds its own result; the
values it hands on are frozen (documents, the corpus) or plain data (the bundle). The build
cache (terms_compiler.cache) is applied here, around the stages: each adapter below looks its
stage's results up by content and keeps the new ones. `terms validate`, `status`, `diff` and
`serve` run this same list, `status` only up to the model.
"""

from __future__ import annotations

import errno
import fcntl
import gc
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from terms_compiler import link as link_stage
from terms_compiler import load as load_stage
from terms_compiler import model as model_stage
from terms_compiler import verify as verify_stage
from terms_compiler.cache import BuildCache, LastBuild, content_key
from terms_compiler.diagnostics import CompileError, Diagnostic, Severity, SourceSpan, has_errors
from terms_compiler.editions.compare import compare
from terms_compiler.editions.read import DiffError, edition_from_corpus, load_edition
from terms_compiler.editions.render import changes_summary
from terms_compiler.emit.bundle import (
    bundle_json,
    canonical_json,
    clause_markdowns,
    decision_json,
    digest_line,
    render_texts,
    write_canonical_json,
)
from terms_compiler.load import (
    Document,
    discover,
    display_path,
    load_conformance,
    load_file,
)
from terms_compiler.revision import source_revision
from terms_compiler.validate import validate_document
from terms_compiler.verify.drift import clause_drift, drift_key

StageHook = Callable[[str, float], None]
CACHE_FOLDER = ".cache"
OUTPUT_PARTS = ("bundle", "docs", "site")


@dataclass
class State:
    """What the stages hand on to each other during one run."""

    root: Path
    """The corpus folder."""
    cache: BuildCache
    revision: str | None = None
    """The corpus's git commit, recorded in the bundle."""
    staging: Path | None = None
    """Where the output stages write (a build's staging folder); None: compile only."""
    last_output: Path | None = None
    """The last build's output folder, whose unchanged sites may be reused; None: none."""
    last_build: LastBuild | None = None
    with_site: bool = True
    conformance_folder: Path | None = None
    """Conformance cases given on the command line, instead of the folder corpus.yaml names."""
    documents: list[Document] = field(default_factory=list)
    corpus: model_stage.Corpus | None = None
    conformance: list[dict[str, Any]] | None = None
    """The conformance cases to publish; None when the corpus has none."""
    bundle: dict[str, Any] | None = None
    changes: Any = None
    """The changes since the previous edition (editions.compare), or None."""


Stage = Callable[[State], list[Diagnostic]]


# Compile ---------------------------------------------------------------------------------------


def _load(state: State) -> list[Diagnostic]:
    """load_stage.load_corpus_files, taking the data of each file whose bytes an earlier build
    loaded from the cache; the rest are loaded (in workers when many) and kept."""
    files, problems = load_stage.corpus_files(state.root)
    loaded: list[Document | CompileError | None] = []
    for path, kind in files:
        try:
            digest = load_stage.file_digest(path.read_bytes())
        except OSError:
            digest = ""  # load_file reports it
        data = state.cache.documents.get(digest) if digest else None
        loaded.append(
            Document(display_path(path), kind, data, path.resolve(), digest) if data is not None else None
        )
    missing = [file for file, known in zip(files, loaded, strict=True) if known is None]
    fresh = iter(load_stage.load_files(missing))
    for index, known in enumerate(loaded):
        if known is None:
            loaded[index] = document = next(fresh)
            if isinstance(document, Document):
                state.cache.documents.put(document.digest, document.data)
    state.documents = [document for document in loaded if isinstance(document, Document)]
    return problems + [d for error in loaded if isinstance(error, CompileError) for d in error.diagnostics]


def _validate(state: State) -> list[Diagnostic]:
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


def _model(state: State) -> list[Diagnostic]:
    state.corpus, problems = model_stage.build(state.documents)
    return problems


def _link(state: State) -> list[Diagnostic]:
    assert state.corpus is not None
    state.corpus, problems = link_stage.link(state.corpus)
    return problems


def _verify(state: State) -> list[Diagnostic]:
    """verify_stage.verify, one decision and one clause at a time, skipping those an earlier
    build checked with the same inputs (their keys name everything the checks read)."""
    corpus, cache = state.corpus, state.cache
    assert corpus is not None
    problems: list[Diagnostic] = []
    examples = verify_stage.worked_examples(corpus)
    for decision in corpus.decisions.values():
        spec = decision_json(corpus, decision)
        key = verify_stage.decision_key(corpus, decision, spec, examples[decision.id])
        if not cache.decisions_checked.get(key):
            found = verify_stage.decision_problems(corpus, decision, spec, examples[decision.id])
            if not found:
                cache.decisions_checked.put(key, True)  # only a clean result: problems are found again
            problems += found
    for clause in corpus.all_clauses():
        key = drift_key(corpus.source_language, clause)
        known = cache.drift_checked.get(key)
        if known is not None:
            problems += (Diagnostic.from_record(record) for record in known)
            continue
        found = clause_drift(clause, corpus.source_language)
        # Problems placed in a file that changed during the build sit at its first line: those
        # are found again next time.
        if not found or clause.origin.document.text:
            cache.drift_checked.put(key, [problem.to_record() for problem in found])
        problems += found
    return problems


# Output ----------------------------------------------------------------------------------------


def _render_bundle(state: State) -> list[Diagnostic]:
    assert state.corpus is not None
    folder = state.conformance_folder or state.corpus.conformance
    state.conformance = load_conformance(folder) if folder is not None else None
    markdowns = clause_markdowns(state.corpus)
    texts = {digest: text for by_language in markdowns.values() for text, digest in by_language.values()}
    known = {digest: state.cache.rendered.get(digest) for digest in texts}
    missing = {digest: text for digest, text in texts.items() if known[digest] is None}
    for digest, rendered in zip(missing, render_texts(list(missing.values())), strict=True):
        known[digest] = rendered
        state.cache.rendered.put(digest, rendered)
    state.bundle = bundle_json(state.corpus, state.revision, markdowns, known)
    if folder is None:
        return [
            _corpus_warning(
                state.root,
                "W380",
                "corpus.yaml names no conformance folder "
                "(key 'conformance'): the bundle is published without conformance cases",
            )
        ]
    return []


def _diff_previous(state: State) -> list[Diagnostic]:
    """The changes since the edition corpus.yaml names as previous; a warning, not a failed
    build, when it cannot be read (a shallow clone, say)."""
    corpus, bundle = state.corpus, state.bundle
    assert corpus is not None and bundle is not None
    if not corpus.previous_edition:
        return []
    try:
        old = load_edition(corpus.previous_edition, state.root, compile_corpus)
    except DiffError as error:
        return [
            _corpus_warning(
                state.root,
                "W500",
                f"the previous edition '{corpus.previous_edition}' "
                f"cannot be read ({error}); the site has no list of changes",
            )
        ]
    new = edition_from_corpus(corpus, state.conformance or [], label=corpus.edition, bundle=bundle)
    state.changes = compare(old, new)
    bundle["changes"] = {"previous_edition": corpus.previous_edition, **changes_summary(state.changes)}
    return []


def _write_bundle(state: State) -> list[Diagnostic]:
    assert state.corpus is not None and state.bundle is not None and state.staging is not None
    folder, name = state.staging / "bundle", f"{state.corpus.id}.json"
    folder.mkdir()
    digest = write_canonical_json(state.bundle, folder / name)
    (folder / f"{name}.sha256").write_text(digest_line(digest, name), encoding="utf-8")
    if state.conformance is not None:
        cases = {"bundle": name, "cases": state.conformance}
        (folder / "conformance.json").write_bytes(canonical_json(cases))
    return []


def _emit_markdown(state: State) -> list[Diagnostic]:
    if not state.with_site:
        return []
    from terms_compiler.emit import site  # Jinja and MkDocs are imported only when a site is built

    corpus, cache = state.corpus, state.cache
    assert corpus is not None and state.bundle is not None and state.staging is not None
    if state.last_build is not None and state.last_output is not None:
        cache.reusable_sites = {
            language
            for language in corpus.languages
            if state.last_build.untouched(state.last_output, f"docs/{language}")
            and state.last_build.untouched(state.last_output, f"site/{language}")
        }
    last = None
    if state.last_output is not None:
        last = site.LastSources(
            state.last_output / "docs", frozenset(cache.reusable_sites), cache.section_pages.previous
        )
    staging = state.staging
    pages = site.write_docs(corpus, state.bundle, staging / "bundle", staging / "docs", state.changes, last)
    cache.section_pages.note(pages)
    return []


def _mkdocs(state: State) -> list[Diagnostic]:
    if not state.with_site:
        return []
    from terms_compiler.emit import site  # as above

    corpus, cache, staging = state.corpus, state.cache, state.staging
    assert corpus is not None and staging is not None
    builds = site.build_sites(
        staging / "docs", staging / "site", corpus.languages, state.last_output, cache.reusable_sites
    )
    cache.sites_reused = [language for language, b in builds.items() if b.pages_reused == b.pages]
    cache.pages_reused = [
        (b.pages_reused, b.pages) for language, b in builds.items() if language not in cache.sites_reused
    ]
    return []


# The whole processing order, in one place. A stage runs only when the ones before it found no
# error, except that validation also runs over the files that did load, so one bad file does not
# hide the schema errors of the others.
STAGES: tuple[tuple[str, Stage], ...] = (
    ("load", _load),
    ("validate", _validate),
    ("model", _model),
    ("link", _link),
    ("verify", _verify),
    ("render bundle", _render_bundle),
    ("diff previous edition", _diff_previous),
    ("write bundle", _write_bundle),
    ("emit markdown", _emit_markdown),
    ("mkdocs", _mkdocs),
)
COMPILE_STAGES = STAGES[: [name for name, _ in STAGES].index("verify") + 1]


def run(state: State, stages: tuple[tuple[str, Stage], ...], on_stage: StageHook | None = None) -> Result:
    """Run stages in order over state until one finds an error."""
    diagnostics: list[Diagnostic] = []
    timings: list[tuple[str, float]] = []
    try:
        for name, stage in stages:
            started = time.perf_counter()
            found = stage(state)
            timings.append((name, time.perf_counter() - started))
            if on_stage:
                on_stage(name, timings[-1][1])
            diagnostics.extend(found)
            if has_errors(diagnostics) and name != "load":
                break
    except CompileError as error:
        diagnostics.extend(error.diagnostics)
    return Result(state.corpus, tuple(diagnostics), tuple(timings))


@dataclass(frozen=True, slots=True)
class Result:
    corpus: model_stage.Corpus | None
    """The corpus as the last stage that ran left it (None when no model was built): only a
    result that is ok holds a linked, verified corpus."""
    diagnostics: tuple[Diagnostic, ...]
    timings: tuple[tuple[str, float], ...]
    """(stage, seconds) for each stage that ran."""

    @property
    def ok(self) -> bool:
        return self.corpus is not None and not has_errors(self.diagnostics)


def compile_corpus(
    root: Path, on_stage: StageHook | None = None, cache: BuildCache | None = None, until: str = "verify"
) -> Result:
    """Run the compile stages over the corpus at root, up to and including `until`; `cache`
    holds results of earlier builds."""
    names = [name for name, _ in COMPILE_STAGES]
    return run(State(root, cache or BuildCache(None)), COMPILE_STAGES[: names.index(until) + 1], on_stage)


# Build -----------------------------------------------------------------------------------------


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
    discarded: int = 0
    """Entries of the build cache that did not verify, discarded and computed again."""


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
    """Run every stage over the corpus at root, writing into a new folder out/.builds/NAME/,
    then publish it in one step (see publish). Conformance cases come from `conformance`,
    default the folder corpus.yaml names. With `use_cache`, results of earlier builds under
    out/.cache/ are reused where their inputs are unchanged (see terms_compiler.cache), and
    unchanged languages skip MkDocs; when no input changed at all and the output is as the last
    build left it, it is kept as it is. An output that cannot be written (a read-only or full
    disk, a file in the way) fails the build with E710 and leaves the published one as it was."""
    revision = source_revision(root)
    inputs = build_inputs(root, conformance or named_conformance(root), revision, with_site)
    with ExitStack() as held:
        last = _hold_build(out, held, fcntl.LOCK_SH)
        with suppress(OSError):  # none yet, or read-only (then the build says so below)
            remove_leftovers(out)
        last_build = LastBuild(out / CACHE_FOLDER, root) if use_cache else None
        if last_build and inputs and (kept := last_build.unchanged(inputs, last)):
            return BuildResult(kept[1], out / kept[0], "everything: no input changed", unchanged=True)
        state = State(
            root, BuildCache(None), revision, None, last if use_cache else None, last_build, with_site
        )
        state.conformance_folder = conformance
        try:
            return _build_into(out, state, inputs, on_stage, held)
        except OSError as error:  # raised by a write: the stages report what they cannot read
            return BuildResult((_output_error(error, out),), None)


def _build_into(
    out: Path, state: State, inputs: str | None, on_stage: StageHook | None, held: ExitStack
) -> BuildResult:
    """Run the stages into a new build folder under out/ and publish it (state as build made it)."""
    (out / BUILDS_FOLDER).mkdir(parents=True, exist_ok=True)
    if state.last_build:
        (out / CACHE_FOLDER).mkdir(exist_ok=True)  # a file in its way fails here, not after the build
    state.cache = cache = BuildCache(out / CACHE_FOLDER if state.last_build else None)
    state.staging = folder = _new_build_folder(out, held)
    unpublished = held.enter_context(ExitStack())
    unpublished.callback(shutil.rmtree, folder, ignore_errors=True)
    result = run(state, STAGES, on_stage)
    discarded = cache.damaged() + (state.last_build.damaged if state.last_build else 0)
    if not result.ok or state.corpus is None:
        return BuildResult(result.diagnostics, None, discarded=discarded)
    cache.save()
    bundle = f"bundle/{state.corpus.id}.json"
    if state.last_build and inputs:  # before the swap: a record of a build never published is never used
        state.last_build.save(inputs, folder, bundle, result.diagnostics, state.corpus.previous_edition)
    publish(folder, out)
    unpublished.pop_all()
    held.close()  # unlock this build and the last, so that the last may be removed
    with suppress(OSError):  # published: what is left is removed by the next build
        remove_leftovers(out)
    return BuildResult(result.diagnostics, out / bundle, cache.summary(), discarded=discarded)


def _output_error(error: OSError, out: Path) -> Diagnostic:
    """E710 for an output that cannot be written, naming the file (shutil.copytree gathers its
    errors into one: the first is shown; a failed write of an open file names none: out/ then)."""
    where, why = error.filename or out, error.strerror or str(error)
    if isinstance(error, shutil.Error) and error.args and isinstance(error.args[0], list):
        _, where, reason = error.args[0][0]
        why = re.sub(r"^\[Errno \d+\] ", "", str(reason)).split(": ", 1)[0]
    if error.errno in (errno.EEXIST, errno.ENOTDIR):
        why = "a file is where a folder is needed"
    return Diagnostic(
        "E710",
        f"cannot write the build output {str(where)!r}: {why}",
        hint="free some space, make the output folder writable, or move what is in the way; "
        "the last build's output is left as it was",
    )


# Publish ---------------------------------------------------------------------------------------
#
# Each build writes a folder of its own, out/.builds/NAME/ (bundle/, docs/, site/), and is
# published by replacing one symbolic link, out/current -> .builds/NAME, with os.replace: a
# rename, atomic on POSIX. out/bundle, out/docs and out/site are links through it
# (out/bundle -> current/bundle) that never change, so out/bundle/ID.json stays a valid path
# for tools and `terms serve`, and a reader finds the old build or the new one, never a mix and
# never nothing. A reader of several files resolves out/current once; the build it names stays
# until the next build is published (out/.previous names it then), so a reader who found it just
# before a swap can finish. A build holds a lock on its folder (flock, released by the system
# when the process dies) and a shared one on the last build, which it reads to reuse pages; any
# other folder under .builds is a leftover, of a killed build or an older one, removed by the
# next build when it starts and once it is published.

BUILDS_FOLDER = ".builds"
CURRENT = "current"
PREVIOUS = ".previous"


def publish(folder: Path, out: Path) -> None:
    """Make the build in folder (under out/.builds/) the published one, in one step."""
    if (replaced := published(out)) is not None:
        swap_in(Path(BUILDS_FOLDER) / replaced.name, out / PREVIOUS)
    swap_in(Path(BUILDS_FOLDER) / folder.name, out / CURRENT)
    for part in OUTPUT_PARTS:
        swap_in(Path(CURRENT) / part, out / part)  # no-ops after the first build


def swap_in(target: Path, link: Path) -> None:
    """Point link at target (relative to link's folder) by renaming a new link over it. A folder
    in its place (out/bundle of a build before out/current existed) is moved aside first."""
    if link.is_symlink() and Path(os.readlink(link)) == target:
        return
    temporary = link.with_name(f".{link.name}-{os.getpid()}")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target, target_is_directory=True)
    if link.is_dir() and not link.is_symlink():  # once: os.replace cannot put a link over a folder
        old = link.with_name(f".{link.name}-old")
        shutil.rmtree(old, ignore_errors=True)
        link.rename(old)
    os.replace(temporary, link)


def published(out: Path, link: str = CURRENT) -> Path | None:
    """The folder of the build out/current (or another link) names, or None before the first."""
    return out / os.readlink(out / link) if (out / link).is_symlink() else None


def remove_leftovers(out: Path) -> None:
    """Remove the folders under out/.builds/ that are neither published (current or previous)
    nor locked by a running build, and the staging folders of builds before out/.builds."""
    kept = {folder.name for link in (CURRENT, PREVIOUS) if (folder := published(out, link))}
    for folder in sorted((out / BUILDS_FOLDER).iterdir()):
        if folder.name in kept:
            continue
        with suppress(OSError), _locked(folder, fcntl.LOCK_EX | fcntl.LOCK_NB):
            shutil.rmtree(folder)
    for folder in [*out.glob(".staging-*"), *(out / f".{part}-old" for part in OUTPUT_PARTS)]:
        shutil.rmtree(folder, ignore_errors=True)


def _new_build_folder(out: Path, held: ExitStack) -> Path:
    """A new build's folder, locked until held closes. (A folder removed as a leftover between
    its making and its lock is made again.)"""
    while True:
        name = time.strftime("%Y%m%d-%H%M%S-", time.gmtime()) + secrets.token_hex(4)
        folder = out / BUILDS_FOLDER / name
        try:
            folder.mkdir()  # readable as the umask says (mkdtemp's are the owner's only)
        except FileExistsError:
            continue
        with suppress(FileNotFoundError):
            if _hold(folder, held, fcntl.LOCK_EX):
                return folder


def _hold_build(out: Path, held: ExitStack, how: int) -> Path | None:
    """The published build's folder, locked with `how` until held closes; None when there is
    none (or it was removed meanwhile)."""
    folder = published(out)
    with suppress(FileNotFoundError):
        if folder is not None and _hold(folder, held, how):
            return folder
    return None


def _hold(folder: Path, held: ExitStack, how: int) -> bool:
    """Lock folder until held closes; False when it was removed before the lock was taken."""
    locked = held.enter_context(_locked(folder, how))
    return os.fstat(locked).st_nlink > 0


@contextmanager
def _locked(folder: Path, how: int) -> Iterator[int]:
    """An advisory lock on a folder (flock: OSError with LOCK_NB when another process holds it)."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, how)
        yield handle
    finally:
        os.close(handle)


def build_inputs(root: Path, conformance: Path | None, revision: str | None, with_site: bool) -> str | None:
    """A key over everything a build reads besides the compiler (see cache.fingerprint): the
    bytes of each corpus file and conformance case, the corpus's git revision, the folder as
    diagnostics name it, and whether the site is built. None when a corpus file is missing
    (that build fails and is never kept)."""
    parts: list[str | bytes] = [display_path(root), str(revision), "site" if with_site else "no site"]
    cases = sorted(conformance.glob("*.yaml")) if conformance is not None and conformance.is_dir() else []
    for path in [path for path, _ in discover(root)] + cases:
        try:
            parts += [str(path), path.read_bytes()]
        except OSError:
            return None
    return content_key(*parts)


def named_conformance(root: Path) -> Path | None:
    """The conformance folder corpus.yaml names, read ahead of the stages (None when it names
    none or cannot be read: the stages will then say why)."""
    try:
        named = load_file(root / "corpus.yaml", "corpus").data.get("conformance")
    except (CompileError, AttributeError):
        return None
    return root / named if isinstance(named, str) else None


def _corpus_warning(root: Path, code: str, message: str) -> Diagnostic:
    return Diagnostic(
        code, message, SourceSpan(display_path(root / "corpus.yaml"), 1, 1), severity=Severity.WARNING
    )
