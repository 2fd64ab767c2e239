"""The Atom feed of changes, one per language: valid Atom to a feed parser, and every link in
it lands on the built site."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest


@pytest.mark.parametrize("language", ["en", "uk", "ru", "zh"])
def test_each_language_has_an_atom_feed_whose_links_land_on_the_site(
    shipped_build: Path, language: str
) -> None:
    site = shipped_build / "site"
    feed_url = f"https://terms.example/{language}/atom.xml"  # where a reader would fetch it
    parsed = feedparser.parse(
        (site / language / "atom.xml").read_bytes(),
        response_headers={"content-location": feed_url, "content-type": "application/atom+xml"},
    )
    assert parsed.version == "atom10" and not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.language == language
    entry, earlier = parsed.entries  # the current edition, then the earlier one corpus.yaml lists
    assert entry.title.startswith("2026-11") and earlier.title.startswith("2026-10")
    assert entry.updated.startswith("2026-11-01") and earlier.updated.startswith("2026-10-01")
    links = re.findall(r'href="([^"]+)"', entry.content[0].value)
    assert len(links) >= 4  # the clauses the edition changed (issue 17's readings among them)
    # Into the edition that changed them (feedparser resolves them against the feed's address).
    assert all(urlsplit(urljoin(feed_url, link)).path.startswith(f"/{language}/2026-11/") for link in links)
    for link in [*links, entry.link, earlier.link, parsed.feed.link]:
        url = urlsplit(urljoin(feed_url, link))
        page = site / url.path.lstrip("/") / "index.html"
        assert page.is_file(), link
        if url.fragment:
            assert f'id="{url.fragment}"' in page.read_text(encoding="utf-8"), link


def test_every_page_points_feed_readers_at_its_languages_feed(shipped_build: Path) -> None:
    page = (shipped_build / "site" / "ru" / "2026-11" / "sa-renewal" / "index.html").read_text(
        encoding="utf-8"
    )
    assert '<link rel="alternate" type="application/atom+xml" href="../../atom.xml"' in page
