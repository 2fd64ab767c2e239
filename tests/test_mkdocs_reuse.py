"""compiler.mkdocs_reuse on a small MkDocs project: a site built from the last site's unchanged
pages is the site a full build writes, and MkDocs' complaints still fail the build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

PAGES = ("index.md", "alpha.md", "beta.md", "gamma.md")


def project(root: Path) -> Path:
    """Four pages, each with sections for the search index, in the theme `terms build` uses."""
    (root / "docs").mkdir(parents=True)
    for name in PAGES:
        title = name.removesuffix(".md").capitalize()
        (root / "docs" / name).write_text(
            f"# {title}\n\nAbout {title}.\n\n## First part\n\nOne.\n\n## Second part\n\nTwo.\n",
            encoding="utf-8")
    config = {"site_name": "Reuse", "theme": {"name": "material"}, "plugins": ["search"],
              "nav": [{name.removesuffix(".md").capitalize(): name} for name in PAGES]}
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root / "mkdocs.yml"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix != ".gz"}  # gzip stamps the time of writing


def test_a_site_built_from_the_unchanged_pages_is_the_one_a_full_build_writes(
        tmp_path: Path) -> None:
    config = project(tmp_path / "project")
    assert run("mkdocs", "build", "--strict", "-f", config, "-d", tmp_path / "last").returncode == 0
    beta = tmp_path / "project/docs/beta.md"
    beta.write_text(beta.read_text("utf-8").replace("Two.", "Two, rewritten.\n\n## Third part"),
                    encoding="utf-8")
    reused = run("compiler.mkdocs_reuse", tmp_path / "last", "beta.md", "--config-file", config,
                 "--site-dir", tmp_path / "reused")
    assert reused.returncode == 0, reused.stderr
    assert run("mkdocs", "build", "--strict", "-f", config, "-d", tmp_path / "full").returncode == 0
    assert files(tmp_path / "reused") == files(tmp_path / "full")
    # The new section sits in the search index where a full build puts it: beta's, mid-list.
    index = (tmp_path / "reused/search/search_index.json").read_text("utf-8")
    assert index.index('"beta/#second-part"') < index.index('"beta/#third-part"') \
        < index.index('"gamma/"')


def test_a_warning_about_a_changed_page_fails_the_build(tmp_path: Path) -> None:
    config = project(tmp_path / "project")
    assert run("mkdocs", "build", "--strict", "-f", config, "-d", tmp_path / "last").returncode == 0
    (tmp_path / "project/docs/alpha.md").write_text("# Alpha\n\nSee [nowhere](missing.md).\n",
                                                    encoding="utf-8")
    done = run("compiler.mkdocs_reuse", tmp_path / "last", "alpha.md", "--config-file", config,
               "--site-dir", tmp_path / "reused")
    assert done.returncode == 1
    assert "'missing.md'" in done.stderr and "Aborted with 1 warnings in strict mode!" \
        in done.stderr, done.stderr
