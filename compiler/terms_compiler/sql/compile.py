"""One decision of a bundle -> one SQL query over a table of facts, as a sqlglot expression tree.

    from terms_compiler.sql.compile import decision_query
    tree = decision_query(bundle.data, "sa-purchase", table="orders", as_of="2024-06-01")
    tree.sql(dialect="spark")          # or duckdb, trino, postgres, snowflake

The rules are read by the checker's own typed reader (check/rules.py, through CompiledDecision,
which refuses a malformed decision), and every node becomes a sqlglot node: names are quoted
identifiers and values literals, so nothing from a bundle is formatted into SQL text.

The query has five levels, each a subquery selecting from the one before:
  1. checked: per row its key, whether its facts (`_fbad`) or its as-of date (`_abad`) have a
     problem, each fact's value (defaults filled in, dates as day numbers), the as-of day, and
     the source columns the problems are worded from, carried up to the last level;
  2. hits: whether each rule applies (in effect on the day and its condition true);
  3. decided: whether each rule decides (applies and no applying rule overrides it), and
     whether it is overridden;
  4. outcomes: whether some deciding rule has each outcome;
  5. the answer: key, outcome (`conflict` when the deciding rules differ), deciding and
     overridden clause ids (arrays, in rule order) and error, the problems worded here, for the
     rows that have one only; outcome and arrays NULL on a row with an error.
A row with a problem is answered NULL whatever its values, so a value that cannot fail (a column
of the fact's own type) is read as it is, and no rule's "applies" needs a COALESCE: the cheap
path is a typed Parquet file's. A JSON reading (DuckDB) has three levels before them: the facts'
JSON values, types and strings (a call each for all the facts), each fact's, and `_fine`.
docs/semantics.md, "SQL", says what SQL adds to the semantics (NULLs, whole numbers, dates).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlglot import exp

from terms_compiler.check.dates import parse_date
from terms_compiler.check.evaluate import (
    CONFLICT,
    CompiledDecision,
    type_words,  # the problems' words, as the checker has them
)
from terms_compiler.check.rules import (
    Arithmetic,
    BoolOp,
    Compare,
    Const,
    Days,
    Expr,
    Fact,
    Membership,
    Not,
    Param,
    Rule,
    constant_value,
)
from terms_compiler.sql.facts import (
    TEXT,
    WHOLE,
    JsonFact,
    TableFact,
    concat,
    date_text_valid,
    day_number,
    default_value,
    fn,
    lit,
    paren,
    text_value,
)

DIALECTS = ("duckdb", "spark", "trino", "postgres", "snowflake")
KEY, ERROR, DAY = "_key", "_error", "_day"
"""Names of the inner levels' own columns (the facts are _f_NAME, the rules _h1.., _d1..)."""
COMPARE = {"==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}


class SqlError(Exception):
    """The query cannot be made (an as-of date that is no date, a key column that is a fact)."""


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True), table=table)


def fact_column(name: str) -> exp.Column:
    return col(f"_f_{name}")


def aliased(node: exp.Expr, name: str) -> exp.Expr:
    return exp.alias_(node, exp.to_identifier(name, quoted=True))


def unknown_problem(name: str, declared: Sequence[str]) -> str:
    """The Python checker's problem for an unknown fact, its hint included (evaluate.prepare)."""
    close = difflib.get_close_matches(name, list(declared), n=1)
    return f"unknown fact '{name}'" + (f" (did you mean '{close[0]}'?)" if close else "")


def decision_query(
    bundle: Mapping[str, Any],
    decision_id: str,
    *,
    table: str | exp.Expr = "facts",
    columns: Mapping[str, str | None] | None = None,
    key: str | None = None,
    as_of: str | None = None,
    as_of_column: str | None = None,
    json_column: str | None = None,
    json_problem: str | None = None,
    json_values: str | None = None,
    unknown_fact: Callable[[exp.Expr], exp.Expr] | None = None,
    key_name: str | None = None,
) -> exp.Select:
    """The query answering `decision_id` for every row of `table`.

    columns: the table's columns in order, with their SQL types when known (None: read as text);
    default: the decision's facts. key: the column naming each row (default: ROW_NUMBER()).
    as_of: a date for every row; as_of_column: a column holding each row's as-of date; neither:
    the decision's as-of fact, or today. json_column: read each row's facts from this column of
    JSON objects instead (DuckDB), `unknown_fact(name)` giving the problem of a key that is no
    fact; NULL in json_column is a line that is not JSON, its problem in the column json_problem
    (default: `not valid JSON`); json_values, a column of the source holding the facts' JSON
    values as a list in their order, when it has them already. key_name: the answer's key column
    (default: the key column's name, or `row`).
    """
    decision = CompiledDecision(decision_id, bundle["decisions"][decision_id])
    facts: Mapping[str, Mapping[str, Any]] = decision.facts
    source = _table(table) if isinstance(table, str) else table
    if columns is None:
        columns = {name: None for name in facts}
    for special in (key, as_of_column):
        if special is not None and special in facts:
            raise SqlError(f"column '{special}' is a fact of {decision_id}; name another column")
    # Without a key column, the row's number. Spark wants an ordered window for it: ORDER BY NULL,
    # which numbers rows in the order the engine reads them (all on one worker): name a key.
    by_nothing = exp.Order(expressions=[exp.Ordered(this=exp.Null())])
    key_node: exp.Expr = col(key) if key is not None else exp.Window(this=exp.RowNumber(), order=by_nothing)
    # The problems' texts are only made in the last level, from columns carried up to it: there
    # they are worked out for the rows with a problem alone (in the level that computes the
    # facts' values, the engine shares their parts with the values and words every row).
    if json_column is not None:
        # The facts' JSON values, JSON types and strings are extracted in one call each: DuckDB
        # parses its JSON argument on every call, so a call for each fact's type or string would
        # parse its value again each time. Each fact's problem is worked out once, before the
        # list of keys is walked, which looks each key's problem up.
        row = col(json_column)
        paths = exp.Array(expressions=[lit("$." + name) for name in facts])
        given = fn("json_extract", row, paths) if json_values is None else col(json_values)
        lists = {"_r": given, "_t": fn("json_type", row, paths), "_s": fn("json_extract_string", row, paths)}
        parsed = exp.select(exp.Star(), *(aliased(node, name) for name, node in lists.items())).from_(source)
        extracted = exp.select(
            exp.Star(),
            *(
                aliased(exp.Bracket(this=col(kind), expressions=[lit(index)]), f"{kind}_{name}")
                for index, name in enumerate(facts)
                for kind in lists
            ),
        ).from_(parsed.subquery("parsed"))
        readers: Mapping[str, TableFact | JsonFact] = {
            name: JsonFact(spec, *(col(f"{kind}_{name}") for kind in lists)) for name, spec in facts.items()
        }
        read = exp.select(exp.Star(), aliased(_json_fine(readers, facts, row), "_fine"))
        source = read.from_(extracted.subquery("extracted")).subquery("read")
        unread = [] if json_problem is None else [json_problem]
        per_fact = [f"{kind}_{name}" for name in facts for kind in lists]
        carried = {name: name for name in [json_column, "_fine", *unread, *per_fact]}
        # Each fact's problem, worded in a level of its own (only on a row with a problem) before
        # the walk over the row's keys looks them up: a lambda computing them costs far more.
        worded = {
            f"_p_{name}": exp.Case().when(col("_fbad"), _problem(name, spec, readers[name]))
            for name, spec in facts.items()
        }
        bad: exp.Expr = exp.not_(exp.func("COALESCE", col("_fine"), exp.false()))
        not_json = lit("not valid JSON") if json_problem is None else col(json_problem)
        problems = _json_problems(facts, row, unknown_fact, _missing(facts, readers), not_json)
    else:
        worded = {}
        readers = {
            name: TableFact(spec, col(name) if name in columns else None, columns.get(name))
            for name, spec in facts.items()
        }
        others = [c for c in columns if c not in (key, as_of_column)]
        carried = {column: f"_c{index}" for index, column in enumerate(others)}
        late = {
            name: TableFact(spec, col(carried[name]) if name in carried else None, columns.get(name))
            for name, spec in facts.items()
        }
        bad, problems = _table_problems(readers, late, facts, others, carried)
    if as_of_column is not None:
        carried[as_of_column] = "_c_as_of"
    values = {name: _fact_value(name, spec, readers[name]) for name, spec in facts.items()}
    as_of_bad, as_of_problem, day = _as_of(decision, values, as_of, as_of_column)
    checked = exp.select(
        aliased(key_node, KEY),
        aliased(bad, "_fbad"),
        aliased(as_of_bad, "_abad"),
        *(aliased(value, f"_f_{name}") for name, value in values.items()),
        aliased(day, DAY),
        *(aliased(col(name), alias) for name, alias in carried.items()),
    ).from_(source)
    error = exp.Case().when(col("_fbad"), problems).when(col("_abad"), as_of_problem)
    return _answer(decision, checked, key_name or key or "row", list(carried.values()), error, worded)


def _table(name: str) -> exp.Table:
    """A table named `name`, `schema.name` or `catalog.schema.name`, each part a quoted identifier."""
    parts = name.split(".")
    if len(parts) > 3 or not all(parts):
        raise SqlError(f"not a table name: {name!r} (name, schema.name or catalog.schema.name)")
    if len(parts) == 1:
        return exp.table_(parts[0], quoted=True)
    return exp.table_(parts[-1], db=parts[-2], catalog=parts[0] if len(parts) == 3 else None, quoted=True)


def _fact_value(name: str, spec: Mapping[str, Any], reader: TableFact | JsonFact) -> exp.Expr:
    """The fact's value on a valid row: its default when it is left out. A row with a problem is
    answered NULL whatever its values, so a value that cannot fail (a column of the fact's own
    type, a text compared as it is) is read as it is; a text cast to a number or a date waits
    for its check (Spark's ANSI casts and PostgreSQL's fail on a text that is none)."""
    if reader.safe():
        value = reader.value()
        return exp.func("COALESCE", value, default_value(spec)) if "default" in spec else value
    case = exp.Case()
    if "default" in spec:
        case = case.when(reader.missing(), default_value(spec))
    return case.when(reader.valid(), reader.value())


def _problem(name: str, spec: Mapping[str, Any], reader: TableFact | JsonFact) -> exp.Expr:
    """`fact 'NAME' must be WORDS, found VALUE` when the fact is given but not valid, else NULL."""
    bad = exp.and_(exp.not_(reader.missing()), exp.not_(reader.valid()))
    return exp.Case().when(bad, concat(f"fact '{name}' must be {type_words(spec)}, found ", reader.shown()))


def _missing(facts: Mapping[str, Mapping[str, Any]], readers: Mapping[str, Any]) -> list[exp.Expr]:
    """`missing fact 'NAME' (WORDS)` for each fact without a default, in declaration order."""
    return [
        exp.Case().when(readers[name].missing(), lit(f"missing fact '{name}' ({type_words(spec)})"))
        for name, spec in facts.items()
        if "default" not in spec
    ]


def _joined(problems: list[exp.Expr]) -> exp.Expr:
    """The problems that are not NULL, joined by `; ` (as the batch output joins them)."""
    if not problems:
        return exp.Null()
    return exp.ArrayToString(this=_present(exp.Array(expressions=problems), "p"), expression=lit("; "))


def _table_problems(
    readers: Mapping[str, Any],
    late: Mapping[str, Any],
    facts: Mapping[str, Mapping[str, Any]],
    columns: Sequence[str],
    carried: Mapping[str, str],
) -> tuple[exp.Expr, exp.Expr]:
    """Whether a table's row has a problem (over its columns), and the problems' text (over the
    columns carried to the last level: `late`): its columns in order (a fact ill-typed, or an
    unknown column holding a value), then the facts missing."""
    problems: list[exp.Expr] = []
    flags: list[exp.Expr] = []
    for column in columns:
        if column in facts:
            problems.append(_problem(column, facts[column], late[column]))
            reader = readers[column]
            flags.append(exp.and_(exp.not_(reader.missing()), exp.not_(reader.valid())))
        else:
            flags.append(exp.not_(exp.Is(this=col(column), expression=exp.Null())))
            given = exp.not_(exp.Is(this=col(carried[column]), expression=exp.Null()))
            problems.append(exp.Case().when(given, lit(unknown_problem(column, list(facts)))))
    flags += [readers[name].missing() for name, spec in facts.items() if "default" not in spec]
    bad = _any(flags) if flags else exp.false()
    return bad, _joined(problems + _missing(facts, late))


def _json_fine(readers: Mapping[str, Any], facts: Mapping[str, Mapping[str, Any]], row: exp.Expr) -> exp.Expr:
    """The JSON object's facts are all valid: each given one valid, each one without a default
    given, and no other key (as many keys as facts given)."""
    return exp.and_(
        exp.EQ(this=fn("json_type", row), expression=lit("OBJECT")),
        *(exp.or_(exp.not_(r.missing()), lit("default" in facts[n])) for n, r in readers.items()),
        *(exp.or_(r.missing(), r.valid()) for r in readers.values()),
        exp.EQ(
            this=fn("len", fn("json_keys", row)),
            expression=exp.Sub(this=lit(len(facts)), expression=paren(_absent(readers))),
        ),
    )


def _json_problems(
    facts: Mapping[str, Mapping[str, Any]],
    row: exp.Expr,
    unknown_fact: Callable[[exp.Expr], exp.Expr] | None,
    missing: list[exp.Expr],
    not_json: exp.Expr,
) -> exp.Expr:
    """Problems of a JSON object, as the Python checker lists them: for each key in the order it
    is written, unknown or ill-typed (its _p_NAME), then the facts missing (DuckDB: json_keys,
    list_transform). Only a row with a problem walks its keys."""
    key = exp.to_identifier("k")
    by_key = exp.Case()
    for name in facts:
        by_key = by_key.when(exp.EQ(this=exp.column(key), expression=lit(name)), col(f"_p_{name}"))
    unknown = (
        unknown_fact(exp.column(key)) if unknown_fact else concat("unknown fact '", exp.column(key), "'")
    )
    by_key = by_key.else_(unknown)
    per_key = fn("list_transform", fn("json_keys", row), exp.Lambda(this=by_key, expressions=[key]))
    all_problems = fn("list_concat", per_key, exp.Array(expressions=missing)) if missing else per_key
    # DuckDB's own array_to_string (skips NULLs): sqlglot's portable form repeats the list.
    joined = exp.func("NULLIF", fn("array_to_string", all_problems, lit("; ")), lit(""))
    return (
        exp.Case()
        .when(exp.Is(this=row, expression=exp.Null()), not_json)
        .when(
            exp.NEQ(this=fn("json_type", row), expression=lit("OBJECT")),
            lit("the facts must be a JSON object"),
        )
        .when(col("_fine"), exp.Null())
        .else_(joined)
    )


def _absent(readers: Mapping[str, Any]) -> exp.Expr:
    """How many declared facts the row leaves out."""
    return _count(r.missing() for r in readers.values())


def _count(conditions: Any) -> exp.Expr:
    terms = [exp.Case().when(condition, lit(1)).else_(lit(0)) for condition in conditions]
    return _balanced(exp.Add, terms) if terms else lit(0)


def _balanced(kind: Any, items: Sequence[exp.Expr]) -> exp.Expr:
    """items joined by kind (AND, OR, +) as a balanced tree, its halves in parentheses: a chain
    of hundreds (a decision's rules) written flat nests one level an item when an engine parses
    it, past DuckDB's limit of 1,000; balanced, it nests 2 log2(n) levels."""
    if len(items) == 1:
        return items[0]
    half = len(items) // 2
    left, right = _balanced(kind, items[:half]), _balanced(kind, items[half:])
    joined: exp.Expr = kind(this=paren(left), expression=paren(right))
    return joined


def _all(items: Sequence[exp.Expr]) -> exp.Expr:
    return _balanced(exp.And, items)


def _any(items: Sequence[exp.Expr]) -> exp.Expr:
    return _balanced(exp.Or, items)


def _as_of(
    decision: CompiledDecision,
    values: Mapping[str, exp.Expr],
    as_of: str | None,
    as_of_column: str | None,
) -> tuple[exp.Expr, exp.Expr, exp.Expr]:
    """Whether the row's as-of date is bad, its problem (over the carried column `_c_as_of`),
    and the row's as-of day number."""
    if as_of is not None:
        ordinal = parse_date(as_of)
        if ordinal is None:
            raise SqlError(f'the as-of date must be a date (YYYY-MM-DD), found "{as_of}"')
        return exp.false(), exp.Null(), lit(ordinal)
    if decision.as_of_fact is not None:
        default_day: exp.Expr = values[decision.as_of_fact].copy()
    else:
        default_day = day_number(exp.CurrentDate())
    if as_of_column is None:
        return exp.false(), exp.Null(), default_day
    # A NULL as-of cell asks as of the decision's own date (its as-of fact, or today).
    cell = col(as_of_column)
    text = exp.Cast(this=cell, to=TEXT)
    given = exp.not_(exp.Is(this=cell, expression=exp.Null()))
    bad = exp.Case().when(given, exp.not_(date_text_valid(text))).else_(exp.false())
    shown = concat('"', exp.Cast(this=col("_c_as_of"), to=TEXT), '"')
    problem = concat("the as-of date must be a date (YYYY-MM-DD), found ", shown)
    day = (
        exp.Case().when(exp.not_(given), default_day).when(exp.not_(bad), text_value({"type": "date"}, text))
    )
    return bad, problem, day


# The rules ------------------------------------------------------------------------------------


def condition(node: Expr) -> exp.Expr:
    """A rule's condition (or any node of it) over the checked level's fact columns."""
    match node:
        case Fact(name=name):
            return fact_column(name)
        case Param() | Const():
            return lit(constant_value(node))
        case BoolOp(op=op, args=args):
            parts = [paren(condition(arg)) for arg in args]
            return paren(_all(parts) if op == "and" else _any(parts))
        case Not(arg=arg):
            return exp.Not(this=paren(condition(arg)))
        case Compare(op=op, left=left, right=right):
            return COMPARE[op](this=paren(condition(left)), expression=paren(condition(right)))
        case Membership(value=value, options=options):
            return exp.In(this=paren(condition(value)), expressions=[condition(o) for o in options])
        case Days(start=start, end=end):
            return exp.Sub(this=paren(condition(end)), expression=paren(condition(start)))
        case Arithmetic(op=op, left=left, right=right):
            # Whole numbers as DECIMAL(38, 0): a 64-bit fact plus an 18-digit constant fits.
            sides = [exp.Cast(this=condition(side), to=WHOLE) for side in (left, right)]
            kind = exp.Add if op == "+" else exp.Sub
            return exp.Paren(this=kind(this=sides[0], expression=sides[1]))
    raise TypeError(f"not a rule node: {node!r}")


def _applies(rule: Rule) -> exp.Expr:
    """The rule is in effect on the row's day and its condition holds. Never NULL on a valid row
    (every value is given or defaulted); on a row with a problem it may be, and is not looked at."""
    day = col(DAY)
    parts: list[exp.Expr] = []
    if rule.start is not None:
        parts.append(exp.LTE(this=lit(rule.start), expression=day))
    if rule.end is not None:
        parts.append(exp.LTE(this=day, expression=lit(rule.end)))
    parts.append(paren(condition(rule.when)))
    return _all(parts)


def _present(array: exp.Expr, name: str) -> exp.Expr:
    """The array's items that are not NULL (FILTER; LIST_FILTER in DuckDB, a subquery in PostgreSQL)."""
    item = exp.to_identifier(name)
    return exp.ArrayFilter(
        this=array,
        expression=exp.Lambda(this=exp.not_(exp.Is(this=item, expression=exp.Null())), expressions=[item]),
    )


def _answer(
    decision: CompiledDecision,
    checked: exp.Select,
    key_name: str,
    carried: list[str],
    error: exp.Expr,
    worded: Mapping[str, exp.Expr],
) -> exp.Select:
    """The levels after `checked`: hits, decided and the answer, the columns `carried` (the
    problems' material) passed up to the last, where `error` words them (with the `worded`
    columns, made in the level before it)."""
    rules = decision.rules
    flags = [col("_fbad"), col("_abad")]
    passed = [
        col(KEY),
        exp.Or(this=col("_fbad"), expression=col("_abad")).as_(ERROR),
        *flags,
        *map(col, carried),
    ]
    hits = exp.select(*passed, *(aliased(_applies(r), f"_h{i}") for i, r in enumerate(rules)))
    hits = hits.from_(checked.subquery("checked"))
    decided_columns = []
    overridable = [any(rule.clause in other.overrides for other in rules) for rule in rules]
    for i, rule in enumerate(rules):
        beaten_by = [col(f"_h{j}") for j, other in enumerate(rules) if rule.clause in other.overrides]
        overridden = exp.and_(col(f"_h{i}"), paren(_any(beaten_by))) if beaten_by else exp.false()
        deciding = exp.and_(col(f"_h{i}"), exp.not_(paren(_any(beaten_by)))) if beaten_by else col(f"_h{i}")
        decided_columns += [aliased(deciding, f"_d{i}"), aliased(overridden, f"_o{i}")]
    # Whether some rule of each outcome decides, once a row (the outcome's CASE asks twice).
    outcomes = list(dict.fromkeys(rule.outcome for rule in rules))
    outcome_columns = [
        aliased(_any([col(f"_d{i}") for i, r in enumerate(rules) if r.outcome == outcome]), f"_y{k}")
        for k, outcome in enumerate(outcomes)
    ]
    decided = exp.select(col(KEY), col(ERROR), *flags, *map(col, carried), *decided_columns)
    decided = decided.select(*(aliased(node, name) for name, node in worded.items()))
    decided = decided.from_(hits.subquery("hits"))
    decided = exp.select(exp.Star(), *outcome_columns).from_(decided.subquery("decided"))
    by_outcome = {outcome: col(f"_y{k}") for k, outcome in enumerate(outcomes)}
    has_error = col(ERROR)
    outcome = exp.Case().when(has_error, exp.Null())
    if len(outcomes) > 1:
        several = exp.GT(this=paren(_count(by_outcome.values())), expression=lit(1))
        outcome = outcome.when(several, lit(CONFLICT))
    for name, holds in by_outcome.items():
        outcome = outcome.when(holds, lit(name))
    outcome = outcome.else_(lit(decision.default))

    def clause_ids(prefix: str) -> exp.Expr:
        """The clauses whose flag (_dN or _oN) holds, in rule order. Most rows have none or one:
        those get an empty or a one-item array without building and filtering a list a rule
        long (which costs more than all the rules together)."""
        flagged = [(col(f"{prefix}{i}"), rule.clause) for i, rule in enumerate(rules)]
        if prefix == "_o":
            flagged = [(flag, clause) for (flag, clause), o in zip(flagged, overridable, strict=True) if o]
        empty = exp.cast(exp.Array(expressions=[]), exp.DataType.build("ARRAY<VARCHAR>"))
        case = exp.Case().when(col(ERROR), exp.Null())
        if not flagged:
            return case.else_(empty)
        flags = [flag for flag, _ in flagged]
        which = exp.Case()
        for flag, clause in flagged:
            which = which.when(flag, lit(clause))
        listed = [exp.Case().when(flag, lit(clause)) for flag, clause in flagged]
        case = case.when(exp.not_(paren(_any(flags))), empty)
        if len(flagged) > 1:
            case = case.when(
                exp.EQ(this=paren(_count(flags)), expression=lit(1)), exp.Array(expressions=[which])
            )
        return case.else_(_present(exp.Array(expressions=listed), "c"))

    return exp.select(
        aliased(col(KEY), key_name),
        aliased(outcome, "outcome"),
        aliased(clause_ids("_d"), "deciding"),
        aliased(clause_ids("_o"), "overridden"),
        aliased(error, "error"),
    ).from_(decided.subquery("outcomes"))


def query_text(tree: exp.Expr, dialect: str, pretty: bool = True) -> str:
    """The query in a dialect's SQL."""
    return tree.sql(dialect=dialect, pretty=pretty)
