"""The `terms check` command: answer a decision from a bundle for one fact set, or for a JSON Lines
batch line by line. Only the standard library and the check runtime are imported here, so a call
starts fast (YAML facts load the YAML reader when they come)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFLICT = 0, 1, 2, 3


def add_check_parser(commands: Any, add_trust_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """The command's options, on the `terms` parser's commands (js/bin/terms-check.js takes the
    same ones)."""
    check = commands.add_parser(
        "check",
        description="Answer a decision for FACTS: a JSON or YAML file, '-' for standard input, "
        "or a .jsonl file (or --lines) with one fact set per line, answered in "
        "order. A bad line gets an error answer naming its line; the rest go on.",
        epilog="example: terms check --bundle build/bundle/product-terms-sa.json "
        "--decision sa-renewal facts.json",
    )
    check.add_argument(
        "--bundle",
        default=None,
        help="the bundle JSON file, or its URL (http or https: fetched and verified as terms fetch "
        "does, e.g. an edition's .../files/2026-10/ID.json); default: the bundle built in "
        "build/bundle/, inside a corpus",
    )
    check.add_argument("--digest", default=None, help="its SHA-256 file (default: BUNDLE.sha256)")
    check.add_argument("--decision", required=True, help="decision id, e.g. sa-purchase")
    check.add_argument(
        "--as-of",
        default=None,
        metavar="DATE",
        help="evaluate as of this date (default: the decision's date fact)",
    )
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--lang", default="en", help="language of reasons and quotes (default en)")
    check.add_argument(
        "--explain",
        choices=("none", "deciding", "all"),
        default="all",
        help="reasons given: none (the outcome alone, fastest), deciding (the deciding rules' and "
        "the default or conflict), all (every rule's, the default)",
    )
    check.add_argument(
        "--lines", action="store_true", help="read FACTS as JSON Lines even without the .jsonl extension"
    )
    add_trust_option(check)
    check.add_argument("facts", metavar="FACTS", help="facts file, or - for standard input")
    check.add_argument(
        "--engine",
        choices=("python", "duckdb"),
        default="python",
        help="duckdb: answer a whole FACTS file (.parquet, .csv, .jsonl) with the decision's SQL in "
        "embedded DuckDB, into --out; needs the 'duckdb' extra (default: python)",
    )
    check.add_argument(
        "--out",
        default=None,
        metavar="RESULTS",
        help="with --engine duckdb: the answers' .parquet, .csv or .jsonl",
    )
    check.add_argument(
        "--memory-limit",
        default=None,
        metavar="SIZE",
        help="with --engine duckdb: the most memory DuckDB holds (e.g. 512MB, 4GB), spilling to "
        "disk beyond it; default: DuckDB's own, 80%% of the machine's memory",
    )


def run_check(args: argparse.Namespace) -> int:
    """terms check [--bundle B] --decision D [--as-of] [--format] [--lang] [--explain] [--trust] FACTS."""
    from terms_compiler.check.bundle import Bundle, BundleError, UnknownDecision

    try:
        args.bundle = args.bundle or built_bundle(".")
        if args.bundle.startswith(("http://", "https://")):
            bundle = _downloaded(args.bundle, args.trust)
        else:
            bundle = Bundle.load(args.bundle, args.digest, args.trust)
        bundle.decision(args.decision)
    except BundleError as error:
        print(f"terms check: {error}", file=sys.stderr)
        return EXIT_USAGE
    except UnknownDecision as error:  # a KeyError: its str() is its message quoted
        print(f"terms check: {error.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    if args.lang not in bundle.data["languages"]:
        print(
            f"terms check: language '{args.lang}' is not in the bundle "
            f"({', '.join(bundle.data['languages'])})",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.engine == "duckdb" or args.out is not None:  # the decision's SQL, run in DuckDB
        from terms_compiler.sql.run import run_engine

        return run_engine(bundle, args, line_problem)
    lines = args.lines or args.facts.endswith(".jsonl")
    try:
        stream = sys.stdin if args.facts == "-" else open(args.facts, encoding="utf-8")  # noqa: SIM115
    except OSError as error:
        print(f"terms check: cannot read {args.facts}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE
    with stream:
        if lines:
            return _check_lines(bundle, args, stream)
        return _check_one(bundle, args, stream)


def _downloaded(url: str, trust: list[str] | None) -> Any:
    """--bundle URL: the bundle fetched and verified into a temporary folder as `terms fetch`
    does (digest; signature with --trust), then loaded; the folder is removed once read."""
    from terms_compiler.check.bundle import Bundle, BundleError
    from terms_compiler.check.signatures import SignatureError
    from terms_compiler.commands.fetch import FetchFailed, fetched_bundle

    with tempfile.TemporaryDirectory(prefix="terms-check-") as folder:
        try:
            return Bundle.load(fetched_bundle(url, Path(folder), trust), None, trust)
        except (FetchFailed, SignatureError) as error:
            raise BundleError(str(error)) from None


def built_bundle(folder: str) -> str:
    """The bundle `terms build` wrote for the corpus in folder (the working folder): the corpus is
    found as the other commands find it (corpus.yaml in the folder, or in terms/ under it, the
    default PATH), its bundle in build/bundle/ (build's default --out). A BundleError saying what
    to do otherwise."""
    from terms_compiler.check.bundle import BundleError

    corpora = [
        p for p in (folder, os.path.join(folder, "terms")) if os.path.isfile(os.path.join(p, "corpus.yaml"))
    ]
    if not corpora:
        raise BundleError(
            "no --bundle given, and no corpus here (corpus.yaml in . or in terms/) to take it from"
        )
    built = os.path.join(folder, "build", "bundle")
    try:
        names = sorted(  # the bundle, not the conformance cases or the site's rules files
            n
            for n in os.listdir(built)
            if n.endswith(".json") and n != "conformance.json" and ".rules." not in n
        )
    except OSError:
        names = []
    if len(names) != 1:
        found = f"found {', '.join(names)}" if names else "found none"
        raise BundleError(
            f"no --bundle given, and the corpus in {corpora[0]} has no one built bundle in {built} "
            f"({found}): run terms build, or give --bundle"
        )
    return os.path.join(built, names[0])


def _read_facts(stream: TextIO, name: str) -> Any:
    """The facts of a JSON or YAML file. JSON first: the fast path, standard library only. Then
    YAML, read the way the corpus is read (terms_compiler.yaml_reader: YAML 1.2 scalars, so a date
    stays an ISO string and only true/false are booleans), its errors at their line and column."""
    text = _utf8_text(stream).removeprefix("\ufeff")
    try:
        return json.loads(text)
    except RecursionError:
        if name.endswith(".json"):
            raise ValueError(DEEP_JSON) from None
    except ValueError as error:
        if name.endswith(".json"):
            raise ValueError(f"not valid JSON ({error})") from None
    # Only for YAML fact files, and needing the build extra (PyYAML): keeps the JSON path light.
    from terms_compiler.diagnostics import CompileError
    from terms_compiler.yaml_reader import read_text

    try:
        return read_text(text, name)
    except CompileError as error:
        problem = error.diagnostics[0]
        where = f" (line {problem.span.line}, column {problem.span.column})" if problem.span else ""
        raise ValueError(f"{problem.message}{where}") from None


def _utf8_text(stream: TextIO) -> str:
    """All of stream's text; a byte that is not UTF-8 is reported with its line and column."""
    if reconfigure := getattr(stream, "reconfigure", None):
        reconfigure(errors="surrogateescape")  # a bad byte becomes U+DC80..U+DCFF, found below
    text = stream.read()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        line, line_start = text.count("\n", 0, error.start) + 1, text.rfind("\n", 0, error.start) + 1
        byte = ord(text[error.start]) - 0xDC00
        where = f"line {line}, column {error.start - line_start + 1}"
        raise ValueError(f"not valid UTF-8 (byte 0x{byte:02x} at {where})") from None
    return text


def _check_one(bundle: Any, args: argparse.Namespace, stream: TextIO) -> int:
    from terms_compiler.check.evaluate import CONFLICT, FactError

    try:
        facts = _read_facts(stream, args.facts)
        answer = bundle.decide(args.decision, facts, args.as_of)
    except FactError as error:
        return _refused(args, error.problems)
    except ModuleNotFoundError:
        raise  # YAML facts without the build extra: main says which extra to install
    except Exception as error:  # a syntax error in the facts file, whatever its parser
        return _refused(args, [f"cannot read the facts: {error}"])
    if args.format == "json":
        record = answer.to_json()
        if args.explain != "none":
            record["reasons"] = [r.to_json() for r in _reasons(bundle, answer, args.lang, args.explain)]
        _write(json.dumps(record, ensure_ascii=False, indent=2) + "\n")
    else:
        _write("\n".join(_answer_text(bundle, answer, args.lang, args.explain)) + "\n")
    return EXIT_CONFLICT if answer.outcome == CONFLICT else EXIT_OK


def _refused(args: argparse.Namespace, problems: list[str]) -> int:
    """Facts that get no answer: with --format json, the error record a batch line gets (without
    its line) on standard output, so that a tool reads one JSON shape whatever it sent; as text,
    one line a problem on standard error. Exit 2 either way."""
    if args.format == "json":
        _write(json.dumps(error_record(problems), ensure_ascii=False, indent=2) + "\n")
    else:
        for problem in problems:
            print(f"{args.facts}: error: {problem}", file=sys.stderr)
    return EXIT_USAGE


def error_record(problems: list[str]) -> dict[str, Any]:
    """What a fact set that gets no answer is, in JSON: every problem, and them joined by `; `."""
    return {"error": "; ".join(problems), "problems": problems}


def _reasons(bundle: Any, answer: Any, language: str, explain: str) -> list[Any]:
    """The reasons --explain asks for: every rule's (`all`), or the deciding ones' (`deciding`);
    the default or conflict reason after them either way."""
    from terms_compiler.check.explain import explain_deciding

    if explain == "all":
        return bundle.explain(answer, language)  # type: ignore[no-any-return]
    return explain_deciding(bundle.decision(answer.decision), answer, language)


def _write(out: str) -> None:
    try:
        sys.stdout.write(out)
    except UnicodeEncodeError:  # see _ascii_escaped
        sys.stdout.write(_ascii_escaped(out))


def _check_lines(bundle: Any, args: argparse.Namespace, stream: TextIO) -> int:
    from terms_compiler.check.evaluate import CONFLICT, FactError
    from terms_compiler.check.explain import explain_deciding, explain_json

    decision = bundle.decision(args.decision)
    decide, as_of, language, as_json = decision.decide, args.as_of, args.lang, args.format == "json"
    explain = args.explain
    # One encoder for the batch (json.dumps with an option makes one per call), which need not
    # look for cycles in the records built here, and names bound once: this loop runs once per
    # line, for 100,000s of lines.
    encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
    loads, write = json.loads, sys.stdout.write
    failed = 0
    for number, line in _numbered_lines(stream):
        problems = [] if line is not None else [NOT_UTF8]
        if line is not None:
            try:
                answer = decide(loads(line), as_of)
            except FactError as error:
                problems = error.problems
            except (ValueError, RecursionError) as error:
                problems = [unreadable(error)]
        if problems:
            problem = "; ".join(problems)
            failed += 1
            out = (
                encode({"line": number, **error_record(problems)}) + "\n"
                if as_json
                else f"line {number}: error: {problem}\n"
            )
        elif not as_json:
            failed += answer.outcome == CONFLICT
            out = f"line {number}: {answer.outcome} ({', '.join(answer.deciding) or 'default'})\n"
        else:
            failed += answer.outcome == CONFLICT
            record = {"line": number, **answer.to_json()}
            if explain == "all":
                record["reasons"] = explain_json(decision, answer, language)
            elif explain == "deciding":  # the deciding reasons alone are worded
                record["reasons"] = [r.to_json() for r in explain_deciding(decision, answer, language)]
            # none: no reason is worded, not merely left out
            out = encode(record) + "\n"
        try:
            write(out)
        except UnicodeEncodeError:  # see _ascii_escaped
            write(_ascii_escaped(out))
    return EXIT_FAILED if failed else EXIT_OK


DEEP_JSON = "the JSON is nested too deeply to read"
NOT_UTF8 = "not valid UTF-8"


def unreadable(error: ValueError | RecursionError) -> str:
    """The problem of a batch line that json.loads refused with `error`."""
    return DEEP_JSON if isinstance(error, RecursionError) else f"not valid JSON ({error})"


def line_problem(line: str | None) -> str | None:
    """The batch's problem of a line that is no JSON value (None: a line that is not UTF-8), or
    None when json.loads reads it: `terms check --engine duckdb` words such lines by this."""
    if line is None:
        return NOT_UTF8
    try:
        json.loads(line)
    except (ValueError, RecursionError) as error:
        return unreadable(error)
    return None


def _ascii_escaped(text: str) -> str:
    """text with every non-ASCII character as a JSON escape (\\u00e9; a pair beyond U+FFFF).
    Output is UTF-8 text, but a fact may hold a lone surrogate (the JSON escape "\\ud800"),
    which no UTF-8 text can carry, and stdout may have a narrower encoding. Only an answer that
    cannot be written is escaped so: for JSON the same value (as json.dumps(ensure_ascii=True)
    writes it, which a reader decodes back to exactly what the caller sent), in a text line a
    readable escape; every other answer stays plain UTF-8."""
    return "".join(char if char.isascii() else json.dumps(char)[1:-1] for char in text)


def _numbered_lines(stream: TextIO) -> Iterator[tuple[int, str | None]]:
    """Each line that is not blank, with its number; None for a line that is not UTF-8 (read
    with surrogateescape, so that a bad byte fails its own line only, not the whole batch)."""
    if reconfigure := getattr(stream, "reconfigure", None):
        reconfigure(errors="surrogateescape")
    for number, line in enumerate(stream, start=1):
        if not line.isascii():
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:
                yield number, None
                continue
        if line.strip():
            yield number, line


def _answer_text(bundle: Any, answer: Any, language: str, explain: str) -> list[str]:
    """The answer in words, frame words included, in the language (describe.PHRASES)."""
    from terms_compiler.check.describe import PHRASES, outcome_words, words_language

    phrases = PHRASES[words_language(language)]
    labels = bundle.data["decisions"][answer.decision]["outcomes"]
    outcome = outcome_words(labels, answer.outcome, language)
    lines = [phrases["answer"].format(decision=answer.decision, outcome=outcome, date=answer.as_of)]
    for reason in _reasons(bundle, answer, language, explain) if explain != "none" else ():
        lines.append(f"  - {reason.message}")
        if reason.status == "deciding":
            text = bundle.clause_text(reason.clause, language)
            quote = phrases["quote"].format(title=text["title"], text=text["plain"])
            lines.append(f"      {quote}".replace("\n", "\n      "))
    return lines
