"""`terms build` reports each language's site as MkDocs finishes it (issue 17, item 13): a plain
line per language on standard error, a bar redrawn in place on a terminal, nothing with -q, and
never anything on standard output."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from terms_compiler.commands.build_progress import SiteProgressReport
from terms_compiler.emit.mkdocs_build import SiteProgress

STEPS = [
    SiteProgress(0, 2),
    SiteProgress(1, 2, "uk", "built", 3.21),
    SiteProgress(2, 2, "en", "reused", 0.04),
]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    report = SiteProgressReport(stream)
    for step in STEPS:
        report(step)
    assert stream.getvalue() == "  site: uk built (3.2 s) [1/2]\n  site: en reused (0.0 s) [2/2]\n"


def test_a_bar_redrawn_in_place_on_a_terminal() -> None:
    stream = Terminal()
    report = SiteProgressReport(stream)
    for step in STEPS:
        report(step)
    redraw = "\r\x1b[K  site: "
    assert stream.getvalue() == (
        f"{redraw}[--------------------] 0/2 MkDocs"
        f"{redraw}[##########----------] 1/2 uk built (3.2 s)"
        f"{redraw}[####################] 2/2 en reused (0.0 s)\n"
    )


def test_the_build_reports_each_language_once_and_only_on_stderr(mini: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_terms("build", str(mini), "--out", "out")
    assert code == 0 and "site:" not in out  # stdout has the diagnostics (a warning) only
    lines = [line for line in err.splitlines() if line.startswith("  site:")]
    assert [re.sub(r"\(\d+\.\d s\)", "(T)", line) for line in lines] in (
        ["  site: en built (T) [1/2]", "  site: uk built (T) [2/2]"],
        ["  site: uk built (T) [1/2]", "  site: en built (T) [2/2]"],
    )
    assert err.index("  site:") < err.index("\nwrote ")

    section = mini / "sections" / "10-buying.yaml"  # a change that MkDocs must render
    section.write_text(
        section.read_text(encoding="utf-8").replace("The window", "The time"), encoding="utf-8"
    )
    code, out, err = run_terms("build", str(mini), "--out", "out", "--format", "json")
    assert code == 0 and isinstance(json.loads(out), list)  # the diagnostics, and nothing else
    assert "  site: en updated (" in err

    section.write_text(section.read_text(encoding="utf-8").replace("The time", "The span"), encoding="utf-8")
    code, out, err = run_terms("build", str(mini), "--out", "out", "-q")
    assert code == 0 and "site:" not in err
