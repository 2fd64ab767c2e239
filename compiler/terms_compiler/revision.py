"""Git revisions of a corpus: the commit a build is made from, and what a named revision is.

Low in the house: the build cache, the pipeline and editions all ask git the same questions.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run git in folder; the caller reads returncode (OSError when git is missing)."""
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, check=False)


def source_revision(root: Path) -> str | None:
    """The git commit of the corpus, with +dirty when its files have uncommitted changes; None
    outside a git checkout."""
    try:
        commit = git(root, "rev-parse", "HEAD")
        dirty = git(root, "status", "--porcelain", "--", ".")
    except OSError:
        return None
    if commit.returncode or dirty.returncode:
        return None
    return commit.stdout.decode().strip() + ("+dirty" if dirty.stdout.strip() else "")


def revision_identity(spec: str, corpus_folder: Path) -> str | None:
    """The commit a previous edition named by git revision resolves to ("" when it does not
    resolve); None when spec names a path (a bundle or folder, whose files are not tracked)."""
    if Path(spec).exists():
        return None
    try:
        found = git(corpus_folder, "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}")
    except OSError:
        return ""
    return found.stdout.decode().strip() if found.returncode == 0 else ""
