"""`terms verify`: check a bundle as `terms check` would before answering, and say what held."""

from __future__ import annotations

import argparse
import datetime
import os
import sys

from terms_compiler.check.bundle import Bundle, BundleError

EXIT_OK, EXIT_USAGE = 0, 2


def run_verify(args: argparse.Namespace) -> int:
    try:
        bundle = Bundle.load(args.bundle, args.digest, args.trust)
    except BundleError as error:
        print(f"terms verify: refused: {error}", file=sys.stderr)
        return EXIT_USAGE
    print("\n".join(verified_lines(bundle, args.bundle, args.digest)))
    return EXIT_OK


def verified_lines(bundle: Bundle, path: str, digest: str | None) -> list[str]:
    """What was checked of a bundle Bundle.load accepted, one line each."""
    data, signature = bundle.data, bundle.signature
    digest_file = os.path.basename(digest or path + ".sha256")
    lines = [f"verified {path}", f"  digest:    SHA-256 matches {digest_file}"]
    if signature is None:
        lines.append("  signature: not checked (no --trust given): the digest proves integrity, not origin")
    else:
        issued = ""
        if signature.iat is not None:
            when = datetime.datetime.fromtimestamp(signature.iat, datetime.UTC)
            issued = f", issued {when:%Y-%m-%dT%H:%M:%SZ}"
        issuer = f" by {signature.iss}" if signature.iss else ""
        lines.append(
            f"  signature: {signature.alg}, key '{signature.kid}' trusted from {signature.key_source}"
            f"{issued}{issuer}"
        )
        lines.append(
            f"  files:     {len(signature.files)} listed, each present with its SHA-256, none "
            f"unlisted: {', '.join(sorted(signature.files))}"
        )
    edition_date = f" ({data['edition_date']})" if data.get("edition_date") else ""
    lines.append(
        f"  bundle:    {data['corpus']} edition {data.get('edition', '?')}{edition_date}, format "
        f"{data['format_version']}, {len(data['decisions'])} decisions, well-formed"
    )
    return lines
