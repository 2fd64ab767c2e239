"""Load stage helper: which line of a YAML syntax error is most likely indented wrongly.

A mis-indented key rarely fails where it is written. Indented too deep, it reads as the rest of
the text on the line before, and PyYAML fails on the next colon ("mapping values are not allowed
here") - at the wrong line when it was the line before that was indented too shallow. Indented
too shallow, it ends the mapping above early ("expected <block end>"), which may have started
one line too deep. Either way the suspects are the line PyYAML reports, the line before it, the
line where the mapping it was reading began and the sibling key above when it is a column or
two off, and the mistake is whichever is out of step with the rest of the file:
1. a key that sits at another column everywhere else in the file (clauses repeat their keys:
   `title:` under `en:` is indented by eight spaces in every clause) is out of step;
2. failing that, a key off the file's indentation grid (seven spaces in a file indented by twos);
3. failing both, the hint names every suspect and does not guess.
Measured on the shipped corpus and the mini one, every key line moved by one space either way
(2,596 syntax errors): the hint names the moved line alone in all but 5. Moved by two spaces, a
whole level (1,960 errors): alone in 79%, among other suspects in 13%, and misses it in 8%.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict

KEY_LINE = re.compile(r"^( *)((?:- +)*)([^\s:#\-\"'{\[][^:#]*?):(?: |$)")
"""An indented `key:` (perhaps after list dashes): group 1+2 is the key's column."""

INDENTATION_PROBLEMS = ("mapping values are not allowed here", "expected <block end>")


def suspect_lines(lines: tuple[str, ...], reported: int, mapping_start: int | None) -> tuple[int, ...]:
    """The 1-based lines to check: one when the rules above single it out, else every suspect.

    `reported` is the line PyYAML names; `mapping_start` is the line of the mapping it was
    reading when it stopped (its context), the suspect for a key that ended a mapping early.
    """
    candidates = (reported, _previous_line(lines, reported), mapping_start, _near_sibling(lines, reported))
    suspects = sorted({line for line in candidates if line})
    keys = {line: key for line in suspects if (key := _key(lines, line)) is not None}
    columns = _columns_by_key(lines, exclude=set(keys))
    out_of_step = [
        line for line, (name, column) in keys.items() if columns[name] and column not in columns[name]
    ]
    if len(out_of_step) == 1:
        return (out_of_step[0],)
    grid = math.gcd(*(c for cs in columns.values() for c in cs))
    off_grid = [line for line, (_, column) in keys.items() if grid > 1 and column % grid]
    if len(off_grid) == 1:
        return (off_grid[0],)
    return tuple(suspects)


def indentation_hint(
    lines: tuple[str, ...], problem: str, reported: tuple[int, int], mapping_start: int | None
) -> str:
    """The hint for a syntax error that a wrongly indented key causes; empty for other errors.

    `reported` is PyYAML's (line, column). A colon after the line's own key is not about
    indentation: it is a ": " inside an unquoted text, which has a hint of its own.
    """
    if not any(problem.startswith(p) for p in INDENTATION_PROBLEMS):
        return ""
    line, column = reported
    key = _key(lines, line)
    if problem.startswith(INDENTATION_PROBLEMS[0]) and key and column > key[1] + len(key[0]) + 1:
        return "a text holding ': ' must be quoted (\"...\"), or YAML reads a new key in it"
    suspects = [str(line) for line in suspect_lines(lines, line, mapping_start)]
    where = (
        f"line {suspects[0]}"
        if len(suspects) == 1
        else f"lines {', '.join(suspects[:-1])} and {suspects[-1]}"
    )
    return f"a key may be indented wrongly; check the indentation of {where}"


def _key(lines: tuple[str, ...], line: int) -> tuple[str, int] | None:
    match = KEY_LINE.match(lines[line - 1]) if 0 < line <= len(lines) else None
    return (match[3], len(match[1]) + len(match[2])) if match else None


def _near_sibling(lines: tuple[str, ...], line: int) -> int | None:
    """The sibling key above this line's key, when it is a column or two off: the key whose
    children (a block of text, a mapping) sit between the two: walking up, the uppermost key
    passed that sits up to two columns to the right, else the key that ends the walk (the first
    at or left of this one) when it is up to two columns to the left."""
    key = _key(lines, line)
    deeper = None
    for number in range(line - 1, 0, -1) if key else ():
        other = _key(lines, number)
        if other and key and other[1] <= key[1]:
            return deeper if deeper or key[1] - other[1] > 2 else number
        if other and key and other[1] <= key[1] + 2:
            deeper = number
    return deeper


def _previous_line(lines: tuple[str, ...], line: int) -> int | None:
    """The closest line above that holds something (not blank, not only a comment)."""
    for number in range(line - 1, 0, -1):
        text = lines[number - 1].strip()
        if text and not text.startswith("#"):
            return number
    return None


def _columns_by_key(lines: tuple[str, ...], exclude: set[int]) -> defaultdict[str, set[int]]:
    columns: defaultdict[str, set[int]] = defaultdict(set)
    for number in range(1, len(lines) + 1):
        key = None if number in exclude else _key(lines, number)
        if key:
            columns[key[0]].add(key[1])
    return columns
