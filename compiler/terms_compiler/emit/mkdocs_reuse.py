"""MkDocs builds of languages that reuse the unchanged pages of each language's last site.

`terms build` runs this, in processes of its own, for the languages whose MkDocs sources differ
from the last build's only in the Markdown of some pages: mkdocs.yml (which holds the navigation and
every page's title), the theme overrides, the assets and the list of pages are byte for byte the
same. A page's HTML depends on nothing else, so an unchanged page's HTML is the one the last
build wrote. MkDocs' own dirty mode skips those pages; this module decides which pages count as
modified (by their bytes, not by file times) and puts the search index back together in the
order a full build writes it. The site is then byte for byte the one a full build writes, which
tests/test_cache.py and tests/test_mkdocs_reuse.py check.

    echo '[{"config_file": ..., "site_dir": ..., "last_site": ..., "pages": [...]}]' \\
        | python -m terms_compiler.emit.mkdocs_reuse
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
from collections.abc import Callable
from functools import cache, partial
from pathlib import Path
from typing import Any

import jinja2
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import Files

SEARCH_INDEX = Path("search", "search_index.json")


class _NoOptions(Config):  # type: ignore[no-untyped-call]
    """ReusePages has no options in mkdocs.yml: `terms build` adds it to the configuration."""


class ReusePages(BasePlugin[_NoOptions]):  # type: ignore[no-untyped-call]
    """Marks the changed pages as the only modified files, and merges the search index."""

    def __init__(self, changed: set[str], last_site: Path) -> None:
        super().__init__()
        self.changed = changed
        self.last_site = last_site
        self.page_urls: list[str] = []
        self.rebuilt_urls: set[str] = set()

    @event_priority(-100)  # after any plugin that adds files
    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        for file in files:
            modified = file.src_uri in self.changed or not os.path.isfile(file.abs_dest_path)
            file.is_modified = partial(bool, modified)  # type: ignore[method-assign]
        return files

    def on_env(self, env: Any, config: MkDocsConfig, files: Files) -> None:
        # The pages in the order MkDocs builds them, which is the order of the search index.
        pages = [file.page for file in files.documentation_pages() if file.page is not None]
        self.page_urls = [page.url for page in pages]
        self.rebuilt_urls = {page.url for page in pages if page.file.src_uri in self.changed}

    @event_priority(-100)  # after Material's search plugin wrote the index of the rebuilt pages
    def on_post_build(self, config: MkDocsConfig) -> None:
        path = Path(config.site_dir) / SEARCH_INDEX
        rebuilt = json.loads(path.read_text(encoding="utf-8"))
        last = json.loads((self.last_site / SEARCH_INDEX).read_text(encoding="utf-8"))
        entries = {"rebuilt": _by_page(rebuilt["docs"]), "last": _by_page(last["docs"])}
        docs = [
            entry
            for url in self.page_urls
            for entry in entries["rebuilt" if url in self.rebuilt_urls else "last"].get(url, [])
        ]
        # As Material writes it (material/plugins/search/plugin.py, generate_search_index).
        path.write_text(
            json.dumps({"config": rebuilt["config"], "docs": docs}, separators=(",", ":"), default=str),
            encoding="utf-8",
        )


def _by_page(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Search entries by the URL of their page: "part-001/#clause-a" belongs to "part-001/"."""
    pages: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        pages.setdefault(entry["location"].partition("#")[0], []).append(entry)
    return pages


class _NotTheDirtyWarning(logging.Filter):
    """MkDocs warns that a dirty build may leave navigation stale, which strict mode counts as a
    failure. Here the navigation is unchanged (mkdocs.yml is the same), so the warning does not
    apply."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("A 'dirty' build")


class _CompiledOnce(jinja2.BytecodeCache):
    """Jinja's compiled templates, kept for the languages built after the first in this process:
    each language's build makes a Jinja environment of its own, and compiling Material's templates
    in each one was a third of its time. Jinja checks each bucket against its template's source,
    so a changed template is compiled again."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledOnce()


@cache
def _templates_in(folder: str, followlinks: bool) -> frozenset[str]:
    """The template names under one theme folder, listed once per process: MkDocs lists every
    theme file (Material has thousands of icons) to find the theme's static files."""
    return frozenset(jinja2.FileSystemLoader(folder, followlinks=followlinks).list_templates())


def _list_templates(loader: jinja2.FileSystemLoader) -> list[str]:
    """loader.list_templates(), from each folder's listing."""
    return sorted(
        frozenset().union(*(_templates_in(folder, loader.followlinks) for folder in loader.searchpath))
    )


def _environment_with_memory(
    make_environment: Callable[[], jinja2.Environment],
) -> Callable[[], jinja2.Environment]:
    """MkDocs' Theme.get_env, with templates compiled and listed once per process."""

    def get_env() -> jinja2.Environment:
        environment = make_environment()
        environment.bytecode_cache = _COMPILED
        loader = environment.loader
        assert isinstance(loader, jinja2.FileSystemLoader)
        loader.list_templates = partial(_list_templates, loader)  # type: ignore[method-assign]
        return environment

    return get_env


def build_language(config_file: Path, site_dir: Path, last_site: Path, pages: set[str]) -> None:
    """Build one language's site into site_dir (which must not exist) from a copy of its last
    site, rendering only `pages` (paths under docs/). Raises Abort when MkDocs fails."""
    site_dir = site_dir.resolve()  # MkDocs reads a relative one from mkdocs.yml's folder
    shutil.copytree(last_site, site_dir)
    config = load_config(config_file=str(config_file), site_dir=str(site_dir), strict=True)
    config.plugins["terms/reuse-pages"] = ReusePages(pages, last_site)
    config.theme.get_env = _environment_with_memory(config.theme.get_env)  # type: ignore[method-assign]
    config.plugins.on_startup(command="build", dirty=True)
    try:
        build(config, dirty=True)
    finally:
        config.plugins.on_shutdown()


def main(argv: list[str]) -> int:
    """Build each site that standard input lists, in turn (one process for several languages
    saves each one the start-up of Python, MkDocs and Material)."""
    argparse.ArgumentParser(
        prog="python -m terms_compiler.emit.mkdocs_reuse",
        description=__doc__.split("\n\n")[0],
        epilog="Standard input is a JSON list of sites to build, each an object with "
        "config_file (the language's mkdocs.yml), site_dir (where to write the site; it must "
        "not exist), last_site (the language's site from the last build) and pages (the "
        "changed pages, as paths under docs/). When MkDocs fails, the failed site's "
        "config_file is printed on standard output, MkDocs' messages on standard error, and "
        "the exit status is 1.",
    ).parse_args(argv)
    jobs = json.load(sys.stdin)
    logging.getLogger("mkdocs.commands.build").addFilter(_NotTheDirtyWarning())
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    logging.getLogger("mkdocs").addHandler(handler)
    for job in jobs:
        try:
            build_language(
                Path(job["config_file"]), Path(job["site_dir"]), Path(job["last_site"]), set(job["pages"])
            )
        except Abort as error:
            print(job["config_file"])
            print(error, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
