"""Emit stage (feed): an Atom feed of the terms' changes, one per language (<lang>/atom.xml).

An entry per published edition, newest first, the last twelve: the clauses it added, changed and
removed, each linked to its text in that edition, and how many situations now answer otherwise.
Each edition's build writes its own entry (feed_entry, as JSON beside its MkDocs sources), so an
archived edition's entry is never computed again; archive.py gathers them into the feed. Written
with feedgen (a well-kept Atom writer) rather than by hand: it escapes every text and date into
valid XML.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from feedgen.feed import FeedGenerator
from markupsafe import Markup

from terms_compiler.emit.bundle import clause_page
from terms_compiler.emit.templates import ui
from terms_compiler.model import Corpus
from terms_compiler.prose import format_value

FEED = "atom.xml"  # in each language's folder, beside its editions
FEED_ENTRY = "feed-entry.json"  # in each language's MkDocs sources, beside mkdocs.yml
FEED_LENGTH = 12


def _day(date: str | None) -> dt.datetime:
    """An edition's date as the feed's time: midnight UTC of that day (a build without one uses
    the Unix epoch, so the feed stays the same bytes at every build)."""
    day = dt.date.fromisoformat(date) if date else dt.date(1970, 1, 1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def feed_entry(corpus: Corpus, changes: Any, language: str) -> dict[str, Any]:
    """This edition's entry in one language's feed, as JSON data; links relative to <lang>/."""
    edition_day = format_value("date", corpus.edition_date, language) if corpus.edition_date else ""
    return {
        "edition": corpus.edition,
        "title": f"{corpus.edition}, {edition_day}" if edition_day else corpus.edition,
        "date": corpus.edition_date,
        "html": str(_entry_html(corpus, changes, language)),
    }


def atom_feed(corpus: Corpus, language: str, entries: Sequence[Mapping[str, Any]]) -> str:
    """One language's Atom feed (at <lang>/atom.xml) from the editions' entries, newest first."""
    feed_id = f"tag:terms-compiler.dev,2026:{corpus.id}:{language}"
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(f"{corpus.title[language]} · {ui(language)['changes']}")
    feed.language(language)
    feed.link(href=FEED, rel="self", type="application/atom+xml")
    feed.link(href=f"{corpus.edition}/changes/", rel="alternate", type="text/html")
    feed.updated(_day(corpus.edition_date))
    for data in reversed(entries[:FEED_LENGTH]):  # feedgen lists the entry added last first
        entry = feed.add_entry()
        entry.id(f"{feed_id}:{data['edition']}")
        entry.title(data["title"])
        entry.updated(_day(data["date"]))
        entry.link(href=f"{data['edition']}/changes/", rel="alternate", type="text/html")
        entry.content(data["html"], type="html")
    return str(feed.atom_str(pretty=True), "utf-8")


def _entry_html(corpus: Corpus, changes: Any, language: str) -> Markup:
    """The entry's content as HTML: Markup.format escapes every text it is given with
    html_text's escape, the site's one escaping."""
    s = ui(language)
    if changes is None:
        return Markup("<p>{}</p>").format(s["no_previous"])
    parts = []

    def clause_list(heading: str, ids: list[str], linked: bool) -> None:
        if not ids:
            return
        items = Markup("").join(
            Markup('<li><a href="{}">{}</a> <code>{}</code></li>').format(
                f"{corpus.edition}/{clause_page(corpus, cid)}",
                corpus.clauses[cid].text[language].title,
                cid,
            )
            if linked
            else Markup("<li><code>{}</code></li>").format(cid)
            for cid in ids
        )
        parts.append(Markup("<h3>{}</h3><ul>{}</ul>").format(heading, items))

    present = [c.id for c in changes.added if c.id in corpus.clauses]
    clause_list(s["changes_added"], present, linked=True)
    clause_list(s["changes_changed"], [c.id for c in changes.changed if c.id in corpus.clauses], linked=True)
    clause_list(s["changes_removed"], [c.id for c in changes.removed], linked=False)
    if changes.flips:
        parts.append(Markup("<p>{}: {}</p>").format(s["changes_answers"], changes.flips))
    if not parts:
        parts.append(Markup("<p>{}</p>").format(s["no_changes"]))
    return Markup("").join(parts)
