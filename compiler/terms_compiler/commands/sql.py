"""The `terms sql` command: print one decision of a bundle as one SQL query, in a dialect."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

EXIT_OK, EXIT_USAGE = 0, 2


def add_sql_parser(commands: Any, add_trust_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """The command's options, on the `terms` parser's commands."""
    sql = commands.add_parser(
        "sql",
        description="Print DECISION as one SQL query over a table with a column per fact: per row "
        "its key, outcome, deciding and overridden clause ids, and an error when its facts do not fit "
        "(docs/semantics.md, 'SQL'). Needs the 'duckdb' extra (sqlglot).",
        epilog="example: terms sql --bundle build/bundle/product-terms-sa.json --decision sa-purchase "
        "--dialect spark --table orders --key order_id",
    )
    sql.add_argument("--bundle", required=True, help="the bundle JSON file")
    sql.add_argument("--digest", default=None, help="its SHA-256 file (default: BUNDLE.sha256)")
    sql.add_argument("--decision", required=True, help="decision id, e.g. sa-purchase")
    sql.add_argument(
        "--dialect", choices=("duckdb", "spark", "trino", "postgres", "snowflake"), default="duckdb"
    )
    sql.add_argument("--table", default="facts", help="the table of facts (default: facts)")
    sql.add_argument(
        "--key", default=None, metavar="COLUMN", help="the column naming each row (default: ROW_NUMBER())"
    )
    as_of = sql.add_mutually_exclusive_group()
    as_of.add_argument("--as-of", default=None, metavar="DATE", help="answer every row as of this date")
    as_of.add_argument(
        "--as-of-column", default=None, metavar="COLUMN", help="answer each row as of this column's date"
    )
    sql.add_argument(
        "--columns",
        default=None,
        metavar="A,B,...",
        help="the table's fact columns in order (default: the decision's facts); another column "
        "holding a value is an unknown fact",
    )
    add_trust_option(sql)


def run_sql(args: argparse.Namespace) -> int:
    """terms sql --bundle B --decision D [--dialect] [--table] [--key] [--as-of | --as-of-column]."""
    from terms_compiler.check.bundle import Bundle, BundleError, UnknownDecision

    try:
        from terms_compiler.sql.compile import SqlError, decision_query, query_text
    except ModuleNotFoundError as error:
        print(
            f"terms sql: needs the 'duckdb' extra (no module '{error.name}'): "
            "pip install 'terms-compiler[duckdb]'",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        bundle = Bundle.load(args.bundle, args.digest, args.trust)
        bundle.decision(args.decision)  # refuses an unknown decision or a malformed one
    except BundleError as error:
        print(f"terms sql: {error}", file=sys.stderr)
        return EXIT_USAGE
    except UnknownDecision as error:
        print(f"terms sql: {error.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    columns = None
    if args.columns is not None:
        names = [name.strip() for name in args.columns.split(",") if name.strip()]
        columns = dict.fromkeys(names)
    try:
        tree = decision_query(
            bundle.data,
            args.decision,
            table=args.table,
            columns=columns,
            key=args.key,
            as_of=args.as_of,
            as_of_column=args.as_of_column,
        )
    except SqlError as error:
        print(f"terms sql: {error}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(query_text(tree, args.dialect) + ";\n")
    return EXIT_OK
