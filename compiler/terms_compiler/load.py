"""Load stage: the corpus files -> documents whose every value knows its file, line and column
(read by yaml_reader)."""

from __future__ import annotations

import errno
import marshal
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from terms_compiler.cache import content_key
from terms_compiler.diagnostics import CompileError, Diagnostic, SourceSpan, caret_excerpt
from terms_compiler.workers import POOL_FAILURES, forked_pool, worker_count
from terms_compiler.yaml_reader import JsonPath, ScalarPlacement, decode, placements, read_text

FILE_KINDS = {"corpus.yaml": "corpus", "decisions.yaml": "decisions", "glossary.yaml": "glossary"}
MAX_FILE_BYTES = 8 * 1024 * 1024
"""A corpus file larger than this is refused before it is read (E112): the largest shipped
section has under 40 KB, and a link to /dev/zero or a runaway generated file must not fill the
memory."""


@dataclass(frozen=True, slots=True)
class Document:
    """One YAML file, as plain JSON-like data, and the position of every value in it on demand."""

    path: str
    """Display path of the file (relative to the working folder when under it)."""
    kind: str
    """Which schema applies: corpus, decisions, glossary or section."""
    data: Any
    """The file's content as dicts, lists, str, int, float, bool and None."""
    source: Path
    """The file (absolute), read again when a diagnostic needs positions."""
    digest: str
    """content_key of the file's bytes as loaded: a file changed since is not used for positions."""
    _text: list[str] = field(default_factory=list, repr=False, compare=False)
    _placement: list[tuple[dict[JsonPath, SourceSpan], dict[JsonPath, ScalarPlacement]]] = field(
        default_factory=list, repr=False, compare=False
    )
    """The positions, once a diagnostic has asked for them."""
    _lines: list[tuple[str, ...]] = field(default_factory=list, repr=False, compare=False)

    # Positions are only needed to report a problem, and a file with none never needs them.
    # Recording them for every value while loading took a third of the load time and most of
    # a corpus's memory (a span and a path per value), and keeping each file's text took more
    # (160 MB at 2,000 clauses x 35 languages), so the file is read again, the same way, when a
    # diagnostic first asks. If it has changed since it was loaded, positions are not guessed
    # from the new text: problems are reported at the file's first line.
    @property
    def text(self) -> str:
        """The file's text as loaded, or "" when the file has changed since."""
        if not self._text:
            try:
                raw = _read_regular(self.source)
            except OSError:
                raw = b""
            self._text.append(raw.decode("utf-8-sig") if content_key(raw) == self.digest else "")
        return self._text[0]

    @property
    def lines(self) -> tuple[str, ...]:
        """The file's lines, for excerpts with a caret."""
        if not self._lines:
            self._lines.append(tuple(self.text.splitlines()))
        return self._lines[0]

    @property
    def positions(self) -> Mapping[JsonPath, SourceSpan]:
        """JSON path -> position of that value (of the key, for mapping entries)."""
        return self._placed()[0]

    @property
    def scalars(self) -> Mapping[JsonPath, ScalarPlacement]:
        """JSON path -> placement of string scalars, to locate offsets inside them."""
        return self._placed()[1]

    def _placed(self) -> tuple[dict[JsonPath, SourceSpan], dict[JsonPath, ScalarPlacement]]:
        if not self._placement:
            self._placement.append(placements(self.text, self.path))  # the same text that loaded before
        return self._placement[0]

    def span(self, path: JsonPath) -> SourceSpan:
        """Position of the value at path, or of its nearest ancestor that has one."""
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, SourceSpan(self.path, 1, 1))

    def span_in_scalar(self, path: JsonPath, offset: int) -> SourceSpan:
        """Position of character `offset` of the string at path (exact for single-line and
        literal scalars, the scalar's start line otherwise)."""
        placement = self.scalars.get(path)
        if placement is None:
            return self.span(path)
        text = _value_at(self.data, path)
        start = placement.span
        if placement.style == "|" and isinstance(text, str):  # exact: lines map one to one
            line_index = text.count("\n", 0, offset)
            line_start = text.rfind("\n", 0, offset) + 1
            return SourceSpan(
                start.file, start.line + 1 + line_index, placement.content_indent + offset - line_start + 1
            )
        if isinstance(text, str) and self.text:
            return self._aligned_span(placement, text, offset)
        return start

    def _aligned_span(self, placement: ScalarPlacement, value: str, offset: int) -> SourceSpan:
        """Walk the scalar's source and its value together (folded line breaks, indentation,
        quotes and escapes are in the source only) to find where value[offset] was written."""
        source = self.text[placement.start_index : placement.end_index]
        position = 1 if placement.style in ("'", '"', ">") else 0
        for index in range(min(offset, len(value))):
            char = value[index]
            while position < len(source) and source[position] != char:
                if char in " \n" and source[position] == "\n":
                    break  # a folded line break stands for this space or newline
                position += 1
            position += 1
            if source[position - 1 : position] == "\n":
                while source[position : position + 1] == " ":
                    position += 1  # the indentation of the continued line
        while position < len(source) and offset < len(value) and source[position] != value[offset]:
            position += 1
        absolute = placement.start_index + position
        line_start = self.text.rfind("\n", 0, absolute) + 1
        return SourceSpan(self.path, self.text.count("\n", 0, absolute) + 1, absolute - line_start + 1)

    def excerpt(self, span: SourceSpan, width: int = 1) -> tuple[str, ...]:
        if 1 <= span.line <= len(self.lines):
            return caret_excerpt(self.lines[span.line - 1], span.column, width)
        return ()


def _value_at(data: Any, path: JsonPath) -> Any:
    for key in path:
        data = data[key]
    return data


def display_path(path: Path) -> str:
    """The path relative to the working folder when under it. Symbolic links are shown as
    written, not as where they lead (which may be outside the corpus, or a loop)."""
    cwd = Path.cwd()
    try:
        return str(Path(os.path.abspath(path)).relative_to(cwd))
    except ValueError:
        pass
    try:
        return str(path.resolve().relative_to(cwd))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a loop of links (Python < 3.13)
        return str(path)


def discover(root: Path) -> list[tuple[Path, str]]:
    """The corpus files under root with their kinds, in a stable order."""
    found = [(root / name, kind) for name, kind in FILE_KINDS.items()]
    found += [(p, "section") for p in sorted((root / "sections").glob("*.yaml"))]
    return found


def load_corpus_files(root: Path) -> tuple[list[Document], list[Diagnostic]]:
    """Load every corpus file under root; returns documents and the problems of those that failed."""
    files, problems = corpus_files(root)
    documents: list[Document] = []
    for loaded in load_files(files):
        if isinstance(loaded, CompileError):
            problems.extend(loaded.diagnostics)
        else:
            documents.append(loaded)
    return documents, problems


def corpus_files(root: Path) -> tuple[list[tuple[Path, str]], list[Diagnostic]]:
    """The corpus files under root that exist, with their kinds, and the problems of those
    that do not (or of a root that is not a folder)."""
    if root.is_file():
        raise CompileError(
            [
                Diagnostic(
                    "E100",
                    f"'{root}' is a file; expected the corpus folder",
                    hint="pass the folder holding corpus.yaml",
                )
            ]
        )
    if not root.is_dir():
        raise CompileError(
            [
                Diagnostic(
                    "E100",
                    f"corpus folder '{root}' does not exist",
                    hint="pass the folder holding corpus.yaml",
                )
            ]
        )
    files: list[tuple[Path, str]] = []
    problems: list[Diagnostic] = []
    for path, kind in discover(root):
        refused = refusal(path, kind)
        if refused is not None:
            problems.append(refused)
        elif not path.exists():
            problems.append(
                Diagnostic(
                    "E106",
                    f"missing corpus file '{display_path(path)}'",
                    SourceSpan(display_path(root), 1, 1),
                )
            )
        else:
            files.append((path, kind))
    return files, problems


class RefusedFile(OSError):
    """A corpus file that is not read (see `refusal`). An OSError, so that a caller that skips
    files it cannot read skips this one too."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def corpus_folder(path: Path, kind: str) -> Path:
    """The folder a file of this kind must stay in: the corpus folder for a section (in its
    sections/ folder) and the folder holding the file for every other kind."""
    return path.parent.parent if kind == "section" else path.parent


def refusal(path: Path, kind: str) -> Diagnostic | None:
    """Why the file must not be read, from its metadata alone (None when it may be read, or
    does not exist): a loop of symbolic links, a link to a missing file or one leading out of
    its corpus folder (E111), a folder (E106), a FIFO, device or socket (E110), a file larger
    than MAX_FILE_BYTES (E112). Nothing is opened: opening a FIFO blocks, a device never ends."""
    shown = display_path(path)
    at = SourceSpan(shown, 1, 1)
    try:
        status = path.stat()
    except OSError as error:
        if error.errno == errno.ELOOP:
            return Diagnostic("E111", f"'{shown}' is a symbolic link in a loop of links", at)
        if path.is_symlink():
            return Diagnostic("E111", f"'{shown}' is a symbolic link to a file that does not exist", at)
        return None  # missing, or unreadable: the caller or the reader says which
    folder = corpus_folder(path, kind)
    if not Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder)):
        return Diagnostic(
            "E111",
            f"'{shown}' leads outside the corpus folder '{display_path(folder)}' through a symbolic link",
            at,
            hint="links are followed only within the corpus folder; copy the file into it",
        )
    if stat.S_ISDIR(status.st_mode):
        return Diagnostic("E106", f"'{shown}' is a folder; expected a YAML file", at)
    if not stat.S_ISREG(status.st_mode):
        return Diagnostic(
            "E110",
            f"'{shown}' is {_file_type(status.st_mode)}; expected a YAML file",
            at,
            hint="only regular files are read",
        )
    if status.st_size > MAX_FILE_BYTES:
        return Diagnostic("E112", _too_large(status.st_size), at, hint="split it into several section files")
    return None


def _file_type(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _too_large(size: int) -> str:
    limit = f"{MAX_FILE_BYTES:,} bytes ({MAX_FILE_BYTES >> 20} MiB)"
    return f"the file has {size:,} bytes; files of more than {limit} are not read"


def read_source(path: Path, kind: str) -> bytes:
    """The bytes of a corpus file of this kind, read only if `refusal` finds nothing against it;
    raises RefusedFile with the diagnostic, or the OSError of a file that cannot be read."""
    refused = refusal(path, kind)
    if refused is not None:
        raise RefusedFile(refused)
    try:
        return _read_regular(path)
    except RefusedFile as error:  # the file changed since refusal looked at it: place it
        raise RefusedFile(replace(error.diagnostic, span=SourceSpan(display_path(path), 1, 1))) from None


# O_NONBLOCK: a file replaced by a FIFO after refusal looked at it opens at once, not blocking.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES, checked again on the open file
    (RefusedFile without a position otherwise)."""
    with os.fdopen(os.open(path, _READ_FLAGS), "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            message = f"the file is {_file_type(status.st_mode)}; expected a YAML file"
            raise RefusedFile(Diagnostic("E110", message, hint="only regular files are read"))
        raw = file.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise RefusedFile(Diagnostic("E112", _too_large(max(status.st_size, len(raw)))))
    return raw


PARALLEL_FILES = 8  # fewer files are read in this process


def load_files(files: list[tuple[Path, str]]) -> list[Document | CompileError]:
    """Each file loaded, or the error that stopped it, in order. Many files are read in forked
    workers (see terms_compiler.workers), their data sent back as marshal."""
    workers = worker_count(len(files), PARALLEL_FILES)
    if workers:
        try:
            with forked_pool(workers) as pool:
                return [
                    _unpacked(result, kind)
                    for result, (_, kind) in zip(pool.map(_load_packed, files), files, strict=True)
                ]
        except POOL_FAILURES:
            pass
    return [_load_or_error(path, kind) for path, kind in files]


def _load_or_error(path: Path, kind: str) -> Document | CompileError:
    try:
        return load_file(path, kind)
    except CompileError as error:
        return error


def _load_packed(file: tuple[Path, str]) -> bytes | CompileError:
    loaded = _load_or_error(*file)
    if isinstance(loaded, CompileError):
        return loaded
    return marshal.dumps((loaded.path, loaded.data, str(loaded.source), loaded.digest))


def _unpacked(result: bytes | CompileError, kind: str) -> Document | CompileError:
    if isinstance(result, CompileError):
        return result
    shown, data, source, digest = marshal.loads(result)
    return Document(shown, kind, data, Path(source), digest)


def file_digest(raw: bytes) -> str:
    """What a Document's digest is: the content key of the file's bytes."""
    return content_key(raw)


def load_file(path: Path, kind: str) -> Document:
    """Read one YAML file (see read_source for the files that are refused)."""
    shown = display_path(path)
    try:
        raw = read_source(path, kind)
    except RefusedFile as error:
        raise CompileError([error.diagnostic]) from None
    except OSError as error:
        raise CompileError(
            [Diagnostic("E106", f"cannot read '{shown}': {error.strerror}", SourceSpan(shown, 1, 1))]
        ) from None
    data = read_text(decode(raw, shown), shown)
    return Document(shown, kind, data, path.resolve(), file_digest(raw))


def load_conformance(folder: Path) -> list[dict[str, Any]]:
    """Conformance cases from folder/*.yaml (a decision and its cases per file), flattened for
    export beside the bundle."""
    cases: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.yaml")):
        document = load_file(path, "conformance")  # our loader: dates stay ISO strings
        data = document.data if isinstance(document.data, dict) else {}
        decision, listed = data.get("decision"), data.get("cases")
        if (
            not isinstance(decision, str)
            or not isinstance(listed, list)
            or not all(isinstance(case, dict) for case in listed)
        ):
            message = "a conformance file holds a 'decision' (its id) and a list of 'cases' (mappings)"
            raise CompileError([Diagnostic("E381", message, SourceSpan(document.path, 1, 1))])
        cases.extend({"file": path.name, "decision": decision, **case} for case in listed)
    return cases
