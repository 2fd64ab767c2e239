"""`terms fetch` (issue 16) against a real HTTP server on 127.0.0.1: a good bundle is swapped in,
an unchanged one costs one 304, and every failure keeps the last good bundle."""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from terms_compiler.check.bundle import Bundle
from terms_compiler.signing import load_signer, sign_folder

from tests.test_check_cli import OEM_SERVER
from tests.test_signing import NAME, SIGNATURES, keygen, signed_build

KEYS_FILE = "public.jwks.json"


@dataclass
class Site:
    """What the test server serves under /b/: files by name, and how it misbehaves."""

    files: dict[str, bytes] = field(default_factory=dict)
    cut: dict[str, int] = field(default_factory=dict)
    """Files whose download stops after this many bytes (the full length announced)."""
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    """(path, If-None-Match) of every request, in order."""


class Handler(http.server.BaseHTTPRequestHandler):
    site: Site

    def do_GET(self) -> None:
        self.site.requests.append((self.path, self.headers.get("If-None-Match")))
        name = self.path.removeprefix("/b/")
        body = self.site.files.get(name) if self.path.startswith("/b/") else None
        if body is None:
            self.send_error(404)
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        if name in self.site.cut:  # the server stops mid-download
            self.wfile.write(body[: self.site.cut[name]])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[Site, str]]:
    """A real HTTP server on 127.0.0.1 in a thread: (its Site, the bundle's URL)."""
    site = Site()
    handler = type("SiteHandler", (Handler,), {"site": site})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield site, f"http://127.0.0.1:{httpd.server_address[1]}/b/{NAME}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return keygen(tmp_path_factory.mktemp("keys") / "k", "k-2026")


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory, keys: Path) -> dict[str, dict[str, bytes]]:
    """Signed bundle folders, as served: "good" (edition 2026-11 of 2026-11-01), "newer" (dated
    2027-01-01) and "older" (2025-01-01), each re-signed by the same key."""
    folder = signed_build(tmp_path_factory.mktemp("good"), keys / "private.pem")
    good = {p.name: p.read_bytes() for p in folder.iterdir()}
    work = tmp_path_factory.mktemp("editions")
    return {
        "good": good,
        "newer": resign(good, work / "newer", keys, "2027-01", "2027-01-01"),
        "older": resign(good, work / "older", keys, "2025-01", "2025-01-01"),
    }


def resign(files: dict[str, bytes], folder: Path, keys: Path, edition: str, date: str) -> dict[str, bytes]:
    """files with the bundle's edition changed, its digest redone, signed again."""
    folder.mkdir()
    for name, body in files.items():
        if name != SIGNATURES:
            (folder / name).write_bytes(body)
    data = json.loads(files[NAME])
    data["edition"], data["edition_date"] = edition, date
    bundle = json.dumps(data, indent=1, sort_keys=True).encode()
    (folder / NAME).write_bytes(bundle)
    (folder / (NAME + ".sha256")).write_text(f"{hashlib.sha256(bundle).hexdigest()}  {NAME}\n")
    sign_folder(folder, NAME, load_signer(keys / "private.pem"), 1764720000)
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def held(into: Path) -> dict[str, bytes]:
    """The files DIR/current holds."""
    return {p.name: p.read_bytes() for p in (into / "current").iterdir()}


def fetch(run_terms, url: str, into: Path, keys: Path | None):  # type: ignore[no-untyped-def]
    trust = ["--trust", str(keys / KEYS_FILE)] if keys else []
    return run_terms("fetch", url, "--into", str(into), *trust, "--timeout", "10")


@pytest.fixture
def holding(run_terms, server, editions, keys: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """DIR holding the good edition, fetched from the server: (site, url, DIR)."""
    site, url = server
    site.files = dict(editions["good"])
    into = tmp_path / "bundles"
    code, out, err = fetch(run_terms, url, into, keys)
    assert (code, err) == (0, "")
    assert out == (
        f"terms fetch: fetched {url}: product-terms-sa edition 2026-11, signed by key 'k-2026'; "
        f"now {into / 'current' / NAME}\n"
    )
    assert held(into) == editions["good"]
    site.requests.clear()
    return site, url, into


# success -----------------------------------------------------------------------------------


def test_the_files_kept_are_the_bytes_served_and_they_verify_again_after_a_restart(  # type: ignore[no-untyped-def]
    run_terms, holding, editions, keys: Path, tmp_path: Path
) -> None:
    _, _, into = holding
    assert held(into) == editions["good"]  # every file the signature lists, byte for byte
    bundle = Bundle.load(into / "current" / NAME, trusted_keys=keys / KEYS_FILE)  # a new reader
    assert bundle.signature is not None and bundle.signature.kid == "k-2026"
    facts = tmp_path / "f.json"
    facts.write_text(json.dumps(OEM_SERVER))
    code, out, _ = run_terms(
        "check", "--bundle", str(into / "current" / NAME), "--decision", "sa-purchase",
        "--trust", str(keys / KEYS_FILE), str(facts),
    )  # fmt: skip
    assert (code, out.splitlines()[0]) == (0, "sa-purchase: allowed, as of 2024-05-30")


def test_an_unchanged_bundle_costs_one_304(run_terms, holding, editions) -> None:  # type: ignore[no-untyped-def]
    site, url, into = holding
    before = (into / "current").resolve()
    code, out, err = fetch(run_terms, url, into, None)
    assert (code, out, err) == (
        0,
        f"terms fetch: {into / 'current' / NAME} is up to date (304 Not Modified)\n",
        "",
    )
    [(path, etag)] = site.requests
    assert path == f"/b/{SIGNATURES}" and etag is not None
    assert (into / "current").resolve() == before


def test_a_newer_edition_replaces_the_one_held(run_terms, holding, editions, keys: Path) -> None:  # type: ignore[no-untyped-def]
    site, url, into = holding
    site.files = dict(editions["newer"])
    code, out, err = fetch(run_terms, url, into, keys)
    assert (code, err) == (0, "")
    assert "product-terms-sa edition 2027-01, signed by key 'k-2026'" in out
    assert held(into) == editions["newer"]
    assert site.requests[0][0] == f"/b/{SIGNATURES}" and site.requests[0][1] is not None  # changed: 200
    others = sorted(name for name in editions["newer"] if name != SIGNATURES)
    assert [path for path, _ in site.requests[1:]] == [f"/b/{name}" for name in others]


def test_an_unsigned_bundle_is_fetched_without_trust(run_terms, server, editions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    site, url = server
    site.files = {name: body for name, body in editions["good"].items() if name in (NAME, NAME + ".sha256")}
    into = tmp_path / "bundles"
    code, out, err = fetch(run_terms, url, into, None)
    assert (code, err) == (0, "")
    assert "signature not checked (no --trust)" in out
    assert held(into) == site.files  # no conformance.json served: none held


# failures: the last good bundle is kept -------------------------------------------------------


def kept(run_terms, holding, editions, keys: Path | None, exit_code: int) -> str:  # type: ignore[no-untyped-def]
    """Fetch again; assert that it failed with exit_code and kept the good bundle; its reason."""
    _, url, into = holding
    code, out, err = fetch(run_terms, url, into, keys)
    assert (code, out) == (exit_code, "")
    assert held(into) == editions["good"]
    assert Bundle.load(into / "current" / NAME, trusted_keys=keys / KEYS_FILE if keys else None)
    prefix = f"terms fetch: kept {into / 'current' / NAME}: "
    assert err.startswith(prefix) and err.endswith("\n")
    return err.removeprefix(prefix).removesuffix("\n")


def test_a_tampered_bundle_is_refused(run_terms, holding, editions, keys: Path) -> None:  # type: ignore[no-untyped-def]
    site, url, _ = holding
    site.files = dict(editions["newer"])
    bundle = site.files[NAME].replace(
        b'"allowed"', b'"denied"', 1
    )  # its digest redone: only the signature can tell
    site.files[NAME], site.files[NAME + ".sha256"] = (
        bundle,
        f"{hashlib.sha256(bundle).hexdigest()}  {NAME}\n".encode(),
    )
    reason = kept(run_terms, holding, editions, keys, 2)
    listed = hashlib.sha256(editions["newer"][NAME]).hexdigest()
    assert reason == (
        f"refused the bundle at {url}: {NAME} has SHA-256 {hashlib.sha256(bundle).hexdigest()} but the "
        f"signature lists {listed}; it was changed after signing"
    )


def test_a_truncated_file_is_refused(run_terms, holding, editions, keys: Path) -> None:  # type: ignore[no-untyped-def]
    site, url, _ = holding
    site.files = dict(editions["newer"])
    site.files[NAME] = site.files[NAME][:1000]  # served whole: a file cut before it was served
    reason = kept(run_terms, holding, editions, keys, 2)
    assert reason.startswith(f"refused the bundle at {url}: SHA-256 is ")
    assert reason.endswith("; the bundle was changed or truncated")


def test_a_server_that_stops_mid_download(run_terms, holding, editions, keys: Path) -> None:  # type: ignore[no-untyped-def]
    site, url, _ = holding
    site.files = dict(editions["newer"])
    site.cut[NAME] = 5000
    reason = kept(run_terms, holding, editions, keys, 1)
    assert (
        reason
        == f"{url}: the download was cut short (5000 bytes received, {len(editions['newer'][NAME])} announced)"
    )


def test_a_missing_file_is_a_failed_download(run_terms, holding, editions, keys: Path) -> None:  # type: ignore[no-untyped-def]
    site, url, _ = holding
    site.files = dict(editions["newer"])
    del site.files["conformance.json"]
    reason = kept(run_terms, holding, editions, keys, 1)
    assert reason == f"{url.rsplit('/', 1)[0]}/conformance.json: HTTP 404 Not Found"


def test_a_missing_signature_is_refused_when_keys_are_trusted(
    run_terms, holding, editions, keys: Path
) -> None:  # type: ignore[no-untyped-def]
    site, url, _ = holding
    site.files = {name: body for name, body in editions["newer"].items() if name != SIGNATURES}
    reason = kept(run_terms, holding, editions, keys, 2)
    assert reason == (
        f"no signature at {url}.signatures.json (404); trusted keys are configured, so an unsigned bundle is refused"
    )


def test_a_signature_by_another_key_is_refused(
    run_terms, holding, editions, keys: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    site, url, _ = holding
    impostor = keygen(tmp_path / "impostor", "k-2026")
    site.files = resign(editions["newer"], tmp_path / "forged", impostor, "2027-02", "2027-02-01")
    reason = kept(run_terms, holding, editions, keys, 2)
    assert reason == (
        f"refused the bundle at {url}: {SIGNATURES}: bad signature: it does not verify with key "
        "'k-2026'; the bundle's files or their signature were changed after signing, or another key signed them"
    )


def test_an_older_edition_is_refused(run_terms, holding, editions, keys: Path) -> None:  # type: ignore[no-untyped-def]
    site, _, _ = holding
    site.files = dict(editions["older"])
    reason = kept(run_terms, holding, editions, keys, 2)
    assert reason == (
        "the server has edition 2025-01 of 2025-01-01, older than the edition held, 2026-11 of "
        "2026-11-01; an older edition is never swapped in"
    )


def test_a_network_failure(run_terms, holding, editions, keys: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, into = holding
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/b/{NAME}"
    code, out, err = fetch(run_terms, url, into, keys)
    assert (code, out) == (1, "")
    assert err.startswith(
        f"terms fetch: kept {into / 'current' / NAME}: {url}.signatures.json: cannot download ("
    )
    assert held(into) == editions["good"]


def test_nothing_held_and_the_first_fetch_fails(run_terms, server, tmp_path: Path, keys: Path) -> None:  # type: ignore[no-untyped-def]
    _, url = server
    code, out, err = fetch(run_terms, url, tmp_path / "bundles", keys)
    assert (code, out) == (2, "")
    assert err == (
        f"terms fetch: nothing held in {tmp_path / 'bundles'}: no signature at {url}.signatures.json (404); "
        "trusted keys are configured, so an unsigned bundle is refused\n"
    )
    assert not (tmp_path / "bundles" / "current").exists()


def test_a_url_that_is_not_a_bundle_is_a_usage_error(run_terms, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_terms("fetch", "ftp://example.org/x.json", "--into", str(tmp_path / "b"))
    assert (code, err) == (
        2,
        f"terms fetch: nothing held in {tmp_path / 'b'}: ftp://example.org/x.json: give an http:// or https:// URL\n",
    )
    code, _, err = run_terms("fetch", "https://example.org/files/?bundle", "--into", str(tmp_path / "b"))
    assert code == 2 and "give the bundle's own URL, ending in its file name (.../ID.json)" in err


def test_the_previous_good_bundle_stays_readable_for_one_swap(
    run_terms, holding, editions, keys: Path
) -> None:  # type: ignore[no-untyped-def]
    site, url, into = holding
    reader = (into / "current").resolve()  # a reader that resolved current before the swap
    site.files = dict(editions["newer"])
    assert fetch(run_terms, url, into, keys)[0] == 0
    assert {p.name: p.read_bytes() for p in reader.iterdir()} == editions["good"]
    assert (into / ".previous").resolve() == reader


def test_every_fetches_again_until_interrupted(  # type: ignore[no-untyped-def]
    run_terms, holding, editions, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, url, into = holding
    naps: list[float] = []

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt
        site.files = dict(editions["newer"])  # published between the first and second fetch

    monkeypatch.setattr("terms_compiler.commands.fetch.time.sleep", sleep)
    code, out, err = run_terms("fetch", url, "--into", str(into), "--every", "60")
    assert (code, err, naps) == (130, "", [60.0, 60.0])
    assert out.splitlines() == [
        f"terms fetch: {into / 'current' / NAME} is up to date (304 Not Modified)",
        f"terms fetch: fetched {url}: product-terms-sa edition 2027-01, signature not checked (no --trust); "
        f"now {into / 'current' / NAME}",
    ]
    assert held(into) == editions["newer"]


def test_another_bundle_is_not_swapped_in_over_the_one_held(run_terms, holding, editions, keys: Path) -> None:  # type: ignore[no-untyped-def]
    site, url, into = holding
    other = url.replace(NAME, "other-terms.json")
    site.files = {
        name.replace("product-terms-sa", "other-terms"): body
        for name, body in editions["newer"].items()
        if name != SIGNATURES  # unsigned, so that nothing but the name tells them apart
    }
    code, out, err = fetch(run_terms, other, into, None)
    assert (code, out) == (2, "")
    assert err == (
        f"terms fetch: kept {into / 'current'}/: {into / 'current'} holds another bundle, not other-terms.json: "
        "fetch it into a folder of its own\n"
    )
    assert held(into) == editions["good"]
