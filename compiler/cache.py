"""The build cache: results of earlier builds under build/.cache/, found again by content hash.

A result is stored under the SHA-256 of everything it was computed from: its input (a file's
text, a clause's Markdown) and the compiler itself (the code, templates and schemas of this
checkout, and the versions of the libraries that shape the output). Change any of them and the
key changes, so a stale entry is never found; it is simply not used again, and the next save
leaves it out. An unreadable cache is treated as empty.

Values are plain data (str, int, float, bool, None, lists, dicts, tuples) stored with marshal,
not pickle: reading a cache file can give wrong data at worst (and its key would not match),
never run code.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent.parent
# What shapes the output besides the corpus: our code, templates and schemas ...
SOURCES = ("compiler", "site", "schemas")
# ... and these libraries (a new version may render, validate or lay out differently).
LIBRARIES = ("pyyaml", "jsonschema", "markdown-it-py", "markdown-it-pyrs", "fastjsonschema",
             "jsonschema-rs", "jinja2", "mkdocs", "mkdocs-material", "z3-solver")


@cache
def fingerprint() -> str:
    """SHA-256 of the compiler: every file of compiler/, site/ and schemas/, and the versions of
    Python and of the libraries that shape the output."""
    from importlib import metadata  # only when a build uses its cache

    digest = hashlib.sha256(sys.version.encode())
    for library in LIBRARIES:
        try:
            version = metadata.version(library)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"\0{library}={version}".encode())
    for folder in SOURCES:
        for path in sorted((PACKAGE / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(f"\0{path.relative_to(PACKAGE)}\0".encode())
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
        if self.path is not None and self.path.is_file():
            try:
                with self.path.open("rb") as stream:
                    if marshal.load(stream) == fingerprint():
                        while stream.peek(1):
                            key, value = marshal.load(stream)
                            self.previous[key] = value
            except Exception:  # any damage to the cache means: start empty
                self.previous = {}

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

    def save(self) -> None:
        """Write the entries used by this build, atomically (a crash leaves the old file)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                # The stamp, then one entry at a time: one blob of them all would be the build's
                # peak of memory (hundreds of MB of rendered text at 35 languages).
                marshal.dump(fingerprint(), stream)
                for entry in self.used.items():
                    marshal.dump(entry, stream)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


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
        self.sites_reused: list[str] = []
        """Languages whose site was reused because their MkDocs sources did not change."""

    def memos(self) -> tuple[Memo, ...]:
        return self.documents, self.valid, self.rendered

    def save(self) -> None:
        for memo in self.memos():
            memo.save()

    def summary(self) -> str:
        """What was reused, e.g. "documents 3/4, valid 3/4, rendered 40/42, sites en"."""
        parts = [f"{m.path.stem} {m.hits}/{m.hits + m.misses}" for m in self.memos() if m.path]
        return ", ".join([*parts, f"sites {' '.join(self.sites_reused) or '-'}"])
