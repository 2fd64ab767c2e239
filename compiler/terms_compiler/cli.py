"""The `terms` command line: parse options, call the library, render diagnostics once.

Heavy modules (YAML, JSON Schema, Markdown) are imported inside the commands that need them,
so `terms check` starts about as fast as Python itself.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from terms_compiler import __version__
from terms_compiler.commands.check import add_check_parser
from terms_compiler.commands.describe import add_describe_parser
from terms_compiler.commands.sql import add_sql_parser

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFLICT = 0, 1, 2, 3

DESCRIPTION = """\
Compile licensing terms written as YAML clauses into a JSON rule bundle and a multilingual
website that cannot disagree, and answer questions from a bundle. `terms COMMAND --help` says
more about each command.

commands:
  init      start a new corpus: starter files that build clean, in the languages asked for
  validate  check the corpus: YAML, schemas, references, conditions, worked examples
  build     validate, then write build/bundle/ (the rule bundle) and build/site/ (the website)
  serve     live preview of the site for editors: rebuilds and reloads on every change
  status    translation freshness per language (stale, unrecorded, missing)
  translated  record that translations are up to date with their source text
  diff      what changed between two editions: redlines, logic and behaviour
  check     answer a decision from a bundle for one fact set or a JSON Lines batch
  describe  list a bundle's decisions, their facts and outcomes, for writing fact sets
  sql       print a decision as one SQL query over a table of facts (DuckDB, Spark, Trino, ...)
  keygen    make an Ed25519 key pair that signs bundles (terms build --sign-key)
  verify    check a bundle's digest and signature, and say what was checked
  fetch     download a published bundle, verify it, and swap it in; the last good one is kept

exit codes: 0 success; 1 errors in the corpus (validate, build), some fact sets failed
(check), a download failed (fetch) or the editions differ (diff --exit-code); 2 usage error,
unreadable, unsigned or mis-signed bundle, or invalid facts; 3 the rules conflict.
"""


def build_parser() -> argparse.ArgumentParser:
    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # type: ignore[override]
            # argparse exits with 2 on usage errors, which is our usage exit code too.
            self.print_usage(sys.stderr)
            self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")

    parser = _Parser(
        prog="terms",
        usage="%(prog)s [-h] [--version] COMMAND ...",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # The commands are listed once, in DESCRIPTION, with what each does: argparse's own list of
    # them (the help= of each add_parser) would repeat it.
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser, help=argparse.SUPPRESS, prog="terms"
    )
    commands.required = True

    init = commands.add_parser(
        "init",
        description="Write a new corpus into DIR: corpus.yaml, decisions.yaml (one decision), "
        "glossary.yaml (one term), sections/10-renewal.yaml (one clause with its parameters, "
        "rule and two worked examples, its prose in every language asked for), conformance "
        "cases, the JSON Schemas with a VS Code mapping, a README and a .gitignore. "
        "`terms build DIR` builds it at once without a warning; edit it from there. DIR must "
        "be empty or new (a .git folder is allowed) unless --force is given.",
        epilog="example: terms init my-terms --languages en,de && cd my-terms && terms build .",
    )
    init.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the new corpus folder (default: .)",
    )
    init.add_argument(
        "--languages",
        default="en",
        metavar="CODES",
        help="languages, comma-separated, the source language first (default: en); starter "
        f"texts exist for {', '.join(INIT_LANGUAGES)}",
    )
    init.add_argument(
        "--force",
        action="store_true",
        help="write into DIR even if it is not empty, replacing files of the same name",
    )

    validate = commands.add_parser(
        "validate",
        description="Load and check the corpus; print every problem at once, sorted by file and "
        "line, as path:line:col: error[CODE]: message. Exit 0 when clean, 1 on errors.",
    )
    _add_corpus_options(validate)

    build = commands.add_parser(
        "build",
        description="Validate the corpus, then write build/bundle/<corpus-id>.json, its .sha256 "
        "and conformance.json, and the site (build/site/). Output is written to a "
        "temporary folder and swapped in at the end, so a failed build leaves the "
        "previous output untouched. Results of earlier builds are reused where their "
        "inputs did not change (build/.cache/; see --no-cache).",
    )
    _add_corpus_options(build)
    build.add_argument("--out", type=Path, default=Path("build"), help="output folder (default: build)")
    build.add_argument(
        "--conformance",
        type=Path,
        default=None,
        help="folder of conformance cases to export (default: tests/conformance beside the corpus folder)",
    )
    build.add_argument(
        "--no-site",
        action="store_true",
        help="write the bundle only, without the MkDocs site (an earlier "
        "build's docs/ and site/ are removed: they would not match it)",
    )
    build.add_argument(
        "--no-cache",
        action="store_true",
        help="compute everything again: do not reuse the results of earlier builds "
        "kept in OUT/.cache/ (found by content hash, so never stale) or the "
        "sites of languages whose pages did not change",
    )
    build.add_argument(
        "--sign-key",
        type=Path,
        default=None,
        metavar="KEY",
        help="sign the bundle folder with this private key (PEM, Ed25519 or P-256; terms keygen "
        "makes one): writes BUNDLE.signatures.json, and the site publishes the public key. The "
        "signature's time is SOURCE_DATE_EPOCH when set, so a reproducible build pins it",
    )
    build.add_argument(
        "--kid",
        default=None,
        metavar="ID",
        help="the key id the signature names (default: the one terms keygen recorded in "
        "public.jwks.json beside KEY, else the key's RFC 7638 thumbprint)",
    )
    build.add_argument(
        "--issuer", default=None, metavar="NAME", help="the signature's issuer, iss (default: terms-compiler)"
    )
    build.add_argument(
        "-q", "--quiet", action="store_true", help="print errors only (no stages, no site progress)"
    )
    build.add_argument("-v", "--verbose", action="store_true", help="print each stage's time")

    serve = commands.add_parser(
        "serve",
        description="Build the corpus and its site, serve them on localhost, and rebuild when a "
        "file under the corpus folder or site/ changes; every open page reloads when a build "
        "newer than its own finishes. While the corpus has errors, every page shows them. A port "
        "in use is refused (exit 2) before the first build.",
    )
    serve.add_argument(
        "path", nargs="?", type=Path, default=Path("terms"), help="the corpus folder (default: terms)"
    )
    serve.add_argument("--out", type=Path, default=Path("build"), help="output folder (default: build)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")

    status = commands.add_parser(
        "status",
        description="For every language: which clause translations are up to date, stale (the "
        "source text changed since they were made), unrecorded or missing.",
    )
    _add_corpus_options(status)
    status.add_argument(
        "--strict", action="store_true", help="exit 1 when any translation is stale, unrecorded or missing"
    )
    status.add_argument(
        "--diff",
        metavar="LANG",
        default=None,
        help="for each stale LANG translation, what changed in the source text since it was made: a "
        "word-level redline, [-old-]{+new+} (the old text is found in git by the hash the "
        "translation records)",
    )

    translated = commands.add_parser(
        "translated",
        usage="terms translated [-h] [--all] [PATH] LANGUAGE [CLAUSE ...]",
        description="Record, in the YAML files, that the translations of CLAUSE (or of every "
        "clause with --all) in LANGUAGE match the current source text. Only the "
        "`translates:` hash is written; formatting and comments stay as they are. PATH is the "
        "corpus folder (default: terms), as for the other commands: the first argument, when it "
        "is a folder holding corpus.yaml.",
        epilog="example: terms translated terms uk sa-purchase.transfer",
    )
    translated.add_argument(
        "words",
        metavar="[PATH] LANGUAGE [CLAUSE ...]",
        nargs="+",
        help="the corpus folder, the language code (e.g. uk) and clause ids",
    )
    translated.add_argument("--all", action="store_true", help="every clause of the corpus")
    translated.add_argument("--path", type=Path, default=None, help=argparse.SUPPRESS)  # deprecated

    diff = commands.add_parser(
        "diff",
        description="Compare two editions: OLD and NEW are each a git revision (of the corpus "
        "folder), a corpus folder or a built bundle. Reports clauses added, removed "
        "and changed, a word-level redline of changed prose per language, logic "
        "changes, and the fact sets whose outcome differs.",
    )
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument(
        "--path",
        type=Path,
        default=Path("terms"),
        help="the corpus folder, for git revisions (default: terms)",
    )
    diff.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    diff.add_argument("--lang", default=None, help="only this language's redlines")
    diff.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when the editions differ, 0 when they do not (as git diff --exit-code), for CI",
    )

    add_check_parser(commands, _add_trust_option)

    add_sql_parser(commands, _add_trust_option)

    add_describe_parser(commands, _add_trust_option)

    keygen = commands.add_parser(
        "keygen",
        description="Write a new Ed25519 key pair into KEYDIR: private.pem (readable by its owner "
        "only; give it to terms build --sign-key, keep it secret), public.pem and "
        "public.jwks.json (give these to tools: terms check --trust). An existing private key "
        "is never overwritten.",
        epilog="example: terms keygen --out keys --kid 2026-12 && terms build --sign-key keys/private.pem",
    )
    keygen.add_argument("--out", type=Path, required=True, metavar="KEYDIR", help="the folder to write")
    keygen.add_argument(
        "--kid", default=None, metavar="ID", help="the key's id (default: its RFC 7638 thumbprint)"
    )

    verify = commands.add_parser(
        "verify",
        description="Check BUNDLE as terms check would before answering: its SHA-256 file, and "
        "with --trust its signature (BUNDLE.signatures.json) and every file of its folder "
        "against it, then its structure. Says what was checked; exit 0 when all of it holds, "
        "2 when anything does not.",
        epilog="example: terms verify build/bundle/product-terms-sa.json --trust keys/public.jwks.json",
    )
    verify.add_argument("bundle", metavar="BUNDLE", help="the bundle JSON file")
    verify.add_argument("--digest", default=None, help="its SHA-256 file (default: BUNDLE.sha256)")
    _add_trust_option(verify)

    fetch = commands.add_parser(
        "fetch",
        description="Download the bundle at URL and the files published beside it (those its "
        "signature lists; unsigned: its .sha256 and conformance.json), over HTTP(S) with "
        "conditional requests (an unchanged bundle costs one 304). Verify the digest, the "
        "signature with --trust, and the structure; then swap the files into DIR/current/ in "
        "one step, exactly the bytes verified. On any failure (network, HTTP error, truncated "
        "download, bad digest or signature, an edition older than the one held) the bundle "
        "held is kept, the reason printed, and the exit code is 1 (download) or 2 (refused).",
        epilog="example: terms fetch https://example.org/terms/files/2026-11/product-terms-sa.json "
        "--into bundles --trust keys/public.jwks.json; then terms check --bundle "
        "bundles/current/product-terms-sa.json --trust keys/public.jwks.json ...",
    )
    fetch.add_argument(
        "url",
        metavar="URL",
        help="the bundle's URL (http or https), e.g. .../files/2026-11/ID.json; or the site's "
        "address (or its editions.json), to fetch the edition in force on --on",
    )
    fetch.add_argument(
        "--on",
        metavar="DATE",
        default=None,
        help="with a site's address: the edition in force on DATE, the newest published by then "
        "(default: today, UTC)",
    )
    fetch.add_argument(
        "--into", type=Path, required=True, metavar="DIR", help="the folder that holds the bundle"
    )
    _add_trust_option(fetch)
    fetch.add_argument(
        "--every",
        type=float,
        default=None,
        metavar="SECONDS",
        help="fetch again every SECONDS until interrupted (each failure is reported, the held bundle kept)",
    )
    fetch.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="network timeout (default 30)"
    )
    return parser


def _add_trust_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust",
        action="append",
        default=None,
        metavar="KEYS",
        help="a public key the bundle must be signed by: a PEM, a JWKS file, or a folder of them "
        "(repeatable). With it, an unsigned or mis-signed bundle is refused. Needs the 'sign' "
        "extra: pip install 'terms-compiler[sign]'",
    )


def _add_corpus_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", nargs="?", type=Path, default=Path("terms"), help="the corpus folder (default: terms)"
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="diagnostics as text lines or a JSON array"
    )


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(arguments)
    command = {
        "init": _init,
        "validate": _validate,
        "build": _build,
        "serve": _serve,
        "status": _status,
        "translated": _translated,
        "diff": _diff,
        "check": _check,
        "describe": _describe,
        "sql": _sql,
        "keygen": _keygen,
        "verify": _verify,
        "fetch": _fetch,
    }[args.command]
    try:
        return command(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except ModuleNotFoundError as error:
        if error.name is None or error.name.split(".")[0] not in BUILD_EXTRA_MODULES:
            raise
        print(
            f"terms {args.command}: this command needs the compiler's dependencies, which this "
            f"installation lacks (no module '{error.name}'): pip install 'terms-compiler[build]'",
            file=sys.stderr,
        )
        return EXIT_USAGE


# What the `build` extra installs (pyproject.toml), by import name: without them, only `terms check`
# and the Python check runtime work.
BUILD_EXTRA_MODULES = frozenset(
    {
        "yaml",
        "jsonschema",
        "jsonschema_rs",
        "referencing",
        "markdown_it",
        "jinja2",
        "mkdocs",
        "material",
        "z3",
        "ruamel",
    }
)


# init ----------------------------------------------------------------------------------------

# The languages scaffold/languages/ has starter texts for, named in --help without importing the
# scaffold (Jinja, YAML); tests/test_init.py holds the two lists equal.
INIT_LANGUAGES = ("de", "en", "es", "fr", "it", "ja", "pt", "ru", "uk", "zh")


def _init(args: argparse.Namespace) -> int:
    import shlex

    from terms_compiler.commands.init import ScaffoldError, parse_languages, scaffold

    try:
        written = scaffold(args.path, parse_languages(args.languages), args.force)
    except ScaffoldError as error:
        print(f"terms init: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"terms init: cannot write {error.filename}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE
    print("\n".join(f"wrote {path}" for path in written))
    print("\nnext:")
    if args.path.resolve() != Path.cwd():
        print(f"  cd {shlex.quote(str(args.path))}")
    print("  terms build .   # the rule bundle and the website, in build/")
    print("  terms serve .   # live preview on http://127.0.0.1:8000/, rebuilt on every save")
    return EXIT_OK


# validate and build --------------------------------------------------------------------------


def _print_diagnostics(diagnostics: Sequence[Any], fmt: str, stream: TextIO) -> None:
    from terms_compiler.diagnostics import render_json, render_text

    if fmt == "json":
        print(render_json(diagnostics), file=stream)
    elif diagnostics:
        print(render_text(diagnostics), file=stream)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def _summary(diagnostics: Sequence[Any]) -> str:
    errors = sum(1 for d in diagnostics if d.severity.value == "error")
    return f"{_count(errors, 'error')}, {_count(len(diagnostics) - errors, 'warning')}"


def _validate(args: argparse.Namespace) -> int:
    from terms_compiler.pipeline import compile_corpus

    result = compile_corpus(args.path)
    _print_diagnostics(result.diagnostics, args.format, sys.stdout)
    if args.format == "text" and not result.ok:
        print(_summary(result.diagnostics), file=sys.stderr)
    elif args.format == "text" and result.corpus is not None:  # a clean run is visibly a run
        corpus = result.corpus
        clauses = list(corpus.all_clauses())
        examples = sum(len(clause.examples) for clause in clauses)
        checked = [
            _count(len(corpus.sections), "section"),
            f"{_count(len(clauses), 'clause')} in {_count(len(corpus.languages), 'language')}",
            _count(len(corpus.decisions), "decision"),
            f"{_count(examples, 'worked example')} checked",
        ]
        print(f"{args.path}: {', '.join(checked)}; {_summary(result.diagnostics)}", file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_FAILED


def _build(args: argparse.Namespace) -> int:
    from terms_compiler.build import build
    from terms_compiler.commands.build_progress import SiteProgressReport

    def progress(stage: str, seconds: float) -> None:
        if not args.quiet:
            timing = f" ({seconds * 1000:.0f} ms)" if args.verbose else ""
            print(f"  {stage}{timing}", file=sys.stderr)

    signer = None
    if args.sign_key is not None:
        from terms_compiler.check.signatures import SignatureError
        from terms_compiler.signing import load_signer

        try:
            signer = load_signer(args.sign_key, args.kid, args.issuer)
        except SignatureError as error:
            print(f"terms build: {error}", file=sys.stderr)
            return EXIT_USAGE
    elif args.kid is not None or args.issuer is not None:
        print("terms build: --kid and --issuer name the signature: give --sign-key too", file=sys.stderr)
        return EXIT_USAGE
    started = time.perf_counter()
    result = build(
        args.path,
        args.out,
        not args.no_site,
        progress,
        args.conformance,
        use_cache=not args.no_cache,
        signer=signer,
        on_site=None if args.quiet else SiteProgressReport(sys.stderr),
    )
    _print_diagnostics(result.diagnostics, args.format, sys.stdout)
    if args.verbose and result.discarded:
        print(f"  discarded {result.discarded} damaged cache entries", file=sys.stderr)
    if result.bundle is None:
        print(f"build failed: {_summary(result.diagnostics)}", file=sys.stderr)
        return EXIT_FAILED
    if args.verbose and not args.no_cache:
        print(f"  reused from {args.out / '.cache'}: {result.reused}", file=sys.stderr)
    if not args.quiet:
        site = "" if args.no_site else f" and {args.out / 'site'}/"
        done = "kept" if result.unchanged else "wrote"
        reason = " (nothing changed since the last build)" if result.unchanged else ""
        print(
            f"{done} {result.bundle}{site}{reason} in {time.perf_counter() - started:.2f} s", file=sys.stderr
        )
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from terms_compiler.commands.serve import Preview

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        Preview(args.path, args.out, log).serve(args.host, args.port)
    except OSError as error:
        print(f"terms serve: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from terms_compiler.commands.status import run_status

    return run_status(args)


def _translated(args: argparse.Namespace) -> int:
    from terms_compiler.commands.status import run_translated

    words = list(args.words)
    if args.path is not None:
        print(
            "terms translated: --path is deprecated; give the corpus folder first, as the other "
            "commands take it: terms translated PATH LANGUAGE [CLAUSE ...]",
            file=sys.stderr,
        )
    elif len(words) > 1 and (Path(words[0]) / "corpus.yaml").is_file():
        args.path = Path(words.pop(0))  # a folder with corpus.yaml is no language or clause id
    args.path = args.path or Path("terms")
    args.language, args.clauses = words[0], words[1:]
    return run_translated(args)


def _diff(args: argparse.Namespace) -> int:
    from terms_compiler.commands.diff import run_diff

    return run_diff(args)


def _keygen(args: argparse.Namespace) -> int:
    from terms_compiler.commands.keygen import run_keygen

    return run_keygen(args)


def _verify(args: argparse.Namespace) -> int:
    from terms_compiler.commands.verify import run_verify

    return run_verify(args)


def _fetch(args: argparse.Namespace) -> int:
    from terms_compiler.commands.fetch import run_fetch

    return run_fetch(args)


def _check(args: argparse.Namespace) -> int:
    from terms_compiler.commands.check import run_check

    return run_check(args)


def _describe(args: argparse.Namespace) -> int:
    from terms_compiler.commands.describe import run_describe

    return run_describe(args)


def _sql(args: argparse.Namespace) -> int:
    from terms_compiler.commands.sql import run_sql

    return run_sql(args)


if __name__ == "__main__":
    raise SystemExit(main())
