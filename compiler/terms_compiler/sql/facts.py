"""Reading one fact of a row in SQL: is it there, is it valid, its value, and how a problem shows it.

Two sources (docs/semantics.md, "SQL"):
- a table, one column per fact (`TableFact`), in any dialect: a cell is read by its text
  (CAST AS VARCHAR), so a DATE, BIGINT or BOOLEAN column and a CSV's text column are read
  alike; NULL is a fact left out. A column already of the fact's own SQL type skips the
  parsing (`native`), which is what makes a typed Parquet file fast.
- a JSON object a row (`JsonFact`, DuckDB only): the value's JSON type is kept, so a JSON
  Lines file gives the Python checker's problems exactly (null is not missing, "12" is no int).

Every name and value from a bundle enters the tree as an identifier or a literal (sqlglot
quotes them); nothing is formatted into SQL text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlglot import exp

EPOCH_ORDINAL = 719_163
"""The day number (proleptic ordinal, 0001-01-01 is 1) of 1970-01-01: SQL dates become these."""
FAR_FUTURE = 3_652_059
"""The day number of 9999-12-31, the last date a fact may name."""
INT_DIGITS = 38
"""Whole numbers are DECIMAL(38, 0) in SQL: every engine has it, and it holds any 64-bit value
plus or minus any constant of a bundle (at most 18 digits)."""
WHOLE = exp.DataType.build(f"DECIMAL({INT_DIGITS}, 0)")
TEXT = exp.DataType.build("VARCHAR")
SENTINEL = "#"
"""Appended to a text before a regular expression matches it whole: `^(?:P)#$` on text || '#'.
Java's `$` (Spark, Trino) also matches before a final line end, which the sentinel hides."""

NATIVE_TYPES = {
    "int": {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT"},
    "bool": {"BOOLEAN"},
    "date": {"DATE"},
    "enum": {"VARCHAR"},
    "string": {"VARCHAR"},
}
"""SQL column types (as DuckDB's DESCRIBE names them) that hold a fact's type as they are."""


def lit(value: Any) -> exp.Expr:
    """A literal of a bundle's value (a bool, an int or a text), quoted by sqlglot."""
    if value is True or value is False:
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def paren(node: exp.Expr) -> exp.Expr:
    return (
        node if isinstance(node, exp.Column | exp.Literal | exp.Paren | exp.Boolean) else exp.Paren(this=node)
    )


def concat(*parts: exp.Expr | str) -> exp.Expr:
    """Texts joined (`||`), a str being a literal."""
    nodes = [exp.Literal.string(p) if isinstance(p, str) else paren(p) for p in parts]
    result = nodes[0]
    for node in nodes[1:]:
        result = exp.DPipe(this=result, expression=node, safe=True)
    return result


def full_match(text: exp.Expr, pattern: str) -> exp.Expr:
    """text matches pattern whole, in every dialect's regular expressions (see SENTINEL)."""
    return exp.RegexpLike(
        this=concat(text, SENTINEL), expression=exp.Literal.string(f"^(?:{pattern}){SENTINEL}$")
    )


def fn(name: str, *args: exp.Expr) -> exp.Expr:
    """A call of an engine's own function (the JSON source is DuckDB's)."""
    return exp.Anonymous(this=name, expressions=list(args))


# Texts of each type -----------------------------------------------------------------------------


def _int(text: exp.Expr, start: int, length: int) -> exp.Expr:
    return exp.cast(exp.Substring(this=text, start=lit(start), length=lit(length)), "INT")


def date_text_valid(text: exp.Expr) -> exp.Expr:
    """text is YYYY-MM-DD naming a real day from 0001-01-01 (checked in integers: no engine's
    date parser, which differ on year 0, signs and spaces, is asked before it is sure)."""
    year, month, day = _int(text, 1, 4), _int(text, 6, 2), _int(text, 9, 2)
    leap = exp.or_(
        exp.and_(
            exp.EQ(this=exp.Mod(this=year, expression=lit(4)), expression=lit(0)),
            exp.NEQ(this=exp.Mod(this=year, expression=lit(100)), expression=lit(0)),
        ),
        exp.EQ(this=exp.Mod(this=year, expression=lit(400)), expression=lit(0)),
    )
    last = (
        exp.Case()
        .when(exp.EQ(this=month, expression=lit(2)), exp.Case().when(leap, lit(29)).else_(lit(28)))
        .when(exp.In(this=month, expressions=[lit(4), lit(6), lit(9), lit(11)]), lit(30))
        .else_(lit(31))
    )
    shape = full_match(text, "[0-9]{4}-[0-9]{2}-[0-9]{2}")
    calendar = exp.and_(
        exp.GTE(this=year, expression=lit(1)),
        exp.Between(this=month, low=lit(1), high=lit(12)),
        exp.Between(this=day, low=lit(1), high=last),
    )
    # CASE, not AND: the substrings are only cast to INT once the shape is known to be digits.
    return exp.Case().when(shape, calendar).else_(exp.false())


def day_number(date: exp.Expr) -> exp.Expr:
    """A SQL DATE as a day number (the ordinal docs/semantics.md compares and subtracts)."""
    since = exp.DateDiff(this=date, expression=exp.cast(lit("1970-01-01"), "DATE"), unit=exp.var("DAY"))
    return exp.Add(this=since, expression=lit(EPOCH_ORDINAL))


def text_valid(spec: Mapping[str, Any], text: exp.Expr) -> exp.Expr:
    """A text is a valid value of the fact (the text of a table's cell, or a JSON string)."""
    type_ = spec["type"]
    if type_ == "date":
        return date_text_valid(text)
    if type_ == "enum":
        return exp.In(this=text, expressions=[lit(v) for v in spec["values"]])
    if type_ == "int":
        return full_match(text, f"-?[0-9]{{1,{INT_DIGITS}}}")
    if type_ == "bool":
        return exp.In(this=text, expressions=[lit("true"), lit("false")])
    if "pattern" in spec:
        return full_match(text, spec["pattern"])
    return exp.true()


def text_value(spec: Mapping[str, Any], text: exp.Expr) -> exp.Expr:
    """The value of a valid text, as conditions compute with it."""
    type_ = spec["type"]
    if type_ == "date":
        return day_number(exp.TryCast(this=text, to=exp.DataType.build("DATE")))
    if type_ == "int":
        return exp.TryCast(this=text, to=WHOLE)
    if type_ == "bool":
        return exp.EQ(this=text, expression=lit("true"))
    return text


def default_value(spec: Mapping[str, Any]) -> exp.Expr:
    from terms_compiler.check.dates import to_ordinal

    value = spec["default"]
    return lit(to_ordinal(value) if spec["type"] == "date" else value)


class TableFact:
    """A fact read from a column of a table (None: the table has no such column)."""

    def __init__(self, spec: Mapping[str, Any], column: exp.Expr | None, sql_type: str | None) -> None:
        self.spec = spec
        self.column = column
        self.native = sql_type is not None and sql_type.upper() in NATIVE_TYPES[spec["type"]]
        self.text: exp.Expr = exp.Null() if column is None else exp.Cast(this=column, to=TEXT)

    def missing(self) -> exp.Expr:
        return exp.true() if self.column is None else exp.Is(this=self.column, expression=exp.Null())

    def safe(self) -> bool:
        """value() cannot fail on a cell that is not valid (no text is cast to a number or a date)."""
        return self.column is None or self.native or self.spec["type"] in ("enum", "string", "bool")

    def valid(self) -> exp.Expr:
        type_ = self.spec["type"]
        if self.column is None:
            return exp.false()
        if self.native and type_ == "date":
            return exp.Between(this=day_number(self.column), low=lit(1), high=lit(FAR_FUTURE))
        if self.native and type_ in ("int", "bool"):
            return exp.true()
        return text_valid(self.spec, self.text)

    def value(self) -> exp.Expr:
        if self.column is None:
            return exp.Null()
        if self.native and self.spec["type"] == "date":
            return day_number(self.column)
        if self.native and self.spec["type"] in ("int", "bool"):
            return self.column
        return text_value(self.spec, self.text)

    def shown(self) -> exp.Expr:
        """The cell as a problem shows it: the text in double quotes."""
        return concat('"', self.text, '"')


class JsonFact:
    """A fact's JSON value `raw` (DuckDB's JSON type, extracted from the row's object; NULL when
    the key is not there): its JSON type is kept. json_type and string: the value's JSON type and
    its string (json_type and json_extract_string of it), when they are extracted already."""

    def __init__(
        self,
        spec: Mapping[str, Any],
        raw: exp.Expr,
        json_type: exp.Expr | None = None,
        string: exp.Expr | None = None,
    ) -> None:
        self.spec = spec
        self.raw = raw
        self.json_type = fn("json_type", self.raw) if json_type is None else json_type
        self.string = fn("json_extract_string", self.raw, lit("$")) if string is None else string
        self.raw_text = exp.Cast(this=self.raw, to=TEXT)

    def _is(self, *types: str) -> exp.Expr:
        return exp.In(this=self.json_type, expressions=[lit(t) for t in types])

    def _whole(self) -> exp.Expr:
        """An integer as written: DuckDB reads one beyond 64 bits as a DOUBLE, but keeps its digits."""
        digits = full_match(self.raw_text, f"-?[0-9]{{1,{INT_DIGITS}}}")
        return exp.or_(self._is("BIGINT", "UBIGINT"), exp.and_(self._is("DOUBLE"), digits))

    def missing(self) -> exp.Expr:
        return exp.Is(this=self.raw, expression=exp.Null())

    def safe(self) -> bool:
        """value() cannot fail, nor overflow later, on a value that is not valid (a float is cast
        to a whole number only once it is known to be one)."""
        return self.spec["type"] in ("enum", "string", "bool")

    def valid(self) -> exp.Expr:
        type_ = self.spec["type"]
        if type_ == "int":
            return self._whole()
        if type_ == "bool":
            return self._is("BOOLEAN")
        return exp.Case().when(self._is("VARCHAR"), text_valid(self.spec, self.string)).else_(exp.false())

    def value(self) -> exp.Expr:
        type_ = self.spec["type"]
        if type_ == "int":
            return exp.TryCast(this=self.raw_text, to=WHOLE)
        if type_ == "bool":
            return exp.EQ(this=self.raw_text, expression=lit("true"))
        return text_value(self.spec, self.string)

    def shown(self) -> exp.Expr:
        """The value as evaluate._show shows it: a text quoted, a float as Python's repr."""
        as_float = exp.Cast(this=exp.Cast(this=self.raw, to=exp.DataType.build("DOUBLE")), to=TEXT)
        return (
            exp.Case()
            .when(self._is("VARCHAR"), concat('"', self.string, '"'))
            .when(self._is("OBJECT"), lit("an object"))
            .when(self._is("ARRAY"), lit("a list"))
            .when(self._is("DOUBLE"), exp.Case().when(self._whole(), self.raw_text).else_(as_float))
            .else_(self.raw_text)
        )
