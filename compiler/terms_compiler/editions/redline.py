"""Redlines: word-level differences of clause titles and prose, as runs and as one line of text."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CONTEXT_WEIGHT = 6
"""Unchanged words kept around a change in text and Markdown redlines (a CJK character: half)."""
MIN_CUT = 2
"""Unchanged words are cut from a redline only when more than this many would go."""

Op = tuple[str, str]
"""A redline operation: ("=", unchanged text), ("-", deleted text) or ("+", inserted text)."""


CJK = (
    "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
)
_TOKEN = re.compile(rf"\s+|[{CJK}]|[^\s{CJK}]+")
_CJK_CHAR = re.compile(rf"[{CJK}]")
_LINK_TITLE = re.compile(r'(\]\([^)\s]*)\s+"[^"]*"\)')


def tokens(text: str) -> list[str]:
    """Words split on whitespace, except that Chinese, Japanese and Korean text is split into
    characters (it has no spaces between words); whitespace runs become one space, or one
    newline when they hold a line break (paragraphs in plain text)."""
    result = []
    for token in _TOKEN.findall(text.strip()):
        if token.isspace():
            token = "\n" if "\n" in token else " "
        result.append(token)
    return result


def redline(old: str, new: str) -> tuple[Op, ...]:
    """A word-level redline: the whole text as equal, deleted and inserted runs."""
    a, b = tokens(old), tokens(new)
    raw: list[Op] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            raw.append(("=", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            raw.append(("-", "".join(a[i1:i2])))
        if j2 > j1:
            raw.append(("+", "".join(b[j1:j2])))
    # A run of unchanged spaces (or a single CJK character) between two changes is folded into
    # them, so that a rewritten phrase reads [-a b c-]{+x y z+} rather than word by word.
    merged: list[Op] = []
    for index, (op, text) in enumerate(raw):
        between = 0 < index < len(raw) - 1 and raw[index - 1][0] != "=" and raw[index + 1][0] != "="
        if op == "=" and between and sum(_weight(t) for t in tokens(text)) < 1:
            _append(merged, "-", text)
            _append(merged, "+", text)
        else:
            _append(merged, op, text)
    return tuple(_ordered(merged))


def _append(ops: list[Op], op: str, text: str) -> None:
    """Add a run, joining it to the run of the same kind in the trailing group of changes."""
    for index in range(len(ops) - 1, -1, -1):
        if ops[index][0] == op:
            ops[index] = (op, ops[index][1] + text)
            return
        if ops[index][0] == "=" or op == "=":
            break
    ops.append((op, text))


def _ordered(ops: list[Op]) -> list[Op]:
    """Within each run of changes: the deletion first, then the insertion."""
    result: list[Op] = []
    pending: dict[str, str] = {}
    for op, text in [*ops, ("=", "")]:
        if op == "=":
            result.extend((o, pending[o]) for o in ("-", "+") if pending.get(o))
            pending = {}
            if text:
                result.append((op, text))
        else:
            pending[op] = pending.get(op, "") + text
    return result


@dataclass(frozen=True, slots=True)
class Redline:
    """The redline of one clause in one language."""

    language: str
    title: tuple[Op, ...] | None
    """None when the title did not change."""
    body: tuple[Op, ...] | None
    """None when the prose did not change."""


def _comparable_markdown(markdown: str) -> str:
    """Rendered Markdown without link titles (they carry glossary definitions, which the
    glossary section reports), for deciding whether the prose changed."""
    return _LINK_TITLE.sub(r"\1)", markdown)


def clause_redline(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, language: str
) -> Redline | None:
    """The redline of a clause's text in one language (its title, rendered Markdown and plain
    text in the bundle), or None when neither the title nor the prose changed."""
    if old is None and new is None:
        return None
    old, new = old or {}, new or {}
    old_title, new_title = str(old.get("title", "")), str(new.get("title", ""))
    title = redline(old_title, new_title) if old_title != new_title else None
    body = None
    old_md, new_md = str(old.get("markdown", "")), str(new.get("markdown", ""))
    if _comparable_markdown(old_md) != _comparable_markdown(new_md):
        old_plain, new_plain = str(old.get("plain", old_md)), str(new.get("plain", new_md))
        # Plain text reads best; when only Markdown differs (a link target), show Markdown.
        body = (
            redline(old_plain, new_plain)
            if old_plain != new_plain
            else redline(_comparable_markdown(old_md), _comparable_markdown(new_md))
        )
    if title is None and body is None:
        return None
    return Redline(language, title, body)


def _weight(token: str) -> float:
    if token.isspace():
        return 0.0
    return 0.5 if _CJK_CHAR.fullmatch(token) else 1.0


def _trimmed(ops: Sequence[Op]) -> list[Op]:
    """Long unchanged runs cut to CONTEXT_WEIGHT words on each side of a change, with …"""
    result: list[Op] = []
    for index, (op, text) in enumerate(ops):
        if op != "=":
            result.append((op, text))
            continue
        words = tokens(text)
        lead = text[: len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()) :]
        first, last = index == 0, index == len(ops) - 1
        head = [] if first else _take(words, CONTEXT_WEIGHT)
        tail = [] if last else _take(words[::-1], CONTEXT_WEIGHT)[::-1]
        omitted = words[len(head) : len(words) - len(tail)]
        if sum(_weight(word) for word in omitted) <= MIN_CUT:
            result.append((op, text))  # an ellipsis would save next to nothing
            continue
        shown = ""
        if not first:
            shown += lead + "".join(head).strip() + " "
        shown += "…"
        if not last:
            shown += " " + "".join(tail).strip() + trail
        result.append((op, shown))
    return result


def _take(words: Sequence[str], limit: float) -> list[str]:
    taken: list[str] = []
    weight = 0.0
    for word in words:
        if weight + _weight(word) > limit:
            break
        weight += _weight(word)
        taken.append(word)
    return taken


def redline_text(ops: Sequence[Op], markdown: bool = False, trim: bool = True) -> str:
    """[-deleted-]{+inserted+} (text) or ~~deleted~~ **inserted** (Markdown), one line."""
    parts = []
    for op, text in _trimmed(ops) if trim else ops:
        text = text.replace("\n", " ¶ ")
        if op == "=":
            parts.append(md_escape(text) if markdown else text)
            continue
        core = text.strip()
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
        if not core:
            continue
        if markdown:
            mark = "~~" if op == "-" else "**"
            space = " " if op == "+" and parts and parts[-1].endswith("~~") and not lead else ""
            parts.append(f"{space}{lead}{mark}{md_escape(core)}{mark}{trail}")
        else:
            parts.append(f"{lead}[-{core}-]{trail}" if op == "-" else f"{lead}{{+{core}+}}{trail}")
    return "".join(parts)


def md_escape(text: str) -> str:
    """Text with Markdown's special characters escaped."""
    return re.sub(r"([\\`*_~\[\]<>|#])", r"\\\1", text)
