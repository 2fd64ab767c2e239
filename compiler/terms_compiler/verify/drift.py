"""Drift checks (verify stage): translations keep their source's placeholders, links and Markdown
structure; numbers that are parameters come through placeholders; stale translations are named."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache

from terms_compiler.cache import content_key
from terms_compiler.diagnostics import Diagnostic, Severity
from terms_compiler.freshness import source_hash
from terms_compiler.model import Clause
from terms_compiler.prose import PLACEHOLDER, find_links, find_placeholders

ISO_DATE_IN_TEXT = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])")
NUMBER_IN_TEXT = re.compile(r"(?<![\d.,])\d+(?![\d])")
LIST_MARKER = re.compile(r"(?m)^[ \t]*\d+[.)](?=\s)")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
# Markdown shape, counted the same way on both sides (a full parse per translation was most of
# the compile time at 2,000 clauses): blocks between blank lines, list items, inline links.
BLOCK_SEPARATOR = re.compile(r"\n[ \t]*\n\s*")
LIST_ITEM = re.compile(r"(?m)^[ \t]*(?:\d+[.)]|[-*+])[ \t]+\S")
MARKDOWN_LINK = re.compile(r"\[[^\]\n]*\]\([^)\s]+[^)]*\)")


def drift_key(source_language: str, clause: Clause) -> str:
    """Everything the drift checks of a clause read: its texts and its parameters; and its file,
    as named and as read, for the positions and excerpts of what they find. A stale translation
    stays stale until a translator catches up, and placing its warning again would mean
    reading its whole file again."""
    document = clause.origin.document
    return content_key(
        source_language,
        document.path,
        document.digest,
        *(
            part
            for language, text in sorted(clause.text.items())
            for part in (language, text.title, text.body, str(text.translates))
        ),
        *(
            part
            for name, parameter in sorted(clause.parameters.items())
            for part in (name, parameter.type, repr(parameter.value))
        ),
    )


def clause_drift(clause: Clause, source_language: str) -> list[Diagnostic]:
    """The drift problems of one clause, in every language."""
    problems: list[Diagnostic] = []
    source = clause.text.get(source_language)
    for language, text in clause.text.items():
        problems += hand_typed_numbers(clause, language)
        if source is None or language == source_language:
            continue
        problems += parity(clause, language, source_language)
        if text.translates is not None and text.translates != source_hash(source):
            problems.append(
                Diagnostic(
                    "W420",
                    f"the {language} translation of '{clause.id}' is stale: its source "
                    f"text changed since it was translated",
                    clause.origin.span("text", language),
                    hint=f"bring it up to date, then run: terms translated {language} {clause.id}",
                    severity=Severity.WARNING,
                )
            )
    return problems


@lru_cache(maxsize=4096)
def _inventory(title: str, body: str) -> dict[str, Counter[str]]:
    """What a translation must keep: placeholders, term links, clause links, Markdown shape."""
    text = f"{title}\n{body}"
    links = find_links(body)
    return {
        "placeholder": Counter("{{ " + p.name + " }}" for p in find_placeholders(text)),
        "glossary term": Counter(link.target for link in links if link.scheme == "term"),
        "cross-reference": Counter(link.target for link in links if link.scheme == "clause"),
        "paragraph": Counter({"paragraphs": len(BLOCK_SEPARATOR.split(body.strip()))}),
        "list item": Counter({"list items": len(LIST_ITEM.findall(body))}),
        "link": Counter({"links": len(MARKDOWN_LINK.findall(body))}),
    }


def parity(clause: Clause, language: str, source_language: str) -> Iterator[Diagnostic]:
    source, translation = clause.text[source_language], clause.text[language]
    expected = _inventory(source.title, source.body)
    found = _inventory(translation.title, translation.body)
    for kind, wanted in expected.items():
        have = found[kind]
        if have == wanted:
            continue
        span = clause.origin.span("text", language, "body")  # only for a problem: it costs
        if kind in ("paragraph", "list item", "link"):
            noun = next(iter(wanted or have))
            yield Diagnostic(
                "E403",
                f"the {language} translation of '{clause.id}' has "
                f"{have[noun]} {noun}, the {source_language} source has "
                f"{wanted[noun]}",
                span,
            )
            continue
        missing = sorted((wanted - have).elements())
        extra = sorted((have - wanted).elements())
        parts = ([f"lacks {kind} {', '.join(missing)}"] if missing else []) + (
            [f"has extra {kind} {', '.join(extra)}"] if extra else []
        )
        code = {"placeholder": "E400", "glossary term": "E401", "cross-reference": "E402"}[kind]
        yield Diagnostic(
            code,
            f"the {language} translation of '{clause.id}' "
            f"{' and '.join(parts)} (compared with the {source_language} source)",
            span,
        )


def hand_typed_numbers(clause: Clause, language: str) -> Iterator[Diagnostic]:
    """A number or ISO date typed in prose that equals one of the clause's parameters."""
    by_value: dict[str, str] = {}
    for name, parameter in clause.parameters.items():
        if parameter.type in ("int", "date"):
            by_value.setdefault(str(parameter.value), name)
    if not by_value:
        return
    text = clause.text[language]
    for key, value in (("title", text.title), ("body", text.body)):
        if not any(written in value for written in by_value):
            continue  # most texts: no parameter's value appears at all, so nothing to find
        for offset, written in _numbers(value):
            match = by_value.get(written)
            if match is not None:
                span = clause.origin.span_in(offset, "text", language, key)
                yield Diagnostic(
                    "E410",
                    f"'{written}' is typed by hand but is the value of parameter "
                    f"'{match}'; write {{{{ {match} }}}}",
                    span,
                    hint="prose shows parameters through placeholders, so text and rule cannot drift apart",
                    excerpt=clause.origin.document.excerpt(span, len(written)),
                )


def _numbers(text: str) -> Iterator[tuple[int, str]]:
    """(offset, text) of each ISO date and each other number written in digits, outside
    placeholders, link targets and ordered-list markers."""
    blanked = text
    for pattern in (PLACEHOLDER, LINK_TARGET, LIST_MARKER):
        blanked = pattern.sub(lambda m: " " * len(m.group()), blanked)
    dates = list(ISO_DATE_IN_TEXT.finditer(blanked))
    for match in dates:
        yield match.start(), match.group()
    for match in dates:
        blanked = blanked[: match.start()] + " " * len(match.group()) + blanked[match.end() :]
    for match in NUMBER_IN_TEXT.finditer(blanked):
        yield match.start(), match.group()
