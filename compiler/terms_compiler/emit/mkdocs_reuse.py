"""MkDocs plugin `terms-dirty-build`: `mkdocs build --dirty` writes the site a clean build writes.

`terms build` declares it in every language's mkdocs.yml and runs MkDocs' own dirty mode over a
copy of a language's last site when only the Markdown of some pages changed since then (see
terms_compiler.emit.mkdocs_build). MkDocs then renders the pages whose Markdown is newer than
their HTML and keeps the others' HTML. Two things differ from a clean build, and this plugin
mends both:

- the search index: Material's search plugin indexes the rendered pages only. The plugin puts
  back the entries of the other pages, from the index the site folder holds before the build, in
  the order a clean build writes them;
- strict mode: `--strict` cannot go with `--dirty`, as MkDocs warns about every dirty build and
  strict mode counts that warning. The plugin counts the warnings logged from the files event on
  (MkDocs warns about the dirty build before it) and fails the build when there is any, as
  `terms build` asks of its clean builds with --strict.

A page's HTML is the same in a dirty build as in a clean one when mkdocs.yml (the navigation
and every page's title) and the theme are the same: no page shows another page's content, and
no page has metadata (front matter) that the navigation of the others could show.

In a clean build and under `mkdocs serve` the plugin does nothing.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Literal

from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

SEARCH_INDEX = Path("search", "search_index.json")


class _NoOptions(Config):  # type: ignore[no-untyped-call]
    """The plugin has no options."""


class _WarningCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


class DirtyBuild(BasePlugin[_NoOptions]):  # type: ignore[no-untyped-call]
    """Keeps the search entries of the pages a dirty build does not render, and fails a dirty
    build on warnings."""

    def __init__(self) -> None:
        super().__init__()
        self.dirty_build = False
        self.last_index: dict[str, Any] | None = None
        self.page_urls: list[str] = []
        self.rendered_urls: set[str] = set()
        self.warnings = _WarningCounter()

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        self.dirty_build = command == "build" and dirty

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        self.page_urls, self.rendered_urls, self.last_index = [], set(), None
        path = Path(config.site_dir) / SEARCH_INDEX
        if self.dirty_build and path.is_file():  # as the last build wrote it: search rewrites it
            self.last_index = json.loads(path.read_text(encoding="utf-8"))

    @event_priority(100)  # first, so that the warnings of other plugins' handlers count
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        if self.dirty_build:
            self.warnings.count = 0
            logging.getLogger("mkdocs").addHandler(self.warnings)
        return files

    @event_priority(-100)  # after any plugin that adds pages
    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> None:
        # The pages in the order MkDocs renders them, which is the order of the search index.
        pages = [file.page for file in files.documentation_pages()]
        self.page_urls = [page.url for page in pages if page is not None]

    def on_page_context(self, context: Any, *, page: Page, config: MkDocsConfig, nav: Navigation) -> None:
        self.rendered_urls.add(page.url)  # only the pages rendered reach this event

    @event_priority(-100)  # after Material's search plugin wrote the index of the rendered pages
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if not self.dirty_build:
            return
        logging.getLogger("mkdocs").removeHandler(self.warnings)
        if self.warnings.count:
            raise PluginError(f"Aborted with {self.warnings.count} warnings in strict mode!")
        self._merge_search_index(Path(config.site_dir) / SEARCH_INDEX)

    def on_build_error(self, *, error: Exception) -> None:
        logging.getLogger("mkdocs").removeHandler(self.warnings)

    def _merge_search_index(self, path: Path) -> None:
        kept = [url for url in self.page_urls if url not in self.rendered_urls]
        if not kept or not path.is_file():
            return  # every page rendered, or no search plugin
        if self.last_index is None:
            raise PluginError(
                f"{path.parent.parent} holds no search index to keep the entries of "
                f"the pages not rendered again ({len(kept)})"
            )
        rendered = json.loads(path.read_text(encoding="utf-8"))
        entries = {"rendered": _by_page(rendered["docs"]), "last": _by_page(self.last_index["docs"])}
        docs = [
            entry
            for url in self.page_urls
            for entry in entries["rendered" if url in self.rendered_urls else "last"].get(url, [])
        ]
        # As Material writes it (material/plugins/search/plugin.py, generate_search_index).
        path.write_text(
            json.dumps({"config": rendered["config"], "docs": docs}, separators=(",", ":"), default=str),
            encoding="utf-8",
        )


def _by_page(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Search entries by the URL of their page: "part-001/#clause-a" belongs to "part-001/"."""
    pages: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        pages.setdefault(entry["location"].partition("#")[0], []).append(entry)
    return pages
