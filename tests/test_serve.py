"""`terms serve`: the preview serves the site, rebuilds on change, and shows errors, not stale pages."""

from __future__ import annotations

import http.server
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from terms_compiler.commands.serve import RELOAD_PATH, Preview


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
    status, page = get(f"{url}/en/buying/")
    assert status == 200
    assert "Select is closed" in page and RELOAD_PATH in page
    assert get(f"{url}{RELOAD_PATH}") == (200, "1")


def test_a_change_rebuilds_and_an_error_replaces_every_page(preview: tuple[Preview, str], mini: Path) -> None:
    server, url = preview
    assert not server.rebuild_if_changed()  # nothing changed yet
    section = mini / "sections" / "10-buying.yaml"
    good = section.read_text(encoding="utf-8")
    section.write_text(good.replace("program == select", "program == selct"), encoding="utf-8")
    assert server.rebuild_if_changed()
    status, page = get(f"{url}/en/buying/")
    assert status == 500
    assert "The terms do not build" in page
    assert "error[E341]: &#39;selct&#39; is not a value of enum &#39;program&#39;" in page
    assert get(f"{url}{RELOAD_PATH}") == (200, "2")

    section.write_text(good.replace("Select is closed", "Select is now closed"), encoding="utf-8")
    assert server.rebuild_if_changed()
    status, page = get(f"{url}/en/buying/")
    assert status == 200 and "Select is now closed" in page


def test_an_output_folder_inside_the_corpus_does_not_set_off_rebuilds(mini: Path) -> None:
    preview = Preview(mini, mini / "build", lambda message: None)
    preview.rebuild()
    assert (mini / "build" / "site" / "en" / "index.html").is_file()
    assert preview.rebuild_if_changed() is False  # the build's own output is not an edit
    section = mini / "sections" / "10-buying.yaml"
    section.write_text(section.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert preview.rebuild_if_changed() is True
