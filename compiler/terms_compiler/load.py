"""Load stage: YAML files -> documents whose every value knows its file, line and column."""

from __future__ import annotations

import marshal
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml._yaml import CParser  # libyaml's parser (types-PyYAML does not export it)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from terms_compiler.cache import content_key
from terms_compiler.diagnostics import CompileError, Diagnostic, SourceSpan, caret_excerpt
from terms_compiler.workers import POOL_FAILURES, forked_pool, worker_count

JsonPath = tuple[str | int, ...]

# An alias may repeat a subtree, but a file may not expand to more than this many nodes beyond
# its own: a "billion laughs" file is refused after a few milliseconds instead of hanging.
ALIAS_EXPANSION_LIMIT = 100_000
# Deeper values are refused by the loader, so no later stage (JSON Schema, our own walks) can
# exceed Python's recursion limit on a hostile file.
MAX_DEPTH = 64

FILE_KINDS = {"corpus.yaml": "corpus", "decisions.yaml": "decisions", "glossary.yaml": "glossary"}


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core-schema scalars: only true/false are booleans (so `NO` stays a country code),
    only decimal digits are integers, and dates stay strings (JSON has no date type)."""


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
    list("-+.0123456789"),
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    _Resolver,
):
    """Composes nodes only: nothing is constructed, so no tag can run code."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Resolver.__init__(self)
        self.alias_marks: list[yaml.Mark] = []

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        # The node an alias yields is its anchor's, so keep where each alias was written.
        if self.check_event(yaml.events.AliasEvent):
            self.alias_marks.append(self.peek_event().start_mark)  # type: ignore[no-untyped-call]
        return super().compose_node(parent, index)


class _FastLoader(CParser, _Resolver):
    """libyaml's composer (same marks, about 13 times faster) with our resolver. Used when a file
    parses; on any error the pure-Python loader re-reads it, for its messages and alias marks."""

    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        _Resolver.__init__(self)


def _flow_depth(text: str) -> int:
    """Deepest nesting of [ and { (quoted text ignored only roughly: enough to route hostile
    files to the pure-Python loader, whose recursion is caught, not to libyaml's C stack)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(text):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


_BRACKETS = re.compile(r"[\[\]{}]")
_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


@dataclass(frozen=True, slots=True)
class ScalarPlacement:
    """Where a string scalar's text sits in the file, to point inside it (a placeholder, a token)."""

    span: SourceSpan
    """Position of the scalar's first character (of its indicator for block scalars)."""
    style: str
    """PyYAML style: '' plain, "'" or '"' quoted, '|' literal, '>' folded."""
    content_indent: int
    """For block scalars: the column (0-based) where each content line starts."""
    start_index: int
    """Index of the scalar's first source character in the file's text."""
    end_index: int
    """Index just past the scalar's last source character."""


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
                raw = self.source.read_bytes()
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
            root = _compose(self.text, self.path) if self.text else None
            positions: dict[JsonPath, SourceSpan] = {}
            scalars: dict[JsonPath, ScalarPlacement] = {}
            if root is not None:  # the same text that loaded before
                converter = _Converter(
                    self.path,
                    self.text,
                    _count_distinct_nodes(root),
                    lambda: _alias_marks(self.text),
                    record_positions=True,
                )
                converter.convert(root, ())
                positions, scalars = converter.positions, converter.scalars
            self._placement.append((positions, scalars))
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
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
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
        if not path.exists():
            problems.append(
                Diagnostic(
                    "E106",
                    f"missing corpus file '{display_path(path)}'",
                    SourceSpan(display_path(root), 1, 1),
                )
            )
        elif not path.is_file():
            problems.append(
                Diagnostic(
                    "E106",
                    f"'{display_path(path)}' is a folder; expected a YAML file",
                    SourceSpan(display_path(path), 1, 1),
                )
            )
        else:
            files.append((path, kind))
    return files, problems


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
    """Read one YAML file."""
    shown = display_path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CompileError(
            [Diagnostic("E106", f"cannot read '{shown}': {error.strerror}", SourceSpan(shown, 1, 1))]
        ) from None
    text = _decode(raw, shown)
    root = _compose(text, shown)
    if root is None:
        raise CompileError(
            [Diagnostic("E105", "the file is empty; expected a mapping", SourceSpan(shown, 1, 1))]
        )
    converter = _Converter(shown, text, _count_distinct_nodes(root), lambda: _alias_marks(text))
    data = converter.convert(root, ())
    return Document(shown, kind, data, path.resolve(), file_digest(raw))


def _compose(text: str, shown: str) -> Node | None:
    """The file's node tree: libyaml first; on errors PyYAML re-reads it for its messages."""
    if _flow_depth(text) <= MAX_DEPTH:
        fast = _FastLoader(text)
        try:
            return fast.get_single_node()
        except yaml.YAMLError:
            pass
        finally:
            fast.dispose()
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        raise CompileError([_syntax_diagnostic(error, shown, tuple(text.splitlines()))]) from None
    except RecursionError:
        raise CompileError(
            [Diagnostic("E107", "the file is nested too deeply to read", SourceSpan(shown, 1, 1))]
        ) from None
    finally:
        loader.dispose()


def _alias_marks(text: str) -> list[yaml.Mark]:
    """Where each alias is written (only needed to report an alias bomb; PyYAML keeps them)."""
    loader = _Loader(text)
    try:
        loader.get_single_node()
        return loader.alias_marks
    finally:
        loader.dispose()


def _decode(raw: bytes, shown: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise CompileError(
            [
                Diagnostic(
                    "E104",
                    f"the file is not valid UTF-8 (byte 0x{raw[error.start]:02x})",
                    SourceSpan(shown, line, column),
                    hint="save the file as UTF-8",
                )
            ]
        ) from None


def _syntax_diagnostic(error: yaml.MarkedYAMLError, shown: str, lines: tuple[str, ...]) -> Diagnostic:
    problem = error.problem or "invalid YAML"
    mark = error.problem_mark or error.context_mark
    if "end of stream" in problem and error.context_mark:
        mark = error.context_mark  # point at what was never closed, not at the end of the file
    span = SourceSpan(shown, mark.line + 1, mark.column + 1) if mark else SourceSpan(shown, 1, 1)
    excerpt = caret_excerpt(lines[span.line - 1], span.column) if span.line <= len(lines) else ()
    if "'\\t'" in problem:
        line = lines[span.line - 1] if span.line <= len(lines) else ""
        if not line[: span.column - 1].strip():
            return Diagnostic(
                "E102",
                "a tab character is used for indentation",
                span,
                hint="YAML indents with spaces only",
                excerpt=excerpt,
            )
        return Diagnostic(
            "E102",
            "a tab character is not allowed here",
            span,
            hint="use spaces; tabs may appear only inside quoted text",
            excerpt=excerpt,
        )
    # PyYAML's parser contexts read after the problem ("... while parsing a flow mapping"),
    # its composer's before it ("expected a single document in the stream but found ...").
    context = error.context or ""
    message = f"{problem} {context}" if context.startswith("while") else f"{context} {problem}".strip()
    return Diagnostic("E101", f"YAML syntax error: {message}", span, excerpt=excerpt)


def _count_distinct_nodes(root: Node) -> int:
    seen: set[int] = set()
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            stack.extend(item for pair in node.value for item in pair)
    return len(seen)


class _Converter:
    """Node tree -> plain data (and, when asked, the position of every value); refuses tags,
    duplicate keys and alias bombs."""

    def __init__(
        self,
        shown: str,
        text: str,
        distinct_nodes: int,
        alias_marks: Callable[[], list[yaml.Mark]],
        record_positions: bool = False,
    ) -> None:
        self.shown = shown
        self.record = record_positions
        self.text = text
        self.alias_marks = alias_marks
        self.budget = distinct_nodes + ALIAS_EXPANSION_LIMIT
        self.positions: dict[JsonPath, SourceSpan] = {}
        self.scalars: dict[JsonPath, ScalarPlacement] = {}
        self.open_nodes: set[int] = set()

    def span(self, node: Node) -> SourceSpan:
        return SourceSpan(self.shown, node.start_mark.line + 1, node.start_mark.column + 1)

    def fail(self, code: str, message: str, node: Node, hint: str = "") -> CompileError:
        return CompileError([Diagnostic(code, message, self.span(node), hint=hint)])

    def convert(self, node: Node, path: JsonPath) -> Any:
        self.budget -= 1
        if self.budget < 0:
            # Point at the last alias written: in a bomb, the outermost and largest expansion.
            marks = self.alias_marks()
            mark = marks[-1] if marks else node.start_mark
            raise CompileError(
                [
                    Diagnostic(
                        "E108",
                        f"aliases expand this file beyond {ALIAS_EXPANSION_LIMIT} extra values",
                        SourceSpan(self.shown, mark.line + 1, mark.column + 1),
                        hint="this looks like an alias bomb",
                    )
                ]
            )
        if len(path) > MAX_DEPTH:
            raise self.fail(
                "E107",
                f"values are nested more than {MAX_DEPTH} levels deep",
                node,
                hint="terms files need only a few levels",
            )
        if id(node) in self.open_nodes:
            raise self.fail("E108", "an alias refers to a value that contains it", node)
        if self.record:
            self.positions.setdefault(path, self.span(node))
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        self.open_nodes.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                self.check_tag(node, "tag:yaml.org,2002:seq")
                return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
            assert isinstance(node, MappingNode)
            return self.mapping(node, path)
        finally:
            self.open_nodes.discard(id(node))

    def mapping(self, node: MappingNode, path: JsonPath) -> dict[str, Any]:
        self.check_tag(node, "tag:yaml.org,2002:map")
        result: dict[str, Any] = {}
        first_seen: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise self.fail("E101", "YAML syntax error: a mapping key must be a plain value", key_node)
            key = str(key_node.value)
            if key in first_seen:
                first = first_seen[key].start_mark.line + 1
                raise self.fail(
                    "E103",
                    f"duplicate key '{key}' (first defined at line {first})",
                    key_node,
                    hint="each key may appear once in a mapping",
                )
            first_seen[key] = key_node
            if self.record:
                self.positions[(*path, key)] = self.span(key_node)
            result[key] = self.convert(value_node, (*path, key))
            if self.record:
                self.positions[(*path, key)] = self.span(key_node)
        return result

    def scalar(self, node: ScalarNode, path: JsonPath) -> Any:
        self.check_tag(node, *_SCALAR_TAGS)
        tag, text = node.tag, node.value
        if tag == _STR:
            if self.record:
                self.scalars[path] = ScalarPlacement(
                    self.span(node),
                    node.style or "",
                    self.block_indent(node),
                    node.start_mark.index,
                    node.end_mark.index,
                )
            return text
        if tag.endswith(":null"):
            return None
        if tag.endswith(":bool"):
            return text.lower() == "true"
        if tag.endswith(":int"):
            return int(text)
        return float(text)

    def block_indent(self, node: ScalarNode) -> int:
        if node.style not in ("|", ">"):
            return 0
        # The first content line after the indicator line sets the indentation.
        lines = self.text[node.start_mark.index : node.end_mark.index].split("\n")[1:]
        for line in lines:
            if line.strip():
                return len(line) - len(line.lstrip(" "))
        return 0

    def check_tag(self, node: Node, *allowed: str) -> None:
        if node.tag not in allowed:
            raise self.fail(
                "E109",
                f"the YAML tag '{node.tag}' is not allowed",
                node,
                hint="terms files hold plain mappings, lists, text, numbers and booleans",
            )


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
