"""terms_compiler.emit.mkdocs_reuse on a small MkDocs project: a site built from the last site's unchanged
pages is the site a full build writes, and MkDocs' complaints still fail the build."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from terms_compiler.diagnostics import CompileError

PAGES = ("index.md", "alpha.md", "beta.md", "gamma.md")
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def project(root: Path) -> Path:
    """Four pages, each with sections for the search index, in the theme `terms build` uses."""
    (root / "docs").mkdir(parents=True)
    for name in PAGES:
        title = name.removesuffix(".md").capitalize()
        (root / "docs" / name).write_text(
            f"# {title}\n\nAbout {title}.\n\n## First part\n\nOne.\n\n## Second part\n\nTwo.\n",
            encoding="utf-8",
        )
    config = {
        "site_name": "Reuse",
        "theme": {"name": "material"},
        "plugins": ["search"],
        "nav": [{name.removesuffix(".md").capitalize(): name} for name in PAGES],
    }
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root / "mkdocs.yml"


def mkdocs(config: Path, site_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site_dir)],
        capture_output=True,
        text=True,
        env=ENV,
    )
    assert done.returncode == 0, done.stderr


def job_list(*jobs: tuple[Path, Path, Path, list[str]]) -> str:
    """The standard input of terms_compiler.emit.mkdocs_reuse: (mkdocs.yml, site_dir, last_site, changed
    pages) per site."""
    return json.dumps(
        [
            {"config_file": str(config), "site_dir": str(site_dir), "last_site": str(last), "pages": pages}
            for config, site_dir, last, pages in jobs
        ]
    )


def reuse(*jobs: tuple[Path, Path, Path, list[str]]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "terms_compiler.emit.mkdocs_reuse"],
        input=job_list(*jobs),
        capture_output=True,
        text=True,
        env=ENV,
    )


def files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix != ".gz"
    }  # gzip stamps the time of writing


def test_sites_built_from_their_unchanged_pages_are_those_a_full_build_writes(tmp_path: Path) -> None:
    """Two sites in one process, as `terms build` runs them: nothing of one leaks into the
    other."""
    jobs = []
    for name, page in (("en", "beta.md"), ("uk", "index.md")):
        config = project(tmp_path / name)
        mkdocs(config, tmp_path / f"last-{name}")
        source = tmp_path / name / "docs" / page
        source.write_text(
            source.read_text("utf-8").replace("Two.", f"Two, rewritten in {name}.\n\n## Third part"),
            encoding="utf-8",
        )
        jobs.append((config, tmp_path / f"reused-{name}", tmp_path / f"last-{name}", [page]))
    done = reuse(*jobs)
    assert done.returncode == 0, done.stderr
    for name in ("en", "uk"):
        mkdocs(tmp_path / name / "mkdocs.yml", tmp_path / f"full-{name}")
        assert files(tmp_path / f"reused-{name}") == files(tmp_path / f"full-{name}")
    # The new section sits in the search index where a full build puts it: beta's, mid-list.
    index = (tmp_path / "reused-en/search/search_index.json").read_text("utf-8")
    assert index.index('"beta/#second-part"') < index.index('"beta/#third-part"') < index.index('"gamma/"')
    assert "rewritten in en" in (tmp_path / "reused-en/beta/index.html").read_text("utf-8")


def test_a_warning_about_a_changed_page_fails_the_build_and_names_its_language(tmp_path: Path) -> None:
    jobs = []
    for name in ("en", "uk"):
        config = project(tmp_path / name)
        mkdocs(config, tmp_path / f"last-{name}")
        jobs.append((config, tmp_path / f"site-{name}", tmp_path / f"last-{name}", ["alpha.md"]))
    (tmp_path / "uk/docs/alpha.md").write_text("# Alpha\n\nSee [nowhere](missing.md).\n", encoding="utf-8")
    done = reuse(*jobs)
    assert done.returncode == 1
    assert "'missing.md'" in done.stderr and "Aborted with 1 warnings in strict mode!" in done.stderr, (
        done.stderr
    )
    assert done.stdout == f"{tmp_path / 'uk' / 'mkdocs.yml'}\n"
    # As `terms build` reports it.
    from terms_compiler.emit.site import run_mkdocs

    for name in ("en", "uk"):
        shutil.rmtree(tmp_path / f"site-{name}")
    with pytest.raises(CompileError) as error:
        run_mkdocs(["en", "uk"], ["-m", "terms_compiler.emit.mkdocs_reuse"], job_list(*jobs))
    [problem] = error.value.diagnostics
    assert problem.message == "MkDocs failed to build the 'uk' site"
    assert problem.excerpt[-1] == "Aborted with 1 warnings in strict mode!"
