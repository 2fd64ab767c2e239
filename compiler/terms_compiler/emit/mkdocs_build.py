"""Emit stage (site build): each language's MkDocs sources -> its site, built by MkDocs in parallel.

A language whose sources are byte for byte the last build's keeps that build's site. One whose
sources differ only in the Markdown of some pages is built with `mkdocs build --dirty` over a copy
of its last site: MkDocs renders the pages whose Markdown is newer than their HTML, which are
exactly the changed ones (write_docs links the unchanged ones from the last build, and
dirty_build_site makes the changed ones newer than any file of the last site), and the
terms-dirty-build plugin (terms_compiler.emit.mkdocs_reuse) keeps the other pages' search
entries. The site is then byte for byte the one a clean build writes, which tests/test_cache.py
and tests/test_mkdocs_reuse.py check. Any other language is built clean.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Container
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from terms_compiler.diagnostics import CompileError, Diagnostic
from terms_compiler.emit.markdown import link_or_copy

# How far past the last site's newest file a changed page's time is set when it is not past
# it already: far enough for any file system's clock tick (FAT keeps times to 2 seconds).
LATER_NS = 2_000_000_000


@dataclass(frozen=True)
class SiteBuild:
    """How much of one language's site came from the last build."""

    pages: int
    """Pages in the language's site."""
    pages_reused: int
    """Pages whose HTML came from the last build: all of them when the site was reused whole."""


@dataclass(frozen=True, slots=True)
class SiteProgress:
    """One step of the site build, for a progress report: its start, then each language done."""

    done: int
    """Languages done so far: 0 when MkDocs is about to start."""
    total: int
    """Languages in all."""
    language: str = ""
    """The language just done ("" at the start)."""
    how: str = ""
    """`built`, `reused` (the last build's site, whole) or `updated` (its changed pages rendered
    again); "" at the start."""
    seconds: float = 0.0
    """How long that language took."""


SiteHook = Callable[[SiteProgress], None]


def build_sites(
    docs: Path,
    site: Path,
    languages: tuple[str, ...],
    edition: str,
    edition_date: str | None = None,
    previous: Path | None = None,
    reusable: Container[str] = (),
    on_site: SiteHook | None = None,
) -> dict[str, SiteBuild]:
    """Build each language's site with MkDocs, in parallel processes, into site/<lang>/<edition>/
    (the edition's address), and publish the edition's files at site/files/<edition>/. The
    sitemaps date every page by `edition_date` (see run_mkdocs).

        `previous` is the output folder of an earlier build (holding docs/ and site/). A language
        in `reusable` (its sources and site there are as that build wrote them) reuses what it can:
        its whole site when its MkDocs sources are byte for byte the same, or its unchanged pages
        when only the Markdown of some pages changed. The sources carry the compiler's fingerprint
        (BUILT_BY), so a new compiler, template or MkDocs version always builds afresh. `on_site`
        hears of the start and of each language as it is done, in the order they finish, from
        this thread."""
    site.mkdir(parents=True)
    shutil.copy(docs / "index.html", site / "index.html")
    shutil.copytree(docs / "files", site / "files" / edition, copy_function=link_or_copy)
    last = {language: previous / "site" / language / edition for language in languages} if previous else {}
    built = {language: site / language / edition for language in languages}
    changed = {
        language: changed_pages(docs / language, previous / "docs" / language)
        if previous is not None and language in reusable
        else None
        for language in languages
    }

    def build(language: str) -> tuple[str, str, float]:
        started = time.perf_counter()
        pages = changed[language]
        how = "built" if pages is None else "reused" if pages == [] else "updated"
        if pages is None:
            run_mkdocs(language, docs / language, built[language], ["--strict"], edition_date)
        elif pages == []:
            assert previous is not None
            shutil.copytree(last[language], built[language], copy_function=link_or_copy)
        else:
            assert previous is not None
            try:
                dirty_build_site(docs / language, built[language], last[language], pages, edition_date)
            except (CompileError, OSError):  # a clean build tells whether the sources are at fault
                shutil.rmtree(built[language], ignore_errors=True)
                changed[language] = None
                how = "built"
                run_mkdocs(language, docs / language, built[language], ["--strict"], edition_date)
        return language, how, time.perf_counter() - started

    report = on_site or (lambda progress: None)
    report(SiteProgress(0, len(languages)))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        tasks = as_completed([pool.submit(build, language) for language in languages])
        for done, task in enumerate(tasks, start=1):
            report(SiteProgress(done, len(languages), *task.result()))
    pages = {language: sum(1 for _ in (docs / language / "docs").rglob("*.md")) for language in languages}
    return {
        language: SiteBuild(
            pages[language],
            0 if changed[language] is None else pages[language] - len(changed[language] or []),
        )
        for language in languages
    }


def dirty_build_site(
    sources: Path, site_dir: Path, last_site: Path, pages: list[str], date: str | None = None
) -> None:
    """Build one language's site into site_dir from a copy of its last site, rendering again
    only `pages` (paths under docs/, whose Markdown changed since that site was built)."""
    newest = 0.0

    def copy(source: str, target: str) -> None:
        # A copy, not a link: MkDocs writes its files in place, and would change the last site's.
        nonlocal newest
        shutil.copy2(source, target)
        newest = max(newest, os.stat(target).st_mtime)

    shutil.copytree(last_site, site_dir, copy_function=copy)
    # MkDocs renders a page again when its HTML is older than its Markdown (File.is_modified,
    # comparing times in seconds as floats): a changed page must be newer than every HTML file.
    for page in pages:
        path = sources / "docs" / page
        if path.stat().st_mtime <= newest:  # a clock set back, or the same clock tick
            later = int(newest * 1e9) + LATER_NS
            os.utime(path, ns=(later, later))
    run_mkdocs(sources.name, sources, site_dir, ["--dirty"], date)  # strict by the plugin
    # Whatever MkDocs' test of a changed page, the site is right only if it rendered them all.
    for page in pages:
        if (site_dir / html_of(page)).stat().st_mtime <= newest:
            raise OSError(f"mkdocs build --dirty did not render {page} again")


def html_of(page: str) -> str:
    """Where MkDocs writes a page's HTML under use_directory_urls (as mkdocs.base.yml sets)."""
    stem = page.removesuffix(".md")
    return f"{stem}.html" if stem.rpartition("/")[2] == "index" else f"{stem}/index.html"


def run_mkdocs(
    language: str, sources: Path, site_dir: Path, options: list[str], date: str | None = None
) -> None:
    """Run `mkdocs build` on one language's sources; a failure is a CompileError naming the
    language. Not --quiet, which keeps warnings from strict mode's count (MkDocs 1.6). MkDocs
    dates the sitemap's pages by SOURCE_DATE_EPOCH, else by the clock: the edition's `date`
    (midnight UTC) unless the caller set one, so a rebuild on another day writes the same bytes."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    if date and "SOURCE_DATE_EPOCH" not in env:
        day = dt.datetime.fromisoformat(date).replace(tzinfo=dt.UTC)
        env["SOURCE_DATE_EPOCH"] = str(int(day.timestamp()))
    done = subprocess.run(
        [
            sys.executable,
            "-P",  # the current folder's files are not modules (a corpus may hold a yaml.py)
            "-m",
            "mkdocs",
            "build",
            *options,
            "--config-file",
            str(sources / "mkdocs.yml"),
            "--site-dir",
            str(site_dir.resolve()),  # else MkDocs reads it from mkdocs.yml's folder
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        tail = (done.stderr + done.stdout).strip().splitlines()[-12:]  # logs, then the verdict
        raise CompileError(
            [Diagnostic("E700", f"MkDocs failed to build the {language!r} site", excerpt=tuple(tail))]
        )


def changed_pages(sources: Path, last: Path) -> list[str] | None:
    """The pages (paths under docs/) whose Markdown differs between one language's MkDocs
    sources and the last build's, when nothing else differs: the same files, with the same
    bytes in each file that is not a page (mkdocs.yml with the navigation and page titles, the
    compiler's stamp, the theme overrides, the assets). None when something else differs."""
    if not last.is_dir():
        return None
    names = sorted(p.relative_to(sources).as_posix() for p in sources.rglob("*") if p.is_file())
    if names != sorted(p.relative_to(last).as_posix() for p in last.rglob("*") if p.is_file()):
        return None
    changed = [name for name in names if not _same_bytes(sources / name, last / name)]
    if not all(name.startswith("docs/") and name.endswith(".md") for name in changed):
        return None
    return [name.removeprefix("docs/") for name in changed]


def _same_bytes(one: Path, other: Path) -> bool:
    """Whether two files hold the same bytes: at once when they are one file (a page linked
    from the last build) or differ in size."""
    one_stat, other_stat = one.stat(), other.stat()
    if (one_stat.st_ino, one_stat.st_dev) == (other_stat.st_ino, other_stat.st_dev):
        return True
    return one_stat.st_size == other_stat.st_size and one.read_bytes() == other.read_bytes()
