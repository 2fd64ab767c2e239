"""Patterns of string facts: the portable subset of regular expressions, which Python's `re`, a
JavaScript `RegExp` and SQL engines match alike, and the check that a pattern keeps to it.

A `string` fact may declare `pattern`, which the whole value must match (a full match: no
anchors). The subset (docs/semantics.md, "Facts"): printable ASCII; literal characters; `.`;
classes `[...]` and `[^...]` of literal characters and ranges (escapes `\\\\ \\] \\[ \\- \\^`);
groups `(...)` and `(?:...)` with `|`; quantifiers `? * + {n} {n,} {n,m}` (n, m <= 1000), never on
a group that holds a quantifier; escapes `\\\\ \\. \\- \\( \\) \\[ \\] \\{ \\} \\* \\+ \\? \\| \\^ \\$ \\/`.
Nothing else: no `\\d \\w \\s \\b`, back references, lookarounds, flags, `^` or `$`. At most 200
characters. The compiler refuses a pattern outside it (with where), and the checkers refuse a
bundle holding one as malformed, so every engine reads a pattern it is sure to read the same way.

Standard library only: this module is on the `terms check` path.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

MAX_LENGTH = 200
MAX_COUNT = 1000
ESCAPES = frozenset("\\.-()[]{}*+?|^$/")
"""The characters an escape may name outside a class."""
CLASS_ESCAPES = frozenset("\\][-^")
"""The characters an escape may name inside a class."""
QUANTIFIERS = frozenset("?*+{")
DOUBLED_IN_CLASS = ("--", "&&", "~~", "||")
"""Pairs that Python warns may mean set operations in a future version (and JavaScript's `v`
mode reads so): refused inside a class, so that no engine's reading of them can differ."""
_COUNTS = re.compile(r"\{([0-9]+)(,([0-9]*))?\}")


class PatternError(ValueError):
    """The pattern is outside the portable subset: what, and where (a 0-based index, or None)."""

    def __init__(self, what: str, at: int | None = None) -> None:
        super().__init__(what if at is None else f"{what} (at character {at + 1})")
        self.what = what
        self.at = at


def pattern_error(pattern: Any) -> PatternError | None:
    """What puts pattern outside the portable subset, or None."""
    try:
        _Reader(pattern).read()
    except PatternError as error:
        return error
    return None


def pattern_problem(pattern: Any) -> str | None:
    """What puts pattern outside the portable subset, with its position, or None."""
    error = pattern_error(pattern)
    return None if error is None else str(error)


def matcher(pattern: str) -> Any:
    """The function telling whether a whole text matches a pattern of the subset (re.fullmatch
    bound to the compiled pattern: it returns a match or None)."""
    return re.compile(pattern).fullmatch


def schema_pattern(pattern: str) -> str:
    """The pattern as JSON Schema states it: JSON Schema's `pattern` finds a match anywhere, so
    the full match is anchored."""
    return f"^(?:{pattern})$"


class _Reader:
    """A recursive-descent reader of the subset: alternatives, sequences, atoms, classes."""

    def __init__(self, pattern: Any) -> None:
        self.text = pattern
        self.at = 0

    def fail(self, what: str) -> NoReturn:
        raise PatternError(what, self.at)

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def read(self) -> None:
        if not isinstance(self.text, str):
            raise PatternError("a pattern is a text")
        if len(self.text) > MAX_LENGTH:
            raise PatternError(f"a pattern has at most {MAX_LENGTH} characters, found {len(self.text)}")
        for at, char in enumerate(self.text):
            if not " " <= char <= "~":
                raise PatternError(f"only printable ASCII characters, found U+{ord(char):04X}", at)
        self.alternatives()
        if self.at < len(self.text):
            self.fail("a ')' without its '('")

    def alternatives(self) -> bool:
        """Read `a|b|...`; whether any part holds a quantifier."""
        quantified = self.sequence()
        while self.peek() == "|":
            self.at += 1
            quantified = self.sequence() or quantified
        return quantified

    def sequence(self) -> bool:
        quantified = False
        while self.peek() not in ("", "|", ")"):
            holds = self.atom()
            if self.peek() in QUANTIFIERS:
                if holds:
                    self.fail("a quantifier on a group that holds one (no nested repetition)")
                self.quantifier()
                holds = True
                if self.peek() in QUANTIFIERS:
                    self.fail("a quantifier after a quantifier")
            quantified = quantified or holds
        return quantified

    def atom(self) -> bool:
        """Read one atom; whether it is a group holding a quantifier."""
        char = self.peek()
        if char == "(":
            self.at += 1
            if self.text.startswith("?:", self.at):
                self.at += 2
            elif self.peek() == "?":
                self.fail("only groups (...) and (?:...)")
            holds = self.alternatives()
            if self.peek() != ")":
                self.fail("a '(' without its ')'")
            self.at += 1
            return holds
        if char == "[":
            self.character_class()
        elif char == "\\":
            escaped = self.text[self.at + 1 : self.at + 2]
            if escaped not in ESCAPES:
                self.fail(f"the escape \\{escaped} (only \\ and one of {''.join(sorted(ESCAPES))})")
            self.at += 2
        elif char in QUANTIFIERS:
            self.fail(f"'{char}' with nothing to repeat (a literal '{char}' is written \\{char})")
        elif char in "]}":
            self.fail(f"a literal '{char}' is written \\{char}")
        elif char in "^$":
            self.fail(f"'{char}' (the whole value must match: a pattern has no anchors)")
        else:
            self.at += 1
        return False

    def quantifier(self) -> None:
        if self.peek() != "{":
            self.at += 1
            return
        counts = _COUNTS.match(self.text, self.at)
        if counts is None:
            self.fail("'{' starts {n}, {n,} or {n,m} (a literal '{' is written \\{)")
        low, high = int(counts[1]), int(counts[3]) if counts[3] else None
        if low > MAX_COUNT or (high is not None and high > MAX_COUNT):
            self.fail(f"a count above {MAX_COUNT}")
        if high is not None and low > high:
            self.fail(f"{{{low},{high}}}: the first count is above the second")
        self.at = counts.end()

    def character_class(self) -> None:
        start = self.at
        self.at += 1
        if self.peek() == "^":
            self.at += 1
        members = 0
        while self.peek() != "]":
            if not self.peek():
                self.at = start
                self.fail("a '[' without its ']'")
            for pair in DOUBLED_IN_CLASS:
                if self.text.startswith(pair, self.at):
                    self.fail(f"'{pair}' in a class (read as a set operation by some engines)")
            low = self.class_character()
            if self.peek() == "-" and self.text[self.at + 1 : self.at + 2] not in ("]", ""):
                self.at += 1
                high = self.class_character()
                if high < low:
                    self.fail(f"the range {low}-{high} runs backwards")
            members += 1
        if not members:
            self.fail("an empty class (a literal ']' is written \\])")
        self.at += 1

    def class_character(self) -> str:
        char = self.peek()
        if char == "\\":
            char = self.text[self.at + 1 : self.at + 2]
            if char not in CLASS_ESCAPES:
                self.fail(
                    f"the escape \\{char} in a class (only \\ and one of {''.join(sorted(CLASS_ESCAPES))})"
                )
            self.at += 1
        elif char == "[":
            self.fail("a literal '[' in a class is written \\[")
        self.at += 1
        return char
