"""Peak memory of the whole process tree of one `terms build`, stage by stage.

    python benchmarks/tree_memory.py CORPUS --out OUT [other terms build options]

Runs `terms build -v --no-cache` and samples the proportional set size (PSS) of the build and
every process under it (forked workers, MkDocs) every 100 ms, like compile.py. Each sample is
counted against the stage running at that moment, known from the stage lines the build prints.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from compile import _process_tree, _pss_kb, terms_command


def main(arguments: list[str]) -> None:
    build = subprocess.Popen(
        [*terms_command(), "build", *arguments, "-v", "--no-cache"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert build.stderr is not None
    stages = ["start-up"]  # the stage running now: the one after the last one reported

    def follow() -> None:
        for line in build.stderr:  # type: ignore[union-attr]
            print(line.rstrip(), flush=True)
            stages.append("after " + line.strip().split(" (")[0])

    threading.Thread(target=follow, daemon=True).start()
    peaks: dict[str, tuple[int, int, int]] = {}
    while build.poll() is None:
        tree = _process_tree(build.pid)
        total, stage = sum(_pss_kb(pid) for pid in tree), stages[-1]
        if total > peaks.get(stage, (0, 0, 0))[0]:
            peaks[stage] = (total, _pss_kb(build.pid), len(tree))
        time.sleep(0.1)
    print(f"\n{'sampled':<34}{'tree PSS MB':>12}{'build PSS MB':>14}{'processes':>11}")
    for stage, (total, own, count) in peaks.items():
        print(f"{stage[:33]:<34}{total / 1024:>12.0f}{own / 1024:>14.0f}{count:>11}")
    sys.exit(build.returncode)


if __name__ == "__main__":
    main(sys.argv[1:])
