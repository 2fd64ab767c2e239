"""MkDocs hooks of every language's project (mkdocs.base.yml names this file).

terms build writes site_name and the nav titles into mkdocs.yml as escaped HTML, because MkDocs
and Material insert them into pages unescaped (terms_compiler.emit.markdown.mkdocs_config).
Where Material escapes them all the same (the logo's title, the footer's aria-label), it would
escape them twice; marked as HTML here, they are escaped once everywhere.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup


def on_config(config: Any) -> Any:
    config.site_name = Markup(config.site_name)
    return config


def on_nav(nav: Any, config: Any, files: Any) -> Any:
    for page in nav.pages:
        if page.title is not None:
            page.title = Markup(page.title)
    return nav
