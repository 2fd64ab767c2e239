"""The SQL back end: one decision of a bundle as one query over a table of facts (compile.py, with
the facts' validation in facts.py), generated with sqlglot for DuckDB, Spark SQL, Trino,
PostgreSQL and Snowflake, and run embedded in DuckDB by `terms check --engine duckdb` (run.py).

Needs the `duckdb` extra (sqlglot; duckdb and pyarrow for run.py); the check runtime does not.
"""
