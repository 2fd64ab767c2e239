"""The build cache: results of earlier builds under build/.cache/, found again by content hash.

A result is stored under the SHA-256 of everything it was computed from: its input (a file's
text, a clause's Markdown) and the compiler itself (the code, templates and schemas of this
checkout, and the versions of the libraries that shape the output). Change any of them and the
key changes, so a stale entry is never found; it is simply not used again, and the next save
leaves it out. An unreadable cache is treated as empty.

Values are plain data (str, int, float, bool, None, lists, dicts, tuples) stored with marshal,
not pickle, so reading a cache file never runs code. Every entry is stored with the SHA-256 of
its bytes (its key and its value, marshalled) and checked before it is decoded: an entry that
was changed on disk (a flipped bit, an edit, a file cut short) is discarded and its result
computed again, so the cache can make a build faster but never different (see `damaged`). The
digest guards against damage, not against a writer of build/: whoever can write the cache can
write the output it would produce.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from terms_compiler.diagnostics import Diagnostic
from terms_compiler.resources import checker_js_folder, schemas_folder, site_folder
from terms_compiler.revision import revision_identity

# What shapes the output besides the corpus: our code, templates and schemas (see fingerprint) ...
# ... and these libraries (a new version may render, validate or lay out differently).
LIBRARIES = (
    "pyyaml",
    "jsonschema",
    "markdown-it-py",
    "markdown-it-pyrs",
    "fastjsonschema",
    "jsonschema-rs",
    "jinja2",
    "mkdocs",
    "mkdocs-material",
    "z3-solver",
)


@cache
def fingerprint() -> str:
    """SHA-256 of the compiler: every file of the package, its site/, schemas/ and checker_js/, and
    the versions of Python and of the libraries that shape the output."""
    from importlib import metadata  # only when a build uses its cache

    digest = hashlib.sha256(sys.version.encode())
    for library in LIBRARIES:
        try:
            version = metadata.version(library)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"\0{library}={version}".encode())
    package = Path(__file__).parent
    for folder in (
        package,
        site_folder(),
        schemas_folder(),
        checker_js_folder(),
    ):  # the data folders are links
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(f"\0{folder.name}/{path.relative_to(folder)}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def content_key(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))  # no two part lists give the same bytes
        digest.update(data)
    return digest.hexdigest()


class Memo:
    """One kind of result (e.g. "rendered"), kept in one file: key -> value. Only the entries
    used by this build are saved, so the file never grows beyond one build's worth."""

    def __init__(self, folder: Path | None, kind: str) -> None:
        self.path = folder / f"{kind}.marshal" if folder is not None else None
        self.previous: dict[str, Any] = {}
        self.used: dict[str, Any] = {}
        self.hits = self.misses = 0
        self.damaged = 0
        """Entries of the file that did not verify, and were discarded (see _verified_blobs)."""
        if self.path is not None and self.path.is_file():
            try:
                self._read(self.path)
            except Exception:  # unreadable (a folder, no permission): start empty
                self.previous = {}

    def _read(self, path: Path) -> None:
        with path.open("rb") as stream:
            blobs = _verified_blobs(stream)
            stamp = next(blobs, None)
            trusted = stamp is not None and marshal.loads(stamp) == fingerprint()
            self.damaged += stamp is None
            for blob in blobs:
                if blob is None:
                    self.damaged += 1
                elif trusted:
                    key, value = marshal.loads(blob)
                    self.previous[key] = value

    def get(self, key: str) -> Any:
        """The value stored under key by this build or the previous one, else None."""
        value = self.used.get(key)
        if value is None:
            value = self.previous.get(key)
            if value is None:
                self.misses += 1
                return None
            self.hits += 1
            self.used[key] = value
        return value

    def put(self, key: str, value: Any) -> None:
        self.used[key] = value

    def note(self, found: dict[str, bool]) -> None:
        """Keys whose results other processes looked up, with whether each was found: kept
        (with the value True) and counted as get() counts them."""
        for key, hit in found.items():
            self.used[key] = True
            self.hits += hit
            self.misses += not hit

    def save(self) -> None:
        """Write the entries used by this build, atomically (a crash leaves the old file)."""
        if self.path is None:
            return
        with atomic_file(self.path) as stream:
            # The stamp, then one entry at a time: one blob of them all would be the build's
            # peak of memory (hundreds of MB of rendered text at 35 languages).
            write_entry(stream, marshal.dumps(fingerprint()))
            for entry in self.used.items():
                write_entry(stream, marshal.dumps(entry))


def write_entry(stream: BinaryIO, blob: bytes) -> None:
    """One entry: its size, a check of the size, the SHA-256 of its bytes, then its bytes."""
    size = len(blob).to_bytes(8, "little")
    stream.write(size + _size_check(size) + hashlib.sha256(blob).digest() + blob)


def _size_check(size: bytes) -> bytes:
    return hashlib.sha256(size).digest()[:8]


def _verified_blobs(stream: BinaryIO) -> Iterator[bytes | None]:
    """The blobs of a cache file, each as written or None when it does not match its digest. A
    size that does not match its check (or runs past the end) ends the file with one None: what
    follows cannot be found. (marshal.load reading a file itself asks the file for each string it
    holds, which took twice as long as marshal.loads.)"""
    left = os.fstat(stream.fileno()).st_size
    while header := stream.read(HEADER):
        size = int.from_bytes(header[:8], "little")
        left -= HEADER + size
        if len(header) < HEADER or header[8:16] != _size_check(header[:8]) or left < 0:
            yield None  # do not even try to read that much
            return
        blob = stream.read(size)
        yield blob if hashlib.sha256(blob).digest() == header[16:] else None


HEADER = 8 + 8 + 32  # size, its check, SHA-256


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A file written under a temporary name and renamed into place: a crash leaves the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


OUTPUT_FOLDERS = ("bundle", "docs", "site")


def output_listing(built: Path) -> dict[str, tuple[int, int, int]]:
    """Each file a build wrote under its folder, with its size, modification time and inode: any
    write, deletion or replacement changes the listing."""
    listing = {}
    for folder in OUTPUT_FOLDERS:
        for parent, _, names in os.walk(built / folder):
            for name in names:
                path = os.path.join(parent, name)
                stat = os.stat(path)
                key = os.path.relpath(path, built).replace(os.sep, "/")
                listing[key] = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
    return listing


class LastBuild:
    """What the last successful build into out/ was made from and what it wrote, so that a
    build from the same inputs can keep that output as it is. `inputs` is a key over the files
    the build reads (see build.build_inputs). The record also holds the name of the build's
    folder (out/.builds/NAME, see publish.py), the commit of the previous edition the site
    compares with, the listing of the output files, the bundle's path and the diagnostics
    (warnings) to report again.

    The record is verified as a memo's entries are (a damaged one is no record). The listing
    (size, modification time, inode) is enough to tell that nobody changed the output since:
    every write through the file system sets the time to now, and a file replaced has another
    inode. Only a writer who puts a file's time back after a write of the same size goes
    unseen, and one who can write the output can change it after any build anyway; reading
    every file back to compare its bytes would cost what keeping the output saves."""

    def __init__(self, folder: Path, corpus: Path) -> None:
        self.path = folder / "last-build.marshal"
        self.corpus = corpus
        self.record: dict[str, Any] = {}
        self.damaged = 0
        self.listing: dict[str, tuple[int, int, int]] | None = None
        try:
            with self.path.open("rb") as stream:
                blobs = list(_verified_blobs(stream))
        except OSError:  # missing, or not a file: no record
            return
        if len(blobs) != 1 or blobs[0] is None:
            self.damaged = 1
            return
        stamp, record = marshal.loads(blobs[0])
        if stamp == fingerprint():
            self.record = record

    def unchanged(self, inputs: str, built: Path | None) -> tuple[str, tuple[Diagnostic, ...]] | None:
        """The bundle (its path under the build's folder) and diagnostics of the last build when
        it had these inputs and the same previous edition, and it is the build published in
        `built` (the folder out/current names), with its output files as it left them; else None."""
        record = self.record
        if not record or record["inputs"] != inputs or built is None or record["build"] != built.name:
            return None
        if record["edition"] is not None:
            spec, commit = record["edition"]
            if commit is None or self._edition_commit(spec) != commit:
                return None  # an edition named by path is not among the inputs: never kept
        if record["outputs"] != self._listing(built):
            return None
        return record["bundle"], tuple(Diagnostic.from_record(d) for d in record["diagnostics"])

    def untouched(self, built: Path, folder: str) -> bool:
        """Whether the files under built/folder are exactly those the last build wrote there (so
        they may be reused: nobody edited, added or removed one since)."""
        if not self.record or self.record["build"] != built.name:
            return False
        prefix = folder.rstrip("/") + "/"
        mine = {k: v for k, v in self.record["outputs"].items() if k.startswith(prefix)}
        now = {k: v for k, v in self._listing(built).items() if k.startswith(prefix)}
        return bool(mine) and mine == now

    def _listing(self, built: Path) -> dict[str, tuple[int, int, int]]:
        if self.listing is None:
            self.listing = output_listing(built)
        return self.listing

    def save(
        self,
        inputs: str,
        built: Path,
        bundle: str,
        diagnostics: Iterable[Diagnostic],
        previous_edition: str | None,
    ) -> None:
        """Record a successful build into the folder `built`, with the commit its previous
        edition resolved to (None for one named by a path)."""
        edition = (previous_edition, self._edition_commit(previous_edition)) if previous_edition else None
        record = {
            "inputs": inputs,
            "build": built.name,
            "edition": edition,
            "outputs": output_listing(built),
            "bundle": bundle,
            "diagnostics": [d.to_record() for d in diagnostics],
        }
        with atomic_file(self.path) as stream:
            write_entry(stream, marshal.dumps((fingerprint(), record)))

    def _edition_commit(self, spec: str) -> str | None:
        return revision_identity(spec, self.corpus)


class BuildCache:
    """The memos of one build, under out/.cache/ (None: a build without a cache)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.documents = Memo(folder, "documents")
        """A file's bytes -> its data as loaded (only files that loaded without errors)."""
        self.valid = Memo(folder, "valid")
        """A file's kind and bytes -> True when it is valid against its schema."""
        self.rendered = Memo(folder, "rendered")
        """A text's Markdown -> its HTML and plain text."""
        self.drift_checked = Memo(folder, "drift-checked")
        """A clause's texts and parameters, and its file -> the drift problems found in it."""
        self.decisions_checked = Memo(folder, "decisions-checked")
        """A decision's spec and its clauses' examples -> True when the examples and the logic
        checks find nothing in it."""
        self.section_pages = Memo(folder, "section-pages")
        """The key of each section page written (see site.section_page_key) -> True."""
        self.reusable_sites: set[str] = set()
        """Languages whose MkDocs sources and site under out/ are as the last build wrote them
        (see LastBuild)."""
        self.sites_reused: list[str] = []
        """Languages whose site was reused because their MkDocs sources did not change."""
        self.pages_reused: list[tuple[int, int]] = []
        """(pages reused, pages) of each language whose site MkDocs built again."""

    def memos(self) -> tuple[Memo, ...]:
        return (
            self.documents,
            self.valid,
            self.drift_checked,
            self.decisions_checked,
            self.rendered,
            self.section_pages,
        )

    def save(self) -> None:
        for memo in self.memos():
            memo.save()

    def damaged(self) -> int:
        """Entries of the memos that did not verify, and were discarded."""
        return sum(memo.damaged for memo in self.memos())

    def summary(self) -> str:
        """What was reused, e.g. "documents 3/4, valid 3/4, rendered 40/42, pages 45/46, sites
        en": pages counts the pages of the sites MkDocs built again, sites names the languages
        whose site was reused whole."""
        parts = [f"{m.path.stem} {m.hits}/{m.hits + m.misses}" for m in self.memos() if m.path]
        if self.pages_reused:
            parts.append("pages {}/{}".format(*map(sum, zip(*self.pages_reused, strict=True))))
        return ", ".join([*parts, f"sites {' '.join(self.sites_reused) or '-'}"])
