"""The `terms describe` command: a bundle's decisions, their facts and outcomes, for a tool author
writing fact sets (issue 17, item 18), as text or as one JSON object.

A command of its own rather than `terms check --list`: it takes no facts and gives no answer, so
none of check's options but the bundle's would apply, and check's FACTS would have to become
optional. Like check, it imports only the standard library and the check runtime.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

EXIT_OK, EXIT_USAGE = 0, 2


def add_describe_parser(commands: Any, add_trust_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """The command's options, on the `terms` parser's commands."""
    describe = commands.add_parser(
        "describe",
        description="List a bundle's decisions (or DECISION alone): the question, the outcomes "
        "with their labels and the default, the date it is answered as of, and each fact with "
        "its type, values, pattern, default and description, in the language asked for. What "
        "a tool needs to build its fact sets; --format json gives it as one object.",
        epilog="example: terms describe --bundle build/bundle/product-terms-sa.json sa-purchase --lang uk",
    )
    describe.add_argument(
        "--bundle",
        default=None,
        help="the bundle JSON file (default: the bundle built in build/bundle/, inside a corpus)",
    )
    describe.add_argument("--digest", default=None, help="its SHA-256 file (default: BUNDLE.sha256)")
    describe.add_argument("--format", choices=("text", "json"), default="text")
    describe.add_argument(
        "--lang", default="en", help="language of questions, labels and descriptions (default en)"
    )
    add_trust_option(describe)
    describe.add_argument("decision", metavar="DECISION", nargs="?", help="one decision id (default: all)")


def run_describe(args: argparse.Namespace) -> int:
    from terms_compiler.check.bundle import Bundle, BundleError
    from terms_compiler.commands.check import built_bundle

    try:
        bundle = Bundle.load(args.bundle or built_bundle("."), args.digest, args.trust)
    except BundleError as error:
        print(f"terms describe: {error}", file=sys.stderr)
        return EXIT_USAGE
    decisions = bundle.data["decisions"]
    languages = bundle.data["languages"]
    if args.decision is not None and args.decision not in decisions:
        known = ", ".join(decisions)
        print(f"terms describe: unknown decision '{args.decision}'; the bundle has: {known}", file=sys.stderr)
        return EXIT_USAGE
    if args.lang not in languages:
        listed = ", ".join(languages)
        print(f"terms describe: language '{args.lang}' is not in the bundle ({listed})", file=sys.stderr)
        return EXIT_USAGE
    chosen = [args.decision] if args.decision is not None else list(decisions)
    described = {name: describe_decision(decisions[name], args.lang) for name in chosen}
    if args.format == "json":
        print(json.dumps({"decisions": described}, ensure_ascii=False, indent=2))
    else:
        print("\n\n".join("\n".join(decision_text(name, d)) for name, d in described.items()))
    return EXIT_OK


def describe_decision(spec: Mapping[str, Any], language: str) -> dict[str, Any]:
    """A decision as a tool author reads it: texts in the language, ids as ids."""
    return {
        "question": _in(spec.get("question"), language, ""),
        "outcomes": {outcome: _in(labels, language, outcome) for outcome, labels in spec["outcomes"].items()},
        "default": spec["default"],
        "as_of": spec.get("as_of"),
        "facts": {name: describe_fact(fact, language) for name, fact in spec["facts"].items()},
    }


def describe_fact(fact: Mapping[str, Any], language: str) -> dict[str, Any]:
    from terms_compiler.check.evaluate import type_words

    described: dict[str, Any] = {"type": fact["type"]}
    for key in ("values", "pattern", "default"):
        if key in fact:
            described[key] = fact[key]
    described["required"] = "default" not in fact
    described["accepts"] = type_words(fact)
    described["description"] = _in(fact.get("description"), language, "")
    return described


def decision_text(name: str, decision: Mapping[str, Any]) -> list[str]:
    outcomes = ", ".join(
        outcome if label == outcome else f"{outcome} ({label})"
        for outcome, label in decision["outcomes"].items()
    )
    as_of = f"the fact {decision['as_of']}" if decision["as_of"] else "the caller's date (--as-of, or today)"
    lines = [
        f"{name}: {decision['question']}",
        f"  outcomes: {outcomes}; default {decision['default']}",
        f"  answered as of: {as_of}",
        "  facts:",
    ]
    for fact_name, fact in decision["facts"].items():
        need = (
            "required" if fact["required"] else f"default {json.dumps(fact['default'], ensure_ascii=False)}"
        )
        lines.append(f"    {fact_name} ({need}): {fact['accepts']}")
        if fact["description"]:
            lines.append(f"      {fact['description']}")
    return lines


def _in(texts: Any, language: str, otherwise: str) -> str:
    """A text of the bundle in the language, or otherwise."""
    text = texts.get(language) if isinstance(texts, dict) else None
    return text if isinstance(text, str) else otherwise
