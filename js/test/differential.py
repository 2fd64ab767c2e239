"""Fact sets for the JavaScript checker's differential test, answered by the Python checker.

    python js/test/differential.py --out /tmp/js-diff [--count 100000] [--synthetic-clauses 2000]

builds the shipped corpus (terms/) and the synthetic corpus of benchmarks/gen_corpus.py with
`terms build --no-site`, then, for every decision of each bundle, generates fact sets aimed at its
rules' boundaries and writes each with the Python checker's answer to `<bundle>.cases.jsonl`, one
case a line:

    {"decision": ..., "facts": "<the fact set as JSON text>", "as_of": null | "...",
     "outcome": ..., "deciding": [...], "overridden": [...]}          an answer
    {"decision": ..., "facts": ..., "as_of": ..., "errors": [...]}    the FactError's problems

and, on every sixteenth answer (250th in the synthetic corpus), "language" and "reasons" (the
explanation in one of the bundle's languages, rotating). It prints a JSON object naming the
bundles and case files.

How fact sets are made, per decision (docs/semantics.md is the contract under test):
  - every fact from a pool: each enum value, both bools, every int constant of the rules and its
    neighbours (and 0, 1, -1), every date constant and effective date and the days beside them,
    and random values;
  - then a rule is made to hold, or to fail by one part: each comparison of ints or dates is
    solved for one of its facts so that its two sides differ by -1, 0 or +1 (the boundary, for a
    date compared with `days(a, b) <= 90` as for `order_date <= sa_end_date`), membership picks an
    option or a value outside them, and a second rule is made to hold now and then (overrides,
    conflicts);
  - the as-of date is put at and beside the effective dates of the rules;
  - one case in eight is spoilt: a fact missing, unknown (a near miss of a real name, or not), of
    the wrong type (a float for an int, a number for a date, a date that is no date, an enum value
    misspelt), null, a list, an object, an int beyond 2^53, a date pushed past 9999 by arithmetic.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from terms_compiler.check.bundle import Bundle, FactError
from terms_compiler.check.rules import (
    Arithmetic,
    BoolOp,
    Compare,
    Const,
    Days,
    Expr,
    Fact,
    Membership,
    Not,
    Param,
    Rule,
    constant_value,
    read_rule,
    type_of,
    walk,
)

ROOT = Path(__file__).resolve().parents[2]
REASONS_EVERY = 16
SYNTHETIC_REASONS_EVERY = 250
"""The synthetic decisions have hundreds of rules, so hundreds of reasons an answer."""
SPOILT_ONE_IN = 8
PATTERN_EDGES = ["AA", "ZZ", "NO", "RU", "US", "ru", "Ru", "R", "RUS", "", "RU\n", "RU\r", "R\u2028", "RÜ", "@A", "[Z", "R1"]
"""Values of a string fact with a pattern (the shipped one is [A-Z]{2}): matching ones, and ones
one step outside (a case, a length, a line end, a character beside the range)."""
FAR_PAST, FAR_FUTURE = dt.date.min.toordinal(), dt.date.max.toordinal()
TARGETS = {  # (op, holds) -> the differences left - right that give it, at the boundary
    ("<=", True): (0, -1),
    ("<=", False): (1,),
    ("<", True): (-1,),
    ("<", False): (0, 1),
    (">=", True): (0, 1),
    (">=", False): (-1,),
    (">", True): (1,),
    (">", False): (0, -1),
    ("==", True): (0,),
    ("==", False): (-1, 1),
    ("!=", True): (-1, 1),
    ("!=", False): (0,),
}


def linear(node: Expr) -> tuple[dict[str, int], int] | None:
    """node as sum(coefficient * fact) + constant, dates as ordinals; None if it is not one."""
    match node:
        case Fact(name=name, type=type_) if type_ in ("int", "date"):
            return {name: 1}, 0
        case Param() | Const() if node.type in ("int", "date"):
            value = constant_value(node)
            return ({}, value) if isinstance(value, int) else None
        case Days(start=start, end=end):
            return _combine(linear(end), linear(start), -1)
        case Arithmetic(op=op, left=left, right=right):
            return _combine(linear(left), linear(right), 1 if op == "+" else -1)
    return None


def _combine(
    left: tuple[dict[str, int], int] | None, right: tuple[dict[str, int], int] | None, sign: int
) -> tuple[dict[str, int], int] | None:
    if left is None or right is None:
        return None
    coefficients = dict(left[0])
    for name, coefficient in right[0].items():
        coefficients[name] = coefficients.get(name, 0) + sign * coefficient
    return coefficients, left[1] + sign * right[1]


class Generator:
    """Fact sets for one decision, aimed at its rules' boundaries."""

    def __init__(self, decision_id: str, spec: dict[str, Any], rng: random.Random) -> None:
        self.id = decision_id
        self.facts: dict[str, dict[str, Any]] = spec["facts"]
        self.as_of_fact: str | None = spec["as_of"]
        self.rules: list[Rule] = [read_rule(rule) for rule in spec["rules"]]
        self.rng = rng
        self.comparisons = [
            node
            for rule in self.rules
            for node in walk(rule.when)
            if isinstance(node, Compare) and type_of(node.left) in ("int", "date")
        ]
        self.pools = {name: self._pool(name, fact) for name, fact in self.facts.items()}
        self.windows = sorted(
            {
                day + delta
                for rule in self.rules
                for day in (rule.start, rule.end)
                if day
                for delta in (-1, 0, 1)
            }
        )

    def _pool(self, name: str, fact: dict[str, Any]) -> list[Any]:
        type_ = fact["type"]
        nodes = [node for rule in self.rules for node in walk(rule.when)]
        if type_ == "enum":
            return list(fact["values"])
        if type_ == "bool":
            return [True, False]
        if type_ == "string":
            texts = {n.value for n in nodes if isinstance(n, Param | Const) and n.type == "string"}
            if "pattern" in fact:  # matching texts, and texts just outside the pattern
                return [*sorted(texts), *PATTERN_EDGES]
            return [*sorted(texts), "", "x", "RU ", "ru", "p-0", "office-professional-2019", "é—ü"]
        if type_ == "int":
            ints = {n.value for n in nodes if isinstance(n, Param | Const) and n.type == "int"}
            near = {value + delta for value in ints for delta in (-1, 0, 1)}
            return sorted(near | {0, 1, -1, 2, 5, 100})
        days = {constant_value(n) for n in nodes if isinstance(n, Param | Const) and n.type == "date"}
        days |= {day for rule in self.rules for day in (rule.start, rule.end) if day}
        near = {day + delta for day in days for delta in (-1, 0, 1)}
        return sorted(near | {dt.date(2024, 3, 1).toordinal(), dt.date(2019, 12, 31).toordinal()})

    def random_value(self, name: str) -> Any:
        fact, rng = self.facts[name], self.rng
        if fact["type"] == "date" and rng.random() < 0.3:
            return rng.randint(dt.date(1995, 1, 1).toordinal(), dt.date(2030, 12, 31).toordinal())
        if fact["type"] == "int" and rng.random() < 0.2:
            return rng.randint(-3000, 3000)
        return rng.choice(self.pools[name])

    def case(self) -> tuple[dict[str, Any], str | None]:
        """A fact set (JSON values) and the as-of date to pass (None: the decision's own)."""
        rng = self.rng
        values = {name: self.random_value(name) for name in self.facts}
        if self.rules:
            for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
                rule = rng.choice(self.rules)
                self.make(rule.when, rng.random() < 0.75, values)
        if self.comparisons and rng.random() < 0.5:
            node = rng.choice(self.comparisons)
            self.make(node, rng.random() < 0.5, values)
        as_of = None
        if self.windows and rng.random() < 0.4:
            day = rng.choice(self.windows)
            if self.as_of_fact is not None and rng.random() < 0.8:
                values[self.as_of_fact] = day
            else:
                as_of = dt.date.fromordinal(day).isoformat()
        # A decision without an as-of fact is asked as of a date nearly always (today otherwise).
        share = 0.98 if self.as_of_fact is None else 0.05
        if as_of is None and rng.random() < share:
            as_of = dt.date.fromordinal(rng.choice(self.pools_of_dates())).isoformat()
        facts = {name: self.json_value(name, value) for name, value in values.items()}
        for name, fact in self.facts.items():
            if "default" in fact and rng.random() < 0.3:
                del facts[name]
        return facts, as_of

    def pools_of_dates(self) -> list[int]:
        return self.windows or [dt.date(2024, 6, 1).toordinal(), dt.date(2019, 1, 1).toordinal()]

    def json_value(self, name: str, value: Any) -> Any:
        if self.facts[name]["type"] != "date":
            return value
        if FAR_PAST <= value <= FAR_FUTURE:
            return dt.date.fromordinal(value).isoformat()
        return "9999-12-31" if value > FAR_FUTURE else "0001-01-01"

    def make(self, node: Expr, holds: bool, values: dict[str, Any]) -> None:
        """Set facts so that node is `holds` (as far as one pass can), at a boundary where it has one."""
        rng = self.rng
        match node:
            case BoolOp(op=op, args=args):
                if (op == "and") == holds:
                    for arg in args:
                        self.make(arg, holds, values)
                else:
                    self.make(rng.choice(args), holds, values)
            case Not(arg=arg):
                self.make(arg, not holds, values)
            case Fact(name=name):
                values[name] = holds
            case Membership(value=Fact(name=name), options=options):
                chosen = [constant_value(o) for o in options if isinstance(o, Param | Const)]
                if holds and chosen:
                    values[name] = rng.choice(chosen)
                elif not holds:
                    others = [v for v in self.pools[name] if v not in chosen]
                    if others:
                        values[name] = rng.choice(others)
            case Compare(op=op, left=left, right=right):
                self.compare(op, left, right, holds, values)

    def compare(self, op: str, left: Expr, right: Expr, holds: bool, values: dict[str, Any]) -> None:
        rng = self.rng
        form_left, form_right = linear(left), linear(right)
        if form_left is not None and form_right is not None:
            coefficients, constant = _combine(form_left, form_right, -1)  # type: ignore[misc]
            free = [name for name, c in coefficients.items() if c in (1, -1)]
            if not free:
                return
            name = rng.choice(free)
            target = rng.choice(TARGETS[(op, holds)])
            rest = constant + sum(c * values[n] for n, c in coefficients.items() if n != name)
            value = (target - rest) * coefficients[name]
            if self.facts[name]["type"] != "date" or FAR_PAST <= value <= FAR_FUTURE:
                values[name] = value
            return
        if isinstance(left, Fact) and op in ("==", "!="):
            wanted = (op == "==") == holds
            if isinstance(right, Param | Const):
                if wanted:
                    values[left.name] = constant_value(right)
                else:
                    values[left.name] = rng.choice(self.pools[left.name])
            elif isinstance(right, Fact):
                if wanted:
                    values[left.name] = values[right.name]
                else:
                    values[left.name] = rng.choice(self.pools[left.name])

    def spoil(self, facts: dict[str, Any]) -> str | None:
        """Make the fact set invalid in one or more ways; may also return an as-of date to pass."""
        rng = self.rng
        names = list(self.facts)
        as_of = None
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            kind = rng.randrange(12)
            name = rng.choice(names)
            type_ = self.facts[name]["type"]
            if kind == 0:
                facts.pop(name, None)
            elif kind == 1:
                near = list(name)
                near[rng.randrange(len(near))] = rng.choice("aeiouxz_")
                facts["".join(near)] = True
            elif kind == 2:
                unknown = ["colour", "x" * rng.randint(1, 250), "1", "programme", "__proto__", "toString"]
                facts[rng.choice(unknown)] = 1
            elif kind == 3:
                facts[name] = None
            elif kind == 4:
                facts[name] = rng.choice([1.0, 1.5, -0.0, 1e16, 1e-7, float("nan"), float("inf")])
            elif kind == 5:
                facts[name] = rng.choice([[], [1], {}, {"a": 1}])
            elif kind == 6:
                no_dates = ["2023-02-29", "2024-13-01", "2024-1-01", "20240101", "0000-01-01", "2024-06-01\n"]
                facts[name] = rng.choice(no_dates)
            elif kind == 7:
                facts[name] = rng.choice([True, False, 0, 2**60, -(2**70), "", "open-licence", "Select"])
            elif kind == 8 and type_ == "int":
                facts[name] = rng.choice([2**53 + 1, -(2**53) - 1, 2**41, -(2**41), 10**30])
            elif kind == 9 and type_ == "date":
                facts[name] = rng.choice(["9999-12-31", "0001-01-01", "9999-10-03", "0001-03-30"])
            elif kind == 10:
                as_of = rng.choice(["2024-02-30", "today", "", "2024-06-01"])
            else:
                facts[name + "_"] = "x"
        return as_of

    def cases(self, count: int) -> Iterator[tuple[dict[str, Any], str | None]]:
        for _ in range(count):
            facts, as_of = self.case()
            if self.rng.randrange(SPOILT_ONE_IN) == 0:
                as_of = self.spoil(facts) or as_of
            yield facts, as_of


def write_cases(bundle_path: Path, out: Path, count: int, seed: int, reasons_every: int) -> int:
    """Generate `count` cases per decision of the bundle, answer them, write them; the number written."""
    bundle = Bundle.load(bundle_path)
    languages = bundle.data["languages"]
    written = 0
    with out.open("w", encoding="utf-8") as stream:
        for index, (decision_id, spec) in enumerate(bundle.data["decisions"].items()):
            generator = Generator(decision_id, spec, random.Random(seed * 1000 + index))
            decision = bundle.decision(decision_id)
            for number, (facts, as_of) in enumerate(generator.cases(count)):
                record: dict[str, Any] = {"decision": decision_id, "facts": json.dumps(facts), "as_of": as_of}
                try:
                    answer = decision.decide(json.loads(record["facts"]), as_of)
                except FactError as error:
                    record["errors"] = error.problems
                else:
                    record.update(
                        outcome=answer.outcome, deciding=answer.deciding, overridden=answer.overridden
                    )
                    if number % reasons_every == 0:
                        language = languages[(number // reasons_every) % len(languages)]
                        record.update(language=language, reasons=bundle.explain_json(answer, language))
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
                written += 1
    return written


def build(corpus: Path, out: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "terms_compiler.cli",
            "build",
            str(corpus),
            "--no-site",
            "--out",
            str(out),
            "-q",
        ],
        check=True,
        stdout=sys.stderr,  # its warnings: standard output is the manifest
    )
    # The bundle, not a decision's rules file (docs/rules-files.md).
    return next(p for p in (out / "bundle").glob("*.json.sha256") if ".rules." not in p.name).with_suffix("")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the bundles and the cases")
    parser.add_argument(
        "--count", type=int, default=100_000, help="fact sets per decision of the shipped corpus"
    )
    parser.add_argument(
        "--synthetic-clauses", type=int, default=2000, help="clauses of the synthetic corpus (0: none)"
    )
    parser.add_argument("--synthetic-count", type=int, default=10_000, help="fact sets per decision of it")
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    shipped = build(ROOT / "terms", args.out / "shipped")
    result = {"shipped": {"bundle": str(shipped), "cases": str(args.out / "shipped.cases.jsonl")}}
    result["shipped"]["count"] = write_cases(
        shipped, args.out / "shipped.cases.jsonl", args.count, args.seed, REASONS_EVERY
    )
    if args.synthetic_clauses:
        corpus = args.out / "synthetic-corpus"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "gen_corpus.py"),
                "--clauses",
                str(args.synthetic_clauses),
                "--languages",
                "2",
                "--out",
                str(corpus),
                "--no-check",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        synthetic = build(corpus, args.out / "synthetic")
        cases = args.out / "synthetic.cases.jsonl"
        count = write_cases(synthetic, cases, args.synthetic_count, args.seed + 1, SYNTHETIC_REASONS_EVERY)
        result["synthetic"] = {"bundle": str(synthetic), "cases": str(cases), "count": count}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
