"""Emit stage (site): the linked corpus -> MkDocs sources per language -> MkDocs builds in parallel.

One MkDocs project per language (build/docs/<lang>/), each with its own search index and a
switcher to the same page in the other languages, plus a root page that picks a language.
Clause prose is the HTML the bundle carries, so the site shows exactly the words tools cite.
The stage's two steps, in order, each in a module of its own:

    write_docs   terms_compiler.emit.markdown      the pages (contexts in emit.page_contexts,
                                                   templates in emit.templates)
    build_sites  terms_compiler.emit.mkdocs_build  MkDocs, reusing the last build's site where
                                                   it can (plugin in emit.mkdocs_reuse)
"""

from __future__ import annotations

from terms_compiler.emit.markdown import BUILT_BY, LastSources, write_docs
from terms_compiler.emit.mkdocs_build import SiteBuild, SiteHook, SiteProgress, build_sites

__all__ = ["BUILT_BY", "LastSources", "SiteBuild", "SiteHook", "SiteProgress", "build_sites", "write_docs"]
