"""Emit stage (archive): every published edition at its own address, and the files that tie them.

    site/<lang>/<edition>/     an edition's site: the current one built now (mkdocs_build), each
                               earlier one built once into out/editions/<edition>/ and copied
                               from there as it is, so its pages never change once published
    site/files/<edition>/      its bundle, digest, rules files, conformance cases (signature)
    site/<lang>/versions.json  Material's edition selector, in the format mike writes
    site/<lang>/index.html     leads to the newest edition
    site/<lang>/atom.xml       the feed of the last twelve editions' changes (emit/feed.py)
    site/editions.json         every edition, newest first, with its date, bundle and pages: what
                               the "in force on" field and tools read (docs/editions.md)

Why Material's selector and this layout: the selector fetches versions.json from the folder above
a site and lists the folders beside it, so each language's editions are folders of <lang>/ (the
issue's /<edition>/<lang>/ cannot work with it); when the reader switches, it reads the other
edition's sitemap and stays on the same page (and clause anchor) when it exists there.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from terms_compiler.diagnostics import Diagnostic, Severity, has_errors
from terms_compiler.emit.feed import FEED, FEED_ENTRY, atom_feed
from terms_compiler.emit.markdown import link_or_copy
from terms_compiler.emit.templates import language_tag, render, ui
from terms_compiler.model import Corpus, PublishedEdition
from terms_compiler.prose import format_value

RECORD = "edition.json"
"""In an earlier edition's output folder: which listed edition it was built as."""


@dataclass(frozen=True, slots=True)
class ArchivedBuild:
    """An earlier edition's build: the edition as the current corpus lists it, the ones listed
    after it (older), the repository (the current corpus's folder) its sources are in, and the
    current corpus, whose address and feedback address the whole site has."""

    edition: PublishedEdition
    older: tuple[PublishedEdition, ...]
    repository: Path
    current: Corpus

    def as_listed(self, corpus: Corpus) -> Corpus:
        """The edition's corpus named and dated as listed, the next listed one its previous."""
        return dataclasses.replace(
            corpus,
            edition=self.edition.id,
            edition_date=self.edition.date,
            editions=self.older,
            previous_edition=self.older[0].source if self.older else None,
            site_url=self.current.site_url,
            feedback=self.current.feedback,
        )


@dataclass(frozen=True, slots=True)
class Archive:
    """Where earlier editions are built (out/editions/), and how: build.py's build, handed in
    (it runs this stage)."""

    folder: Path
    build: Callable[[ArchivedBuild, Path], Sequence[Diagnostic]]
    """Builds one earlier edition into a folder; its problems (errors when it failed)."""


def publish(corpus: Corpus, root: Path, staging: Path, archive: Archive | None) -> list[Diagnostic]:
    """Add the earlier editions (built when not built before) to the site in staging/site/, and
    write the selector's, the feed's and the tools' files. Without `archive`, the site has the
    current edition alone (the build of an earlier edition)."""
    site, problems = staging / "site", []
    editions = [(corpus.edition, corpus.edition_date, staging)]
    if archive is not None:
        for index, listed in enumerate(corpus.editions):
            folder = archive.folder / listed.id
            problems += _built(
                ArchivedBuild(listed, corpus.editions[index + 1 :], root, corpus), folder, archive
            )
            if not (folder / RECORD).is_file():  # not built: the problems say why
                continue
            for part in (site / "files", *(site / lang for lang in corpus.languages)):
                edition_site = folder / "site" / part.relative_to(site) / listed.id
                if edition_site.is_dir():  # a language added since has no page in that edition
                    shutil.copytree(edition_site, part / listed.id, copy_function=link_or_copy)
            editions.append((listed.id, listed.date, folder))
    for language in corpus.languages:
        present = [(e, date, out) for e, date, out in editions if (site / language / e).is_dir()]
        _write_language(corpus, language, site / language, present)
    listing: dict[str, Any] = {
        "corpus": corpus.id,
        "editions": [
            {
                "id": edition,
                "date": date,
                "bundle": f"files/{edition}/{corpus.id}.json",
                "pages": {
                    lang: f"{lang}/{edition}/"
                    for lang in corpus.languages
                    if (site / lang / edition).is_dir()
                },
            }
            for edition, date, _ in editions
        ],
    }
    (site / "editions.json").write_text(
        json.dumps(listing, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return problems


def _built(archived: ArchivedBuild, folder: Path, archive: Archive) -> list[Diagnostic]:
    """The earlier edition in folder, built now unless a build of it as listed is there (its
    RECORD then says so). An edition that does not build is an error (E720); one whose source
    cannot be read (a copy of the corpus outside git, a shallow clone) a warning (W721), and the
    site is published without it."""
    listed = dataclasses.asdict(archived.edition)
    record = folder / RECORD
    try:
        if json.loads(record.read_text(encoding="utf-8")) == listed and (folder / "site").is_dir():
            return []  # built before: kept byte for byte
    except (OSError, ValueError):
        pass
    shutil.rmtree(folder, ignore_errors=True)
    found = list(archive.build(archived, folder))
    if has_errors(found):
        errors = [d for d in found if d.severity is Severity.ERROR]
        first = errors[0]
        place = f" at {first.span.file}:{first.span.line}:{first.span.column}" if first.span else ""
        return [
            Diagnostic(
                "E720",
                f"the edition '{archived.edition.id}' (source '{archived.edition.source}') does not "
                f"build: {len(errors)} error{'s' * (len(errors) != 1)}, the first: "
                f"{first.code} {first.message}{place}",
                hint="fix the edition's source in corpus.yaml's editions, or remove it from the list",
            )
        ]
    if not (folder / "site").is_dir():  # never built: its source could not be read
        return found
    record.write_text(json.dumps(listed) + "\n", encoding="utf-8")
    return []


def _write_language(
    corpus: Corpus, language: str, folder: Path, editions: list[tuple[str, str | None, Path]]
) -> None:
    """versions.json, index.html and atom.xml in <lang>/, for the editions that have pages in it
    (newest first; the first is the current edition)."""
    versions = [
        {
            "version": edition,
            "title": f"{edition} · {format_value('date', date, language)}" if date else edition,
            "aliases": ["latest"] if i == 0 else [],
        }
        for i, (edition, date, _) in enumerate(editions)
    ]
    (folder / "versions.json").write_text(
        json.dumps(versions, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    (folder / "index.html").write_text(
        render(
            "latest.html.j2",
            language=language_tag(language),
            title=corpus.title[language],
            latest=f"{corpus.edition}/",
            link=ui(language)["latest_link"],
        ),
        encoding="utf-8",
    )
    entries: list[Any] = []
    for _, _, out in editions:
        with (out / "docs" / language / FEED_ENTRY).open(encoding="utf-8") as file:
            entries.append(json.load(file))
    (folder / FEED).write_text(atom_feed(corpus, language, entries), encoding="utf-8")
    (folder / "sitemap.xml").write_text(_sitemap_index(corpus, language, editions), encoding="utf-8")


def _sitemap_index(corpus: Corpus, language: str, editions: list[tuple[str, str | None, Path]]) -> str:
    """<lang>/sitemap.xml: an index of the editions' sitemaps, for search engines. Material also
    reads it, as the sitemap of the feed's address (a page's <link rel=alternate>): without it,
    every page would ask for a file that is not there. Addresses are absolute, from site_url;
    without one, none are listed (as MkDocs' own sitemaps then list no page)."""
    index = ElementTree.Element("sitemapindex", xmlns="http://www.sitemaps.org/schemas/sitemap/0.9")
    for edition, _, _ in editions if corpus.site_url else []:
        location = ElementTree.SubElement(ElementTree.SubElement(index, "sitemap"), "loc")
        location.text = f"{corpus.site_url}{language}/{edition}/sitemap.xml"
    ElementTree.indent(index)
    return ElementTree.tostring(index, encoding="unicode", xml_declaration=True) + "\n"
