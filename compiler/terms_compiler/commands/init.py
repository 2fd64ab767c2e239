"""`terms init`: write a new corpus that builds clean, from the templates in the package's scaffold/."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Mapping, Sequence
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import jinja2
import yaml

from terms_compiler import __version__
from terms_compiler.freshness import source_hash
from terms_compiler.model import ClauseText
from terms_compiler.resources import schemas_folder

# scaffold/languages/<code>.yaml holds every text of the new corpus in one language;
# scaffold/corpus/ is the tree written into the target folder: `.j2` files are rendered, the others
# copied, and a `dot-` prefix becomes `.` (setuptools leaves dotfiles out of package data).
SCAFFOLD = files("terms_compiler") / "scaffold"
DOT_PREFIX = "dot-"
TEMPLATE_SUFFIX = ".j2"
# A folder holding only these still counts as empty: `git init` first is the usual way to start.
IGNORED_WHEN_EMPTY = {".git"}
FALLBACK_ID = "terms"


class ScaffoldError(Exception):
    """Bad input for `terms init`: an unsupported language, or a folder it must not write into."""


def supported_languages() -> list[str]:
    """The language codes the scaffold has texts for, sorted."""
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in (SCAFFOLD / "languages").iterdir()
        if entry.name.endswith(".yaml")
    )


def scaffold(target: Path, languages: list[str], force: bool) -> list[Path]:
    """Write a new corpus into target in these languages (the first is the source) and return the
    files written, in order. Raises ScaffoldError, writing nothing, for bad input."""
    _check_languages(languages)
    _check_target(target, force)
    texts = {language: _texts(language) for language in languages}
    today = dt.date.today()
    context = {
        "languages": languages,
        "texts": texts,
        "translates": _translation_hashes(texts, languages),
        "corpus_id": corpus_id(target),
        "edition": today.strftime("%Y-%m"),
        "edition_date": today.isoformat(),
        "version": __version__,
    }
    target.mkdir(parents=True, exist_ok=True)
    written = _write_tree(SCAFFOLD / "corpus", target, _environment(texts, languages), context)
    return written + _copy_schemas(target / "schemas")


def corpus_id(target: Path) -> str:
    """A kebab-case corpus id from the folder's name ("My Terms" -> my-terms), else `terms`."""
    words = re.findall(r"[a-z0-9]+", target.resolve().name.lower())
    return "-".join(words) or FALLBACK_ID


def parse_languages(value: str) -> list[str]:
    """`en,de` -> ["en", "de"]; spaces around the commas are allowed."""
    return [code.strip() for code in value.split(",")]


def _check_languages(languages: Sequence[str]) -> None:
    supported = supported_languages()
    if not languages or any(not code for code in languages):
        raise ScaffoldError(
            f"name one or more languages, e.g. --languages en,de (supported: {', '.join(supported)})"
        )
    unknown = [code for code in languages if code not in supported]
    if unknown:
        raise ScaffoldError(
            f"no starter texts for {', '.join(repr(code) for code in unknown)}; "
            f"supported languages: {', '.join(supported)} (add others to the corpus afterwards)"
        )
    repeated = sorted({code for code in languages if languages.count(code) > 1})
    if repeated:
        raise ScaffoldError(f"a language is named twice: {', '.join(repeated)}")


def _check_target(target: Path, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise ScaffoldError(f"{target} exists and is not a folder")
    if force or not target.is_dir():
        return
    present = sorted(entry.name for entry in target.iterdir() if entry.name not in IGNORED_WHEN_EMPTY)
    if present:
        shown = ", ".join(present[:5]) + (", ..." if len(present) > 5 else "")
        raise ScaffoldError(
            f"{target} is not empty ({shown}); choose an empty or new folder, or pass --force "
            f"to write the starter files into it anyway (files of the same name are replaced)"
        )


def _texts(language: str) -> dict[str, str]:
    loaded: dict[str, str] = yaml.safe_load((SCAFFOLD / "languages" / f"{language}.yaml").read_text("utf-8"))
    return loaded


def _translation_hashes(texts: Mapping[str, Mapping[str, str]], languages: Sequence[str]) -> dict[str, str]:
    """Each translation's record of the source text it translates, so the new corpus's
    translations are current: the hash `terms translated` would write."""
    source = texts[languages[0]]
    digest = source_hash(ClauseText(source["clause_title"], source["clause_body"], None))
    return {language: digest for language in languages[1:]}


def _environment(texts: Mapping[str, Mapping[str, str]], languages: Sequence[str]) -> jinja2.Environment:
    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # YAML, JSON and Markdown sources, not HTML
    )
    environment.filters["yaml"] = yaml_scalar

    def localized(key: str, indent: int) -> str:
        """A per-language mapping of one text, as block YAML lines at this indent."""
        return "\n".join(
            f"{' ' * indent}{language}: {yaml_scalar(texts[language][key])}" for language in languages
        )

    environment.globals["localized"] = localized
    return environment


def yaml_scalar(value: str) -> str:
    """A text as a one-line YAML scalar: plain where YAML allows, quoted where it must be."""
    dumped = yaml.safe_dump(value, allow_unicode=True, width=1_000_000, default_flow_style=True)
    return dumped.removesuffix("\n").removesuffix("\n...")


def _write_tree(
    source: Traversable, target: Path, environment: jinja2.Environment, context: Mapping[str, Any]
) -> list[Path]:
    written = []
    for entry in sorted(source.iterdir(), key=lambda entry: entry.name):
        name = entry.name.removesuffix(TEMPLATE_SUFFIX)
        path = target / ("." + name.removeprefix(DOT_PREFIX) if name.startswith(DOT_PREFIX) else name)
        if entry.is_dir():
            path.mkdir(exist_ok=True)
            written += _write_tree(entry, path, environment, context)
            continue
        text = entry.read_text("utf-8")
        if entry.name.endswith(TEMPLATE_SUFFIX):
            text = environment.from_string(text).render(context)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _copy_schemas(folder: Path) -> list[Path]:
    """The compiler's JSON Schemas, copied so the editor mapping works offline and describes this
    compiler's format, whatever version is installed later."""
    folder.mkdir(exist_ok=True)
    return [
        Path(shutil.copyfile(schema, folder / schema.name))
        for schema in sorted(schemas_folder().glob("*.json"))
    ]
