"""Publishing a build (publish.py): a reader of build/ finds the previous build or the new
one, whole, never a mix and never nothing, whenever the build is killed; the next build removes
what a killed one left; an output that cannot be written is a diagnostic, not a traceback."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from terms_compiler import pipeline
from terms_compiler.build import CACHE_FOLDER, build

CONFORMANCE = Path("no-conformance")  # the mini corpus has none; keep the builds small
SECTION = Path("terms/sections/10-buying.yaml")
BUNDLE = "mini-terms.json"

# Run `terms build` in a process that kills itself (SIGKILL: no clean-up runs) at a point of
# the build: before or after the nth call of one of its functions (module:name, patched where
# it is looked up).
KILLER = """
import importlib, os, signal, sys
from terms_compiler.cli import main
where, when, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
module, name = where.split(":")
pipeline = importlib.import_module("terms_compiler." + module)
original, calls = getattr(pipeline, name), []
def killing(*args, **kwargs):
    calls.append(1)
    if when == "before" and len(calls) == nth:
        os.kill(os.getpid(), signal.SIGKILL)
    result = original(*args, **kwargs)
    if when == "after" and len(calls) == nth:
        os.kill(os.getpid(), signal.SIGKILL)
    return result
setattr(pipeline, name, killing)
sys.exit(main(sys.argv[4:]))
"""
CLI = "import sys; from terms_compiler.cli import main; sys.exit(main(sys.argv[1:]))"
KILL_POINTS = [
    ("build:run", "after", 1),  # every stage done, nothing published
    ("build:publish", "before", 1),
    ("publish:swap_in", "after", 1),  # after the first swap, before the others
    ("publish:swap_in", "after", 2),
    ("build:publish", "after", 1),  # published, its leftovers not removed
    ("build:remove_leftovers", "before", 1),
]


def killed_build(out: Path, point: tuple[str, str, int]) -> int:
    name, when, nth = point
    arguments = ["build", "terms", "--out", str(out), "-q", "--conformance", str(CONFORMANCE)]
    done = subprocess.run(
        [sys.executable, "-c", KILLER, name, when, str(nth), *arguments], capture_output=True
    )
    return done.returncode


def edit(old: str, new: str) -> None:
    text = SECTION.read_text(encoding="utf-8")
    assert old in text
    SECTION.write_text(text.replace(old, new, 1), encoding="utf-8")


def published_bundle(out: Path) -> bytes:
    """The bundle readers find in out/, checked whole: its .sha256 matches, and the site and its
    sources carry the same bundle (they are of the same build)."""
    bundle = (out / "bundle" / BUNDLE).read_bytes()
    digest = (out / "bundle" / f"{BUNDLE}.sha256").read_text(encoding="utf-8").split()[0]
    assert hashlib.sha256(bundle).hexdigest() == digest
    assert (out / "site/files/2026-01" / BUNDLE).read_bytes() == bundle
    assert (out / "docs/files" / BUNDLE).read_bytes() == bundle
    return bundle


def leftovers(out: Path) -> list[str]:
    """What the builds left in out/ besides the published build, the one before (kept for
    readers who found it just before the swap) and the cache."""
    names = sorted(p.name for p in out.iterdir() if p.name not in {".builds", CACHE_FOLDER})
    published = {(out / link).resolve().name for link in ("current", ".previous")}
    builds = [f".builds/{p.name}" for p in (out / ".builds").iterdir() if p.name not in published]
    return [name for name in names if name not in {"bundle", "docs", "site", "current", ".previous"}] + builds


@pytest.mark.parametrize("point", KILL_POINTS, ids=lambda point: "-".join(map(str, point)))
def test_a_killed_build_leaves_the_old_build_or_the_new_one_and_the_next_build_cleans_up(
    mini: Path, point: tuple[str, str, int]
) -> None:
    out = Path("out")
    assert build(mini, out, conformance=CONFORMANCE).bundle is not None
    old = published_bundle(out)
    edit("This section is about buying", "This section covers buying")
    assert killed_build(out, point) == -signal.SIGKILL
    now = published_bundle(out)
    fresh = build(mini, Path("fresh"), conformance=CONFORMANCE, use_cache=False)
    assert fresh.bundle is not None and now in {old, fresh.bundle.read_bytes()}
    again = build(mini, out, conformance=CONFORMANCE)
    assert again.bundle is not None and published_bundle(out) == fresh.bundle.read_bytes()
    assert leftovers(out) == []


def test_a_reader_polling_the_bundle_always_finds_a_whole_build(mini: Path) -> None:
    out = Path("out")
    assert build(mini, out, conformance=CONFORMANCE).bundle is not None
    problems: list[str] = []
    reads = 0
    done = threading.Event()

    def read() -> None:
        nonlocal reads
        while not done.is_set():
            try:
                # One build's folder, as a reader of several files finds it; then the path tools use.
                published_bundle(out / os.readlink(out / "current"))
                (out / "bundle" / BUNDLE).read_bytes()
                reads += 1
            except (OSError, AssertionError) as error:
                problems.append(repr(error))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for text in ("covers", "is about", "covers"):
            edit("This section", f"This section {text}")
            assert build(mini, out, conformance=CONFORMANCE, use_cache=text != "covers").bundle is not None
    finally:
        done.set()
        reader.join()
    assert problems == [] and reads > 0
    assert leftovers(out) == []


def test_leftovers_of_builds_before_the_builds_folder_are_removed(mini: Path) -> None:
    """Staging folders of killed builds of earlier versions, and their output folders, which
    become links through out/current."""
    out = Path("out")
    (out / ".staging-abc/site").mkdir(parents=True)
    (out / "bundle").mkdir()
    (out / "bundle" / "old.json").write_text("{}", encoding="utf-8")
    assert build(mini, out, conformance=CONFORMANCE).bundle is not None
    assert leftovers(out) == [] and not (out / "bundle/old.json").exists()
    published_bundle(out)


def test_two_bundle_only_builds_at_once_after_a_site_build_both_succeed(mini: Path) -> None:
    out = Path("out")
    assert build(mini, out, conformance=CONFORMANCE).bundle is not None
    arguments = [
        "build",
        "terms",
        "--out",
        str(out),
        "-q",
        "--no-site",
        "--no-cache",
        "--conformance",
        "none",
    ]
    for _ in range(2):
        both = [
            subprocess.Popen([sys.executable, "-c", CLI, *arguments], stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        results = [(process.wait(), process.stderr.read().decode()) for process in both if process.stderr]
        assert results == [(0, ""), (0, "")]
    assert (out / "bundle" / BUNDLE).is_file() and not (out / "site").exists()
    assert leftovers(out) == []


# Outputs that cannot be written ------------------------------------------------------------------


def failing(target: str, number: int):  # type: ignore[no-untyped-def]
    """A function that raises OSError(number) when its path argument lies under target."""

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(number, os.strerror(number), str(args[0]) if args else target)

    return fail


@pytest.mark.parametrize(
    ("stage", "number"),
    [
        ("mkdir", errno.EROFS),  # a read-only build/
        ("write", errno.ENOSPC),  # a full disk while the bundle is written
        ("copy", errno.ENOSPC),  # ... or while the site's files are copied
        ("cache", errno.ENOSPC),  # ... or when the cache is saved
    ],
)
def test_an_output_that_cannot_be_written_is_e710_and_the_last_build_stays(
    mini: Path, run_terms, monkeypatch: pytest.MonkeyPatch, stage: str, number: int
) -> None:  # type: ignore[no-untyped-def]
    out = Path("out")
    assert build(mini, out, conformance=CONFORMANCE).bundle is not None
    old = published_bundle(out)
    edit("This section is about buying", "This section covers buying")
    from terms_compiler import cache as cache_module

    with monkeypatch.context() as patch:
        if stage == "mkdir":
            patch.setattr(Path, "mkdir", failing("out/.builds", number))
        elif stage == "write":
            patch.setattr(
                pipeline, "write_canonical_json", failing("bundle", number)
            )  # where _write_bundle finds it
        elif stage == "copy":
            patch.setattr(shutil, "copytree", shutil_error(number))
        else:
            patch.setattr(cache_module, "atomic_file", failing("out/.cache", number))
        code, output, err = run_terms("build", "terms", "--out", "out", "--conformance", str(CONFORMANCE))
    assert code == 1 and "Traceback" not in err, err
    assert "error[E710]: cannot write the build output" in output and os.strerror(number) in output, output
    assert published_bundle(out) == old
    assert leftovers(out) == []


def shutil_error(number: int):  # type: ignore[no-untyped-def]
    def fail(source: object, target: object, **kwargs: object) -> None:
        why = f"[Errno {number}] {os.strerror(number)}: '{source}' -> '{target}'"
        raise shutil.Error([(str(source), str(target), why)])

    return fail


def test_a_file_where_the_cache_folder_belongs_is_e710_before_anything_is_published(
    mini: Path, run_terms
) -> None:  # type: ignore[no-untyped-def]
    out = Path("out")
    assert build(mini, out, conformance=CONFORMANCE).bundle is not None
    old = published_bundle(out)
    shutil.rmtree(out / CACHE_FOLDER)
    (out / CACHE_FOLDER).write_text("not a folder", encoding="utf-8")
    edit("This section is about buying", "This section covers buying")
    code, output, err = run_terms("build", "terms", "--out", "out", "--conformance", str(CONFORMANCE))
    assert (code, "Traceback" in err) == (1, False), err
    assert (
        "error[E710]: cannot write the build output 'out/.cache': a file is where a folder is needed"
        in output
    ), output
    assert published_bundle(out) == old and leftovers(out) == []
