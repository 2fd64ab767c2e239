"""Lexer stage of the condition language: text -> tokens with offsets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false"})
MAX_INT_DIGITS = 18
"""Whole numbers (in conditions and in every YAML value) have at most this many digits, leading
zeros aside: every bundle consumer (JSON readers, SQL back ends) holds them in 64 bits, and
Python refuses to convert more than 4,300 digits."""


class Token(NamedTuple):
    kind: str
    """name, keyword, int, date, string, op, punct or eof."""
    value: str
    """The token's text (a string literal without its quotes)."""
    offset: int
    """Offset of the token's first character in the expression."""
    length: int
    """Number of characters the token covers in the expression."""


class LexError(Exception):
    def __init__(self, message: str, offset: int, length: int = 1) -> None:
        super().__init__(message)
        self.message, self.offset, self.length = message, offset, length


# Order matters: a date before an int, two-character operators before one-character ones.
# Names may hold inner hyphens (kebab-case enum values such as select-plus), so arithmetic
# minus needs spaces around it: `window_days - 1`.
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9A-Za-z_-]))
  | (?P<int>[0-9]+(?![A-Za-z_]))
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*)
  | (?P<string>"[^"\n]*")
  | (?P<op>==|!=|<=|>=|<|>|\+|-)
  | (?P<punct>[()\[\],])
    """,
    re.VERBOSE,
)


def tokenize(source: str) -> Iterator[Token]:
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            raise _unexpected(source, position)
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "string":
            yield Token("string", text[1:-1], position, len(text))
        elif kind == "int" and len(text.lstrip("0")) > MAX_INT_DIGITS:
            raise LexError(too_many_digits(text), position, len(text))
        elif kind == "name" and text in KEYWORDS:
            yield Token("keyword", text, position, len(text))
        elif kind != "space":
            yield Token(kind, text, position, len(text))
        position = match.end()
    yield Token("eof", "", len(source), 1)


def too_many_digits(digits: str) -> str:
    """The message for a whole number (digits, with its sign if any) of more than MAX_INT_DIGITS."""
    count = len(digits.lstrip("+-").lstrip("0"))
    return f"this whole number has {count} digits; at most {MAX_INT_DIGITS} are allowed"


def _unexpected(source: str, position: int) -> LexError:
    char = source[position]
    if char == '"':
        return LexError("a string literal is not closed; expected a closing '\"'", position)
    if char == "=":
        return LexError("unexpected '='; use '==' to compare", position)
    return LexError(f"unexpected character '{char}'", position)
