"""The SQL back end against the Python checker: the conformance cases and generated fact sets (aimed at
every rule's boundaries, invalid ones included) answered alike (outcome, deciding clauses, fact
error) by the Python checker, by the generated query in DuckDB and in Spark SQL (a local PySpark
session, Java 17), and the synthetic 2,000-clause corpus of benchmarks/ alike in Python and DuckDB.

Rows per decision: TERMS_SQL_ROWS (default 20,000) for DuckDB and Spark alike, generated once per
session (tests/sql_cases.py says how a fact set becomes a table's row). The issue's 100,000 a
decision (TERMS_SQL_ROWS=100000) passes too, in about 13 minutes on the shared 2-core machine
(5 of them generating and answering the fact sets in Python): too long for every CI run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sql_cases
import sqlglot
from sql_cases import AS_OF, KEY, Case
from terms_compiler.check.bundle import Bundle
from terms_compiler.cli import main
from terms_compiler.sql.compile import DIALECTS, decision_query

ROOT = Path(__file__).resolve().parent.parent
ROWS = int(os.environ.get("TERMS_SQL_ROWS", "20000"))
SYNTHETIC_ROWS = int(os.environ.get("TERMS_SQL_SYNTHETIC_ROWS", "200"))
SHIPPED_DECISIONS = [
    "license-switch",
    "proof-of-license",
    "regional-availability",
    "sa-purchase",
    "sa-renewal",
]


@pytest.fixture(scope="session")
def sql_bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    """The shipped corpus's bundle, built without its site."""
    out = tmp_path_factory.mktemp("sql-build")
    assert main(["build", str(ROOT / "terms"), "--no-site", "--out", str(out), "-q"]) == 0
    return Bundle.load(out / "bundle" / "product-terms-sa.json")


class Generated:
    """A decision's generated rows, written as JSON Lines (every fact a text cell), with the
    Python checker's answers by key."""

    def __init__(self, folder: Path, bundle: Bundle, decision: str, count: int, seed: int) -> None:
        self.path = folder / f"{decision}.rows.jsonl"
        self.expected: dict[int, Case] = {}
        with self.path.open("w", encoding="utf-8") as stream:
            for case in sql_cases.cases(bundle, decision, count, seed, "text"):
                stream.write(json.dumps(case.row, ensure_ascii=False) + "\n")
                self.expected[case.row[KEY]] = case._replace(row={KEY: case.row[KEY], AS_OF: case.row[AS_OF]})
        self.columns = [KEY, AS_OF, *bundle.data["decisions"][decision]["facts"]]

    def check(self, answers: Iterator[tuple[Any, ...]]) -> list[str]:
        by_key = {row[0]: (row[1], row[2], row[-1]) for row in answers}
        assert len(by_key) == len(self.expected), "every row is answered once"
        return sql_cases.disagreements(list(self.expected.values()), by_key)


@pytest.fixture(scope="session")
def generated(sql_bundle: Bundle, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Generated]:
    folder = tmp_path_factory.mktemp("sql-rows")
    decisions = list(sql_bundle.data["decisions"])
    assert decisions == SHIPPED_DECISIONS
    return {d: Generated(folder, sql_bundle, d, ROWS, 20 + i) for i, d in enumerate(decisions)}


def queries(bundle: Bundle, decision: str, table: str) -> list[tuple[str, Any]]:
    """(filter, query): rows with an as-of date of their own are asked as of it (the as-of
    column), the others as the decision says (its as-of fact, or today)."""
    columns = {name: None for name in bundle.data["decisions"][decision]["facts"]}
    with_date = decision_query(
        bundle.data, decision, table=table, columns=columns, key=KEY, as_of_column=AS_OF
    )
    without = decision_query(bundle.data, decision, table=table, columns=columns, key=KEY)
    return [(f'"{AS_OF}" IS NOT NULL', with_date), (f'"{AS_OF}" IS NULL', without)]


def duckdb_answers(
    bundle: Bundle, decision: str, rows: Path, columns: list[str]
) -> Iterator[tuple[Any, ...]]:
    import duckdb

    connection = duckdb.connect()
    types = {name: "BIGINT" if name == KEY else "VARCHAR" for name in columns}
    source = f"read_json('{rows}', format = 'newline_delimited', columns = {types})"
    connection.execute(f"CREATE TABLE all_rows AS SELECT * FROM {source}")
    for where, query in queries(bundle, decision, "facts"):
        connection.execute(f"CREATE OR REPLACE VIEW facts AS SELECT * FROM all_rows WHERE {where}")
        yield from connection.execute(query.sql(dialect="duckdb")).fetchall()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session (one core) for the test session: starting one takes half a minute."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("terms-sql-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def spark_answers(
    spark: Any, bundle: Bundle, decision: str, rows: Path, columns: list[str]
) -> Iterator[tuple[Any, ...]]:
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    schema = StructType([StructField(name, LongType() if name == KEY else StringType()) for name in columns])
    spark.read.schema(schema).json(str(rows)).createOrReplaceTempView("all_rows")
    for where, query in queries(bundle, decision, "facts"):
        spark_where = where.replace('"', "`")
        spark.sql(f"SELECT * FROM all_rows WHERE {spark_where}").createOrReplaceTempView("facts")
        yield from (tuple(row) for row in spark.sql(query.sql(dialect="spark")).collect())


@pytest.mark.parametrize("decision", SHIPPED_DECISIONS)
def test_duckdb_answers_generated_rows_as_the_python_checker(
    decision: str, sql_bundle: Bundle, generated: dict[str, Generated]
) -> None:
    rows = generated[decision]
    assert len(rows.expected) == ROWS
    assert rows.check(duckdb_answers(sql_bundle, decision, rows.path, rows.columns)) == []


@pytest.mark.parametrize("decision", SHIPPED_DECISIONS)
def test_spark_answers_generated_rows_as_the_python_checker(
    decision: str, sql_bundle: Bundle, generated: dict[str, Generated], spark: Any
) -> None:
    rows = generated[decision]
    assert rows.check(spark_answers(spark, sql_bundle, decision, rows.path, rows.columns)) == []


ARROW_TYPES = {"int": "int64", "bool": "bool_", "date": "date32"}
"""A typed table's column for each fact type (as a Parquet file has them); others VARCHAR."""


def typed_table(bundle: Bundle, decision: str, cases: list[Case]) -> Any:
    """The typed rows as an Arrow table: the facts in their own types, the as-of date a DATE."""
    import datetime as dt

    import pyarrow as pa

    def column(type_: str, values: list[Any]) -> Any:
        if type_ == "date":
            values = [None if v is None else dt.date.fromisoformat(v) for v in values]
        return pa.array(values, getattr(pa, ARROW_TYPES.get(type_, "string"))())

    facts = bundle.data["decisions"][decision]["facts"]
    return pa.table(
        {
            KEY: pa.array([case.row[KEY] for case in cases], pa.int64()),
            AS_OF: column("date", [case.row[AS_OF] for case in cases]),
            **{
                name: column(spec["type"], [case.row[name] for case in cases]) for name, spec in facts.items()
            },
        }
    )


@pytest.mark.parametrize("decision", SHIPPED_DECISIONS)
def test_duckdb_answers_typed_rows_as_the_python_checker(decision: str, sql_bundle: Bundle) -> None:
    """A table whose columns have the facts' own types (BOOLEAN, BIGINT, DATE, VARCHAR: a Parquet
    file's) is read as it is, without a text: answers as the Python checker's, errors included."""
    import duckdb

    index = SHIPPED_DECISIONS.index(decision)
    cases = list(sql_cases.cases(sql_bundle, decision, ROWS, 40 + index, "typed"))
    assert len(cases) > ROWS // 2 and sum(c.expected[2] is not None for c in cases) > ROWS // 100
    connection = duckdb.connect()
    connection.register("typed", typed_table(sql_bundle, decision, cases))
    described = connection.execute("DESCRIBE typed").fetchall()
    types = {name: str(type_) for name, type_, *_ in described if name not in (KEY, AS_OF)}
    assert {types[name] for name in types} <= {"BIGINT", "BOOLEAN", "DATE", "VARCHAR"}
    answers: list[tuple[Any, ...]] = []
    for where, as_of_column in ((f'"{AS_OF}" IS NOT NULL', AS_OF), (f'"{AS_OF}" IS NULL', None)):
        connection.execute(f"CREATE OR REPLACE VIEW facts AS SELECT * FROM typed WHERE {where}")
        query = decision_query(
            sql_bundle.data, decision, table="facts", columns=types, key=KEY, as_of_column=as_of_column
        )
        answers += connection.execute(query.sql(dialect="duckdb")).fetchall()
    by_key = {row[0]: (row[1], row[2], row[-1]) for row in answers}
    assert len(by_key) == len(cases)
    assert sql_cases.disagreements(cases, by_key) == []


def test_generated_rows_reach_every_outcome_and_errors(
    generated: dict[str, Generated], sql_bundle: Bundle
) -> None:
    """The rows are worth comparing: each decision's rows give every outcome of its rules, its
    default, and errors (the shipped corpus has no conflict: the pattern test makes one)."""
    for decision, rows in generated.items():
        spec = sql_bundle.data["decisions"][decision]
        outcomes = {case.expected[0] for case in rows.expected.values()}
        errors = sum(case.expected[2] is not None for case in rows.expected.values())
        assert {r["outcome"] for r in spec["rules"]} | {spec["default"], None} <= outcomes, decision
        assert errors > len(rows.expected) // 20, decision


def _conformance(bundle: Bundle, folder: Path) -> dict[str, Generated]:
    """The conformance cases as rows of text cells, by decision (the cases' answers expected)."""
    path = Path(bundle.source).parent / "conformance.json"
    by_decision: dict[str, Generated] = {}
    for index, case in enumerate(json.loads(path.read_text(encoding="utf-8"))["cases"], start=1):
        decision = case["decision"]
        rows = by_decision.setdefault(decision, Generated.__new__(Generated))
        if not hasattr(rows, "expected"):
            rows.path, rows.expected = folder / f"{decision}.conformance.jsonl", {}
            rows.columns = [KEY, AS_OF, *bundle.data["decisions"][decision]["facts"]]
            rows.path.write_text("", encoding="utf-8")
        row = {
            KEY: index,
            AS_OF: case.get("as_of"),
            **{n: sql_cases.cell_text(v) for n, v in case["facts"].items()},
        }
        with rows.path.open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        rows.expected[index] = Case(row, (case["outcome"], tuple(case["deciding"]), None), False)
    return by_decision


def test_conformance_cases_in_duckdb_and_spark(sql_bundle: Bundle, spark: Any, tmp_path: Path) -> None:
    cases = _conformance(sql_bundle, tmp_path)
    assert sum(len(rows.expected) for rows in cases.values()) > 100
    for decision, rows in cases.items():
        assert rows.check(duckdb_answers(sql_bundle, decision, rows.path, rows.columns)) == [], decision
        assert rows.check(spark_answers(spark, sql_bundle, decision, rows.path, rows.columns)) == [], decision


def test_synthetic_corpus_answers_alike_in_python_and_duckdb(tmp_path: Path) -> None:
    """benchmarks/gen_corpus.py's 2,000 clauses, every decision, SYNTHETIC_ROWS rows each."""
    corpus = tmp_path / "corpus"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "gen_corpus.py"),
            "--clauses",
            "2000",
            "--languages",
            "1",
            "--out",
            str(corpus),
            "--no-check",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    assert main(["build", str(corpus), "--no-site", "--out", str(tmp_path / "build"), "-q"]) == 0
    # The bundle, not one of the per-decision rules files beside it (<corpus>.rules.*.json).
    digests = (tmp_path / "build" / "bundle").glob("*.json.sha256")
    bundle = Bundle.load(next(d for d in digests if ".rules." not in d.name).with_suffix(""))
    rules = sum(len(spec["rules"]) for spec in bundle.data["decisions"].values())
    assert len(bundle.data["clauses"]) == 2000 and rules >= 1500  # nine clauses in ten state a rule
    for index, decision in enumerate(bundle.data["decisions"]):
        rows = Generated(tmp_path, bundle, decision, SYNTHETIC_ROWS, 7 + index)
        assert rows.check(duckdb_answers(bundle, decision, rows.path, rows.columns)) == [], decision


def _rule(clause: str, outcome: str, when: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    return {
        "clause": clause,
        "outcome": outcome,
        "when": when,
        "effective": {"from": None, "until": None},
        "overrides": overrides,
    }


def _is(name: str, value: str) -> dict[str, Any]:
    return {
        "op": "==",
        "left": {"op": "fact", "name": name, "type": "string"},
        "right": {"op": "const", "type": "string", "value": value},
    }


PATTERN_DECISION = {
    "facts": {
        "country": {"type": "string", "pattern": "[A-Z]{2}"},
        "code": {"type": "string", "pattern": "(?:x-)?[0-9]{1,3}|n/a"},
    },
    "as_of": None,
    "default": "no",
    "outcomes": {"yes": {"en": "yes"}, "no": {"en": "no"}},
    "rules": [
        _rule("p.ru", "yes", _is("country", "RU"), []),
        _rule("p.ru-na", "no", {"op": "and", "args": [_is("country", "RU"), _is("code", "n/a")]}, []),
        _rule("p.de", "yes", _is("country", "DE"), []),
        _rule("p.de-12", "no", {"op": "and", "args": [_is("country", "DE"), _is("code", "12")]}, ["p.de"]),
    ],
}
"""A hand-made decision: string facts with a pattern (issue 17's contract; no shipped fact has
one yet), a conflict (RU, n/a) and an override (DE, 12)."""
COUNTRIES = ["RU", "DE", "R", "RUS", "ru", "R1", "RU\n", "RU\r", "RU\u2028", "\nRU", "", "ÄB", "R.", "FR"]
CODES = ["x-12", "12", "1234", "x-", "n/a", "n/ab", "x-12\n", "7"]


def _pattern_answer(country: str, code: str) -> tuple[str | None, tuple[str, ...] | None, str | None]:
    """What the Python checker answers (the pattern checked by re.fullmatch, as the contract says)."""
    problems = [
        f"fact '{name}' must be a text matching {spec['pattern']}, found \"{value}\""
        for (name, spec), value in zip(PATTERN_DECISION["facts"].items(), (country, code), strict=True)  # type: ignore[attr-defined]
        if not re.fullmatch(spec["pattern"], value)
    ]
    if problems:
        return None, None, "; ".join(problems)
    hits = {
        "p.ru": country == "RU",
        "p.ru-na": country == "RU" and code == "n/a",
        "p.de": country == "DE",
        "p.de-12": country == "DE" and code == "12",
    }
    deciding = tuple(c for c, hit in hits.items() if hit and not (c == "p.de" and hits["p.de-12"]))
    outcomes = {"yes" if c in ("p.ru", "p.de") else "no" for c in deciding}
    outcome = "conflict" if len(outcomes) > 1 else (outcomes.pop() if outcomes else "no")
    return outcome, deciding, None


def test_pattern_full_match_conflict_and_override_in_duckdb_and_spark(spark: Any, tmp_path: Path) -> None:
    """A string fact's `pattern` is matched whole, as Python's re.fullmatch decides (a final line
    end does not slip through Java's `$`); conflicts and overrides answer as docs/semantics.md says."""
    rows = Generated.__new__(Generated)
    rows.path, rows.expected, rows.columns = tmp_path / "p.jsonl", {}, [KEY, AS_OF, "country", "code"]
    with rows.path.open("w", encoding="utf-8") as stream:
        for index, (country, code) in enumerate(((a, b) for a in COUNTRIES for b in CODES), start=1):
            row = {KEY: index, AS_OF: "2024-06-01", "country": country, "code": code}
            stream.write(json.dumps(row) + "\n")
            rows.expected[index] = Case(row, _pattern_answer(country, code), False)
    answers = {case.expected[0] for case in rows.expected.values()}
    assert {"yes", "no", "conflict", None} <= answers
    bundle: Any = SimpleNamespace(
        data={"decisions": {"p": PATTERN_DECISION}}
    )  # its data is all the query reads
    assert rows.check(duckdb_answers(bundle, "p", rows.path, rows.columns)) == []
    assert rows.check(spark_answers(spark, bundle, "p", rows.path, rows.columns)) == []


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialects_query_parses_back(dialect: str, sql_bundle: Bundle) -> None:
    """Each dialect's text is SQL of that dialect: sqlglot reads it back to the same query."""
    for decision in SHIPPED_DECISIONS:
        query = decision_query(sql_bundle.data, decision, table="orders", as_of="2024-06-01")
        text = query.sql(dialect=dialect)
        again = sqlglot.parse_one(text, read=dialect)
        assert {"outcome", "deciding", "error"} <= set(again.named_selects)
        written = again.sql(dialect=dialect)  # a second round trip changes nothing
        assert sqlglot.parse_one(written, read=dialect).sql(dialect=dialect) == written
        assert "orders" in text and "2024-06-01" not in text  # the date is a day number


def test_duckdb_engine_answers_json_lines_without_unknown_keys(sql_bundle: Bundle, tmp_path: Path) -> None:
    """A JSON Lines file whose keys are all facts (the wording of unknown keys has no case then)."""
    facts = {
        "program": "open-license", "channel": "oem", "pool": "servers", "product": "sql-server-2017",
        "enterprise_product": False, "latest_version": True, "license_date": "2024-03-01",
        "order_date": "2024-05-30",
    }  # fmt: skip
    (tmp_path / "facts.jsonl").write_text(json.dumps(facts) + "\n", encoding="utf-8")
    out = tmp_path / "answers.csv"
    arguments = ["check", "--bundle", sql_bundle.source, "--decision", "sa-purchase", "--engine", "duckdb"]
    assert main([*arguments, str(tmp_path / "facts.jsonl"), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").splitlines() == [
        "line,outcome,deciding,overridden,error",
        "1,allowed,[sa-purchase.oem-retail],[],",
    ]
