"""The `terms diff` command: read both editions, compare them, print the changes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from terms_compiler.diagnostics import render_text
from terms_compiler.editions.compare import compare
from terms_compiler.editions.read import DiffError, load_edition
from terms_compiler.editions.render import render
from terms_compiler.pipeline import compile_corpus

EXIT_OK, EXIT_DIFFERENT, EXIT_USAGE = 0, 1, 2


def run_diff(args: argparse.Namespace) -> int:
    """terms diff OLD NEW [--path terms] [--format text|markdown|json] [--lang xx] [--exit-code]."""
    editions = []
    for spec in (args.old, args.new):
        try:
            editions.append(load_edition(spec, Path(args.path), compile_corpus))
        except DiffError as error:
            if error.diagnostics:
                print(render_text(error.diagnostics), file=sys.stderr)
            print(f"terms diff: {error}", file=sys.stderr)
            return EXIT_USAGE
    old, new = editions
    languages = [*new.bundle.get("languages", []), *old.bundle.get("languages", [])]
    if args.lang is not None and args.lang not in languages:
        print(
            f"terms diff: language '{args.lang}' is in neither edition "
            f"({', '.join(dict.fromkeys(languages))})",
            file=sys.stderr,
        )
        return EXIT_USAGE
    changes = compare(old, new)
    print(render(changes, args.format, args.lang))
    if not changes.empty and changes.old.edition == changes.new.edition:
        print(
            f"terms diff: warning: both editions are labelled '{changes.new.edition}' although they "
            "differ; give the new one its own edition label in corpus.yaml",
            file=sys.stderr,
        )
    return EXIT_DIFFERENT if args.exit_code and not changes.empty else EXIT_OK
