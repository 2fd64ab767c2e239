"""The SQL back end's JSON reading (how `terms check --engine duckdb` reads JSON Lines) against the
Python checker, and the two commands end to end. tests/test_sql_differential.py holds the table
reading (text cells) to the Python checker in DuckDB and PySpark, on 100,000 rows a decision.

- Generated fact sets (js/test/differential.py's generator: every rule's boundaries, one set in
  eight spoilt: null, floats, lists, objects, unknown keys near a fact's name, bad dates, huge
  ints), each read as a JSON object by DuckDB, answer and fail exactly as in the Python checker:
  outcome, deciding and overridden clauses, and the problems' text. TERMS_SQL_JSON_ROWS a
  decision (default 20,000: the table test has the 100,000).
- The conformance cases, read as JSON.
- `terms sql` in each dialect, and `terms check --engine duckdb` on Parquet, CSV and JSON Lines.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from terms_compiler.check.bundle import Bundle, FactError

duckdb = pytest.importorskip("duckdb", reason="the duckdb extra: pip install -e '.[duckdb]'")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
sqlglot = pytest.importorskip("sqlglot")

from terms_compiler.commands.check import line_problem  # noqa: E402
from terms_compiler.sql.compile import DIALECTS, decision_query  # noqa: E402
from terms_compiler.sql.run import (  # noqa: E402
    JSON_ROW,
    JSON_VALUES,
    LINE,
    PROBLEM,
    json_lines,
    register_json_reading,
    register_unknown_fact,
    unknown_fact,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "js" / "test"))
from differential import Generator  # noqa: E402

ROWS = int(os.environ.get("TERMS_SQL_JSON_ROWS", "20000"))
Expected = tuple[Any, Any, Any, Any]
"""outcome, deciding, overridden, error (the problems joined by '; ')."""


def python_answer(bundle: Bundle, decision: str, facts: dict[str, Any], as_of: str | None) -> Expected:
    try:
        answer = bundle.decide(decision, json.loads(json.dumps(facts)), as_of)
    except FactError as error:
        return None, None, None, "; ".join(error.problems)
    return answer.outcome, list(answer.deciding), list(answer.overridden), None


def generated(
    bundle: Bundle, decision: str, count: int, seed: int
) -> list[tuple[dict[str, Any], str | None]]:
    generator = Generator(decision, bundle.data["decisions"][decision], random.Random(seed))
    return list(generator.cases(count))


def duckdb_json_answers(
    bundle: Bundle, decision: str, cases: list[tuple[dict[str, Any], str | None]]
) -> list[Expected]:
    """The answers of DuckDB reading each fact set as a JSON object, in order."""
    con = duckdb.connect()
    table = pa.table(
        {
            LINE: pa.array(range(1, len(cases) + 1), pa.int64()),
            "j": pa.array([json.dumps(facts) for facts, _ in cases], pa.string()),
            "as_of": pa.array([as_of for _, as_of in cases], pa.string()),
        }
    )
    con.register("cases", table)
    register_unknown_fact(con, list(bundle.data["decisions"][decision]["facts"]))
    register_json_reading(con, line_problem)
    tree = decision_query(
        bundle.data,
        decision,
        table=json_lines("cases", list(bundle.data["decisions"][decision]["facts"]), "as_of"),
        key=LINE,
        as_of_column="as_of",
        json_column=JSON_ROW,
        json_problem=PROBLEM,
        json_values=JSON_VALUES,
        unknown_fact=unknown_fact,
    )
    rows = con.execute(tree.sql(dialect="duckdb") + f' ORDER BY "{LINE}"').fetchall()
    con.close()
    assert [row[0] for row in rows] == list(range(1, len(cases) + 1))
    return [tuple(row[1:]) for row in rows]  # type: ignore[misc]


@pytest.fixture(scope="module")
def bundle(shipped_bundle: Path) -> Bundle:
    return Bundle.load(shipped_bundle)


def test_conformance_cases_in_duckdb(shipped_build: Path, bundle: Bundle) -> None:
    suite = json.loads((shipped_build / "bundle" / "conformance.json").read_text(encoding="utf-8"))
    by_decision: dict[str, list[dict[str, Any]]] = {}
    for case in suite["cases"]:
        by_decision.setdefault(case["decision"], []).append(case)
    assert len(by_decision) == len(bundle.data["decisions"])
    for decision, cases in by_decision.items():
        answers = duckdb_json_answers(bundle, decision, [(c["facts"], c.get("as_of")) for c in cases])
        for case, (outcome, deciding, overridden, error) in zip(cases, answers, strict=True):
            where = f"{case['file']}: {case['name']}"
            assert error is None, where
            assert (outcome, deciding) == (case["outcome"], case["deciding"]), where
            if "overridden" in case:
                assert overridden == case["overridden"], where


def test_generated_fact_sets_agree_in_python_and_duckdb(bundle: Bundle) -> None:
    """Every generated fact set, spoilt ones included, read as JSON: identical answers and errors."""
    for index, decision in enumerate(bundle.data["decisions"]):
        cases = generated(bundle, decision, ROWS, seed=index)
        expected = [python_answer(bundle, decision, facts, as_of) for facts, as_of in cases]
        got = duckdb_json_answers(bundle, decision, cases)
        differ = [(i + 1, cases[i], expected[i], got[i]) for i in range(len(cases)) if expected[i] != got[i]]
        assert not differ, f"{decision}: {len(differ)} of {len(cases)} differ, first: {differ[:3]}"
        errors = sum(1 for e in expected if e[3] is not None)
        outcomes = {e[0] for e in expected}
        assert errors > ROWS // 20, "the generator spoils some fact sets"
        assert len(outcomes) >= 3, f"{decision}: more than one outcome (and errors) is reached: {outcomes}"


# terms sql ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_terms_sql_prints_one_query_in_each_dialect(run_terms, shipped_bundle: Path, dialect: str) -> None:  # type: ignore[no-untyped-def]
    table = 'sales.x"; DROP TABLE y; --'
    code, out, err = run_terms(
        "sql",
        "--bundle",
        str(shipped_bundle),
        "--decision",
        "sa-purchase",
        "--dialect",
        dialect,
        "--table",
        table,
        "--key",
        "order_id",
    )
    assert (code, err) == (0, "")
    assert out.endswith(";\n")
    statements = [s for s in sqlglot.parse(out, read=dialect) if s is not None]
    assert len(statements) == 1, "the hostile table name stays one quoted identifier"
    tables = list(statements[0].find_all(sqlglot.exp.Table))
    assert [(t.db, t.name) for t in tables] == [("sales", 'x"; DROP TABLE y; --')]
    assert "'sa-purchase.with-license'" in out and "order_id" in out


def test_terms_sql_refuses_what_it_cannot_make(run_terms, shipped_bundle: Path) -> None:  # type: ignore[no-untyped-def]
    base = ("sql", "--bundle", str(shipped_bundle))
    code, out, err = run_terms(*base, "--decision", "nope")
    assert (code, out) == (2, "") and err.startswith("terms sql: unknown decision 'nope'; the bundle has: ")
    code, out, err = run_terms(*base, "--decision", "sa-purchase", "--as-of", "2024-02-30")
    assert (code, out, err) == (
        2,
        "",
        'terms sql: the as-of date must be a date (YYYY-MM-DD), found "2024-02-30"\n',
    )
    code, out, err = run_terms(*base, "--decision", "sa-purchase", "--key", "channel")
    assert (code, out) == (2, "") and "column 'channel' is a fact of sa-purchase" in err


# terms check --engine duckdb ------------------------------------------------------------------


def answers(records: list[dict[str, Any]], key: str) -> list[tuple[Any, ...]]:
    """(line, outcome, deciding, error) of each record: of the batch's JSON output or --out's."""
    return [
        (r[key], r.get("outcome"), r.get("deciding") if r.get("error") is None else None, r.get("error"))
        for r in records
    ]


def test_check_engine_duckdb_answers_json_lines_as_the_batch_mode(
    run_terms, bundle: Bundle, shipped_bundle: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The same file through the Python checker's batch mode and through DuckDB: line for line the
    same answers and problems, blank lines counted and skipped, in the file's order."""
    for index, decision in enumerate(bundle.data["decisions"]):
        lines = [json.dumps(facts) for facts, _ in generated(bundle, decision, 400, seed=100 + index)]
        lines[10:10] = ["", "   ", "[1, 2]", '"text"']
        facts_file = tmp_path / f"{decision}.jsonl"
        facts_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        code, python_out, _ = run_terms(
            "check",
            "--bundle",
            str(shipped_bundle),
            "--decision",
            decision,
            "--as-of",
            "2024-06-01",
            "--format",
            "json",
            str(facts_file),
        )
        assert code == 1, "some lines are spoilt"
        out = tmp_path / f"{decision}.out.jsonl"
        code, stdout, err = run_terms(
            "check",
            "--bundle",
            str(shipped_bundle),
            "--decision",
            decision,
            "--as-of",
            "2024-06-01",
            "--engine",
            "duckdb",
            str(facts_file),
            "--out",
            str(out),
        )
        # JSON Lines end lines at "\n" only: str.splitlines() would also cut at U+2028 or U+0085,
        # which JSON writes unescaped inside a text (a spoilt row's value holds them).
        records = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n")[:-1]]
        assert (code, stdout) == (1, "")
        failed = sum(1 for r in records if r["error"] is not None or r["outcome"] == "conflict")
        assert (
            err
            == f"terms check: {len(records)} rows answered into {out}; {failed} with an error or a conflict\n"
        )
        from_python = [json.loads(line) for line in python_out.split("\n")[:-1]]
        assert answers(records, "line") == answers(from_python, "line")
        assert [r["line"] for r in records][9:12] == [10, 13, 14], (
            "blank lines 11 and 12 are counted, not answered"
        )


def test_check_engine_duckdb_reads_parquet_and_csv_in_order(
    run_terms, shipped_bundle: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    rows = [
        {
            "order_date": "2024-03-01",
            "license_date": "2024-03-01",
            "channel": "volume-licensing",
            "pool": "servers",
            "program": "select",
            "product": "sql-server-2019",
            "latest_version": "true",
            "enterprise_product": "false",
        },
        {
            "order_date": "2024-03-01",
            "license_date": "2023-12-01",
            "channel": "oem",
            "pool": "applications",
            "program": "select",
            "product": "office-professional-2019",
            "latest_version": "true",
            "enterprise_product": "false",
        },
        {
            "order_date": "2024-02-30",
            "license_date": "2023-12-01",
            "channel": "oem",
            "pool": "applications",
            "program": "selectt",
            "product": "x",
            "latest_version": "yes",
            "enterprise_product": None,
        },
    ]
    expected = [
        ("allowed", ["sa-purchase.with-license"], None),
        ("denied", ["sa-purchase.oem-retail-applications"], None),
        (
            None,
            None,
            "fact 'order_date' must be a date (YYYY-MM-DD), found \"2024-02-30\"; fact 'program' must be one of "
            'open-license, open-value, enterprise-agreement, eap, select, select-plus, mpsa, found "selectt"; '
            "fact 'latest_version' must be true or false, found \"yes\"; "
            "missing fact 'enterprise_product' (true or false)",
        ),
    ]
    columns = list(rows[0])
    csv_file = tmp_path / "orders.csv"
    csv_file.write_text(
        ",".join(columns) + "\n" + "".join(",".join(r[c] or "" for c in columns) + "\n" for r in rows),
        encoding="utf-8",
    )
    typed = pa.table(
        {
            **{
                c: pa.array([r[c] for r in rows])
                for c in columns
                if c not in ("latest_version", "enterprise_product")
            },
            "latest_version": pa.array([True, True, None]),
            "enterprise_product": pa.array([False, False, None]),
        }
    )
    parquet_file = tmp_path / "orders.parquet"
    pq.write_table(typed, parquet_file)
    for source in (csv_file, parquet_file):
        out = tmp_path / f"answers-{source.suffix[1:]}.parquet"
        code, _, err = run_terms(
            "check",
            "--bundle",
            str(shipped_bundle),
            "--decision",
            "sa-purchase",
            "--engine",
            "duckdb",
            str(source),
            "--out",
            str(out),
        )
        assert code == 1, err
        answers = duckdb.execute(
            f"SELECT row, outcome, deciding, error FROM read_parquet('{out}')"
        ).fetchall()
        got = [(row, outcome, deciding, error) for row, outcome, deciding, error in answers]
        want = [(i + 1, *e) for i, e in enumerate(expected)]
        if source == parquet_file:  # a BOOLEAN column holds true, false or NULL: no "yes" to refuse
            want[2] = (
                3,
                None,
                None,
                "fact 'order_date' must be a date (YYYY-MM-DD), found \"2024-02-30\"; fact 'program' must be one of "
                'open-license, open-value, enterprise-agreement, eap, select, select-plus, mpsa, found "selectt"; '
                "missing fact 'enterprise_product' (true or false); missing fact 'latest_version' (true or false)",
            )
        assert got == want, source.name
        assert not list(tmp_path.glob("*.part"))


def test_check_engine_duckdb_usage_errors(run_terms, shipped_bundle: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    facts = tmp_path / "facts.jsonl"
    facts.write_text("{}\n", encoding="utf-8")
    base = ("check", "--bundle", str(shipped_bundle), "--decision", "sa-purchase")
    assert run_terms(*base, "--engine", "duckdb", str(facts)) == (
        2,
        "",
        "terms check: --engine duckdb needs --out RESULTS\n",
    )
    assert run_terms(*base, str(facts), "--out", str(tmp_path / "a.parquet")) == (
        2,
        "",
        "terms check: --out needs --engine duckdb\n",
    )
    code, _, err = run_terms(*base, "--engine", "duckdb", str(facts), "--out", str(tmp_path / "a.txt"))
    assert (code, err) == (
        2,
        f"terms check: {tmp_path / 'a.txt'}: cannot tell its format: name it .parquet, .csv or .jsonl\n",
    )
    code, _, err = run_terms(
        *base, "--engine", "duckdb", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "a.parquet")
    )
    assert (code, err) == (2, f"terms check: {tmp_path / 'none.jsonl'}: no such file\n")
    assert not (tmp_path / "a.parquet").exists()
    engine = (*base, "--engine", "duckdb", str(facts), "--out", str(tmp_path / "a.parquet"))
    code, _, err = run_terms(*engine, "--memory-limit", "lots")
    assert (code, err) == (2, "terms check: --memory-limit lots: Memory must have a number (e.g. 1GB)\n")
    assert not (tmp_path / "a.parquet").exists()
    code, _, err = run_terms(*engine, "--memory-limit", "64MB")
    assert code == 1 and (tmp_path / "a.parquet").exists(), err  # "{}" misses facts: an error row


def test_pattern_fact_read_as_json_matches_whole_values_only() -> None:
    """A string fact's `pattern` (issue 17 item 22): the whole value matches, in the JSON reading
    too; a value that does not (a newline at its end included) or is no text is worded as agreed."""
    data = {
        "decisions": {
            "sell": {
                "facts": {"country": {"type": "string", "pattern": "[A-Z]{2}(-[0-9]+)?"}},
                "as_of": None,
                "default": "no",
                "outcomes": {"yes": {}, "no": {}},
                "rules": [
                    {
                        "clause": "sell.de",
                        "outcome": "yes",
                        "when": {
                            "op": "==",
                            "left": {"op": "fact", "name": "country", "type": "string"},
                            "right": {"op": "const", "type": "string", "value": "DE"},
                        },
                        "effective": {"from": None, "until": None},
                        "overrides": [],
                    }
                ],
            }
        }
    }
    words = "a text matching [A-Z]{2}(-[0-9]+)?"
    cases = {
        '{"country": "DE"}': ("yes", ["sell.de"], None),
        '{"country": "FR-12"}': ("no", [], None),
        '{"country": "de"}': (None, None, f"fact 'country' must be {words}, found \"de\""),
        '{"country": "DE\\n"}': (None, None, f"fact 'country' must be {words}, found \"DE\n\""),
        '{"country": "DEU"}': (None, None, f"fact 'country' must be {words}, found \"DEU\""),
        '{"country": 12}': (None, None, f"fact 'country' must be {words}, found 12"),
        "{}": (None, None, f"missing fact 'country' ({words})"),
    }
    con = duckdb.connect()
    con.register("cases", pa.table({LINE: list(range(1, len(cases) + 1)), "j": list(cases)}))
    register_unknown_fact(con, ["country"])
    register_json_reading(con, line_problem)
    tree = decision_query(
        data,
        "sell",
        table=json_lines("cases", ["country"]),
        key=LINE,
        as_of="2024-06-01",
        json_column=JSON_ROW,
        json_values=JSON_VALUES,
    )
    rows = con.execute(tree.sql(dialect="duckdb") + f' ORDER BY "{LINE}"').fetchall()
    assert [(outcome, deciding, error) for _, outcome, deciding, _, error in rows] == list(cases.values())


VALID = (
    '"program": "open-license", "channel": "oem", "pool": "servers", "product": "sql-server-2017", '
    '"enterprise_product": false, "latest_version": true, "license_date": "2024-03-01"'
)
"""Facts of sa-purchase without order_date, as JSON object members."""
LINE_CASES = {
    "duplicate keys: the last is kept, in the first one's place": [
        f'{{{VALID}, "order_date": "2024-13-01", "order_date": "2024-05-30"}}'.encode(),
        f'{{{VALID}, "order_date": "2024-05-30", "order_date": "2024-13-01"}}'.encode(),
        f'{{"order_date": 1, {VALID}, "order_date": "2024-05-30", "chanel": 1, "chanel": 2}}'.encode(),
    ],
    "not UTF-8: that line's problem, the others answered": [
        f'{{{VALID}, "order_date": "2024-05-30"}}'.encode(),
        f'{{{VALID}, "order_date": "caf\xe9"}}'.encode("latin-1"),
        b"\xff\xfe",
        f'{{{VALID}, "order_date": "2024-05-30"}}'.encode(),
    ],
    "blank: white space of any kind, counted and not answered": [
        "\u00a0\u3000\t".encode(),
        f'{{{VALID}, "order_date": "2024-05-30"}}'.encode(),
        "\u2028 \x85".encode(),
        b"\x0b\x0c",
    ],
    "not JSON: the parser's words, where they count the line end": [
        b'{"program": "open-license",}',
        b"{'program': 1}",
        b'{"program": ',
        b"[1, 2,]",
        f'{{{VALID}, "order_date": "2024-05-30"}} x'.encode(),
        b'{"program": "open-license"',
    ],
}
"""Lines DuckDB reads otherwise than Python's json.loads (the last of each case has no line end)."""


@pytest.mark.parametrize("case", LINE_CASES)
def test_check_engine_duckdb_reads_each_line_as_the_batch_mode(
    run_terms, shipped_bundle: Path, tmp_path: Path, case: str
) -> None:  # type: ignore[no-untyped-def]
    facts = tmp_path / "facts.jsonl"
    facts.write_bytes(b"\n".join(LINE_CASES[case]))
    base = ("check", "--bundle", str(shipped_bundle), "--decision", "sa-purchase", "--as-of", "2024-06-01")
    code, python_out, _ = run_terms(*base, "--format", "json", str(facts))
    out = tmp_path / "answers.jsonl"
    code, _, err = run_terms(*base, "--engine", "duckdb", str(facts), "--out", str(out))
    assert code in (0, 1), err
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n")[:-1]]
    from_python = [json.loads(line) for line in python_out.split("\n")[:-1]]
    assert len(from_python) == len(LINE_CASES[case]) - 3 * case.startswith("blank")
    assert answers(records, "line") == answers(from_python, "line")


def test_check_engine_duckdb_words_what_it_cannot_hold_as_documented(
    run_terms, shipped_bundle: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """docs/semantics.md's remaining differences: a lone surrogate escape is worded by the engine's
    own problem (Python reads it); a U+001F stops the run, naming the file."""
    from terms_compiler.sql.run import LONE_SURROGATE

    facts = tmp_path / "facts.jsonl"
    facts.write_bytes(f'{{{VALID}, "order_date": "2024-05-30", "product": "\\ud800"}}\n'.encode())
    out = tmp_path / "answers.jsonl"
    base = ("check", "--bundle", str(shipped_bundle), "--decision", "sa-purchase", "--engine", "duckdb")
    assert run_terms(*base, str(facts), "--out", str(out))[0] == 1
    assert json.loads(out.read_text(encoding="utf-8"))["error"] == LONE_SURROGATE
    facts.write_bytes(b'{"a": 1}\x1f\n')
    code, _, err = run_terms(*base, str(facts), "--out", str(out))
    assert (code, err) == (
        2,
        f'terms check: {facts}: CSV parse error: Expected 1 columns, got 2: {{"a": 1}}\x1f\n',
    )


def test_check_engine_duckdb_names_a_file_it_cannot_read(
    run_terms, shipped_bundle: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A ragged CSV, or a CSV that is not UTF-8 (JSON Lines fail that line alone, above): one line
    naming the file and the problem, exit 2, and no RESULTS (nor a part of one) left behind."""
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("channel,pool\noem,servers\noem,servers,extra\n", encoding="utf-8")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"product\ncaf\xe9\n")
    out = tmp_path / "answers.parquet"
    base = ("check", "--bundle", str(shipped_bundle), "--decision", "sa-purchase", "--engine", "duckdb")
    code, _, err = run_terms(*base, str(ragged), "--out", str(out))
    assert (code, err) == (
        2,
        f"terms check: {ragged}: CSV parse error: Expected 2 columns, got 3: oem,servers,extra\n",
    )
    code, _, err = run_terms(*base, str(latin), "--out", str(out))
    assert (code, err) == (
        2,
        f"terms check: {latin}: not valid UTF-8 (the whole file is read as UTF-8 text)\n",
    )
    assert list(tmp_path.iterdir()) == [ragged, latin] or sorted(tmp_path.iterdir()) == sorted(
        [ragged, latin]
    )


def test_terms_sql_output_runs_in_duckdb_rows_numbered_without_a_key(run_terms, shipped_bundle: Path) -> None:  # type: ignore[no-untyped-def]
    code, query, _ = run_terms(
        "sql",
        "--bundle",
        str(shipped_bundle),
        "--decision",
        "proof-of-license",
        "--table",
        "orders",
        "--as-of",
        "2024-06-01",
    )
    assert code == 0
    con = duckdb.connect()
    con.execute("CREATE TABLE orders (program VARCHAR, order_date DATE, media VARCHAR)")
    con.execute("INSERT INTO orders VALUES ('select', DATE '2024-01-01', NULL), ('nope', NULL, NULL)")
    rows = con.execute(query).fetchall()
    assert [row[0] for row in rows] == [1, 2]
    assert rows[1][1:4] == (None, None, None)
    assert (
        rows[0][1] in ("physical-via-distributor", "digital-to-customer", "not-applicable")
        and rows[0][4] is None
    )
    values = ", ".join(bundle_values(shipped_bundle, "proof-of-license", "program"))
    assert rows[1][4] == (
        f"fact 'program' must be one of {values}, found \"nope\"; missing fact 'order_date' (a date (YYYY-MM-DD))"
    )


def bundle_values(path: Path, decision: str, fact: str) -> list[str]:
    return list(json.loads(path.read_text(encoding="utf-8"))["decisions"][decision]["facts"][fact]["values"])
