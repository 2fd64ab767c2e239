"""The build: run every stage into a new folder, then publish it in one step (publish.py).

Reads the inputs' key first, to keep the last output as it is when nothing changed; applies the
build cache (cache.py) through the pipeline's State; turns an output that cannot be written into
E710, leaving the published build as it was.
"""

from __future__ import annotations

import errno
import fcntl
import gc
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from terms_compiler.cache import BuildCache, LastBuild, content_key
from terms_compiler.diagnostics import CompileError, Diagnostic, Severity
from terms_compiler.editions.read import DiffError, revision_folder
from terms_compiler.load import discover, display_path, load_file, read_source
from terms_compiler.pipeline import STAGES, StageHook, State, run
from terms_compiler.publish import BUILDS_FOLDER, hold_build, new_build_folder, publish, remove_leftovers
from terms_compiler.revision import source_revision

if TYPE_CHECKING:
    from terms_compiler.emit.archive import ArchivedBuild
    from terms_compiler.emit.mkdocs_build import SiteHook
    from terms_compiler.signing import Signer

CACHE_FOLDER = ".cache"
EDITIONS_FOLDER = "editions"
"""out/editions/<edition>/: each earlier edition's build, made once (emit/archive.py)."""


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
    signer: Signer | None = None,
    on_site: SiteHook | None = None,
    archived: ArchivedBuild | None = None,
    exported_from: str | None = None,
) -> BuildResult:
    """Run every stage over the corpus at root, writing into a new folder out/.builds/NAME/,
    then publish it in one step (see publish). Conformance cases come from `conformance`,
    default the folder corpus.yaml names. With `use_cache`, results of earlier builds under
    out/.cache/ are reused where their inputs are unchanged (see terms_compiler.cache), and
    unchanged languages skip MkDocs; when no input changed at all and the output is as the last
    build left it, it is kept as it is. An output that cannot be written (a read-only or full
    disk, a file in the way) fails the build with E710 and leaves the published one as it was.
    With a `signer`, the bundle folder is signed (<bundle>.signatures.json) and the site
    publishes the public key; its `iat` is SOURCE_DATE_EPOCH when set, else the clock.
    `on_site` hears of each language's site as MkDocs finishes it. The earlier editions the
    corpus lists are built once each into out/editions/<edition>/ (see emit/archive.py), and
    `archived` is given for such a build: the corpus at root is that edition's source, exported
    from the git commit `exported_from` when it came from git."""
    revision = exported_from or source_revision(root)
    inputs = build_inputs(root, conformance or named_conformance(root), revision, with_site)
    signed_at = 0
    if signer is not None:
        from terms_compiler.signing import signing_time

        signed_at = signing_time()
        pinned = os.environ.get("SOURCE_DATE_EPOCH", "")
        # Another key, kid or issuer (or a pinned time) is another output: never kept from before.
        inputs = inputs and content_key(inputs, signer.identity(), pinned)
    with ExitStack() as held:
        last = hold_build(out, held, fcntl.LOCK_SH)
        with suppress(OSError):  # none yet, or read-only (then the build says so below)
            remove_leftovers(out)
        last_build = LastBuild(out / CACHE_FOLDER, root) if use_cache else None
        if last_build and inputs and (kept := last_build.unchanged(inputs, last)):
            return BuildResult(kept[1], out / kept[0], "everything: no input changed", unchanged=True)
        state = State(
            root, BuildCache(None), revision, None, last if use_cache else None, last_build, with_site
        )
        state.conformance_folder = conformance
        state.signer, state.signed_at = signer, signed_at
        state.on_site = on_site
        state.archived = archived
        if archived is None and with_site:
            from terms_compiler.emit.archive import Archive  # as the site stages import the site's modules

            state.archive = Archive(out / EDITIONS_FOLDER, partial(_build_archived, signer=signer))
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
    state.staging = folder = new_build_folder(out, held)
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


def _build_archived(archived: ArchivedBuild, out: Path, signer: Signer | None) -> Sequence[Diagnostic]:
    """Build an earlier edition, from its folder or its git revision, into out; its problems."""
    source = archived.edition.source
    try:
        with ExitStack() as exported:
            if (archived.repository / source).is_dir():
                folder, commit = archived.repository / source, None
            else:
                folder, commit, _ = exported.enter_context(revision_folder(source, archived.repository))
            result = build(
                folder, out, use_cache=False, signer=signer, archived=archived, exported_from=commit
            )
    except DiffError as error:
        return [
            Diagnostic(
                "W721",
                f"the edition '{archived.edition.id}' cannot be read ({error}); the site is "
                "published without it",
                hint="build where its source is: in the git repository, with its history "
                "(not a shallow clone), or with its folder",
                severity=Severity.WARNING,
            )
        ]
    return result.diagnostics


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


def build_inputs(root: Path, conformance: Path | None, revision: str | None, with_site: bool) -> str | None:
    """A key over everything a build reads besides the compiler (see cache.fingerprint): the
    bytes of each corpus file and conformance case, the corpus's git revision, the folder as
    diagnostics name it, and whether the site is built. None when a corpus file is missing
    (that build fails and is never kept)."""
    parts: list[str | bytes] = [display_path(root), str(revision), "site" if with_site else "no site"]
    cases = sorted(conformance.glob("*.yaml")) if conformance is not None and conformance.is_dir() else []
    for path, kind in [*discover(root), *((case, "conformance") for case in cases)]:
        try:
            parts += [str(path), read_source(path, kind)]  # never a FIFO, a device or a huge file
        except OSError:  # RefusedFile included: the stages report it
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
