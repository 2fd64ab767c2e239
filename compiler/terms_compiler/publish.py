"""Publishing a build: a reader of the output folder finds the previous build or the new one,
never a mix and never nothing.

Each build writes a folder of its own, out/.builds/NAME/ (bundle/, docs/, site/), and is
published by replacing one symbolic link, out/current -> .builds/NAME, with os.replace: a
rename, atomic on POSIX. out/bundle, out/docs and out/site are links through it
(out/bundle -> current/bundle) that never change, so out/bundle/ID.json stays a valid path
for tools and `terms serve`, and a reader finds the old build or the new one, never a mix and
never nothing. A reader of several files resolves out/current once; the build it names stays
until the next build is published (out/.previous names it then), so a reader who found it just
before a swap can finish. A build holds a lock on its folder (flock, released by the system
when the process dies) and a shared one on the last build, which it reads to reuse pages; any
other folder under .builds is a leftover, of a killed build or an older one, removed by the
next build when it starts and once it is published.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

OUTPUT_PARTS = ("bundle", "docs", "site")

BUILDS_FOLDER = ".builds"
CURRENT = "current"
PREVIOUS = ".previous"


def publish(folder: Path, out: Path) -> None:
    """Make the build in folder (under out/.builds/) the published one, in one step."""
    if (replaced := published(out)) is not None:
        swap_in(Path(BUILDS_FOLDER) / replaced.name, out / PREVIOUS)
    swap_in(Path(BUILDS_FOLDER) / folder.name, out / CURRENT)
    for part in OUTPUT_PARTS:
        swap_in(Path(CURRENT) / part, out / part)  # no-ops after the first build


def swap_in(target: Path, link: Path) -> None:
    """Point link at target (relative to link's folder) by renaming a new link over it. A folder
    in its place (out/bundle of a build before out/current existed) is moved aside first."""
    if link.is_symlink() and Path(os.readlink(link)) == target:
        return
    temporary = link.with_name(f".{link.name}-{os.getpid()}")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target, target_is_directory=True)
    if link.is_dir() and not link.is_symlink():  # once: os.replace cannot put a link over a folder
        old = link.with_name(f".{link.name}-old")
        shutil.rmtree(old, ignore_errors=True)
        link.rename(old)
    os.replace(temporary, link)


def published(out: Path, link: str = CURRENT) -> Path | None:
    """The folder of the build out/current (or another link) names, or None before the first."""
    return out / os.readlink(out / link) if (out / link).is_symlink() else None


def remove_leftovers(out: Path) -> None:
    """Remove the folders under out/.builds/ that are neither published (current or previous)
    nor locked by a running build, and the staging folders of builds before out/.builds."""
    for folder in sorted((out / BUILDS_FOLDER).iterdir()):
        if folder.name in _kept(out):
            continue
        with suppress(OSError), _locked(folder, fcntl.LOCK_EX | fcntl.LOCK_NB):
            # Asked again under the lock: a build publishes its folder while it holds that lock,
            # so a folder published since the first look is seen here, not removed.
            if folder.name not in _kept(out):
                shutil.rmtree(folder)
    for folder in [*out.glob(".staging-*"), *(out / f".{part}-old" for part in OUTPUT_PARTS)]:
        shutil.rmtree(folder, ignore_errors=True)


def _kept(out: Path) -> set[str]:
    """The names of the builds out/current and out/.previous name."""
    return {folder.name for link in (CURRENT, PREVIOUS) if (folder := published(out, link))}


def new_build_folder(out: Path, held: ExitStack) -> Path:
    """A new build's folder, locked until held closes. (A folder removed as a leftover between
    its making and its lock is made again.)"""
    while True:
        name = time.strftime("%Y%m%d-%H%M%S-", time.gmtime()) + secrets.token_hex(4)
        folder = out / BUILDS_FOLDER / name
        try:
            folder.mkdir()  # readable as the umask says (mkdtemp's are the owner's only)
        except FileExistsError:
            continue
        with suppress(FileNotFoundError):
            if _hold(folder, held, fcntl.LOCK_EX):
                return folder


def hold_build(out: Path, held: ExitStack, how: int) -> Path | None:
    """The published build's folder, locked with `how` until held closes; None when there is
    none (or it was removed meanwhile)."""
    folder = published(out)
    with suppress(FileNotFoundError):
        if folder is not None and _hold(folder, held, how):
            return folder
    return None


def _hold(folder: Path, held: ExitStack, how: int) -> bool:
    """Lock folder until held closes; False when it was removed before the lock was taken."""
    locked = held.enter_context(_locked(folder, how))
    return os.fstat(locked).st_nlink > 0


@contextmanager
def _locked(folder: Path, how: int) -> Iterator[int]:
    """An advisory lock on a folder (flock: OSError with LOCK_NB when another process holds it)."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, how)
        yield handle
    finally:
        os.close(handle)
