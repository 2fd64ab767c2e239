"""Dirty builds on a small MkDocs project: a site built from the last site's unchanged pages (stock
`mkdocs build --dirty` with the terms-dirty-build plugin) is byte for byte the site a clean build
writes, search index included, and MkDocs' complaints still fail the build."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest
import yaml
from terms_compiler.diagnostics import CompileError
from terms_compiler.emit.markdown import DIRTY_BUILD_PLUGIN
from terms_compiler.emit.mkdocs_build import build_sites, dirty_build_site, run_mkdocs

PAGES = ("index.md", "alpha.md", "beta.md", "gamma.md")


def project(root: Path, plugins: tuple[str, ...] = ("search", DIRTY_BUILD_PLUGIN)) -> Path:
    """Four pages, each with sections for the search index, in the theme `terms build` uses."""
    (root / "docs").mkdir(parents=True)
    for name in PAGES:
        title = name.removesuffix(".md").capitalize()
        (root / "docs" / name).write_text(
            f"# {title}\n\nAbout {title}.\n\n## First part\n\nOne.\n\n## Second part\n\nTwo.\n",
            encoding="utf-8",
        )
    config = {
        "site_name": "Reuse",
        "theme": {"name": "material"},
        "plugins": list(plugins),
        "nav": [{name.removesuffix(".md").capitalize(): name} for name in PAGES],
    }
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root


def clean_build(sources: Path, site_dir: Path) -> None:
    run_mkdocs(sources.name, sources, site_dir, ["--strict"])


def rewrite(page: Path, words: str) -> None:
    text = page.read_text("utf-8")
    page.write_text(text.replace("Two.", f"Two, {words}.\n\n## Third part\n\nThree."), encoding="utf-8")


def files(folder: Path) -> dict[str, bytes]:
    """Every file of a site by relative path, the sitemap unzipped (gzip stamps the time)."""
    return {
        str(p.relative_to(folder)): gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_dirty_build_renders_the_changed_pages_only_and_writes_what_a_clean_build_writes(
    tmp_path: Path,
) -> None:
    sources = project(tmp_path / "en")
    clean_build(sources, tmp_path / "last")
    rewrite(sources / "docs/beta.md", "rewritten")
    dirty_build_site(sources, tmp_path / "dirty", tmp_path / "last", ["beta.md"])
    clean_build(sources, tmp_path / "clean")
    assert files(tmp_path / "dirty") == files(tmp_path / "clean")
    # The new section sits in the search index where a clean build puts it: beta's, mid-list.
    index = (tmp_path / "dirty/search/search_index.json").read_text("utf-8")
    assert index.index('"beta/#second-part"') < index.index('"beta/#third-part"') < index.index('"gamma/"')
    # Only beta's page was rendered; the others are the last build's files, times and all.
    for page in ("index.html", "alpha/index.html", "gamma/index.html"):
        assert (tmp_path / "dirty" / page).stat().st_mtime_ns == (tmp_path / "last" / page).stat().st_mtime_ns
    assert "rewritten" in (tmp_path / "dirty/beta/index.html").read_text("utf-8")


def test_a_changed_page_older_than_the_last_site_is_rendered_all_the_same(tmp_path: Path) -> None:
    """MkDocs renders a page again when its Markdown is newer than its HTML: a clock set back,
    or a file system that keeps times to the second, must not keep the old HTML."""
    sources = project(tmp_path / "en")
    clean_build(sources, tmp_path / "last")
    rewrite(sources / "docs/alpha.md", "written in the past")
    long_ago = (tmp_path / "last/alpha/index.html").stat().st_mtime_ns - 3600 * 10**9
    os.utime(sources / "docs/alpha.md", ns=(long_ago, long_ago))
    dirty_build_site(sources, tmp_path / "dirty", tmp_path / "last", ["alpha.md"])
    clean_build(sources, tmp_path / "clean")
    assert files(tmp_path / "dirty") == files(tmp_path / "clean")
    assert "written in the past" in (tmp_path / "dirty/alpha/index.html").read_text("utf-8")


def test_a_dirty_build_that_leaves_a_changed_page_as_it_was_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should MkDocs' test of which pages changed miss one (here: the page is older than its
    HTML, and made newer in vain), the page's HTML would be the last build's: an error, which
    build_sites answers with a clean build."""
    sources = project(tmp_path / "en")
    clean_build(sources, tmp_path / "last")
    rewrite(sources / "docs/alpha.md", "never seen")
    long_ago = (tmp_path / "last/alpha/index.html").stat().st_mtime_ns - 3600 * 10**9
    os.utime(sources / "docs/alpha.md", ns=(long_ago, long_ago))
    monkeypatch.setattr(os, "utime", lambda *args, **kwargs: None)
    with pytest.raises(OSError, match=r"did not render alpha\.md again"):
        dirty_build_site(sources, tmp_path / "dirty", tmp_path / "last", ["alpha.md"])


def test_the_plugin_changes_nothing_in_a_clean_build(tmp_path: Path) -> None:
    clean_build(project(tmp_path / "with"), tmp_path / "with-site")
    clean_build(project(tmp_path / "without", plugins=("search",)), tmp_path / "without-site")
    assert files(tmp_path / "with-site") == files(tmp_path / "without-site")


def test_a_warning_about_a_changed_page_fails_a_dirty_build_as_it_fails_a_clean_one(tmp_path: Path) -> None:
    """--strict cannot go with --dirty (MkDocs warns about every dirty build): the plugin fails
    the build instead. A clean build is strict too: --quiet would hide warnings from the count."""
    sources = project(tmp_path / "uk")
    clean_build(sources, tmp_path / "last")
    (sources / "docs/alpha.md").write_text("# Alpha\n\nSee [nowhere](missing.md).\n", encoding="utf-8")
    for build in (
        lambda: dirty_build_site(sources, tmp_path / "dirty", tmp_path / "last", ["alpha.md"]),
        lambda: clean_build(sources, tmp_path / "clean"),
    ):
        with pytest.raises(CompileError) as error:
            build()
        [problem] = error.value.diagnostics
        assert problem.message == "MkDocs failed to build the 'uk' site"
        excerpt = "\n".join(problem.excerpt)
        assert "'missing.md'" in excerpt and "Aborted with 1 warnings in strict mode!" in excerpt, excerpt


def sources_and_last_build(tmp_path: Path) -> tuple[Path, Path]:
    """MkDocs sources of en and uk as write_docs lays them out (docs/), and a previous output
    folder (previous/docs, previous/site) that built them."""
    docs, previous = tmp_path / "docs", tmp_path / "previous"
    for language in ("en", "uk"):
        project(docs / language)
    (docs / "index.html").write_text("<p>root</p>\n", encoding="utf-8")
    (docs / "files").mkdir()
    shutil.copytree(docs, previous / "docs")
    build_sites(previous / "docs", previous / "site", ("en", "uk"), "e1")
    return docs, previous


def test_build_sites_reuses_what_it_can_and_writes_what_a_clean_build_writes(tmp_path: Path) -> None:
    docs, previous = sources_and_last_build(tmp_path)
    rewrite(docs / "uk/docs/gamma.md", "перекладено")
    builds = build_sites(docs, tmp_path / "site", ("en", "uk"), "e1", None, previous, {"en", "uk"})
    assert [(b.pages, b.pages_reused) for b in builds.values()] == [(4, 4), (4, 3)]
    build_sites(docs, tmp_path / "clean", ("en", "uk"), "e1")
    assert files(tmp_path / "site") == files(tmp_path / "clean")


def test_a_dirty_build_that_fails_for_want_of_the_last_site_is_built_clean(tmp_path: Path) -> None:
    """The plugin cannot keep the search entries of pages not rendered without the last
    index: the language is then built clean, and its site is right all the same."""
    docs, previous = sources_and_last_build(tmp_path)
    (previous / "site/en/e1/search/search_index.json").unlink()
    rewrite(docs / "en/docs/alpha.md", "again")
    builds = build_sites(docs, tmp_path / "site", ("en", "uk"), "e1", None, previous, {"en", "uk"})
    assert builds["en"].pages_reused == 0 and builds["uk"].pages_reused == 4
    build_sites(docs, tmp_path / "clean", ("en", "uk"), "e1")
    assert files(tmp_path / "site") == files(tmp_path / "clean")
