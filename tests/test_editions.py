"""The archive of editions (issue 18): every edition corpus.yaml lists is built once and kept at
/<lang>/<edition>/ beside the current one, with Material's selector file, the site's list of
editions, one feed over them, and `terms fetch` taking the edition in force on a date."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest

from tests.test_browser import serve

EARLIER = '  - {id: "2025-12", date: 2025-12-01, source: ../earlier}\n'


def with_earlier_edition(mini: Path) -> Path:
    """The mini corpus (edition 2026-01) listing an earlier edition, 2025-12, whose source is a
    folder beside it: a copy of the corpus with one clause title changed. Returns that folder."""
    earlier = mini.parent / "earlier"
    shutil.copytree(mini, earlier)
    section = earlier / "sections" / "10-buying.yaml"
    section.write_text(
        section.read_text("utf-8").replace("title: Introduction", "title: Purchasing", 1), "utf-8"
    )
    corpus = mini / "corpus.yaml"
    corpus.write_text(corpus.read_text("utf-8") + "editions:\n" + EARLIER, "utf-8")
    return earlier


def files_under(*folders: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder.parent.parent)): path.read_bytes()
        for folder in folders
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_an_earlier_edition_is_published_beside_the_current_one(mini: Path, run_terms: Any) -> None:
    with_earlier_edition(mini)
    code, _, err = run_terms("build", str(mini), "--out", "out", "-q")
    assert code == 0, err
    site = Path("out/site")
    assert "Purchasing" in (site / "en/2025-12/buying/index.html").read_text("utf-8")
    assert "Purchasing" not in (site / "en/2026-01/buying/index.html").read_text("utf-8")
    versions = json.loads((site / "uk/versions.json").read_text("utf-8"))
    assert [(v["version"], v["aliases"]) for v in versions] == [("2026-01", ["latest"]), ("2025-12", [])]
    assert versions[1]["title"] == "2025-12 · 1 грудня 2025 р."
    listing = json.loads((site / "editions.json").read_text("utf-8"))
    assert [(e["id"], e["date"], e["bundle"]) for e in listing["editions"]] == [
        ("2026-01", "2026-01-01", "files/2026-01/mini-terms.json"),
        ("2025-12", "2025-12-01", "files/2025-12/mini-terms.json"),
    ]
    earlier_bundle = json.loads((site / "files/2025-12/mini-terms.json").read_text("utf-8"))
    assert (earlier_bundle["edition"], earlier_bundle["edition_date"]) == (
        "2025-12",
        "2025-12-01",
    )  # as listed
    assert 'url=2026-01/"' in (site / "en/index.html").read_text("utf-8")  # <lang>/ leads to the newest
    assert 'href="en/2026-01/"' in (site / "index.html").read_text("utf-8")
    # What changed in 2026-01 names the earlier edition as the list does, not as its own corpus.yaml did.
    changes = (site / "en/2026-01/changes/index.html").read_text("utf-8")
    assert "2025-12, 1 December 2025" in changes and "buying.intro" in changes


def test_an_earlier_edition_is_built_once_and_its_files_never_change(mini: Path, run_terms: Any) -> None:
    earlier = with_earlier_edition(mini)
    assert run_terms("build", str(mini), "--out", "out", "-q")[0] == 0
    site = Path("out/site")
    archived = [site / "files" / "2025-12", *(site / lang / "2025-12" for lang in ("en", "uk"))]
    before = files_under(*archived)
    assert len(before) > 50
    # The current edition changes, and so does the earlier edition's source: once built, an
    # edition is what was published, byte for byte.
    section = mini / "sections" / "10-buying.yaml"
    section.write_text(
        section.read_text("utf-8").replace("title: Introduction", "title: Acquiring", 1), "utf-8"
    )
    (earlier / "sections" / "10-buying.yaml").write_text(
        section.read_text("utf-8").replace("Acquiring", "Changed afterwards"), "utf-8"
    )
    assert run_terms("build", str(mini), "--out", "out", "-q")[0] == 0
    assert "Acquiring" in (site / "en/2026-01/buying/index.html").read_text("utf-8")
    assert files_under(*archived) == before
    # Listed anew (another date), it is built anew.
    corpus = mini / "corpus.yaml"
    corpus.write_text(corpus.read_text("utf-8").replace("date: 2025-12-01", "date: 2025-12-02"), "utf-8")
    assert run_terms("build", str(mini), "--out", "out", "-q")[0] == 0
    assert "Changed afterwards" in (site / "en/2025-12/buying/index.html").read_text("utf-8")


def test_an_edition_that_does_not_build_fails_the_build_and_names_it(mini: Path, run_terms: Any) -> None:
    earlier = with_earlier_edition(mini)
    (earlier / "corpus.yaml").write_text("id: [", "utf-8")
    code, out, err = run_terms("build", str(mini), "--out", "out", "-q")
    assert code == 1
    assert (
        "error[E720]: the edition '2025-12' (source '../earlier') does not build: 1 error, the first: E101"
        in out + err
    )
    assert not Path("out/site").exists()


def test_the_feed_has_an_entry_per_edition_newest_first_linking_into_each(mini: Path, run_terms: Any) -> None:
    with_earlier_edition(mini)
    assert run_terms("build", str(mini), "--out", "out", "-q")[0] == 0
    folder = Path("out/site/uk")
    feed = feedparser.parse((folder / "atom.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert [e.title for e in feed.entries] == ["2026-01, 1 січня 2026 р.", "2025-12, 1 грудня 2025 р."]
    for entry in feed.entries:
        assert (folder / entry.link / "index.html").is_file(), entry.link


@pytest.fixture(scope="module")
def shipped_site(shipped_build: Path) -> Iterator[str]:
    yield from serve(shipped_build / "site")


@pytest.mark.parametrize(
    ("day", "edition"), [("2026-10-31", "2026-10"), ("2026-11-01", "2026-11"), ("2027-05-05", "2026-11")]
)
def test_fetch_takes_the_edition_in_force_on_a_date(
    shipped_site: str, run_terms: Any, tmp_path: Path, day: str, edition: str
) -> None:
    code, out, err = run_terms("fetch", f"{shipped_site}/", "--on", day, "--into", str(tmp_path / "held"))
    assert code == 0, err
    assert f"edition {edition} of " in out
    held = json.loads((tmp_path / "held/current/product-terms-sa.json").read_text("utf-8"))
    assert held["edition"] == edition


def test_fetch_says_when_no_edition_was_in_force(shipped_site: str, run_terms: Any, tmp_path: Path) -> None:
    code, _, err = run_terms(
        "fetch", f"{shipped_site}/editions.json", "--on", "2026-09-30", "--into", str(tmp_path / "held")
    )
    assert code == 2
    assert "no edition was published by 2026-09-30" in err
    assert not (tmp_path / "held" / "current").exists()


def test_check_takes_an_editions_bundle_url(shipped_site: str, run_terms: Any, tmp_path: Path) -> None:
    # An OEM SQL Server 2017 license under EAP: SA could be bought in 2026-10, not since 2026-11
    # (issue 17's reading of the OEM table).
    facts = tmp_path / "facts.json"
    facts.write_text(
        json.dumps(
            {
                "program": "eap",
                "channel": "oem",
                "pool": "servers",
                "product": "sql-server-2017",
                "enterprise_product": False,
                "latest_version": True,
                "license_date": "2020-03-01",
                "order_date": "2020-03-01",
            }
        ),
        "utf-8",
    )
    for edition, outcome in (("2026-10", "allowed"), ("2026-11", "denied")):
        url = f"{shipped_site}/files/{edition}/product-terms-sa.json"
        code, out, err = run_terms(
            "check", "--bundle", url, "--decision", "sa-purchase", "--format", "json", str(facts)
        )
        assert json.loads(out)["outcome"] == outcome, (edition, out + err)
    missing = f"{shipped_site}/files/2020-01/product-terms-sa.json"
    code, _, err = run_terms("check", "--bundle", missing, "--decision", "sa-purchase", str(facts))
    assert code == 2 and "HTTP 404" in err


def test_an_edition_whose_source_cannot_be_read_is_left_out_with_a_warning(
    mini: Path, run_terms: Any
) -> None:
    # A copy of a corpus outside its git repository (or a shallow clone) has no earlier revisions.
    corpus = mini / "corpus.yaml"
    corpus.write_text(
        corpus.read_text("utf-8") + 'editions:\n  - {id: "2025-12", date: 2025-12-01, source: "6759063"}\n',
        "utf-8",
    )
    code, out, err = run_terms("build", str(mini), "--out", "out", "-q")
    assert code == 0, out + err
    assert "warning[W721]: the edition '2025-12' cannot be read (" in out + err
    assert "the site is published without it" in out + err
    versions = json.loads(Path("out/site/en/versions.json").read_text("utf-8"))
    assert [v["version"] for v in versions] == ["2026-01"]
    assert not Path("out/site/en/2025-12").exists()
