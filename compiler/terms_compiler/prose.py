"""Prose: {{ parameter }} placeholders, term:/clause: links and Markdown rendering of clause text.

Substitution is our own and strict: a placeholder may name only a parameter of its own clause,
anything else between {{ and }} is an error, and values are formatted per language. Markdown
is rendered by markdown-it-py with raw HTML disabled, so `<script>` in prose is shown as text.

markdown-it-pyrs (the Rust port) halves the bundle's rendering time but was not adopted: its
0.4.0 (October 2024, markdown-it.rs 0.6.0) panics on prose as plain as "[a `b", renders some
CommonMark differently (unclosed fences, empty link titles, host names in other scripts, tight
lists around code blocks) and has no wheels for Python 3.13 and later.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from markdown_it import MarkdownIt

PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
PLACEHOLDER_NAME = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*$")
LINK_TARGET = re.compile(r"\]\(\s*<?([A-Za-z][A-Za-z0-9+.-]*):([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
INTERNAL_SCHEMES = ("term", "clause")
EXTERNAL_SCHEMES = ("http", "https", "mailto")
URL_SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.-]*):")

MONTHS = {  # genitive forms, as dates are written in uk and ru
    "en": "January February March April May June July August September October November December",
    "uk": "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня",
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
}
DATE_FORMATS = {
    "en": "{d} {month} {y}",
    "uk": "{d} {month} {y} р.",
    "ru": "{d} {month} {y} г.",
    "zh": "{y}年{m}月{d}日",
}
BOOLEANS = {"en": ("yes", "no"), "uk": ("так", "ні"), "ru": ("да", "нет"), "zh": ("是", "否")}


@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str
    """The parameter named, or the raw inner text when it is not a valid name."""
    offset: int
    length: int
    valid: bool


@dataclass(frozen=True, slots=True)
class Link:
    scheme: str
    target: str
    offset: int
    """Offset of the scheme in the text."""


def find_placeholders(text: str) -> list[Placeholder]:
    found = []
    for match in PLACEHOLDER.finditer(text):
        name = PLACEHOLDER_NAME.match(match.group(1))
        found.append(
            Placeholder(
                name.group(1) if name else match.group(1).strip(),
                match.start(),
                len(match.group()),
                name is not None,
            )
        )
    return found


def find_unclosed(text: str) -> int | None:
    """Offset of a '{{' that no '}}' closes, or of a stray Jinja-style '{%'."""
    for match in re.finditer(r"\{\{|\{%", text):
        if match.group() == "{%" or "}}" not in text[match.end() :]:
            return match.start()
    return None


def find_links(text: str) -> list[Link]:
    return [Link(m.group(1), m.group(2), m.start(1)) for m in LINK_TARGET.finditer(text)]


def format_value(type_: str, value: Any, language: str) -> str:
    """A parameter value as prose shows it in a language (dates spelt the local way)."""
    if type_ == "date":
        year, month, day = (int(part) for part in str(value).split("-"))
        template = DATE_FORMATS.get(language)
        if template is None:
            return str(value)
        names = MONTHS.get(language, "").split()
        return template.format(d=day, m=month, y=year, month=names[month - 1] if names else "")
    if type_ == "bool":
        yes, no = BOOLEANS.get(language, ("true", "false"))
        return yes if value else no
    return str(value)


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Replace each {{ name }} by its formatted value; names were checked by the link stage."""
    return PLACEHOLDER.sub(lambda m: values[m.group(1).strip()], text)


def resolve_links(text: str, url_for: Callable[[str, str], tuple[str, str]]) -> str:
    """Rewrite term:/clause: link targets as site URLs, with a title where one is given."""

    def replace(match: re.Match[str]) -> str:
        scheme, target = match.group(1), match.group(2)
        if scheme not in INTERNAL_SCHEMES:
            return match.group()
        url, title = url_for(scheme, target)
        quoted = f' "{title.replace(chr(34), chr(39))}"' if title else ""
        return f"]({url}{quoted})"

    return LINK_TARGET.sub(replace, text)


def safe_link(url: str) -> bool:
    """Whether rendered prose may link to url: http(s), mailto, our term:/clause: or a relative
    link. The link stage refuses other schemes in inline links (E324); this also holds for
    reference links and autolinks, which it does not see."""
    scheme = URL_SCHEME.match(url)
    return scheme is None or scheme.group(1).lower() in INTERNAL_SCHEMES + EXTERNAL_SCHEMES


class SafeLinksMarkdown(MarkdownIt):
    """markdown-it whose links (inline, reference, autolink) keep only a safe_link target; any
    other is rendered as text."""

    def validateLink(self, url: str) -> bool:  # markdown-it's name for it
        return safe_link(url)


def _wide(character: str) -> bool:
    """A character of Chinese, Japanese or Korean text, or their full-width punctuation."""
    return unicodedata.east_asian_width(character) in ("W", "F")


def _join_wide_lines(state: Any) -> None:
    """A line break inside a paragraph between two wide characters joins them with no space:
    Chinese has no spaces between words, and a browser shows such a break as one
    ("订单， 实体许可证"). Elsewhere it stays a break, which reads as a space."""
    for block in state.tokens:
        children = block.children or []
        for index, token in enumerate(children):
            if token.type != "softbreak":
                continue
            before = next((t.content for t in reversed(children[:index]) if t.content), "")
            after = next((t.content for t in children[index + 1 :] if t.content), "")
            if before and after and _wide(before[-1]) and _wide(after[0]):
                token.type, token.content = "text", ""


@cache
def markdown() -> MarkdownIt:
    # CommonMark without raw HTML: tags in prose are escaped and shown as text. With "html" off
    # the two HTML rules only return False, so they are disabled too: fewer calls per line.
    md = SafeLinksMarkdown("commonmark", {"html": False}).disable(["image", "html_block", "html_inline"])
    md.core.ruler.push("join_wide_lines", _join_wide_lines)
    return md


def to_html(text: str) -> str:
    html: str = markdown().render(text)
    return html


def to_html_and_plain_text(text: str) -> tuple[str, str]:
    """Both renderings from one parse (parsing is most of the cost at scale)."""
    tokens = markdown().parse(text)
    html: str = markdown().renderer.render(tokens, markdown().options, {})
    return html, _plain_text(tokens)


def to_plain_text(text: str) -> str:
    """Prose without Markdown syntax: one line per paragraph or list item, for terminals."""
    return _plain_text(markdown().parse(text))


def _plain_text(tokens: list[Any]) -> str:
    lines: list[str] = []
    number: list[int] = []
    prefix = ""
    for token in tokens:
        if token.type == "ordered_list_open":
            number.append(int(str(token.attrGet("start") or 1)))
        elif token.type == "bullet_list_open":
            number.append(0)
        elif token.type in ("ordered_list_close", "bullet_list_close"):
            number.pop()
        elif token.type == "list_item_open":
            prefix = f"{number[-1]}. " if number[-1] else "- "
            if number[-1]:
                number[-1] += 1
        elif token.type == "inline":
            words = "".join(
                " " if child.type in ("softbreak", "hardbreak") else child.content
                for child in token.children or ()
                if child.type in ("text", "code_inline", "softbreak", "hardbreak")
            )
            lines.append(prefix + " ".join(words.replace("\n", " ").split()))
            prefix = ""
    return "\n".join(lines)
