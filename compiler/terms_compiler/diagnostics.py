"""Diagnostics: stages report problems as data with a source location; the CLI renders them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, order=True)
class SourceSpan:
    """A place in a source file; lines and columns count from 1, as editors show them."""

    file: str
    """Path of the file, as given to the loader (relative to the working folder when possible)."""
    line: int
    """1-based line number."""
    column: int
    """1-based column number (in characters, not bytes)."""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found by a stage."""

    code: str
    """Stable identifier, e.g. ``E103``; documented in docs/diagnostics.md."""
    message: str
    """What was expected and what was found, in one sentence."""
    span: SourceSpan | None = None
    """Where the problem is; None only for problems with no file (a missing corpus folder)."""
    json_path: str = ""
    """JSON path of the offending value inside its document, e.g. ``$.clauses[2].rule``."""
    hint: str = ""
    """How to fix it, when that is not obvious from the message."""
    severity: Severity = Severity.ERROR
    """Errors fail the command; warnings are shown and do not."""
    excerpt: tuple[str, ...] = field(default=())
    """Extra lines shown under the headline (a source line with a caret, an explanation)."""

    def sort_key(self) -> tuple[str, int, int, str]:
        span = self.span or SourceSpan("", 0, 0)
        return (span.file, span.line, span.column, self.code)

    def render(self) -> str:
        where = f"{self.span.file}:{self.span.line}:{self.span.column}: " if self.span else ""
        lines = [f"{where}{self.severity.value}[{self.code}]: {self.message}"]
        lines.extend(f"  {line}" for line in self.excerpt)
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        span = self.span
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": span.file if span else None,
            "line": span.line if span else None,
            "column": span.column if span else None,
            "json_path": self.json_path,
            "hint": self.hint or None,
        }

    def to_record(self) -> DiagnosticRecord:
        """Plain data, for marshal in the build cache; from_record gives the diagnostic back."""
        span = self.span
        return (
            self.code,
            self.message,
            span.file if span else None,
            span.line if span else 0,
            span.column if span else 0,
            self.json_path,
            self.hint,
            self.severity.value,
            self.excerpt,
        )

    @classmethod
    def from_record(cls, record: DiagnosticRecord) -> Diagnostic:
        code, message, file, line, column, json_path, hint, severity, excerpt = record
        span = SourceSpan(file, line, column) if file is not None else None
        return cls(code, message, span, json_path, hint, Severity(severity), tuple(excerpt))


DiagnosticRecord = tuple[str, str, str | None, int, int, str, str, str, tuple[str, ...]]


class CompileError(Exception):
    """Raised by a stage when it cannot go on; carries every diagnostic found so far."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        super().__init__("\n".join(d.render() for d in self.diagnostics))

    def __reduce__(self) -> tuple[type[CompileError], tuple[tuple[Diagnostic, ...]]]:
        # Rebuilt from its diagnostics when it comes back from a worker process.
        return CompileError, (self.diagnostics,)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


def render_text(diagnostics: Iterable[Diagnostic]) -> str:
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    return "\n".join(d.render() for d in ordered)


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    return json.dumps([d.to_json() for d in ordered], ensure_ascii=False, indent=2)


def caret_excerpt(source_line: str, column: int, width: int = 1) -> tuple[str, ...]:
    """The offending source line with a caret under the columns at fault (Jinja/rustc style)."""
    return (source_line.rstrip("\n"), " " * (column - 1) + "^" * max(width, 1))
