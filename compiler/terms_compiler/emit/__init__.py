"""Emit: the bundle (JSON), the site's Markdown per language, and the site (MkDocs)."""
