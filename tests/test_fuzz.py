"""Fuzzing (issue 14): the YAML loader, the condition parser and the bundle reader on arbitrary
and mutated input either answer or refuse with their own documented errors, never another
exception. The suite runs a few hundred inputs per target; fuzz/run.py runs the same properties
for as long as it is told.

A crash found here is a bug in the code under test. Until it is fixed there, its signature is in
KNOWN_CRASHES (so the fuzz tests stay green without hiding anything else) and its minimal
reproducer is a strict xfail below: it fails the suite as soon as the bug is fixed, to say that
the signature and the xfail are to be removed.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from terms_compiler.check.bundle import Bundle, BundleError, FactError, UnknownDecision
from terms_compiler.check.rules import RuleError
from terms_compiler.cli import main
from terms_compiler.condition.lexer import LexError
from terms_compiler.condition.parser import ParseError, parse
from terms_compiler.diagnostics import CompileError
from terms_compiler.load import Document, load_file

ROOT = Path(__file__).resolve().parent.parent
MINI_CORPUS = ROOT / "tests" / "fixtures" / "mini"
CORPUS_FILES = {
    path.relative_to(MINI_CORPUS).as_posix(): path.read_bytes()
    for path in sorted(MINI_CORPUS.rglob("*.yaml"))
}
"""The mini corpus's files by their path in the corpus folder: the seeds of the loader's mutations."""

Signature = tuple[str, str]
"""What tells one crash from another: the exception's type and where it was raised (the innermost
frame of our package, file:function)."""

KNOWN_CRASHES: dict[str, set[Signature]] = {
    "loader": set(),
    "parser": set(),
    "bundle": set(),
}
"""Crashes found and not yet fixed, per target; each has its strict xfail at the end of this file
(none today: the five the bundle reader had are fixed, and kept as regression tests there)."""

FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,  # nothing written into the checkout; a crash found is pinned below instead
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""A few seconds per target on a loaded machine: the long run is fuzz/run.py."""


class Crash(Exception):
    """An exception the target must never raise, with its signature."""

    def __init__(self, target: str, error: BaseException) -> None:
        self.signature = signature(error)
        self.error = error
        super().__init__(f"{target}: {self.signature[0]} at {self.signature[1]}: {str(error)[:300]}")


def signature(error: BaseException) -> Signature:
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if "terms_compiler" in frame.filename] or frames
    where = ours[-1] if ours else None
    place = f"{where.filename.split('terms_compiler/')[-1]}:{where.name}" if where else "?"
    return type(error).__name__, place


# -- the YAML loader ------------------------------------------------------------------------------

YAML_PIECES = [
    b"&a ", b"*a", b"!!python/object:os.system ", b"!tag ", b": ", b"- ", b"[", b"]", b"{", b"}",
    b"\t", b'"', b"'", b"|", b">", b"%YAML 1.1\n", b"---\n", b"...\n", b"? ", b"#", b"\x00",
    b"\xef\xbb\xbf", b"\xff", b"\r", b"\n", b"  ", b"<<: *a\n", b"yes", b"2024-02-30", b"0x1F",
    b"1" * 30, b"\\u", b"\xed\xa0\x80", b"[" * 70, b"- " * 70, b"\xe2\x80\xa8",
]  # fmt: skip
"""Bytes that mean something to a YAML reader (or to UTF-8)."""


@st.composite
def mutated_bytes(draw: st.DrawFn, seed: bytes) -> bytes:
    """seed with a few insertions, deletions, replacements and duplications."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        end = draw(st.integers(at, min(len(data), at + 40)))
        match draw(st.sampled_from(["insert", "delete", "replace", "duplicate", "piece"])):
            case "insert":
                data[at:at] = draw(st.binary(min_size=1, max_size=20))
            case "delete":
                del data[at:end]
            case "replace":
                data[at:end] = draw(st.binary(max_size=20))
            case "duplicate":
                data[at:at] = data[at:end] * draw(st.integers(1, 50))
            case _:
                data[at:at] = draw(st.sampled_from(YAML_PIECES))
    return bytes(data)


corpus_file = st.sampled_from(sorted(CORPUS_FILES))
loader_inputs = st.one_of(
    st.tuples(st.just("sections/fuzz.yaml"), st.binary(max_size=600)),
    corpus_file.flatmap(lambda name: st.tuples(st.just(name), mutated_bytes(CORPUS_FILES[name]))),
)


def kind_of(name: str) -> str:
    return {"corpus.yaml": "corpus", "decisions.yaml": "decisions", "glossary.yaml": "glossary"}.get(
        name, "section"
    )


def check_loader(name: str, raw: bytes, folder: Path) -> Document | CompileError:
    """Load raw as the corpus file `name` (under folder): a Document, or a CompileError whose
    every diagnostic has a file, a line and a column. Raises Crash otherwise."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    try:
        return load_file(path, kind_of(name))
    except CompileError as error:
        for diagnostic in error.diagnostics:
            span = diagnostic.span
            if span is None or not span.file or span.line < 1 or span.column < 1:
                raise Crash(
                    "loader", AssertionError(f"a diagnostic without a position: {diagnostic}")
                ) from None
        return error
    except Exception as error:
        raise Crash("loader", error) from error


# -- the condition parser -------------------------------------------------------------------------

CONDITION_TOKENS = [
    "and", "or", "not", "(", ")", "==", "!=", "<", "<=", ">", ">=", "in", "[", "]", ",", "days",
    "+", "-", "true", "false", "days(", "not in",
]  # fmt: skip
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}(-[a-z0-9]{1,4}){0,2}", fullmatch=True)
numbers = st.integers(0, 10**25).map(str) | st.integers(0, 40).map(lambda n: "0" * n + "7")
dates = st.tuples(st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99)).map(
    lambda ymd: f"{ymd[0]:04}-{ymd[1]:02}-{ymd[2]:02}"
)
strings = st.text(max_size=10).map(lambda text: '"' + text + '"') | st.just('"unterminated')
condition_token = st.sampled_from(CONDITION_TOKENS) | names | numbers | dates | strings
token_soup = st.tuples(st.lists(condition_token, max_size=60), st.sampled_from([" ", "", "  ", "\n"])).map(
    lambda parts: parts[1].join(parts[0])
)
deep_conditions = st.tuples(
    st.sampled_from(["not ", "(", "a + ", "a and ", "not (", "days(a, "]),
    st.integers(0, 400),
    condition_token,
).map(lambda deep: deep[0] * deep[1] + deep[2])
condition_inputs = st.one_of(st.text(max_size=200), token_soup, deep_conditions)


def check_parser(text: str) -> object:
    """parse(text): a node whose span lies in the text, or a ParseError/LexError at an offset
    inside the text (its end included). Raises Crash otherwise."""
    try:
        node = parse(text)
    except (ParseError, LexError) as error:
        if not 0 <= error.offset <= len(text) or error.length < 0:
            raise Crash("parser", AssertionError(f"error offset {error.offset} outside the text")) from None
        return error
    except Exception as error:
        raise Crash("parser", error) from error
    span = getattr(node, "span", None)
    if span is None or not 0 <= span.start <= span.end <= len(text):
        raise Crash("parser", AssertionError(f"a node's span {span} outside the text"))
    return node


# -- the bundle reader ----------------------------------------------------------------------------

GOOD_FACTS = {"program": "open", "license_date": "2024-03-01", "order_date": "2024-03-15"}
"""Facts that the mini corpus's decision `purchase` answers."""
DEEP = "\x00deep\x00"
"""A string replaced, in the bundle's JSON text, by DEEP_LEVELS nested brackets."""
DEEP_LEVELS = 100_000


@functools.cache
def built_bundle() -> dict[str, Any]:
    """The mini corpus's bundle, built once per process (without the site)."""
    out = Path(tempfile.mkdtemp(prefix="fuzz-bundle-"))
    assert main(["build", str(MINI_CORPUS), "--no-site", "--out", str(out), "-q"]) == 0
    loaded: dict[str, Any] = json.loads((out / "bundle" / "mini-terms.json").read_bytes())
    return loaded


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
special_values = st.sampled_from(
    [
        "",
        "9999-12-31",
        "0001-01-01",
        "2024-02-30",
        "x",
        "open",
        "select",
        "en",
        "zz",
        "fact",
        "param",
        "const",
        "and",
        "days",
        "enum:program",
        "date",
        "int",
        "bool",
        "__import__('os')",
        "\ud800",
        -1,
        0,
        10**20,
        1.5,
        True,
        [],
        {},
        DEEP,
    ]
)


def paths_in(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside value (the root's is ())."""
    found = [path]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += paths_in(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += paths_in(inner, (*path, index))
    return found


def retyped(value: Any) -> list[Any]:
    """The same value as other JSON types."""
    options: list[Any] = [str(value), [value], {"x": value}, None, 0]
    if isinstance(value, dict):
        options += [list(value.values()), list(value)]
    if isinstance(value, list):
        options += [dict(enumerate(value)), {str(i): v for i, v in enumerate(value)}]
    return options


def mutate(data: Any, path: tuple[Any, ...], operation: str, replacement: Any = None) -> str:
    """Apply one mutation to data (in place) at path; returns it in words, for a reproducer."""
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    where = "$" + "".join(f"[{step!r}]" for step in path)
    if operation == "delete":
        del parent[key]
        return f"del {where}"
    if operation == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[key]))
        return f"{where[: where.rindex('[')]}.append({where})"
    parent[key] = replacement
    shown = f"[...{DEEP_LEVELS} nested lists]" if replacement == DEEP else repr(replacement)
    return f"{where} = {shown[:200]}"


def bundle_text(data: Any, ascii_only: bool = True) -> str:
    text = json.dumps(data, ensure_ascii=ascii_only)
    return text.replace(json.dumps(DEEP), "[" * DEEP_LEVELS + "]" * DEEP_LEVELS)


def digest_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() + "  bundle.json\n"


def replacement_for(operation: str, value: Any) -> st.SearchStrategy[Any]:
    """What a value is replaced with by operation (a copy of itself to duplicate it)."""
    if operation == "replace":
        return json_values
    if operation == "special":
        return special_values
    if operation == "retype":
        return st.sampled_from(retyped(value))
    return st.just(copy.deepcopy(value))


@st.composite
def mutated_bundle(draw: st.DrawFn) -> tuple[str, str, tuple[str, ...]]:
    """The mini bundle with a few values replaced, removed, retyped or nested deeply, as JSON
    text; the text of its digest file (nearly always the right one); the mutations in words."""
    data = copy.deepcopy(built_bundle())
    done: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        within = draw(st.sampled_from([(), ("decisions",), ("decisions", "purchase", "rules")]))
        paths = [path for path in paths_in(data) if path[: len(within)] == within and path]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        value = functools.reduce(lambda inner, key: inner[key], path, data)
        operation = draw(st.sampled_from(["replace", "special", "delete", "retype", "duplicate"]))
        done.append(mutate(data, path, operation, draw(replacement_for(operation, value))))
    text = bundle_text(data, draw(st.booleans()))
    digest = draw(st.sampled_from([digest_of(text)] * 12 + ["", "0" * 64, "\udcff" + digest_of(text)]))
    if digest != digest_of(text):
        done.append(f"digest file {digest!r}")
    return text, digest, tuple(done)


facts_inputs = st.one_of(
    st.just(GOOD_FACTS),
    st.dictionaries(st.sampled_from([*GOOD_FACTS, "renewal", "x"]), json_values | special_values, max_size=5),
    json_values,
)
as_of_inputs = st.sampled_from([None, "2024-03-15", "9999-12-31", "0001-01-01", "bad"])


def check_bundle(text: str, digest: str, facts: Any, as_of: str | None, folder: Path) -> object:
    """Bundle.load on text with digest beside it, then decide (and explain, as `terms check`
    does) every decision it names: answers, or BundleError, UnknownDecision, FactError or RuleError.
    Raises Crash otherwise."""
    path = folder / "bundle.json"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    (folder / "bundle.json.sha256").write_bytes(digest.encode("utf-8", "surrogatepass"))
    try:
        bundle = Bundle.load(path)
        decisions = bundle.data["decisions"] if isinstance(bundle.data.get("decisions"), dict) else {}
        answers = []
        for decision in ["purchase", *decisions]:
            try:
                answer = bundle.decide(decision, facts, as_of)
                answers.append((answer, bundle.explain(answer, "en"), bundle.explain_json(answer, "uk")))
            except (FactError, UnknownDecision):
                continue
        return answers
    except (BundleError, RuleError) as error:
        return error
    except Exception as error:
        raise Crash("bundle", error) from error


# -- the fuzz tests -------------------------------------------------------------------------------


def excluding_known(target: str, check: Callable[..., object], *args: Any) -> None:
    """check(*args), where a crash already known (and pinned by an xfail below) passes."""
    try:
        check(*args)
    except Crash as crash:
        if crash.signature not in KNOWN_CRASHES[target]:
            raise


@pytest.fixture(scope="module")
def scratch() -> Any:
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        yield Path(folder)


@FUZZ
@given(loader_inputs)
def test_the_loader_reads_or_refuses_at_a_position(scratch: Path, case: tuple[str, bytes]) -> None:
    excluding_known("loader", check_loader, *case, scratch)


@FUZZ
@given(condition_inputs)
def test_the_parser_parses_or_refuses_inside_the_text(text: str) -> None:
    excluding_known("parser", check_parser, text)


@settings(FUZZ, max_examples=100)
@given(mutated_bundle(), facts_inputs, as_of_inputs)
def test_a_tampered_bundle_answers_or_is_refused(
    scratch: Path, bundle: tuple[str, str], facts: Any, as_of: str | None
) -> None:
    text, digest, _ = bundle
    excluding_known("bundle", check_bundle, text, digest, facts, as_of, scratch)


# -- the crashes found ---------------------------------------------------------------------------
# A crash not yet fixed is pinned here by its smallest reproducer, with its signature in
# KNOWN_CRASHES and a strict xfail: once the code under test is fixed, the test passes, the suite
# fails, and the xfail and the signature are removed, leaving the reproducer as a regression test.
# The five below crashed the bundle reader (issue 14, item 7) and are fixed.

DELETE = object()
"""In tampered: remove the value at the path."""


def tampered(*edits: tuple[tuple[Any, ...], Any]) -> str:
    """The mini bundle's JSON with each (path, value) set, or deleted where value is DELETE."""
    data = copy.deepcopy(built_bundle())
    for path, value in edits:
        mutate(data, path, "delete" if value is DELETE else "replace", value)
    return bundle_text(data)


def refused(text: str, digest: str, folder: Path) -> str:
    """The BundleError's message for text with digest beside it (a crash fails the test)."""
    result = check_bundle(text, digest, GOOD_FACTS, None, folder)
    assert isinstance(result, BundleError), f"not refused: {result!r}"
    return str(result)


def test_a_bundle_whose_decisions_are_null_is_refused(scratch: Path) -> None:
    # Was: AttributeError: 'NoneType' object has no attribute 'get' (Bundle.decision)
    text = tampered((("decisions",), None))
    assert "decisions: expected an object" in refused(text, digest_of(text), scratch)


def test_a_bundle_whose_digest_file_is_binary_is_refused(scratch: Path) -> None:
    # Was: UnicodeDecodeError in _verify_digest (the .sha256 file starts with byte 0xed)
    text = tampered()
    assert "does not start with a SHA-256" in refused(text, "\udcff" + digest_of(text), scratch)


def test_a_bundle_whose_enum_values_are_not_strings_is_refused(scratch: Path) -> None:
    # Was: TypeError: sequence item 0: expected str instance, NoneType found (evaluate._type_words)
    text = tampered((("decisions", "purchase", "facts", "program", "values", 0), None))
    assert "program.values: expected the enum's values" in refused(text, digest_of(text), scratch)


def test_a_bundle_whose_enum_fact_has_no_values_is_refused(scratch: Path) -> None:
    # Was: KeyError: 'values' (evaluate._type_words)
    text = tampered((("decisions", "purchase", "facts", "program", "values"), DELETE))
    assert "program.values: expected the enum's values" in refused(text, digest_of(text), scratch)


def test_a_bundle_nested_100000_deep_is_refused(scratch: Path) -> None:
    # Was: RecursionError: maximum recursion depth exceeded while decoding a JSON array (Bundle.load)
    text = tampered((("changes",), DEEP))
    assert "nested too deeply" in refused(text, digest_of(text), scratch)
