"""The `terms sql` command: print one decision of a bundle as one SQL query, in a dialect."""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_USAGE = 0, 2


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
