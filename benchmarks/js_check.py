"""The JavaScript checker (js/) beside the Python checker, on the sa-purchase decision, in one run.

    python benchmarks/js_check.py [--facts 2000] [--lines 100000] [--calls 2000000] [--repeat 5]

needs Node 20 and `npm ci` in js/ (json-logic-js, a devDependency used only here). It builds the
shipped corpus (`terms build --no-site`, into a temporary folder), generates valid sa-purchase
fact sets aimed at the rules' boundaries (js/test/differential.py), and prints, as decisions per
second, best of --repeat runs, each side taking turns:

  - one decision at a time: the Python API (Bundle.decide in a loop), and in Node the JS API
    (Bundle.decide, facts validated), json-logic-js running the same rule (as benchmarks/peers.py
    writes it: the whole decision, overrides included, as one JsonLogic expression over facts
    with dates as day numbers, not validated), and a hand-written JavaScript function of the rule
    with the same validation (the limit);
  - a batch of --lines JSON Lines, `--format json` to /dev/null: `terms check` and `terms-check`
    (whose outputs are checked to be identical);

then the ratios the targets are stated in (the JS API at least 10x the Python API and 10x
json-logic-js).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "js" / "test"))

from differential import Generator  # noqa: E402 (js/test/differential.py, found through sys.path)
from peers import decision_parts, json_logic_outcome  # noqa: E402
from terms_compiler.check.bundle import Bundle, FactError  # noqa: E402

DECISION = "sa-purchase"
PYTHON_TERMS = [sys.executable, "-m", "terms_compiler.cli"]


def fact_sets(bundle: Bundle, count: int) -> list[dict[str, Any]]:
    """count valid sa-purchase fact sets, aimed at the rules' boundaries."""
    generator = Generator(DECISION, bundle.data["decisions"][DECISION], random.Random(1))
    found: list[dict[str, Any]] = []
    while len(found) < count:
        facts, _ = generator.case()
        try:
            bundle.decide(DECISION, facts)
        except FactError:
            continue
        found.append(facts)
    return found


def python_rate(bundle: Bundle, facts: list[dict[str, Any]], calls: int) -> float:
    decide = bundle.decide
    started = time.perf_counter()
    for index in range(calls):
        decide(DECISION, facts[index % len(facts)])
    return calls / (time.perf_counter() - started)


def batch_seconds(command: list[str], lines: Path) -> float:
    started = time.perf_counter()
    with lines.open("rb") as stream:
        subprocess.run(command, stdin=stream, stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--facts", type=int, default=2000, help="distinct fact sets (default 2000)")
    parser.add_argument("--lines", type=int, default=100_000, help="lines of the batch (default 100,000)")
    parser.add_argument("--calls", type=int, default=2_000_000, help="JS calls per timed run")
    parser.add_argument("--python-calls", type=int, default=200_000, help="Python calls per timed run")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    node = shutil.which("node")
    if node is None:
        print("benchmarks/js_check.py needs Node 20 (node on PATH)", file=sys.stderr)
        return 2
    if not (ROOT / "js" / "node_modules" / "json-logic-js").is_dir():
        print("benchmarks/js_check.py needs json-logic-js: cd js && npm ci", file=sys.stderr)
        return 2
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    with tempfile.TemporaryDirectory() as temp_name:
        temp = Path(temp_name)
        subprocess.run(
            [*PYTHON_TERMS, "build", str(ROOT / "terms"), "--no-site", "--out", str(temp / "build"), "-q"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        bundle_path = next(
            p for p in (temp / "build" / "bundle").glob("*.json.sha256") if ".rules." not in p.name
        ).with_suffix("")
        bundle = Bundle.load(bundle_path)
        facts = fact_sets(bundle, args.facts)
        (temp / "facts.json").write_text(json.dumps(facts))
        parts, default = decision_parts(bundle.data["decisions"][DECISION])
        ids = [rule["clause"] for rule in bundle.data["decisions"][DECISION]["rules"]]
        (temp / "rule.json").write_text(json.dumps(json_logic_outcome(parts, ids, default)))
        lines = temp / "batch.jsonl"
        lines.write_text("".join(json.dumps(facts[i % len(facts)]) + "\n" for i in range(args.lines)))

        node_command = [node, str(ROOT / "benchmarks" / "js_check.mjs"), "--bundle", str(bundle_path)]
        node_command += ["--facts", str(temp / "facts.json"), "--jsonlogic", str(temp / "rule.json")]
        node_command += ["--calls", str(args.calls), "--repeat", str(args.repeat)]
        python_best, node_results = 0.0, None
        python_cli, js_cli = float("inf"), float("inf")
        check = ["--bundle", str(bundle_path), "--decision", DECISION, "--format", "json", "--lines", "-"]
        python_check = [*PYTHON_TERMS, "check", *check]
        js_check = [node, str(ROOT / "js" / "bin" / "terms-check.js"), *check]
        for _ in range(2):  # in turns
            python_best = max(
                python_best, *(python_rate(bundle, facts, args.python_calls) for _ in range(args.repeat))
            )
            result = json.loads(
                subprocess.run(node_command, capture_output=True, text=True, check=True).stdout
            )
            if node_results is None:
                node_results = result
            else:
                for name, rate in result["rates"].items():
                    node_results["rates"][name] = max(node_results["rates"][name], rate)
            for _ in range(max(1, args.repeat // 2)):
                python_cli = min(python_cli, batch_seconds(python_check, lines))
                js_cli = min(js_cli, batch_seconds(js_check, lines))
        same = _outputs(python_check, lines) == _outputs(js_check, lines)
    assert node_results is not None
    rates = node_results["rates"]
    ours = rates["terms-check API (Bundle.decide)"]
    heading = f"JavaScript checker beside Python, sa-purchase, {args.facts} fact sets"
    print(f"{heading} (commit {commit.stdout.strip()})")
    print(f"One decision at a time (best of {args.repeat}, in turns):")
    print(f"  {'Python API (Bundle.decide)':34} {python_best:>12,.0f}/s")
    for name, rate in rates.items():
        agree = node_results["agreement"].get(name)
        agreement = f"  agrees on {agree}/{args.facts}" if agree is not None else ""
        print(f"  {name:34} {rate:>12,.0f}/s{agreement}")
    runs = max(1, args.repeat // 2) * 2
    print(f"A batch of {args.lines:,} JSON Lines, --format json to /dev/null (best of {runs}):")
    print(f"  {'terms check (Python)':34} {args.lines / python_cli:>12,.0f} lines/s ({python_cli:.2f} s)")
    print(f"  {'terms-check (Node)':34} {args.lines / js_cli:>12,.0f} lines/s ({js_cli:.2f} s)")
    print(f"  outputs identical: {same}")
    print("Ratios (target: the JS API at least 10x the Python API and 10x json-logic-js):")
    print(f"  JS API / Python API         {ours / python_best:6.1f}x")
    print(f"  JS API / json-logic-js      {ours / rates['json-logic-js']:6.1f}x")
    print(f"  JS API / hand-written JS    {ours / rates['hand-written JavaScript']:6.2f}x (the limit)")
    print(f"  terms-check / terms check   {python_cli / js_cli:6.1f}x (the batch)")
    return 0


def _outputs(command: list[str], lines: Path) -> bytes:
    with lines.open("rb") as stream:
        return subprocess.run(command, stdin=stream, capture_output=True, check=False).stdout


if __name__ == "__main__":
    raise SystemExit(main())
