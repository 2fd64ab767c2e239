"""The `terms check` command: answer a decision from a bundle for one fact set, or for a JSON Lines
batch line by line. Only the standard library and the check runtime are imported here, so a call
starts fast (YAML facts load the YAML reader when they come)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFLICT = 0, 1, 2, 3


def run_check(args: argparse.Namespace) -> int:
    """terms check --bundle B --decision D [--as-of] [--format] [--lang] [--trust] FACTS."""
    from terms_compiler.check.bundle import Bundle, BundleError, UnknownDecision

    try:
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

        return run_engine(bundle, args)
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
        for problem in error.problems:
            print(f"{args.facts}: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except ModuleNotFoundError:
        raise  # YAML facts without the build extra: main says which extra to install
    except Exception as error:  # a syntax error in the facts file, whatever its parser
        print(f"{args.facts}: error: cannot read the facts: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        out = json.dumps(_answer_json(bundle, answer, args.lang), ensure_ascii=False, indent=2)
    else:
        out = "\n".join(_answer_text(bundle, answer, args.lang))
    try:
        sys.stdout.write(out + "\n")
    except UnicodeEncodeError:  # see _ascii_escaped
        sys.stdout.write(_ascii_escaped(out) + "\n")
    return EXIT_CONFLICT if answer.outcome == CONFLICT else EXIT_OK


def _check_lines(bundle: Any, args: argparse.Namespace, stream: TextIO) -> int:
    from terms_compiler.check.evaluate import CONFLICT, FactError
    from terms_compiler.check.explain import explain_json

    decision = bundle.decision(args.decision)
    decide, as_of, language, as_json = decision.decide, args.as_of, args.lang, args.format == "json"
    # One encoder for the batch (json.dumps with an option makes one per call), which need not
    # look for cycles in the records built here, and names bound once: this loop runs once per
    # line, for 100,000s of lines.
    encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
    loads, write = json.loads, sys.stdout.write
    failed = 0
    for number, line in _numbered_lines(stream):
        problem = "" if line is not None else "not valid UTF-8"
        if line is not None:
            try:
                answer = decide(loads(line), as_of)
            except FactError as error:
                problem = "; ".join(error.problems)
            except ValueError as error:
                problem = f"not valid JSON ({error})"
            except RecursionError:
                problem = DEEP_JSON
        if problem:
            failed += 1
            out = (
                encode({"line": number, "error": problem}) + "\n"
                if as_json
                else f"line {number}: error: {problem}\n"
            )
        else:
            failed += answer.outcome == CONFLICT
            out = (
                encode(
                    {"line": number, **answer.to_json(), "reasons": explain_json(decision, answer, language)}
                )
                + "\n"
                if as_json
                else f"line {number}: {answer.outcome} ({', '.join(answer.deciding) or 'default'})\n"
            )
        try:
            write(out)
        except UnicodeEncodeError:  # see _ascii_escaped
            write(_ascii_escaped(out))
    return EXIT_FAILED if failed else EXIT_OK


DEEP_JSON = "the JSON is nested too deeply to read"


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


def _answer_json(bundle: Any, answer: Any, language: str) -> dict[str, Any]:
    return {**answer.to_json(), "reasons": bundle.explain_json(answer, language)}


def _answer_text(bundle: Any, answer: Any, language: str) -> list[str]:
    labels = bundle.data["decisions"][answer.decision]["outcomes"]
    label = labels.get(answer.outcome, {}).get(language, answer.outcome)
    shown = answer.outcome if label == answer.outcome else f"{answer.outcome} ({label})"
    lines = [f"{answer.decision}: {shown}, as of {answer.as_of}"]
    for reason in bundle.explain(answer, language):
        lines.append(f"  - {reason.message}")
        if reason.status == "deciding":
            text = bundle.clause_text(reason.clause, language)
            lines.append(f"      {text['title']}: {text['plain']}".replace("\n", "\n      "))
    return lines
