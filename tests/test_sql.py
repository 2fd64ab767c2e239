"""The SQL back end against the Python checker: the conformance cases and generated fact sets
(js/test/differential.py's generator: every rule's boundaries, one set in eight spoilt) give the
same outcome, deciding and overridden clauses and fact errors in Python, DuckDB and PySpark.

- DuckDB reads each fact set as a JSON object (as `terms check --engine duckdb` reads JSON Lines),
  so every fact set counts, spoilt ones included (null, floats, lists, unknown keys...).
- DuckDB and Spark also read them as a table, a text column per fact, the way a warehouse holds
  them: there, the fact sets a table can hold (each value of its fact's JSON type or left out;
  bad dates, enum values not listed, facts missing and unknown columns included).
Row counts: TERMS_SQL_ROWS fact sets per decision (default 100,000) for DuckDB; Spark takes
TERMS_SQL_SPARK_ROWS of them (default the same).
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

from terms_compiler.sql.compile import DIALECTS, decision_query  # noqa: E402
from terms_compiler.sql.run import JSON_ROW, LINE, json_lines, register_unknown_fact, unknown_fact  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "js" / "test"))
from differential import Generator  # noqa: E402

ROWS = int(os.environ.get("TERMS_SQL_ROWS", "100000"))
SPARK_ROWS = int(os.environ.get("TERMS_SQL_SPARK_ROWS", str(ROWS)))
SYNTHETIC_ROWS = 1000
Expected = tuple[Any, Any, Any, Any]
"""outcome, deciding, overridden, error (the problems joined by '; ')."""


def python_answer(bundle: Bundle, decision: str, facts: dict[str, Any], as_of: str | None) -> Expected:
    try:
        answer = bundle.decide(decision, json.loads(json.dumps(facts)), as_of)
    except FactError as error:
        return None, None, None, "; ".join(error.problems)
    return answer.outcome, list(answer.deciding), list(answer.overridden), None


def generated(bundle: Bundle, decision: str, count: int, seed: int) -> list[tuple[dict[str, Any], str | None]]:
    generator = Generator(decision, bundle.data["decisions"][decision], random.Random(seed))
    return list(generator.cases(count))


def duckdb_json_answers(bundle: Bundle, decision: str, cases: list[tuple[dict[str, Any], str | None]]) -> list[Expected]:
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
    tree = decision_query(
        bundle.data,
        decision,
        table=json_lines("cases", "as_of"),
        key=LINE,
        as_of_column="as_of",
        json_column=JSON_ROW,
        unknown_fact=unknown_fact,
    )
    rows = con.execute(tree.sql(dialect="duckdb") + f' ORDER BY "{LINE}"').fetchall()
    con.close()
    assert [row[0] for row in rows] == list(range(1, len(cases) + 1))
    return [tuple(row[1:]) for row in rows]  # type: ignore[misc]


def table_form(bundle: Bundle, decision: str, cases: list[tuple[dict[str, Any], str | None]]) -> tuple[list[str], list[int]]:
    """The table's columns (the facts, then every unknown key met) and the indexes of the fact
    sets a table can hold: each value of its fact's JSON type (a date a text), or left out."""
    facts = bundle.data["decisions"][decision]["facts"]
    json_types = {"int": int, "bool": bool, "date": str, "enum": str, "string": str}
    unknown: dict[str, None] = {}
    kept = []
    for index, (values, _) in enumerate(cases):
        fits = True
        for name, value in values.items():
            if name not in facts:
                fits = fits and value is not None and not isinstance(value, dict | list | float)
                continue
            wanted = json_types[facts[name]["type"]]
            fits = fits and value.__class__ is wanted
        if fits:
            kept.append(index)
            unknown.update(dict.fromkeys(n for n in values if n not in facts))
    return [*facts, *unknown], kept


def cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_table(path: Path, columns: list[str], cases: list[tuple[dict[str, Any], str | None]], kept: list[int]) -> None:
    """The fact sets as a Parquet table of texts: `id`, a column per fact (NULL: left out), `as_of`.
    Each fact set's keys are written in the table's column order, so Python lists its problems in
    the order SQL does (docs/semantics.md: in the order the keys are written)."""
    data: dict[str, list[Any]] = {"id": [index + 1 for index in kept]}
    for column in columns:
        data[column] = [cell(cases[index][0].get(column)) for index in kept]
    data["as_of"] = [cases[index][1] for index in kept]
    schema = pa.schema([("id", pa.int64()), *((c, pa.string()) for c in [*columns, "as_of"])])
    pq.write_table(pa.table(data, schema=schema), path)


def in_column_order(values: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    return {name: values[name] for name in columns if name in values}


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


@pytest.fixture(scope="session")
def spark() -> Any:
    """One local Spark session (one core) for the test session."""
    pyspark_sql = pytest.importorskip("pyspark.sql", reason="PySpark: .ci/run installs it (and a JRE)")
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("terms-sql-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_generated_fact_sets_agree_in_python_duckdb_and_spark(bundle: Bundle, spark: Any, tmp_path: Path) -> None:
    """Fact sets a table can hold, as a Parquet table of texts: the query generated for Spark SQL
    (run in a local PySpark session), for DuckDB, and the Python checker agree on every row."""
    for index, decision in enumerate(bundle.data["decisions"]):
        cases = generated(bundle, decision, SPARK_ROWS, seed=index)
        columns, kept = table_form(bundle, decision, cases)
        path = tmp_path / f"{decision}.parquet"
        write_table(path, columns, cases, kept)
        expected = {
            index + 1: python_answer(bundle, decision, in_column_order(cases[index][0], columns), cases[index][1])
            for index in kept
        }
        tree = decision_query(
            bundle.data, decision, table="facts", columns=dict.fromkeys(columns), key="id", as_of_column="as_of"
        )
        spark.read.parquet(str(path)).createOrReplaceTempView("facts")
        from_spark = {
            row["id"]: (row["outcome"], row["deciding"], row["overridden"], row["error"])
            for row in spark.sql(tree.sql(dialect="spark")).collect()
        }
        con = duckdb.connect()
        con.execute(f"CREATE VIEW facts AS SELECT * FROM read_parquet('{path}')")
        from_duckdb = {row[0]: tuple(row[1:]) for row in con.execute(tree.sql(dialect="duckdb")).fetchall()}
        con.close()
        assert len(from_spark) == len(from_duckdb) == len(expected) > SPARK_ROWS // 2
        for engine, answers in (("spark", from_spark), ("duckdb", from_duckdb)):
            differ = [(key, expected[key], answers[key]) for key in expected if expected[key] != answers[key]]
            assert not differ, f"{decision} in {engine}: {len(differ)} differ, first: {differ[:3]}"
        assert any(e[3] for e in expected.values()), "invalid rows are among them"


def test_synthetic_corpus_agrees_in_python_and_duckdb(tmp_path: Path) -> None:
    """The 2,000-clause corpus of benchmarks/gen_corpus.py, every decision (hundreds of rules)."""
    import subprocess

    corpus = tmp_path / "corpus"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gen_corpus.py"), "--clauses", "2000", "--languages", "1",
         "--out", str(corpus), "--no-check"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    out = tmp_path / "build"
    subprocess.run(
        [sys.executable, "-m", "terms_compiler.cli", "build", str(corpus), "--no-site", "--out", str(out), "-q"],
        check=True,
    )
    synthetic = Bundle.load(next((out / "bundle").glob("*.json.sha256")).with_suffix(""))
    decisions = list(synthetic.data["decisions"])
    assert sum(len(synthetic.data["decisions"][d]["rules"]) for d in decisions) >= 1000
    for index, decision in enumerate(decisions):
        cases = generated(synthetic, decision, SYNTHETIC_ROWS, seed=index)
        expected = [python_answer(synthetic, decision, facts, as_of) for facts, as_of in cases]
        got = duckdb_json_answers(synthetic, decision, cases)
        differ = [(i + 1, expected[i], got[i]) for i in range(len(cases)) if expected[i] != got[i]]
        assert not differ, f"{decision}: {len(differ)} differ, first: {differ[:2]}"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_each_dialect_parses_back(bundle: Bundle, dialect: str) -> None:
    for decision in bundle.data["decisions"]:
        text = decision_query(bundle.data, decision, table="orders", key="order_id").sql(dialect=dialect)
        parsed = sqlglot.parse_one(text, read=dialect)
        assert parsed.sql(dialect=dialect) == text
        assert "'sa-" in text or decision not in ("sa-purchase", "sa-renewal")
