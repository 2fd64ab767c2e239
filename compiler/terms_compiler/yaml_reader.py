"""Reading YAML the way the corpus is read: YAML 1.2 scalars, no tags, no duplicate keys, no
alias bombs, no depth beyond MAX_DEPTH, every problem a diagnostic at its line and column; and,
on demand, where every value sits in the file."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from terms_compiler.condition.lexer import MAX_INT_DIGITS, too_many_digits
from terms_compiler.diagnostics import CompileError, Diagnostic, SourceSpan, caret_excerpt
from terms_compiler.yaml_indentation import indentation_hint

JsonPath = tuple[str | int, ...]

# An alias may repeat a subtree, but a file may not expand to more than this many nodes beyond
# its own: a "billion laughs" file is refused after a few milliseconds instead of hanging.
ALIAS_EXPANSION_LIMIT = 100_000
# Deeper values are refused by the loader, so no later stage (JSON Schema, our own walks) can
# exceed Python's recursion limit on a hostile file.
MAX_DEPTH = 64


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


class _FastLoader(yaml.CBaseLoader, _Resolver):
    """libyaml's composer (same marks, about 13 times faster) with our resolver, through PyYAML's
    public CBaseLoader (only its composer is used). Used when a file parses; on any error the
    pure-Python loader re-reads it, for its messages and alias marks."""


def _flow_depth(text: str) -> int:
    """Deepest nesting of [ and { (quoted text ignored only roughly: enough to route hostile
    files to the pure-Python loader, whose recursion is caught, not to libyaml's C stack)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(text):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


_NUMBER_HINT = "bundle consumers (JSON readers, SQL back ends) hold numbers in 64 bits"
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
    try:
        loader = _Loader(text)  # PyYAML's reader checks every character of a text here
    except yaml.reader.ReaderError as error:  # not a MarkedYAMLError: it has an index, not a mark
        raise CompileError([_character_diagnostic(error, text, shown)]) from None
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


def decode(raw: bytes, shown: str) -> str:
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


def _character_diagnostic(error: yaml.reader.ReaderError, text: str, shown: str) -> Diagnostic:
    """A character YAML does not allow (NUL, ESC and the other control characters but tab and
    line breaks), at its line and column; no excerpt, so the terminal never receives it."""
    line_start = text.rfind("\n", 0, error.position) + 1
    return Diagnostic(
        "E113",
        f"the character U+{error.character:04X} is not allowed in a YAML file",
        SourceSpan(shown, text.count("\n", 0, error.position) + 1, error.position - line_start + 1),
        hint="remove it: YAML files hold printable text, tabs and line breaks only",
    )


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
    mapping_start = error.context_mark.line + 1 if error.context_mark else None
    hint = indentation_hint(lines, problem, (span.line, span.column), mapping_start)
    return Diagnostic("E101", f"YAML syntax error: {message}", span, hint=hint, excerpt=excerpt)


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
            if len(text.lstrip("+-").lstrip("0")) > MAX_INT_DIGITS:
                raise self.fail("E114", too_many_digits(text), node, hint=_NUMBER_HINT)
            return int(text)
        number = float(text)
        if not math.isfinite(number):
            raise self.fail("E114", "this number is too large", node, hint=_NUMBER_HINT)
        return number

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


def read_text(text: str, shown: str) -> Any:
    """The plain data of a YAML text (shown: the file as diagnostics name it)."""
    root = _compose(text, shown)
    if root is None:
        raise CompileError(
            [Diagnostic("E105", "the file is empty; expected a mapping", SourceSpan(shown, 1, 1))]
        )
    converter = _Converter(shown, text, _count_distinct_nodes(root), lambda: _alias_marks(text))
    return converter.convert(root, ())


def placements(text: str, shown: str) -> tuple[dict[JsonPath, SourceSpan], dict[JsonPath, ScalarPlacement]]:
    """Where each value of a YAML text that read without errors sits: its span, and for strings
    the placement of their text."""
    root = _compose(text, shown) if text else None
    if root is None:
        return {}, {}
    converter = _Converter(
        shown, text, _count_distinct_nodes(root), lambda: _alias_marks(text), record_positions=True
    )
    converter.convert(root, ())
    return converter.positions, converter.scalars
