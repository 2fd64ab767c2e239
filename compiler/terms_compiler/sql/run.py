"""`terms check --engine duckdb FACTS --out RESULTS`: the decision's query, run embedded in DuckDB.

FACTS and RESULTS are Parquet, CSV or JSON Lines, by extension. The input is streamed, never
loaded whole: Parquet is scanned by DuckDB (a row's key is its number, from 1); CSV and JSON
Lines are cut into batches by pyarrow's streaming CSV reader, which numbers every row or line
(blank lines counted, as the Python checker counts them) and hands DuckDB Arrow batches. DuckDB
writes the answers with COPY (query) TO, in the input's order (preserve_insertion_order), so
memory stays bounded by its own limit (--memory-limit; DuckDB's default is 80% of the machine's
memory) whatever the file's size: the answers computed ahead of the writer wait there, and
beyond it on disk.

- Parquet and CSV are tables, one column per fact (compile.TableFact: a cell is read by its
  text, an empty CSV cell or a NULL is a fact left out); key column `row`.
- JSON Lines keeps JSON's types (compile.JsonFact): null is not missing and "12" is no whole
  number, as in the Python checker; key column `line`. Each line is read as json.loads reads it
  (json_lines): DuckDB reads nearly all, Python the few DuckDB may read otherwise (duplicate
  keys, a comma before a closing bracket, a line it cannot read), a line that is not UTF-8 or
  not JSON getting the batch mode's own problem, the parser's words included.
The answer's columns: the key, outcome, deciding, overridden, error (the problems joined by `; `).
"""

from __future__ import annotations

import csv
import itertools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
BATCH_BYTES = 8 << 20
"""Bytes of text pyarrow reads a batch (CSV and JSON Lines)."""
JSON_ROW = "_facts"
PROBLEM = "_problem"
"""json_lines' column: the problem of a line that has no JSON value (NULL in JSON_ROW)."""
JSON_VALUES = "_values"
"""json_lines' column: the facts' JSON values (NULL: left out), in the order of the facts given."""
LINE = "_line"
ENDED = "_ended"
"""A JSON Lines batch's column: the line ended with a line end (json.loads' words count it)."""
LineProblem = Callable[[str | None], str | None]
"""The batch mode's problem of a line that is no JSON value (None: a line that is not UTF-8),
None when json.loads reads it (commands/check.py's line_problem)."""


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
    line_problem: LineProblem,
    as_of: str | None = None,
    progress: bool | None = None,
    memory_limit: str | None = None,
) -> tuple[int, int]:
    """Answer every row of facts into out; (rows answered, rows with an error or a conflict).
    line_problem: how a JSON Lines file's line that is no JSON value is worded."""
    import duckdb

    from terms_compiler.sql.compile import decision_query

    source_format, out_format = format_of(facts), format_of(out)
    if not os.path.isfile(facts):
        raise RunError(f"{facts}: no such file")
    con = duckdb.connect(config={"preserve_insertion_order": True})
    try:
        if memory_limit:
            try:
                con.execute("SET memory_limit = ?", [memory_limit])
            except duckdb.Error as error:  # the option's fault, not the file's
                raise RunError(f"--memory-limit {memory_limit}: {str(error).split(': ', 1)[-1]}") from None
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
                register_json_reading(con, line_problem)
                wording = _unknown_fact_wording(con, declared)
                con.unregister("facts_input")  # read once for its keys: read it again
                con.register("facts_input", _arrow_batches(facts, source_format))
                tree = decision_query(
                    bundle.data,
                    decision_id,
                    table=json_lines("facts_input", declared, line_end=ENDED),
                    key=LINE,
                    key_name="line",
                    as_of=as_of,
                    json_column=JSON_ROW,
                    json_problem=PROBLEM,
                    json_values=JSON_VALUES,
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
        # pyarrow's words (its CSV reader), or the header's, read by Python.
        if isinstance(error, UnicodeDecodeError) or "invalid UTF8" in str(error):
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
        row[0] for row in con.execute(scan.from_(json_values("facts_input")).sql(dialect="duckdb")).fetchall()
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


WHITE_SPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\pZ]"
"""The characters Python's str.isspace() holds white space, in RE2: a line of them alone is blank
to the batch mode (str.strip()), which counts it and answers nothing for it."""


def json_values(table: str) -> Any:
    """The lines of `table` that are not blank, each as DuckDB reads it in JSON_ROW (NULL when
    it cannot): enough to list the keys of a file (of a line Python reads otherwise, the
    keys are the same, or it is no JSON to Python)."""
    from sqlglot import exp

    lines = _lines(table, [], None)
    return exp.select(exp.column(LINE), exp.alias_(exp.column("_p"), JSON_ROW)).from_(lines).subquery("lines")


def json_lines(table: str, facts: Sequence[str], *extra: str, line_end: str | None = None) -> Any:
    """The lines of `table` that are not blank (columns LINE and the text `j`, NULL for a line
    that is not UTF-8), each as the JSON value json.loads reads in JSON_ROW, or NULL and its
    problem in PROBLEM, with the `extra` columns. line_end: a column saying the line ended with a
    line end, which json.loads' words count (default: every line did). JSON_VALUES holds the
    facts' values, in their order, for decision_query's json_values.

    DuckDB reads a line itself unless it may read it otherwise than json.loads: a line it cannot
    read; a comma before a closing bracket (DuckDB accepts it); keys that are not the `facts`
    given, one each (duplicate keys: DuckDB keeps the first, Python the last; telling duplicates
    from unknown keys costs more than reading both again, and a row with either is rare). Those
    are read again by terms_json_read and worded by terms_json_problem (register_json_reading),
    in Python."""
    from sqlglot import exp

    from terms_compiler.sql.facts import fn, lit

    text, parsed, ended, py = exp.column("j"), exp.column("_p"), exp.column(ENDED), exp.column("_py")
    paths = exp.Array(expressions=[lit("$." + name) for name in facts])
    extracted = exp.select(exp.Star(), exp.alias_(fn("json_extract", parsed, paths), "_e"))
    given = fn("list_aggregate", exp.column("_e"), lit("count"))
    others = exp.NEQ(this=fn("len", fn("json_keys", parsed)), expression=given)
    comma = fn("regexp_matches", text, lit(r",[ \t\r\n]*[\]}]"))
    unlike = exp.or_(exp.Is(this=parsed, expression=exp.Null()), comma, others)
    python = exp.and_(exp.not_(exp.Is(this=text, expression=exp.Null())), exp.paren(unlike))
    routed = exp.select(exp.Star(), exp.alias_(python, "_py"))
    routed = routed.from_(extracted.from_(_lines(table, extra, line_end)).subquery("extracted"))
    read = exp.select(
        exp.Star(), exp.alias_(exp.Case().when(py, exp.cast(fn("terms_json_read", text), "JSON")), "_read")
    )
    value = exp.Case().when(py, exp.column("_read")).else_(parsed)
    values = exp.Case().when(py, fn("json_extract", exp.column("_read"), paths)).else_(exp.column("_e"))
    unread = exp.and_(py, exp.Is(this=exp.column("_read"), expression=exp.Null()))
    problem = exp.Case().when(
        exp.or_(exp.Is(this=text, expression=exp.Null()), unread), fn("terms_json_problem", text, ended)
    )
    answer = exp.select(
        exp.column(LINE),
        exp.alias_(value, JSON_ROW),
        exp.alias_(values, JSON_VALUES),
        exp.alias_(problem, PROBLEM),
        *(exp.column(c) for c in extra),
    )
    return answer.from_(read.from_(routed.subquery("routed")).subquery("reread")).subquery("json_lines")


def _lines(table: str, extra: Sequence[str], line_end: str | None) -> Any:
    """The lines that are not blank: LINE, the text `j`, the `extra` columns, ENDED, and `_p`,
    DuckDB's reading (NULL when it cannot read the line)."""
    from sqlglot import exp

    text = exp.column("j")
    blank = exp.Anonymous(this="regexp_full_match", expressions=[text, exp.Literal.string(f"{WHITE_SPACE}*")])
    lines = exp.select(
        exp.column(LINE),
        text,
        *(exp.column(c) for c in extra),
        exp.alias_(exp.column(line_end) if line_end else exp.true(), ENDED),
        exp.alias_(exp.Case().when(exp.func("json_valid", text), exp.cast(text, "JSON")), "_p"),
    ).from_(table)
    return lines.where(exp.not_(exp.func("COALESCE", blank, exp.false()))).subquery("lines")


def register_json_reading(con: Any, line_problem: LineProblem) -> None:
    """terms_json_read(TEXT): the line as json.loads reads it, written again as JSON that DuckDB
    reads alike (the last of duplicate keys kept, in the first one's place), or NULL when
    json.loads cannot read it, or DuckDB could not hold what it reads (a lone surrogate escape).
    terms_json_problem(TEXT, ENDED): that line's problem, worded by line_problem on the line
    with its line end. Called only for the lines json_lines sends to Python."""
    import json

    import pyarrow as pa

    def read(texts: Any) -> Any:
        values = []
        for line in texts.to_pylist():
            try:
                written = json.dumps(json.loads(line), ensure_ascii=False)
                written.encode("utf-8")  # a lone surrogate, which DuckDB's text cannot hold
            except (ValueError, RecursionError):
                written = None
            values.append(written)
        return pa.array(values, pa.string())

    def problem(texts: Any, ended: Any) -> Any:
        problems = []
        for line, end in zip(texts.to_pylist(), ended.to_pylist(), strict=True):
            found = line_problem(None if line is None else line + ("\n" if end else ""))
            problems.append(found or LONE_SURROGATE)
        return pa.array(problems, pa.string())

    # "special": terms_json_read answers NULL, and terms_json_problem words a NULL (not UTF-8).
    for name, function, types in (
        ("terms_json_read", read, ["VARCHAR"]),
        ("terms_json_problem", problem, ["VARCHAR", "BOOLEAN"]),
    ):
        con.create_function(
            name, function, types, "VARCHAR", type="arrow", null_handling="special", side_effects=False
        )


LONE_SURROGATE = "a text holds a lone surrogate escape (\\ud800 to \\udfff), which DuckDB cannot hold"
"""The problem of a line json.loads reads but DuckDB cannot hold: the one line the engine words
otherwise than the batch mode (which reads it)."""


def _quoted(path: str) -> str:
    """A path as a SQL string's content (COPY TO takes no parameter)."""
    return path.replace("'", "''")


def _arrow_batches(path: str, source_format: str) -> Any:
    """A pyarrow RecordBatchReader over the file, each batch with its rows' numbers in LINE:
    for JSON Lines one text column `j`, a line a row (blank lines kept, to be counted; NULL for a
    line that is not UTF-8, as the batch mode fails that line alone) and ENDED; for CSV its
    header's columns as texts, an empty cell NULL."""
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
        # Bytes, made text a batch at a time: a text column would stop the file at a bad byte.
        convert = pa_csv.ConvertOptions(column_types={"j": pa.binary()}, strings_can_be_null=False)
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
    if source_format != "jsonl":
        schema = stream.schema.append(pa.field(LINE, pa.int64()))

        def numbered() -> Iterator[Any]:
            first = 1
            for batch in stream:
                numbers = pa.array(range(first, first + batch.num_rows), pa.int64())
                first += batch.num_rows
                yield pa.RecordBatch.from_arrays([*batch.columns, numbers], schema=schema)

        return pa.RecordBatchReader.from_batches(schema, numbered())
    fields = [pa.field("j", pa.string()), pa.field(ENDED, pa.bool_()), pa.field(LINE, pa.int64())]
    return pa.RecordBatchReader.from_batches(pa.schema(fields), _json_batches(stream, _ends_lines(path)))


def _json_batches(stream: Any, ends_lines: bool) -> Iterator[Any]:
    """The JSON Lines batches: the lines as texts, whether each ended with a line end (all but
    the file's last, when the file does not end with one: a batch is held until the next is read),
    and their numbers."""
    import pyarrow as pa

    first, held = 1, None
    for batch in itertools.chain(stream, [None]):  # None: the end, found before the last is passed on
        if held is not None:
            count = held.num_rows
            ended = [True] * count
            if batch is None and not ends_lines:
                ended[-1] = False
            numbers = pa.array(range(first, first + count), pa.int64())
            first += count
            yield pa.RecordBatch.from_arrays(
                [_utf8(held.column(0)), pa.array(ended), numbers], names=["j", ENDED, LINE]
            )
        held = batch


def _utf8(lines: Any) -> Any:
    """The lines (bytes) as texts, NULL for a line that is not UTF-8 (a whole batch at a time
    when it all is, as nearly every batch is)."""
    import pyarrow as pa

    try:
        return lines.cast(pa.string())
    except pa.ArrowInvalid:
        texts = []
        for line in lines.to_pylist():
            try:
                texts.append(line.decode("utf-8"))
            except UnicodeDecodeError:
                texts.append(None)
        return pa.array(texts, pa.string())


def _ends_lines(path: str) -> bool:
    """The file's last line ends with a line end (or the file is empty)."""
    with open(path, "rb") as stream:
        stream.seek(0, os.SEEK_END)
        if stream.tell() == 0:
            return True
        stream.seek(-1, os.SEEK_END)
        return stream.read(1) in (b"\n", b"\r")


EXTRA = "pip install 'terms-compiler[duckdb]'"


def run_engine(bundle: Any, args: Any, line_problem: LineProblem) -> int:
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
        rows, failed = check_file(
            bundle,
            args.decision,
            args.facts,
            args.out,
            line_problem,
            args.as_of,
            memory_limit=args.memory_limit,
        )
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
