"""Work done in forked worker processes gives what the same work gives in one process."""

from __future__ import annotations

import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from terms_compiler import load, workers

from tests.conftest import SHIPPED_CORPUS


def loaded(root: Path) -> tuple[list[tuple[str, str, object, str]], list[tuple[str, str, int]]]:
    documents, problems = load.load_corpus_files(root)
    return (
        [(d.path, d.kind, d.data, d.digest) for d in documents],
        sorted((p.code, p.span.file if p.span else "", p.span.line if p.span else 0) for p in problems),
    )


def test_files_loaded_in_workers_are_those_loaded_here_errors_included(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "terms"
    shutil.copytree(SHIPPED_CORPUS, corpus)
    sections = sorted((corpus / "sections").glob("*.yaml"))
    sections[0].write_text("id: [unclosed\n", encoding="utf-8")  # E101 at line 1
    sections[1].write_text("", encoding="utf-8")  # E105
    monkeypatch.chdir(tmp_path)
    here = loaded(Path("terms"))
    assert [code for code, _, _ in here[1]] == ["E101", "E105"]

    pools = []

    class RecordingPool(ProcessPoolExecutor):
        def map(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            pools.append(self)
            return super().map(*args, **kwargs)

    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})
    # Threads other tests leave running in this process (the local Spark session's gateway, kept
    # for the whole session) would make worker_count choose no workers; none runs in this test.
    monkeypatch.setattr(workers.threading, "active_count", lambda: 1)
    monkeypatch.setattr(workers, "ProcessPoolExecutor", RecordingPool)
    monkeypatch.setattr(load, "PARALLEL_FILES", 1)
    assert loaded(Path("terms")) == here
    assert len(pools) == 1
    document = load.load_corpus_files(Path("terms"))[0][-1]
    assert document.span(("clauses", 0, "id")).line > 1  # positions still found on demand
