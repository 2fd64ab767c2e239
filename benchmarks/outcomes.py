"""Outcome-only batch benchmark (issue 17, item 15): `terms check --format json --explain none` on
100,000 JSON Lines beside a plain Python script that reads each line with json.loads, decides
sa-purchase with hand-written code and writes {"decision", "outcome"}.

    python benchmarks/outcomes.py                    # 100,000 lines, best of 5 runs a side
    python benchmarks/outcomes.py --lines 20000 --repeat 2

Target: `terms check --explain none` within 1.3x of the script's wall time. Beside them, for
scale, `--explain deciding` and `--explain all` (today's full records; 3.2x the script before the
option existed). The shipped corpus is built into a temporary folder; the fact sets are those of
check.py (seeded, every rule applying, overridden and failing), and the script's outcomes are
checked against the bundle's, line by line, before anything is timed. Both sides write to a file
in the temporary folder (tmpfs or not, the same for both).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check import BadFacts, fact_sets, purchase_decide, terms_command


def handwritten_outcomes(stream: TextIO, out: TextIO) -> int:
    """The plain script: json.loads, hand-written decide (the facts validated), one record a line."""
    failed = 0
    loads, dumps, write = json.loads, json.dumps, out.write
    for line in stream:
        if not line.strip():
            continue
        try:
            answer = purchase_decide(loads(line))
        except (BadFacts, ValueError) as error:
            failed += 1
            write(dumps({"error": str(error)}) + "\n")
            continue
        write(dumps({"decision": answer["decision"], "outcome": answer["outcome"]}) + "\n")
    return 1 if failed else 0


def timed(command: list[str], out: Path) -> float:
    started = time.perf_counter()
    with out.open("w", encoding="utf-8") as stream:
        done = subprocess.run(command, stdout=stream, stderr=subprocess.PIPE, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--handwritten", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.handwritten:
        with open(args.handwritten, encoding="utf-8") as stream:
            return handwritten_outcomes(stream, sys.stdout)

    from check import build_shipped_bundle

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
    print(f"compiler at {commit.strip()}; {args.lines:,} lines of sa-purchase, best of {args.repeat}")
    with tempfile.TemporaryDirectory() as folder:
        temp = Path(folder)
        bundle = build_shipped_bundle(temp / "build")
        batch = temp / "facts.jsonl"
        batch.write_text("".join(json.dumps(f) + "\n" for f in fact_sets("sa-purchase", args.lines)), "utf-8")
        check = [*terms_command(), "check", "--bundle", str(bundle), "--decision", "sa-purchase"]
        sides = {
            "script": [sys.executable, __file__, "--handwritten", str(batch)],
            "none": [*check, "--format", "json", "--explain", "none", str(batch)],
            "deciding": [*check, "--format", "json", "--explain", "deciding", str(batch)],
            "all": [*check, "--format", "json", str(batch)],
        }
        timed(sides["script"], temp / "script.out")
        timed(sides["none"], temp / "none.out")
        ours = [json.loads(line) for line in (temp / "none.out").read_text("utf-8").splitlines()]
        theirs = [json.loads(line) for line in (temp / "script.out").read_text("utf-8").splitlines()]
        assert len(ours) == len(theirs) == args.lines, (len(ours), len(theirs))
        for record, expected in zip(ours, theirs, strict=True):
            assert "reasons" not in record and record["outcome"] == expected["outcome"], (record, expected)
        print("outcomes agree on every line; timing (wall, to a file)")
        best = {name: float("inf") for name in sides}
        for _ in range(args.repeat):  # the sides take turns, run by run: the machine is shared
            for name, command in sides.items():
                best[name] = min(best[name], timed(command, temp / f"{name}.out"))
        for name, seconds in best.items():
            label = "plain Python script" if name == "script" else f"terms check --explain {name}"
            ratio = seconds / best["script"]
            rate = args.lines / seconds
            print(f"  {label:34} {seconds:6.2f} s  {rate:9,.0f} rows/s  {ratio:4.2f}x the script")
        ratio = best["none"] / best["script"]
        verdict = "met" if ratio <= 1.3 else "MISSED"
        print(f"target: --explain none within 1.3x of the script: {ratio:.2f}x, {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
