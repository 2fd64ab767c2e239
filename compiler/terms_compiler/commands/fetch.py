"""`terms fetch`: download a published bundle, verify it, swap it in; keep the last good one.

The files a fetch downloads, beside the bundle's URL (.../ID.json):
- signed: ID.json.signatures.json, then every file its payload lists (the bundle, its .sha256,
  conformance.json): the signature names the folder's files, so nothing else is guessed;
- unsigned (only without --trust): ID.json, ID.json.sha256 and conformance.json when the
  server has one (a 404 there means the corpus publishes no cases).
One conditional request (If-None-Match with the ETag of last time) on the file that changes
whenever any file does (the signature; unsigned, the digest) tells an unchanged bundle: a 304.

DIR holds what was fetched, each version in a folder of its own, published as `terms build`
publishes (publish.swap_in: one symbolic link replaced by a rename):

    DIR/current -> .fetched/NAME       the bundle in use: read DIR/current/ID.json
    DIR/.previous -> .fetched/OLD      the one before, kept until the next swap
    DIR/.fetched/NAME/                 the files exactly as downloaded and verified
    DIR/.fetched/NAME.http.json        their URL and ETags, for the next conditional request
    DIR/.lock                          one fetch at a time

A new version is written and verified (Bundle.load, with the trusted keys) in its own folder
before the swap: a failed fetch never touches DIR/current, and what is kept is byte for byte
what was verified, so it verifies again after a restart.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import http.client
import json
import os
import secrets
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from terms_compiler import __version__
from terms_compiler.check.bundle import Bundle, BundleError
from terms_compiler.check.signatures import (
    FILE_NAME,
    SIGNATURES_SUFFIX,
    SignatureError,
    TrustedKey,
    load_trusted_keys,
)
from terms_compiler.publish import swap_in

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
FETCHED, CURRENT, PREVIOUS, LOCK = ".fetched", "current", ".previous", ".lock"
MAX_FILE_BYTES = 256 << 20
"""The most a downloaded file may hold: a hostile server cannot fill the disk."""
MAX_FILES = 64
EDITIONS_INDEX = "editions.json"
"""At a site's root: its editions, newest first, with their dates and bundles (emit/archive.py)."""
CHUNK = 1 << 16
DOWNLOADED, NOT_MODIFIED, MISSING = "downloaded", "not modified", "missing"


class FetchFailed(Exception):
    """A fetch that keeps the bundle held; exit_code 1 for a failed download, 2 for a refusal."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Download:
    """The files of one fetch, as the server sent them."""

    files: dict[str, bytes] = field(default_factory=dict)
    etags: dict[str, str] = field(default_factory=dict)


def run_fetch(args: argparse.Namespace) -> int:
    keys: list[TrustedKey] | None = None
    if args.trust is not None:
        try:
            keys = load_trusted_keys(args.trust)
        except SignatureError as error:
            print(f"terms fetch: {error}", file=sys.stderr)
            return EXIT_USAGE
    if args.every is not None and args.every <= 0:
        print("terms fetch: --every takes a number of seconds above 0", file=sys.stderr)
        return EXIT_USAGE
    site = args.url.endswith(("/", EDITIONS_INDEX))
    if args.on is not None and not (_is_day(args.on) and site):
        print(
            f"terms fetch: --on takes a date (YYYY-MM-DD), found {args.on!r}"
            if site
            else "terms fetch: --on takes a site's address (ending in / or editions.json), not a bundle's",
            file=sys.stderr,
        )
        return EXIT_USAGE
    while True:
        url = args.url
        if site:
            try:  # a site: its edition in force on the day, found anew at each fetch
                url = edition_in_force(url, args.on or time.strftime("%Y-%m-%d", time.gmtime()), args.timeout)
            except FetchFailed as error:
                print(f"terms fetch: {error}", file=sys.stderr, flush=True)
                if args.every is None:
                    return error.exit_code
                time.sleep(args.every)
                continue
        code = fetch_and_report(url, args.into, keys, args.timeout)
        if args.every is None:
            return code
        time.sleep(args.every)


def edition_in_force(site: str, day: str, timeout: float) -> str:
    """The bundle URL of the edition of the site (its root, or its editions.json) in force on
    day: the newest published on or before it (docs/editions.md). Raises FetchFailed."""
    index = site if site.endswith(EDITIONS_INDEX) else site.rstrip("/") + "/" + EDITIONS_INDEX
    if urllib.parse.urlsplit(index).scheme not in ("http", "https"):
        raise FetchFailed(f"{site}: give an http:// or https:// URL", EXIT_USAGE)
    download = Download()
    _get(index, EDITIONS_INDEX, download, timeout)
    try:
        editions = json.loads(download.files[EDITIONS_INDEX])["editions"]
        dated = [(e["date"], e["id"], e["bundle"]) for e in editions if _is_day(e["date"])]
    except (ValueError, KeyError, TypeError, RecursionError):
        dated = []
    if not dated or not all(isinstance(x, str) for entry in dated for x in entry):
        raise FetchFailed(f"{index}: not a list of editions (docs/editions.md)", EXIT_USAGE)
    in_force = max((entry for entry in dated if entry[0] <= day), default=None)
    if in_force is None:
        raise FetchFailed(f"{index}: no edition was published by {day}", EXIT_USAGE)
    bundle = urllib.parse.urljoin(index, str(in_force[2]))
    here, there = urllib.parse.urlsplit(index), urllib.parse.urlsplit(bundle)
    if (here.scheme, here.netloc) != (there.scheme, there.netloc):  # the index sends nobody elsewhere
        raise FetchFailed(
            f"{index}: edition {in_force[1]}'s bundle is on another server ({bundle})", EXIT_USAGE
        )
    print(f"terms fetch: edition {in_force[1]} of {in_force[0]} is in force on {day}", flush=True)
    return bundle


def _is_day(text: Any) -> bool:
    try:
        return isinstance(text, str) and len(text) == 10 and bool(time.strptime(text, "%Y-%m-%d"))
    except ValueError:
        return False


def fetched_bundle(url: str, into: Path, trust: list[str] | None, timeout: float = 30.0) -> Path:
    """The bundle at url, fetched and verified into `into` as a fetch does (`terms check --bundle
    URL`): its path there. Raises FetchFailed, or SignatureError for keys that cannot be read."""
    fetch(url, into, load_trusted_keys(trust) if trust is not None else None, timeout)
    return into / CURRENT / bundle_name(url)


def fetch_and_report(url: str, into: Path, keys: list[TrustedKey] | None, timeout: float) -> int:
    """One fetch, its outcome printed (stdout on success, stderr on failure); the exit code."""
    try:
        print(f"terms fetch: {fetch(url, into, keys, timeout)}", flush=True)
        return EXIT_OK
    except FetchFailed as error:
        held = _held_bundle(into, bundle_name(url, check=False))
        kept = f"kept {held}" if held else f"nothing held in {into}"
        print(f"terms fetch: {kept}: {error}", file=sys.stderr, flush=True)
        return error.exit_code


def fetch(url: str, into: Path, keys: list[TrustedKey] | None, timeout: float = 30.0) -> str:
    """Fetch the bundle at url into `into` (see the module's docstring); what happened, in words.
    Raises FetchFailed, leaving the bundle held as it was."""
    name = bundle_name(url)
    try:
        into.mkdir(parents=True, exist_ok=True)
        (into / FETCHED).mkdir(exist_ok=True)
        lock = os.open(into / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise FetchFailed(f"cannot write {into} ({error.strerror})", EXIT_USAGE) from None
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise FetchFailed(f"another terms fetch is writing {into}") from None
        return _fetch_locked(url, name, into, keys, timeout)
    finally:
        os.close(lock)


def _fetch_locked(url: str, name: str, into: Path, keys: list[TrustedKey] | None, timeout: float) -> str:
    held = _published(into)
    etags = _held_etags(held, url)
    signature = name + SIGNATURES_SUFFIX
    held_signed = held is not None and (held / signature).is_file()
    sentinel = signature if keys is not None or held_signed else name + ".sha256"
    download = Download()
    answer = _get(url, sentinel, download, timeout, etags.get(sentinel), optional=sentinel == signature)
    if answer == NOT_MODIFIED:
        return f"{into / CURRENT / name} is up to date (304 Not Modified)"
    if answer == MISSING and keys is not None:
        raise FetchFailed(
            f"no signature at {_sibling(url, signature)} (404); trusted keys are configured, so an "
            "unsigned bundle is refused",
            EXIT_USAGE,
        )
    if sentinel != signature:  # unsigned last time: signed now?
        _get(url, signature, download, timeout, optional=True)
    signed = signature in download.files
    for file in _files_to_fetch(name, download):
        if file not in download.files:
            _get(url, file, download, timeout, optional=file == "conformance.json" and not signed)
    if held is not None and _same_files(held, download.files):  # a server without ETags
        try:
            Bundle.load(held / name, trusted_keys=keys)  # the keys trusted now, which may differ
        except BundleError as error:
            raise FetchFailed(f"the bundle held, served unchanged, is refused: {error}", EXIT_USAGE) from None
        with suppress(OSError):
            _write_state(held, url, download.etags)
        return f"{into / CURRENT / name} is up to date (the same bytes)"
    return _verify_and_swap(url, name, into, held, download, keys)


def _same_files(held: Path, files: dict[str, bytes]) -> bool:
    """Whether the held folder has exactly these files with these bytes."""
    try:
        return sorted(p.name for p in held.iterdir()) == sorted(files) and all(
            (held / name).read_bytes() == body for name, body in files.items()
        )
    except OSError:
        return False


def _files_to_fetch(name: str, download: Download) -> list[str]:
    """The files of the bundle folder: those the signature lists, or the known unsigned set."""
    token = download.files.get(name + SIGNATURES_SUFFIX)
    if token is None:
        return [name, name + ".sha256", "conformance.json"]
    try:
        jws = json.loads(token)["signatures"][0]
        payload = json.loads(_b64(jws.split(".")[1]))
        names = [entry["name"] for entry in payload["files"]]
    except (ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError):
        raise FetchFailed(f"{name}{SIGNATURES_SUFFIX} is not a signatures file", EXIT_USAGE) from None
    if not all(isinstance(n, str) and FILE_NAME.fullmatch(n) for n in names) or len(names) > MAX_FILES:
        raise FetchFailed("the signature lists files that are not plain names in one folder", EXIT_USAGE)
    if name not in names:
        raise FetchFailed(f"the signature does not list the bundle {name}", EXIT_USAGE)
    return names


def _get(
    url: str, file: str, download: Download, timeout: float, etag: str | None = None, optional: bool = False
) -> str:
    """Download the file beside url into download: DOWNLOADED; NOT_MODIFIED when the server
    answered 304 to etag; MISSING for an optional file the server does not have (404). Raises
    FetchFailed for anything else."""
    address = _sibling(url, file)
    request = urllib.request.Request(address, headers={"User-Agent": f"terms-fetch/{__version__}"})
    if etag:
        request.add_header("If-None-Match", etag)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = _read_whole(response, address)
            if response.headers.get("ETag"):
                download.etags[file] = response.headers["ETag"]
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 304 and etag:
            return NOT_MODIFIED
        if error.code == 404 and optional:
            return MISSING
        raise FetchFailed(f"{address}: HTTP {error.code} {error.reason}") from None
    except http.client.IncompleteRead as error:
        got, expected = len(error.partial), error.expected
        raise FetchFailed(
            f"{address}: the download was cut short ({got} bytes received, {got + (expected or 0)} announced)"
        ) from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        reason = getattr(error, "reason", None) or error
        raise FetchFailed(f"{address}: cannot download ({reason})") from None
    download.files[file] = body
    return DOWNLOADED


def _read_whole(response: Any, address: str) -> bytes:
    """The response's body, refused when larger than MAX_FILE_BYTES or shorter than announced."""
    chunks, size = [], 0
    while chunk := response.read(CHUNK):
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise FetchFailed(f"{address}: larger than {MAX_FILE_BYTES >> 20} MiB; refused", EXIT_USAGE)
        chunks.append(chunk)
    announced = response.headers.get("Content-Length")
    if announced is not None and announced.isdigit() and int(announced) != size:
        raise FetchFailed(
            f"{address}: the download was cut short ({size} bytes received, {announced} announced)"
        )
    return b"".join(chunks)


def _verify_and_swap(
    url: str, name: str, into: Path, held: Path | None, download: Download, keys: list[TrustedKey] | None
) -> str:
    """Write the download into a new folder, verify it there as a reader will, and swap it in."""
    folder = into / FETCHED / (time.strftime("%Y%m%d-%H%M%S-", time.gmtime()) + secrets.token_hex(4))
    try:
        _write_folder(folder, download.files)
        bundle = Bundle.load(folder / name, trusted_keys=keys)
        _refuse_older(bundle.data, held, name)
        _write_state(folder, url, download.etags)
        if held is not None:
            swap_in(Path(FETCHED) / held.name, into / PREVIOUS)
        swap_in(Path(FETCHED) / folder.name, into / CURRENT)
    except BundleError as error:
        _remove(folder)
        reason = str(error).removeprefix(f"{folder / name}: ").replace(f"{folder}{os.sep}", "")
        raise FetchFailed(f"refused the bundle at {url}: {reason}", EXIT_USAGE) from None
    except FetchFailed:
        _remove(folder)
        raise
    except OSError as error:
        _remove(folder)
        raise FetchFailed(f"cannot write {error.filename or into} ({error.strerror})", EXIT_USAGE) from None
    _remove_others(into)
    data = bundle.data
    signed = (
        f", signed by key '{bundle.signature.kid}'"
        if bundle.signature
        else ", signature not checked (no --trust)"
    )
    return (
        f"fetched {url}: {data['corpus']} edition {data.get('edition')}{signed}; now {into / CURRENT / name}"
    )


def _write_folder(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir()
    for file, body in files.items():
        with open(folder / file, "wb") as stream:
            stream.write(body)
            stream.flush()
            os.fsync(stream.fileno())
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)  # the names too: what is swapped in has been written, even after a crash
    finally:
        os.close(handle)


def _refuse_older(data: Any, held: Path | None, name: str) -> None:
    """A bundle of another corpus, or of an edition dated before the one held, is refused."""
    if held is None:
        return
    current = held.parent.parent / CURRENT
    if not (held / name).is_file():
        raise FetchFailed(
            f"{current} holds another bundle, not {name}: fetch it into a folder of its own", EXIT_USAGE
        )
    try:
        old = json.loads((held / name).read_bytes())
    except (OSError, ValueError, RecursionError):
        return
    if not isinstance(old, dict):
        return
    if old.get("corpus") != data["corpus"]:
        raise FetchFailed(
            f"{current} holds corpus {old.get('corpus')!r}, the URL serves {data['corpus']!r}: fetch it "
            "into a folder of its own",
            EXIT_USAGE,
        )
    new_date, old_date = data.get("edition_date"), old.get("edition_date")
    if isinstance(new_date, str) and isinstance(old_date, str) and new_date < old_date:
        raise FetchFailed(
            f"the server has edition {data.get('edition')} of {new_date}, older than the edition "
            f"held, {old.get('edition')} of {old_date}; an older edition is never swapped in",
            EXIT_USAGE,
        )


def _write_state(folder: Path, url: str, etags: dict[str, str]) -> None:
    state = {"url": url, "etags": {file: tag for file, tag in etags.items() if file}}
    folder.with_name(folder.name + ".http.json").write_text(
        json.dumps(state, indent=2) + "\n", encoding="utf-8"
    )


def _held_etags(held: Path | None, url: str) -> dict[str, str]:
    if held is None:
        return {}
    try:
        state = json.loads(held.with_name(held.name + ".http.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(state, dict) or state.get("url") != url or not isinstance(state.get("etags"), dict):
        return {}
    return {k: v for k, v in state["etags"].items() if isinstance(v, str)}


def _published(into: Path) -> Path | None:
    link = into / CURRENT
    return into / os.readlink(link) if link.is_symlink() and link.is_dir() else None


def _held_bundle(into: Path, name: str) -> str | None:
    held = _published(into)
    if held is None:
        return None
    return str(into / CURRENT / name) if (held / name).is_file() else f"{into / CURRENT}/"


def _remove_others(into: Path) -> None:
    """Remove the versions neither current nor previous (and their ETag records)."""
    kept = {Path(os.readlink(into / link)).name for link in (CURRENT, PREVIOUS) if (into / link).is_symlink()}
    for entry in (into / FETCHED).iterdir():
        if entry.name.removesuffix(".http.json") not in kept:
            _remove(entry)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with suppress(OSError):
            path.unlink()


def bundle_name(url: str, check: bool = True) -> str:
    """The bundle's file name in its URL (checked to be one, with an http(s) URL, unless not `check`)."""
    parts = urllib.parse.urlsplit(url)
    name = parts.path.rsplit("/", 1)[-1]
    if check and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise FetchFailed(f"{url}: give an http:// or https:// URL", EXIT_USAGE)
    if check and not FILE_NAME.fullmatch(urllib.parse.unquote(name) or "-"):
        raise FetchFailed(
            f"{url}: give the bundle's own URL, ending in its file name (.../ID.json)", EXIT_USAGE
        )
    return urllib.parse.unquote(name)


def _sibling(url: str, file: str) -> str:
    """The URL of file in the folder of url."""
    return urllib.parse.urljoin(url, urllib.parse.quote(file))


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
