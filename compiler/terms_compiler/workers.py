"""Worker processes for independent pieces of a build: files to load, Markdown texts to parse,
each language's pages to write.

The build's heavy parts are pure Python, so they use the machine's cores by forking this
process: the workers start with the corpus already in memory, and only small arguments (a file
name, a block of texts, a language) are sent to them. Only
while the process has no other thread (a fork copies no thread, and a lock another thread held
stays locked in the child; `terms serve` builds from a thread, so it works here), and never by
"spawn", which would run the caller's main module again in every worker.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

# A worker that dies (killed for memory, say) or a system that cannot fork: do the work here.
POOL_FAILURES = (BrokenProcessPool, OSError)


def worker_count(jobs: int, worth_from: int) -> int:
    """How many forked workers to use for `jobs` independent jobs; 0 means: do them here (fewer
    than worth_from jobs, one core, no fork, or another thread running)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(cores or 1, jobs, 8)
    if (
        workers < 2
        or jobs < worth_from
        or threading.active_count() > 1
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return 0
    return workers


@contextmanager
def forked_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    # Frozen, the objects already made are left out of the workers' garbage collections, which
    # would otherwise write to every page of the heap and so copy all of it into each worker.
    gc.freeze()
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            yield pool
    finally:
        gc.unfreeze()
