"""`terms serve`: the preview serves the site, rebuilds on change, and shows errors, not stale pages."""

from __future__ import annotations

import http.server
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from terms_compiler.commands.serve import RELOAD_PATH, RELOAD_SCRIPT_PATH, Preview


@pytest.fixture
def preview(mini: Path, tmp_path: Path) -> Iterator[tuple[Preview, str]]:
    messages: list[str] = []
    preview = Preview(mini, tmp_path / "out", messages.append)
    preview.rebuild()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), preview.handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield preview, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_serves_the_site_with_a_reload_script(preview: tuple[Preview, str]) -> None:
    _, url = preview
    status, page = get(f"{url}/en/2026-01/buying/")
    assert status == 200
    assert "Select is closed" in page
    assert page.count(f'<script src="{RELOAD_SCRIPT_PATH}?build=1"></script>') == 1
    assert get(f"{url}{RELOAD_PATH}") == (200, "1")
    status, script = get(f"{url}{RELOAD_SCRIPT_PATH}?build=1")
    assert status == 200 and RELOAD_PATH in script


def test_a_change_rebuilds_and_an_error_replaces_every_page(preview: tuple[Preview, str], mini: Path) -> None:
    server, url = preview
    assert not server.rebuild_if_changed()  # nothing changed yet
    section = mini / "sections" / "10-buying.yaml"
    good = section.read_text(encoding="utf-8")
    section.write_text(good.replace("program == select", "program == selct"), encoding="utf-8")
    assert server.rebuild_if_changed()
    status, page = get(f"{url}/en/2026-01/buying/")
    assert status == 500
    assert "The terms do not build" in page
    assert "error[E341]: &#39;selct&#39; is not a value of enum &#39;program&#39;" in page
    assert get(f"{url}{RELOAD_PATH}") == (200, "2")

    section.write_text(good.replace("Select is closed", "Select is now closed"), encoding="utf-8")
    assert server.rebuild_if_changed()
    status, page = get(f"{url}/en/2026-01/buying/")
    assert status == 200 and "Select is now closed" in page


def test_an_output_folder_inside_the_corpus_does_not_set_off_rebuilds(mini: Path) -> None:
    preview = Preview(mini, mini / "build", lambda message: None)
    preview.rebuild()
    assert (mini / "build" / "site" / "en" / "2026-01" / "index.html").is_file()
    assert preview.rebuild_if_changed() is False  # the build's own output is not an edit
    section = mini / "sections" / "10-buying.yaml"
    section.write_text(section.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert preview.rebuild_if_changed() is True


def test_a_port_in_use_fails_before_the_first_build(mini: Path, tmp_path: Path, run_terms) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = run_terms("serve", str(mini), "--out", str(tmp_path / "out"), "--port", str(port))
    assert code == 2
    assert err.startswith(f"terms serve: cannot listen on 127.0.0.1:{port}: ")
    assert not (tmp_path / "out").exists()  # no build spent


@pytest.fixture
def running_server(mini: Path, tmp_path: Path) -> Iterator[str]:
    """`terms serve` in a process of its own, on a free port; its URL."""
    command = [sys.executable, "-m", "terms_compiler", "serve", str(mini), "--out", str(tmp_path / "out")]
    server = subprocess.Popen([*command, "--port", "0"], stderr=subprocess.PIPE, text=True)
    try:
        assert server.stderr is not None
        for line in server.stderr:
            if line.startswith("serving http://"):
                threading.Thread(target=server.stderr.read, daemon=True).start()  # keep the pipe open
                yield line.split()[1].rstrip("/")
                break
        else:
            pytest.fail("terms serve stopped before serving")
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_two_saves_around_a_reload_reach_the_open_page(running_server: str, mini: Path) -> None:
    """Issue 17, item 11: a rebuild that finished before the page's first poll was lost, and
    the page stayed stale. Here the page's polls fail (as if slow) until the second save is
    built; the page must then still reload to the second save's text."""
    playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

    url = f"{running_server}/en/2026-01/buying/"
    section = mini / "sections" / "10-buying.yaml"
    text = section.read_text(encoding="utf-8")
    polls_held = [True]
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.route(f"**{RELOAD_PATH}", lambda route: route.abort() if polls_held[0] else route.continue_())
        page.goto(url)
        section.write_text(text.replace("Select is closed", "Select closes soon"), encoding="utf-8")
        page.reload()
        time.sleep(0.5)
        section.write_text(text.replace("Select is closed", "Select is now closed"), encoding="utf-8")
        deadline = time.monotonic() + 60
        while "Select is now closed" not in get(url)[1]:
            assert time.monotonic() < deadline, "the server did not rebuild the second save"
            time.sleep(0.2)
        polls_held[0] = False
        playwright_api.expect(page.locator("h2", has_text="Select")).to_have_text(
            re.compile("Select is now closed"), timeout=5000
        )
        browser.close()
