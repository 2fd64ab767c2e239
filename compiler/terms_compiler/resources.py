"""The package's data: site templates, UI strings, theme overrides, JSON Schemas and the
JavaScript checker's modules (which the site's decision pages answer with).

They travel inside the wheel (the repository's site/, schemas/ and js/src/ are linked into the package,
see pyproject.toml) and are found through importlib.resources, never beside a source file.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _folder(name: str) -> Path:
    folder = files("terms_compiler").joinpath(name)
    # Installed from a wheel or a checkout, the package is a folder on disk: MkDocs and Jinja
    # need real paths. A zipped install would not be; it is not supported.
    if not isinstance(folder, Path) or not folder.is_dir():
        raise RuntimeError(f"terms_compiler's {name}/ is missing from the installation ({folder})")
    return folder


def site_folder() -> Path:
    """site/: MkDocs templates, page templates, UI strings, theme overrides and assets."""
    return _folder("site")


def schemas_folder() -> Path:
    """schemas/: the JSON Schemas of the source files and of the bundle."""
    return _folder("schemas")


def checker_js_folder() -> Path:
    """checker_js/: the JavaScript checker's ES modules (the repository's js/src/)."""
    return _folder("checker_js")
