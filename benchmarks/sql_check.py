"""`terms check --engine duckdb` on 10 million sa-purchase rows, beside the Python checker and two
hand-written SQL queries of the same rules, in one run.

    python benchmarks/sql_check.py [--rows 10000000] [--python-rows 200000] [--folder /tmp/sql-bench]

1. DuckDB writes N generated rows (typed columns: BOOLEAN, BIGINT, DATE, VARCHAR; about one in
   800 has a fact error, a program that is no enum value) to Parquet and to JSON Lines.
2. `terms check --engine duckdb` answers each file into Parquet (a subprocess each: wall time, CPU
   time and peak RSS from wait4, process start included).
3. The Python checker (`terms check FACTS.jsonl`, the batch mode) answers the first
   --python-rows lines (process start included); its rows a second is extrapolated to N.
4. In one DuckDB connection, in turns (best of 3 each), all over the Parquet file, all COPY ... TO
   Parquet: the generated query; a hand-written CASE of sa-purchase giving the outcome alone (no
   validation); and a hand-written query giving the generated query's columns (outcome, deciding
   and overridden clause ids, the problems of the rows that have one: HAND_WRITTEN_FULL). Their
   answers are checked to agree first: the outcomes of the valid rows, and every column of the
   second. Then the generated answer file is read and written again alone, to show what writing
   it costs (its two list columns cost more to write than the outcome-only query costs in all).
Printed: rows a second and per CPU-second of each; the ratio of `terms check --engine duckdb`'s
rows per CPU-second to the Python checker's; the generated query's time over each hand-written
query's. Targets (issue 15): duckdb from Parquet >= 100x the Python checker's rows per
CPU-second; the generated query within 1.5x of the hand-written one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from terms_compiler.check.bundle import Bundle
from terms_compiler.sql.compile import decision_query

ROOT = Path(__file__).resolve().parent.parent
DECISION = "sa-purchase"
ROWS_SQL = """
SELECT
    ['volume-licensing', 'oem', 'retail', 'transfer'][1 + (hash(i, 1) % 4)::INT] AS channel,
    DATE '2015-01-01' + (hash(i, 2) % 3000)::INT AS order_date,
    DATE '2015-01-01' + (hash(i, 2) % 3000)::INT - ((hash(i, 3) % 130)::INT - 10) AS license_date,
    ['applications', 'systems', 'servers'][1 + (hash(i, 4) % 3)::INT] AS pool,
    ['open-license', 'open-value', 'enterprise-agreement', 'eap', 'select', 'select-plus', 'mpsa',
     'open-licence'][1 + (hash(i, 5) % (CASE WHEN i % 100 = 7 THEN 8 ELSE 7 END))::INT] AS program,
    ['office-professional-2016', 'office-professional-2019', 'sql-server-2017', 'windows-server-2019']
        [1 + (hash(i, 6) % 4)::INT] AS product,
    hash(i, 7) % 10 < 7 AS latest_version,
    hash(i, 8) % 2 = 0 AS enterprise_product,
    hash(i, 10) % 2 = 0 AS transferor_had_sa,
    hash(i, 12) % 2 = 0 AS transitioned_online,
    hash(i, 14) % 2 = 0 AS at_anniversary_or_renewal,
    (hash(i, 15) % 12)::BIGINT - 1 AS reattach_quantity,
    (hash(i, 16) % 12)::BIGINT AS covered_at_transition
FROM range({rows}) AS t(i)
ORDER BY i
"""
"""Deterministic rows (hash of the row number), no NULLs (a JSON null is an error, not a fact
left out); program 'open-licence', no enum value, in about one row of 800, so the query's
validation has errors to find."""

RULES = """
channel = 'volume-licensing' AND order_date = license_date AS h0,
NOT latest_version AS h1,
channel = 'transfer' AND coalesce(transferor_had_sa, false)
  AND order_date - license_date BETWEEN 0 AND 30 AS h2,
channel IN ('oem', 'retail') AND pool = 'servers' AND program IN ('open-license', 'mpsa',
  'select', 'select-plus', 'open-value', 'enterprise-agreement')
  AND order_date - license_date BETWEEN 0 AND 90 AS h3,
channel IN ('oem', 'retail') AND pool = 'applications' AS h4,
channel IN ('oem', 'retail') AND program IN ('open-value', 'enterprise-agreement')
  AND enterprise_product AS h5,
channel = 'oem' AND pool = 'applications'
  AND product IN ('office-professional-2016', 'office-professional-2019')
  AND program IN ('open-license', 'select', 'select-plus', 'open-value')
  AND order_date - license_date BETWEEN 0 AND 90 AS h6,
channel = 'oem' AND pool = 'servers' AND product = 'sql-server-2017'
  AND program IN ('open-license', 'mpsa', 'select', 'select-plus', 'open-value', 'enterprise-agreement')
  AND license_date < DATE '2020-03-31' AND order_date - license_date BETWEEN 0 AND 90 AS h7,
program = 'enterprise-agreement' AND channel = 'volume-licensing'
  AND coalesce(transitioned_online, false) AND coalesce(at_anniversary_or_renewal, false)
  AND coalesce(reattach_quantity, 0) > 0
  AND coalesce(reattach_quantity, 0) <= coalesce(covered_at_transition, 0) AS h8
"""
"""Each rule of sa-purchase (terms/sections/10-sa-purchase.yaml) as a column h0..h8 whose value
is whether it applies: the one part both hand-written queries share."""

HAND_WRITTEN = f"""
SELECT n,
  CASE WHEN allowed AND denied THEN 'conflict' WHEN allowed THEN 'allowed' ELSE 'denied' END AS outcome
FROM (
  SELECT n,
    (h0 AND NOT h1) OR h2 OR (h3 AND NOT (h1 OR h5)) OR (h6 AND NOT h5) OR (h7 AND NOT h5) OR h8 AS allowed,
    (h1 AND NOT (h2 OR h6 OR h7 OR h8)) OR (h4 AND NOT h6) OR h5 AS denied
  FROM (
    SELECT n,
      {RULES}
    FROM facts
  )
)
"""
"""sa-purchase by hand (the rules of terms/sections/sa-purchase.yaml, overrides resolved by hand)."""

HAND_WRITTEN_FULL = f"""
SELECT n,
  CASE WHEN bad THEN NULL WHEN allowed AND denied THEN 'conflict' WHEN allowed THEN 'allowed' ELSE 'denied'
  END AS outcome,
  CASE WHEN NOT bad THEN list_filter([
    CASE WHEN d0 THEN 'sa-purchase.with-license' END, CASE WHEN d1 THEN 'sa-purchase.latest-version' END,
    CASE WHEN d2 THEN 'sa-purchase.transfer' END, CASE WHEN d3 THEN 'sa-purchase.oem-retail' END,
    CASE WHEN d4 THEN 'sa-purchase.oem-retail-applications' END,
    CASE WHEN d5 THEN 'sa-purchase.oem-retail-enterprise-products' END,
    CASE WHEN d6 THEN 'sa-purchase.oem-office' END, CASE WHEN d7 THEN 'sa-purchase.oem-sql-server-2017' END,
    CASE WHEN d8 THEN 'sa-purchase.ea-reattach' END], lambda c: c IS NOT NULL) END AS deciding,
  CASE WHEN NOT bad THEN list_filter([
    CASE WHEN h0 AND h1 THEN 'sa-purchase.with-license' END,
    CASE WHEN h1 AND (h2 OR h6 OR h7 OR h8) THEN 'sa-purchase.latest-version' END,
    CASE WHEN h3 AND (h1 OR h5) THEN 'sa-purchase.oem-retail' END,
    CASE WHEN h4 AND h6 THEN 'sa-purchase.oem-retail-applications' END,
    CASE WHEN h6 AND h5 THEN 'sa-purchase.oem-office' END,
    CASE WHEN h7 AND h5 THEN 'sa-purchase.oem-sql-server-2017' END],
    lambda c: c IS NOT NULL) END AS overridden,
  CASE WHEN bad THEN concat_ws('; ',
    CASE WHEN channel NOT IN ('volume-licensing', 'oem', 'retail', 'transfer') THEN
      'fact ''channel'' must be one of volume-licensing, oem, retail, transfer, found "'
      || channel || '"' END,
    CASE WHEN pool NOT IN ('applications', 'systems', 'servers') THEN
      'fact ''pool'' must be one of applications, systems, servers, found "' || pool || '"' END,
    CASE WHEN program NOT IN ('open-license', 'open-value', 'enterprise-agreement', 'eap', 'select',
      'select-plus', 'mpsa') THEN 'fact ''program'' must be one of open-license, open-value, '
      || 'enterprise-agreement, eap, select, select-plus, mpsa, found "' || program || '"' END,
    CASE WHEN channel IS NULL
      THEN 'missing fact ''channel'' (one of volume-licensing, oem, retail, transfer)' END,
    CASE WHEN enterprise_product IS NULL THEN 'missing fact ''enterprise_product'' (true or false)' END,
    CASE WHEN latest_version IS NULL THEN 'missing fact ''latest_version'' (true or false)' END,
    CASE WHEN license_date IS NULL THEN 'missing fact ''license_date'' (a date (YYYY-MM-DD))' END,
    CASE WHEN order_date IS NULL THEN 'missing fact ''order_date'' (a date (YYYY-MM-DD))' END,
    CASE WHEN pool IS NULL THEN 'missing fact ''pool'' (one of applications, systems, servers)' END,
    CASE WHEN product IS NULL THEN 'missing fact ''product'' (a text)' END,
    CASE WHEN program IS NULL THEN 'missing fact ''program'' (one of open-license, open-value, '
      || 'enterprise-agreement, eap, select, select-plus, mpsa)' END) END AS error
FROM (
  SELECT *,
    d0 OR d2 OR d3 OR d6 OR d7 OR d8 AS allowed,
    d1 OR d4 OR d5 AS denied
  FROM (
    SELECT *,
      h0 AND NOT h1 AS d0, h1 AND NOT (h2 OR h6 OR h7 OR h8) AS d1, h2 AS d2, h3 AND NOT (h1 OR h5) AS d3,
      h4 AND NOT h6 AS d4, h5 AS d5, h6 AND NOT h5 AS d6, h7 AND NOT h5 AS d7, h8 AS d8
    FROM (
      SELECT *,
        channel IS NULL OR channel NOT IN ('volume-licensing', 'oem', 'retail', 'transfer')
          OR pool IS NULL OR pool NOT IN ('applications', 'systems', 'servers')
          OR program IS NULL OR program NOT IN ('open-license', 'open-value', 'enterprise-agreement', 'eap',
            'select', 'select-plus', 'mpsa')
          OR enterprise_product IS NULL OR latest_version IS NULL OR license_date IS NULL
          OR order_date IS NULL OR product IS NULL AS bad,
        {RULES}
      FROM facts
    )
  )
)
"""
"""sa-purchase by hand with the generated query's columns, as a warehouse user who knows DuckDB
would write it: the same rules, the clause ids by list_filter, the problems by concat_ws (which
skips NULLs) for the rows that have one. It checks what a typed table can get wrong (an enum's
value, a fact left out): no date range, no text parsing."""


def build_bundle(folder: Path) -> Path:
    out = folder / "build"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "terms_compiler.cli",
            "build",
            str(ROOT / "terms"),
            "--no-site",
            "--out",
            str(out),
            "-q",
        ],
        check=True,
    )
    return out / "bundle" / "product-terms-sa.json"


LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(process.pid, 0)
cpu = usage.ru_utime + usage.ru_stime
print(time.perf_counter() - start, cpu, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""
"""Runs a command and prints its wall seconds, CPU seconds, peak RSS (KB) and exit code, from a
small process of its own: Linux starts a child's ru_maxrss at its parent's RSS when it forks,
and this script's own DuckDB holds gigabytes."""


def timed_child(command: list[str]) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in MB, exit code) of a subprocess."""
    launched = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command], capture_output=True, text=True, check=True
    )
    seconds, cpu, peak, code = launched.stdout.split()
    return float(seconds), float(cpu), int(peak) / 1024, int(code)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--python-rows", type=int, default=200_000)
    parser.add_argument(
        "--jsonl-rows", type=int, default=None, help="rows of the JSON Lines file (default: --rows)"
    )
    parser.add_argument("--folder", type=Path, default=Path("/tmp/terms-sql-bench"))
    parser.add_argument("--reuse", action="store_true", help="keep the rows of a previous run in --folder")
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    head = commit.stdout.strip()
    print(f"commit {head}; {args.rows:,} rows; {os.cpu_count()} cores; DuckDB {duckdb.__version__}")
    bundle_path = build_bundle(args.folder)
    parquet, jsonl = args.folder / "facts.parquet", args.folder / "facts.jsonl"
    sample = args.folder / "sample.jsonl"
    connection = duckdb.connect()
    start = time.perf_counter()
    jsonl_rows = args.jsonl_rows or args.rows
    if not (args.reuse and sample.exists()):
        rows = ROWS_SQL.format(rows=args.rows)
        connection.execute(f"COPY ({rows}) TO '{parquet}' (FORMAT PARQUET)")
        connection.execute(
            f"COPY (SELECT * FROM read_parquet('{parquet}') LIMIT {jsonl_rows}) TO '{jsonl}' (FORMAT JSON)"
        )
        connection.execute(
            f"COPY (SELECT * FROM read_parquet('{parquet}') LIMIT {args.python_rows}) "
            f"TO '{sample}' (FORMAT JSON)"
        )
    sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:,.0f} MB" for p in (parquet, jsonl))
    print(f"rows written in {time.perf_counter() - start:.1f} s ({sizes})")

    terms = [
        sys.executable,
        "-m",
        "terms_compiler.cli",
        "check",
        "--bundle",
        str(bundle_path),
        "--decision",
        DECISION,
    ]
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    runs = [
        ("parquet", parquet, args.rows),
        ("jsonl", jsonl, jsonl_rows),
        ("python", sample, args.python_rows),
    ]
    for name, facts, count in runs:
        engine = (
            []
            if name == "python"
            else ["--engine", "duckdb", "--out", str(args.folder / f"answers-{name}.parquet")]
        )
        seconds, cpu_seconds, peak, code = timed_child([*terms, *engine, str(facts)])
        wall[name], cpu[name] = count / seconds, count / cpu_seconds
        label = "terms check (Python)" if name == "python" else f"terms check --engine duckdb, from {name}"
        print(
            f"{label}: {count:,} rows, {seconds:.1f} s wall ({wall[name]:,.0f} rows/s), "
            f"{cpu_seconds:.1f} s CPU ({cpu[name]:,.0f} rows per CPU-second), "
            f"peak RSS {peak:,.0f} MB, exit {code}"
        )
    print(
        f"  (the Python checker on {args.rows:,} rows, extrapolated: "
        f"{args.rows / wall['python'] / 60:.0f} min)"
    )

    bundle = Bundle.load(bundle_path)
    types = {
        row[0]: str(row[1])
        for row in connection.execute(f"DESCRIBE SELECT * FROM read_parquet('{parquet}')").fetchall()
    }
    # Both queries key rows by their number in the file, as terms check --engine duckdb does.
    connection.execute(
        f"CREATE VIEW facts AS SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS n "
        f"FROM read_parquet('{parquet}', file_row_number = true)"
    )
    generated = decision_query(bundle.data, DECISION, table="facts", columns=types, key="n").sql("duckdb")
    hands = {"hand-written, outcome only": HAND_WRITTEN, "hand-written, same columns": HAND_WRITTEN_FULL}
    outcome_only, same_columns = hands
    unequal = " OR ".join(
        f"g.{c} IS DISTINCT FROM f.{c}" for c in ("outcome", "deciding", "overridden", "error")
    )
    differ = connection.execute(
        f"SELECT count(*) FILTER (WHERE g.error IS NULL AND g.outcome <> h.outcome), "
        f"count(*) FILTER (WHERE {unequal}), count(g.error) FROM ({generated}) AS g "
        f"JOIN ({HAND_WRITTEN}) AS h ON g.n = h.n JOIN ({HAND_WRITTEN_FULL}) AS f ON g.n = f.n"
    ).fetchone()
    assert differ is not None
    print(
        f"generated vs hand-written: outcomes differ on {differ[0]} valid rows; with the same columns, "
        f"{differ[1]} rows differ in any column ({differ[2]:,} rows have an error)"
    )
    sides = {"generated": generated, **hands}
    best = {name: (float("inf"), float("inf")) for name in sides}
    for _ in range(3):  # in turns, the best (wall, CPU) of 3 each
        for name, query in sides.items():
            target = args.folder / f"{name.split(',')[0]}.parquet"
            started, started_cpu = time.perf_counter(), time.process_time()
            connection.execute(f"COPY ({query}) TO '{target}' (FORMAT PARQUET)")
            took = (time.perf_counter() - started, time.process_time() - started_cpu)
            best[name] = (min(best[name][0], took[0]), min(best[name][1], took[1]))
    # What writing the answer costs by itself: the generated query's answer file, read and written.
    started_cpu = time.process_time()
    answer = args.folder / "generated.parquet"
    connection.execute(f"COPY (SELECT * FROM read_parquet('{answer}')) TO '{args.folder / 'copy.parquet'}'")
    copy_cpu = time.process_time() - started_cpu
    for name, (seconds, cpu_seconds) in best.items():
        print(
            f"{name} query in DuckDB, Parquet to Parquet: {seconds:.2f} s wall "
            f"({args.rows / seconds:,.0f} rows/s), {cpu_seconds:.2f} s CPU"
        )
    print(f"  (the generated answer file alone, read and written again: {copy_cpu:.2f} s CPU)")
    for name in ("parquet", "jsonl"):
        print(
            f"ratio duckdb ({name}) / Python checker, rows/s: {wall[name] / wall['python']:.1f}x wall, "
            f"{cpu[name] / cpu['python']:.1f}x per CPU-second (target from Parquet: >= 100x)"
        )
    generated_time = best["generated"]
    for name in (outcome_only, same_columns):
        hand_time = best[name]
        print(
            f"ratio generated / {name}, time: {generated_time[0] / hand_time[0]:.2f} wall, "
            f"{generated_time[1] / hand_time[1]:.2f} CPU (target <= 1.5)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
