"""Shared fixtures: the shipped corpus, a writable copy of the mini corpus, a built bundle."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from terms_compiler.cli import main

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CORPUS = ROOT / "terms"
MINI_CORPUS = ROOT / "tests" / "fixtures" / "mini"
CONFORMANCE = ROOT / "tests" / "conformance"


@pytest.fixture
def mini(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the mini corpus at ./terms in a fresh working folder; edit it freely."""
    shutil.copytree(MINI_CORPUS, tmp_path / "terms")
    monkeypatch.chdir(tmp_path)
    return Path("terms")


@pytest.fixture
def run_terms(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run the CLI in-process: run_terms("validate", "terms") -> (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse usage errors and --help
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture(scope="session")
def shipped_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped corpus built once per test session, site included; the output folder."""
    out = tmp_path_factory.mktemp("build")
    code = main(["build", str(SHIPPED_CORPUS), "--out", str(out), "-q"])
    assert code == 0, "the shipped corpus must build"
    return out


@pytest.fixture(scope="session")
def shipped_bundle(shipped_build: Path) -> Path:
    """The bundle JSON of the shipped corpus."""
    return shipped_build / "bundle" / "product-terms-sa.json"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/ from the current output (review the diff!)",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """golden("name.json", text): compare text with tests/golden/name.json, or rewrite it
    when pytest runs with --update-golden."""
    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        path = ROOT / "tests" / "golden" / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"no golden file {path}; run pytest --update-golden and review it"
        assert text == path.read_text(encoding="utf-8"), f"output differs from {path}"

    return check


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright, one per test module (tests/test_browser.py says how it
    is started)."""
    pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")
    from playwright.sync_api import sync_playwright

    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

    assert Path(CHROMIUM).exists(), "browser tests need Debian's chromium (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
