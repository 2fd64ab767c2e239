"""Serve: a live preview for editors. Rebuilds when the corpus or the site templates change;
while the corpus has errors, every page shows them instead of a stale page."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from terms_compiler.build import build, named_conformance
from terms_compiler.diagnostics import Diagnostic, render_text
from terms_compiler.emit.templates import html_text
from terms_compiler.resources import site_folder

RELOAD_PATH = "/__terms__/version"
RELOAD_SCRIPT_PATH = "/__terms__/reload.js"
# Each page carries the number of the build it was served from and polls the current one: a
# page reloads on any build newer than its own, including one that finished between serving
# the page and its first poll (a page that learnt the number from its first poll missed it).
# A file, not an inline script: the site's Content-Security-Policy allows scripts from 'self' only.
RELOAD_SCRIPT = """(function(){
  var built = new URL(document.currentScript.src).searchParams.get("build");
  setInterval(function(){
    fetch("PATH", {cache: "no-store"}).then(function(r){ return r.text(); })
      .then(function(now){ if (now !== built) { location.reload(); } }).catch(function(){});
  }, 1000);
})();
""".replace("PATH", RELOAD_PATH)


def reload_tag(version: int) -> bytes:
    return f'<script src="{RELOAD_SCRIPT_PATH}?build={version}"></script>'.encode()


@dataclass(frozen=True, slots=True)
class BuildState:
    version: int
    """Increases with every rebuild, so open pages know to reload."""
    problems: tuple[Diagnostic, ...]
    """The errors of the last build; empty when it succeeded."""
    seconds: float


class Preview:
    """Builds the corpus into out/ and rebuilds it when a watched file changes."""

    def __init__(self, corpus: Path, out: Path, log: Callable[[str], None] = print) -> None:
        self.corpus = corpus
        self.out = out
        self.log = log
        conformance = named_conformance(corpus)
        self.watched = (corpus, site_folder(), *([conformance] if conformance is not None else []))
        self.state = BuildState(0, (), 0.0)
        self.fingerprint: tuple[tuple[str, float, int], ...] = ()

    def snapshot(self) -> tuple[tuple[str, float, int], ...]:
        """Every watched file's time and size; the output folder is left out when it lies
        inside the corpus (`terms serve .`), or each build would set off another."""
        out = self.out.resolve()
        return tuple(
            sorted(
                (str(p), p.stat().st_mtime, p.stat().st_size)
                for folder in self.watched
                for p in folder.rglob("*")
                if p.is_file() and not p.resolve().is_relative_to(out)
            )
        )

    def rebuild(self) -> BuildState:
        started = time.perf_counter()
        self.fingerprint = self.snapshot()
        result = build(self.corpus, self.out)
        problems = tuple(d for d in result.diagnostics if d.severity.value == "error")
        self.state = BuildState(self.state.version + 1, problems, time.perf_counter() - started)
        outcome = f"{len(problems)} error(s)" if problems else "ok"
        self.log(f"rebuilt in {self.state.seconds:.1f} s: {outcome}")
        if problems:
            self.log(render_text(problems))
        return self.state

    def rebuild_if_changed(self) -> bool:
        if self.snapshot() == self.fingerprint:
            return False
        self.rebuild()
        return True

    def error_page(self, state: BuildState) -> bytes:
        listing = html_text(render_text(state.problems))
        return (
            (
                f"<!doctype html><meta charset='utf-8'><title>terms: build failed</title>"
                f"<body style='font-family:system-ui;margin:2rem'><h1>The terms do not build</h1>"
                f"<p>Fix these problems; this page reloads when the files change.</p>"
                f"<pre style='background:#fff3f3;padding:1rem;white-space:pre-wrap'>{listing}"
                f"</pre>"
            ).encode()
            + reload_tag(state.version)
            + b"</body>"
        )

    def handler(self) -> type[http.server.SimpleHTTPRequestHandler]:
        preview = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
                super().__init__(*args, directory=str(preview.out / "site"), **kwargs)

            def do_GET(self) -> None:
                # Read once: the page is labelled with the build that published the files it
                # reads, or an older one (a needless reload), never a newer one.
                state = preview.state
                if self.path == RELOAD_PATH:
                    return self.reply(200, "text/plain", str(state.version).encode())
                if self.path.split("?")[0] == RELOAD_SCRIPT_PATH:
                    return self.reply(200, "text/javascript", RELOAD_SCRIPT.encode())
                if state.problems:
                    return self.reply(500, "text/html; charset=utf-8", preview.error_page(state))
                path = Path(self.translate_path(self.path))
                page = path / "index.html" if path.is_dir() else path
                if page.suffix == ".html" and page.is_file():
                    script = reload_tag(state.version) + b"</body>"
                    text = page.read_bytes().replace(b"</body>", script)
                    return self.reply(200, "text/html; charset=utf-8", text)
                return super().do_GET()

            def reply(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def serve(self, host: str, port: int, poll_seconds: float = 0.5) -> None:
        """Build, serve on host:port and rebuild on changes until interrupted. The port is
        taken first: a port in use fails at once (OSError), before a build is spent."""
        server = http.server.ThreadingHTTPServer((host, port), self.handler())
        try:
            self.rebuild()
        except BaseException:
            server.server_close()
            raise
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.log(
            f"serving http://{host}:{server.server_address[1]}/ (Ctrl-C to stop); "
            f"watching {', '.join(str(p) for p in self.watched)}"
        )
        try:
            while True:
                time.sleep(poll_seconds)
                self.rebuild_if_changed()
        finally:
            server.shutdown()
