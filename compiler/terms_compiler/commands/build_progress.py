"""`terms build`'s report of the site build, MkDocs being most of a build's time: each language
as it is done, on standard error. A terminal gets one bar redrawn in place; anything else (a
log, CI) gets a plain line per language, which reads well in a file."""

from __future__ import annotations

from typing import TextIO

from terms_compiler.emit.mkdocs_build import SiteProgress

BAR_WIDTH = 20


class SiteProgressReport:
    """A SiteHook for the build: writes each step of the site build to `stream`."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.bar = stream.isatty()
        self.finished: list[str] = []

    def __call__(self, progress: SiteProgress) -> None:
        if progress.done:
            self.finished.append(f"{progress.language} {progress.how} ({progress.seconds:.1f} s)")
        if self.bar:
            filled = BAR_WIDTH * progress.done // max(progress.total, 1)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            last = f" {self.finished[-1]}" if self.finished else " MkDocs"
            end = "\n" if progress.done == progress.total else ""
            # \r and the erase-to-end-of-line code redraw the line in place.
            self.stream.write(f"\r\x1b[K  site: [{bar}] {progress.done}/{progress.total}{last}{end}")
        elif progress.done:
            self.stream.write(f"  site: {self.finished[-1]} [{progress.done}/{progress.total}]\n")
        self.stream.flush()
