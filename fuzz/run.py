"""A long fuzz run of the YAML loader, the condition parser and the bundle reader (issue 14).

    python fuzz/run.py --seconds 600            each target for 10 minutes
    python fuzz/run.py --seconds 60 parser      one target

It runs the properties and strategies of tests/test_fuzz.py (the suite runs them briefly) with
hypothesis, in batches, until the time is up. A crash (an exception the target must never raise)
is shrunk to a small input by hypothesis and reported once per signature (its type and where it
was raised); crashes already pinned in KNOWN_CRASHES are counted but not shrunk again. Prints, per
target, the inputs tried and each distinct crash with its reproducer.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisWarning

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import test_fuzz

BATCH = 500
"""Inputs per hypothesis run; the time is checked between runs and inside them."""


@dataclass
class Target:
    name: str
    strategy: st.SearchStrategy[Any]
    check: Callable[[Any, Path], object]
    shown: Callable[[Any], str]
    """The input as a reproducer, in a line or a few."""
    tried: int = 0
    crashes: dict[test_fuzz.Signature, tuple[str, str]] = field(default_factory=dict)
    """Signature -> (message, the smallest failing input found, shown)."""
    repeats: dict[test_fuzz.Signature, int] = field(default_factory=dict)


def loader_check(case: tuple[str, bytes], folder: Path) -> object:
    return test_fuzz.check_loader(*case, folder)


def parser_check(text: str, _folder: Path) -> object:
    return test_fuzz.check_parser(text)


def bundle_check(case: tuple[tuple[str, str, tuple[str, ...]], Any, Any], folder: Path) -> object:
    (text, digest, _), facts, as_of = case
    return test_fuzz.check_bundle(text, digest, facts, as_of, folder)


def bundle_shown(case: tuple[tuple[str, str, tuple[str, ...]], Any, Any]) -> str:
    (_, _, mutations), facts, as_of = case
    return f"the mini bundle with {'; '.join(mutations)}; decide(facts={facts!r}, as_of={as_of!r})"


TARGETS = {
    "loader": Target("loader", test_fuzz.loader_inputs, loader_check, lambda case: f"{case[0]}: {case[1]!r}"),
    "parser": Target("parser", test_fuzz.condition_inputs, parser_check, repr),
    "bundle": Target(
        "bundle",
        st.tuples(test_fuzz.mutated_bundle(), test_fuzz.facts_inputs, test_fuzz.as_of_inputs),
        bundle_check,
        bundle_shown,
    ),
}


def run(target: Target, seconds: float, folder: Path) -> None:
    """Run target for seconds, recording every distinct crash with its shrunk input."""
    end = time.monotonic() + seconds
    known = test_fuzz.KNOWN_CRASHES[target.name]
    failing: dict[test_fuzz.Signature, str] = {}

    @settings(
        max_examples=BATCH,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
        report_multiple_bugs=True,
    )
    @given(target.strategy)
    def fuzz(case: Any) -> None:
        if time.monotonic() > end and not failing:
            return
        target.tried += 1
        try:
            target.check(case, folder)
        except test_fuzz.Crash as crash:
            if crash.signature in target.crashes or crash.signature in known:
                target.repeats[crash.signature] = target.repeats.get(crash.signature, 0) + 1
                return
            failing[crash.signature] = target.shown(case)  # the last one is hypothesis' smallest
            raise

    while time.monotonic() < end:
        failing.clear()
        try:
            fuzz()
        except Exception as error:  # a Crash, or an ExceptionGroup of several
            for crash in _crashes(error):
                target.crashes.setdefault(crash.signature, (str(crash), failing.get(crash.signature, "?")))


def _crashes(error: BaseException) -> list[test_fuzz.Crash]:
    if isinstance(error, test_fuzz.Crash):
        return [error]
    if isinstance(error, BaseExceptionGroup):
        return [crash for inner in error.exceptions for crash in _crashes(inner)]
    raise error


def report(target: Target, seconds: float) -> str:
    known = test_fuzz.KNOWN_CRASHES[target.name]
    lines = [f"== {target.name}: {target.tried} inputs in {seconds:.0f} s, {len(target.crashes)} new crashes"]
    for signature, (message, shown) in target.crashes.items():
        lines += [
            f"  NEW {signature[0]} at {signature[1]}",
            f"    {message[:300]}",
            f"    reproducer: {shown}",
        ]
    for signature in sorted(known):
        lines.append(
            f"  known {signature[0]} at {signature[1]}: hit {target.repeats.get(signature, 0)} times"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="time per target (default 60)")
    parser.add_argument("targets", nargs="*", help=f"some of: {', '.join(TARGETS)} (default all)")
    options = parser.parse_args(argv)
    warnings.simplefilter("ignore", HypothesisWarning)  # the repr of a bundle is large: it is not shown
    unknown = set(options.targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    failed = False
    with tempfile.TemporaryDirectory(prefix="fuzz-") as scratch:
        for name in options.targets or TARGETS:
            target = TARGETS[name]
            started = time.monotonic()
            folder = Path(scratch) / name
            folder.mkdir()
            run(target, options.seconds, folder)
            print(report(target, time.monotonic() - started), flush=True)
            failed = failed or bool(target.crashes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
