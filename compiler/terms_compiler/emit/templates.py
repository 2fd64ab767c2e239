"""Emit stage (site templates): site/'s Jinja templates and UI strings; an error names its line."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import babel
import jinja2
import yaml
from markupsafe import Markup, escape

from terms_compiler.diagnostics import CompileError, Diagnostic, SourceSpan
from terms_compiler.load import display_path
from terms_compiler.resources import site_folder

TEMPLATES = site_folder()
# What Python-Markdown reads as syntax inside a line (< > & " ' are left to html_text).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|])")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def html_text(text: str) -> Markup:
    """Text as HTML: the one escaping of corpus and interface text on its way into HTML.
    Jinja's autoescape of site/'s templates is this function; mkdocs.yml's site_name and nav
    titles, which MkDocs and Material insert into pages as HTML, are escaped by it too."""
    return escape(text)


def md_escape(text: str) -> Markup:
    """Text as a Markdown line that MkDocs renders to HTML (a page heading): Markdown's special
    characters backslash-escaped, then html_text, on one line (a line break would end the heading
    and start a Markdown block of its own)."""
    return html_text(_MARKDOWN_SPECIAL.sub(r"\\\1", _LINE_BREAKS.sub(" ", text)))


_NAME_BREAKS = re.compile(r"([_.])")


def breakable(name: str) -> Markup:
    """An identifier (a fact name, a clause id) that may wrap after `_` and `.` only: escaped
    by html_text, then a <wbr> after each. The site's CSS keeps such names from breaking
    anywhere else, where Material's code style would cut "previous_program" mid-word."""
    return Markup(_NAME_BREAKS.sub(r"\1<wbr>", str(html_text(name))))


@cache
def strings() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = yaml.safe_load((TEMPLATES / "strings.yaml").read_text(encoding="utf-8"))
    return data


def ui(language: str) -> dict[str, str]:
    table = strings()
    return table.get(language, table["en"])


def plural(s: dict[str, str], key: str, n: int) -> str:
    """The interface string `key` for n things, in the form the language uses for n: strings.yaml
    has `key_one`, `key_few`, `key_many` as the language needs, and always `key_other`."""
    form = babel.Locale.parse(s["language_tag"].replace("-", "_")).plural_form(n)
    return s.get(f"{key}_{form}", s[f"{key}_other"]).format(n=n)


def language_tag(language: str) -> str:
    """The language's BCP 47 tag for lang and hreflang (zh: zh-Hans); its code when strings.yaml
    has no interface strings for it."""
    return strings().get(language, {}).get("language_tag", language)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["breakable"] = breakable
    return env


def render(template: str, **context: Any) -> str:
    """Render a template of site/; a template error is reported at its file and line."""
    try:
        return environment().get_template(template).render(**context)
    except jinja2.TemplateSyntaxError as error:
        line, message = error.lineno, error.message or str(error)
    except jinja2.TemplateError as error:
        line, message = _template_line(error, template), str(error)
    path = display_path(TEMPLATES / template)
    raise CompileError(
        [Diagnostic("E701", f"template error: {message}", SourceSpan(path, line, 1))]
    ) from None


def _template_line(error: Exception, template: str) -> int:
    """The line of the template in an error's traceback (Jinja maps it onto template lines)."""
    line = 1
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename.endswith(template):
            line = trace.tb_lineno
        trace = trace.tb_next
    return line
