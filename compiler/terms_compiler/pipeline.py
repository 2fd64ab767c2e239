"""The pipeline: every stage from the corpus files to the site, in order, in one list.

    load -> validate -> model -> link -> verify                       (compile_corpus)
         -> render bundle -> diff previous edition -> write bundle
         -> emit markdown -> mkdocs -> archive                          (build.py, into a new folder)

Each stage reads what the stages before it left in the State and adds its own result; the
values it hands on are frozen (documents, the corpus) or plain data (the bundle). The build
cache (terms_compiler.cache) is applied here, around the stages: each adapter below looks its
stage's results up by content and keeps the new ones. `terms validate`, `status`, `diff` and
`serve` run this same list, `status` only up to the model.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    write_rules_files,
)
from terms_compiler.load import (
    Document,
    display_path,
    load_conformance,
)
from terms_compiler.validate import validate_document
from terms_compiler.verify.drift import clause_drift, drift_key

if TYPE_CHECKING:
    from terms_compiler.emit.archive import Archive, ArchivedBuild
    from terms_compiler.emit.mkdocs_build import SiteHook
    from terms_compiler.signing import Signer

StageHook = Callable[[str, float], None]


@dataclass
class State:
    """What the stages hand on to each other during one run."""

    root: Path
    """The corpus folder."""
    cache: BuildCache
    revision: str | None = None
    """The corpus's git commit, recorded in the bundle."""
    staging: Path | None = None
    """Where the output stages write (a new build's folder, see build.py); None: compile only."""
    last_output: Path | None = None
    """The last build's output folder, whose unchanged sites may be reused; None: none."""
    last_build: LastBuild | None = None
    with_site: bool = True
    conformance_folder: Path | None = None
    """Conformance cases given on the command line, instead of the folder corpus.yaml names."""
    signer: Signer | None = None
    """The key that signs the bundle folder (<bundle>.signatures.json), or None: unsigned."""
    signed_at: int = 0
    """The signature's `iat` (signing.signing_time: SOURCE_DATE_EPOCH when set)."""
    on_site: SiteHook | None = None
    """Told of each language's site as MkDocs finishes it (the longest stage), for progress."""
    archived: ArchivedBuild | None = None
    """For an earlier edition's build (archive.py): which edition of the current corpus's list
    this is, and the repository its sources came from; None: the current edition."""
    archive: Archive | None = None
    """Builds the earlier editions the corpus lists into the site's archive; None: no archive
    (an earlier edition's own build, or a build without a site)."""
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
            digest = load_stage.file_digest(load_stage.read_source(path, kind))
        except OSError:  # RefusedFile included: load_file reports it
            digest = ""
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
    if state.archived is not None:  # an earlier edition: as the current corpus lists it
        state.corpus = state.archived.as_listed(state.corpus)
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
    repository = state.archived.repository if state.archived is not None else state.root
    previous = corpus.editions[0] if corpus.editions else None
    spec = corpus.previous_edition
    if previous is not None and (repository / previous.source).is_dir():  # a folder beside corpus.yaml
        spec = str(repository / previous.source)
    try:
        old = load_edition(spec, repository, compile_corpus)
        if previous is not None:  # named as the list names it, whatever its own corpus.yaml said
            old = dataclasses.replace(
                old, bundle={**old.bundle, "edition": previous.id, "edition_date": previous.date}
            )
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
    write_rules_files(state.bundle, folder)  # what the site's decision pages load to answer
    if state.conformance is not None:
        cases = {"bundle": name, "cases": state.conformance}
        (folder / "conformance.json").write_bytes(canonical_json(cases))
    if state.signer is not None:  # last: the signature lists every file written above
        from terms_compiler.signing import sign_folder

        keys = json.dumps(state.signer.public_jwks(), indent=2, sort_keys=True) + "\n"
        (folder / f"{state.corpus.id}.jwks.json").write_text(keys, encoding="utf-8")
        sign_folder(folder, name, state.signer, state.signed_at)
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
            and state.last_build.untouched(state.last_output, f"site/{language}/{corpus.edition}")
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
        staging / "docs",
        staging / "site",
        corpus.languages,
        corpus.edition,
        corpus.edition_date,
        state.last_output,
        cache.reusable_sites,
        state.on_site,
    )
    cache.sites_reused = [language for language, b in builds.items() if b.pages_reused == b.pages]
    cache.pages_reused = [
        (b.pages_reused, b.pages) for language, b in builds.items() if language not in cache.sites_reused
    ]
    return []


def _archive(state: State) -> list[Diagnostic]:
    """Earlier editions beside the current one, and the files that tie them (emit/archive.py)."""
    if not state.with_site:
        return []
    from terms_compiler.emit import archive  # as above

    assert state.corpus is not None and state.staging is not None
    return archive.publish(state.corpus, state.root, state.staging, state.archive)


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
    ("archive", _archive),
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


def _corpus_warning(root: Path, code: str, message: str) -> Diagnostic:
    return Diagnostic(
        code, message, SourceSpan(display_path(root / "corpus.yaml"), 1, 1), severity=Severity.WARNING
    )
