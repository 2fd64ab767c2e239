"""`terms check --engine duckdb FACTS --out RESULTS`: the decision's query, run embedded in DuckDB.

FACTS and RESULTS are Parquet, CSV or JSON Lines, by extension. The input is streamed, never
loaded whole: Parquet is scanned by DuckDB (a row's key is its number, from 1); CSV and JSON
Lines are cut into batches by pyarrow's streaming CSV reader, which numbers every row or line
(blank lines counted, as the Python checker counts them) and hands DuckDB Arrow batches. DuckDB
writes the answers with COPY (query) TO, in the input's order (preserve_insertion_order), so
memory stays bounded by its own limit whatever the file's size.

- Parquet and CSV are tables, one column per fact (compile.TableFact: a cell is read by its
  text, an empty CSV cell or a NULL is a fact left out); key column `row`.
- JSON Lines keeps JSON's types (compile.JsonFact): null is not missing and "12" is no whole
  number, as in the Python checker; key column `line`.
The answer's columns: the key, outcome, deciding, overridden, error (the problems joined by `; `).
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterator
from typing import Any

FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
BATCH_BYTES = 8 << 20
"""Bytes of text pyarrow reads a batch (CSV and JSON Lines)."""
JSON_ROW = "_facts"
LINE = "_line"


class RunError(Exception):
    """The files cannot be read or written; the message names the file and the problem."""


def format_of(path: str) -> str:
    for suffix, name in FORMATS.items():
        if path.lower().endswith(suffix):
            return name
    raise RunError(f"{path}: cannot tell its format: name it .parquet, .csv or .jsonl")


def check_file(
    bundle: Any,
    decision_id: str,
    facts: str,
    out: str,
    as_of: str | None = None,
    progress: bool | None = None,
    memory_limit: str | None = None,
) -> tuple[int, int]:
    """Answer every row of facts into out; (rows answered, rows with an error or a conflict)."""
    import duckdb

    from terms_compiler.sql.compile import decision_query

    source_format, out_format = format_of(facts), format_of(out)
    if not os.path.isfile(facts):
        raise RunError(f"{facts}: no such file")
    con = duckdb.connect(config={"preserve_insertion_order": True})
    try:
        if memory_limit:
            con.execute("SET memory_limit = ?", [memory_limit])
        show = sys.stderr.isatty() if progress is None else progress
        con.execute(f"SET enable_progress_bar = {'true' if show else 'false'}")
        declared = list(bundle.data["decisions"][decision_id]["facts"])
        if source_format == "parquet":
            # file_row_number counts from 0; the key counts rows from 1, as lines are counted.
            con.execute(
                f"CREATE TEMP VIEW facts_input AS SELECT * EXCLUDE (file_row_number), "
                f"file_row_number + 1 AS {LINE} FROM read_parquet('{_quoted(facts)}', file_row_number = true)"
            )
            described = con.sql("DESCRIBE facts_input").fetchall()
            types = {row[0]: str(row[1]) for row in described if row[0] != LINE}
            tree = decision_query(
                bundle.data,
                decision_id,
                table="facts_input",
                columns=types,
                key=LINE,
                key_name="row",
                as_of=as_of,
            )
        else:
            reader = _arrow_batches(facts, source_format)
            con.register("facts_input", reader)
            if source_format == "csv":
                names = [name for name in reader.schema.names if name != LINE]
                tree = decision_query(
                    bundle.data,
                    decision_id,
                    table="facts_input",
                    columns={name: None for name in names},
                    key=LINE,
                    key_name="row",
                    as_of=as_of,
                )
            else:
                wording = _unknown_fact_wording(con, declared)
                con.unregister("facts_input")  # read once for its keys: read it again
                con.register("facts_input", _arrow_batches(facts, source_format))
                tree = decision_query(
                    bundle.data,
                    decision_id,
                    table=json_lines("facts_input"),
                    key=LINE,
                    key_name="line",
                    as_of=as_of,
                    json_column=JSON_ROW,
                    unknown_fact=wording,
                )
        query = tree.sql(dialect="duckdb")
        options = {"parquet": "FORMAT parquet", "csv": "FORMAT csv, HEADER true", "jsonl": "FORMAT json"}
        temporary = out + ".part"
        con.execute(f"COPY ({query}) TO '{_quoted(temporary)}' ({options[out_format]})")
        readers = {"parquet": "read_parquet", "csv": "read_csv", "jsonl": "read_json"}
        counted = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE error IS NOT NULL OR outcome = 'conflict') "
            f"FROM {readers[out_format]}(?)",
            [temporary],
        ).fetchone()
        os.replace(temporary, out)  # a whole answer or none: never a half-written RESULTS
    except (duckdb.Error, ValueError) as error:  # pyarrow's ArrowInvalid is a ValueError
        if "invalid UTF8" in str(error):  # pyarrow's words name its CSV reader, which reads lines too
            raise RunError(f"{facts}: not valid UTF-8 (the whole file is read as UTF-8 text)") from None
        raise RunError(f"{facts}: {error}") from None
    finally:
        con.close()
        if os.path.exists(out + ".part"):
            os.remove(out + ".part")
    assert counted is not None
    return int(counted[0]), int(counted[1])


HINTS = 1000
"""Most names that are no fact the query words itself; beyond, a Python function words them."""


def _unknown_fact_wording(con: Any, declared: list[str]) -> Any:
    """How the query words a key that is no fact, found by a first pass over the keys of the
    file: a CASE of the names met (SQL has no difflib for the "did you mean" hint), or, past
    HINTS of them, a Python function (called per key of a row with a problem: slower)."""
    from sqlglot import exp

    from terms_compiler.sql.compile import unknown_problem

    keys = exp.Anonymous(this="json_keys", expressions=[exp.column(JSON_ROW)])
    scan = exp.select(exp.Anonymous(this="unnest", expressions=[keys])).distinct()
    met = [
        row[0] for row in con.execute(scan.from_(json_lines("facts_input")).sql(dialect="duckdb")).fetchall()
    ]
    unknown = sorted(name for name in met if name not in declared)
    if len(unknown) > HINTS:
        register_unknown_fact(con, declared)
        return unknown_fact

    def wording(name: Any) -> Any:
        if not unknown:  # no key of the file is unknown: a CASE without a WHEN is no SQL
            return exp.Literal.string("unknown fact")
        case = exp.Case()
        for other in unknown:
            case = case.when(
                exp.EQ(this=name, expression=exp.Literal.string(other)),
                exp.Literal.string(unknown_problem(other, declared)),
            )
        return case.else_(exp.Literal.string("unknown fact"))

    return wording


def register_unknown_fact(con: Any, declared: list[str]) -> None:
    """terms_unknown_fact(NAME): the problem of a key that is no fact, with the Python checker's
    "did you mean" hint (difflib: no SQL function ranks names alike). Called only for such keys."""
    import pyarrow as pa  # type: ignore[import-untyped]

    from terms_compiler.sql.compile import unknown_problem

    known: dict[str, str] = {}

    def problems(names: Any) -> Any:  # a whole vector a call (arrow), each name worded once
        texts = []
        for name in names.to_pylist():
            if name not in known:
                known[name] = unknown_problem(name, declared)
            texts.append(known[name])
        return pa.array(texts, pa.string())

    con.create_function(
        "terms_unknown_fact", problems, ["VARCHAR"], "VARCHAR", type="arrow", side_effects=False
    )


def unknown_fact(name: Any) -> Any:
    from sqlglot import exp

    return exp.Anonymous(this="terms_unknown_fact", expressions=[name])


def json_lines(table: str, *extra: str) -> Any:
    """The lines of `table` (columns LINE and the text `j`) that are not blank, each as a JSON value
    in JSON_ROW (NULL when the line is not JSON), with the `extra` columns."""
    from sqlglot import exp

    text = exp.column("j")
    parsed = exp.Case().when(exp.func("json_valid", text), exp.cast(text, "JSON"))
    blank = exp.Anonymous(
        this="regexp_full_match",
        expressions=[exp.func("COALESCE", text, exp.Literal.string("")), exp.Literal.string(r"\s*")],
    )
    lines = exp.select(exp.column(LINE), exp.alias_(parsed, JSON_ROW), *(exp.column(c) for c in extra))
    return lines.from_(table).where(exp.not_(blank)).subquery("lines")


def _quoted(path: str) -> str:
    """A path as a SQL string's content (COPY TO takes no parameter)."""
    return path.replace("'", "''")


def _arrow_batches(path: str, source_format: str) -> Any:
    """A pyarrow RecordBatchReader over the file, each batch with its rows' numbers in LINE:
    for JSON Lines one text column `j`, a line a row (blank lines kept, to be counted); for CSV
    its header's columns as texts, an empty cell NULL."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    if source_format == "jsonl":
        read = pa_csv.ReadOptions(column_names=["j"], block_size=BATCH_BYTES)
        parse = pa_csv.ParseOptions(
            delimiter="\x1f",
            quote_char=False,
            escape_char=False,
            double_quote=False,
            ignore_empty_lines=False,
        )
        convert = pa_csv.ConvertOptions(column_types={"j": pa.string()}, strings_can_be_null=False)
    else:
        with open(path, encoding="utf-8", newline="") as stream:
            header = next(csv.reader(stream), [])
        if not header:
            raise RunError(f"{path}: the CSV file has no header line")
        if LINE in header:
            raise RunError(f"{path}: a column may not be named {LINE}")
        read = pa_csv.ReadOptions(block_size=BATCH_BYTES)
        parse = pa_csv.ParseOptions()
        convert = pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in header}, strings_can_be_null=True
        )
    stream = pa_csv.open_csv(path, read_options=read, parse_options=parse, convert_options=convert)
    schema = stream.schema.append(pa.field(LINE, pa.int64()))

    def batches() -> Iterator[Any]:
        first = 1
        for batch in stream:
            numbers = pa.array(range(first, first + batch.num_rows), pa.int64())
            first += batch.num_rows
            yield pa.RecordBatch.from_arrays([*batch.columns, numbers], schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


EXTRA = "pip install 'terms-compiler[duckdb]'"


def run_engine(bundle: Any, args: Any) -> int:
    """`terms check --engine duckdb FACTS --out RESULTS`: the batch mode's exit codes (0 every row
    answered; 1 some row has an error or a conflict; 2 usage), a summary on standard error."""
    if args.engine != "duckdb" or args.out is None:
        problem = (
            "--out needs --engine duckdb" if args.out is not None else "--engine duckdb needs --out RESULTS"
        )
        print(f"terms check: {problem}", file=sys.stderr)
        return 2
    try:
        import duckdb  # noqa: F401  (here to say which extra is missing, before anything is read)
        import pyarrow  # noqa: F401
        import sqlglot  # noqa: F401
    except ModuleNotFoundError as error:
        print(
            f"terms check: --engine duckdb needs the 'duckdb' extra (no module '{error.name}'): {EXTRA}",
            file=sys.stderr,
        )
        return 2
    from terms_compiler.sql.compile import SqlError

    try:
        rows, failed = check_file(bundle, args.decision, args.facts, args.out, args.as_of)
    except (RunError, SqlError) as error:
        print(f"terms check: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"terms check: {error.filename or args.out}: {error.strerror}", file=sys.stderr)
        return 2
    print(
        f"terms check: {rows} rows answered into {args.out}; {failed} with an error or a conflict",
        file=sys.stderr,
    )
    return 1 if failed else 0
