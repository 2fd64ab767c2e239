"""`terms keygen`: a new Ed25519 key pair that signs bundles (terms_compiler.signing)."""

from __future__ import annotations

import argparse
import sys

from terms_compiler.check.signatures import SignatureError
from terms_compiler.signing import generate_keys, load_signer

EXIT_OK, EXIT_USAGE = 0, 2


def run_keygen(args: argparse.Namespace) -> int:
    try:
        private, public, jwks = generate_keys(args.out, args.kid)
        kid = load_signer(private).kid
    except SignatureError as error:
        print(f"terms keygen: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"terms keygen: cannot write {error.filename}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {private} (the private key, readable by you only: keep it secret)")
    print(f"wrote {public} and {jwks} (the public key, id '{kid}': give these to tools)")
    print(f"\nsign:   terms build --sign-key {private}")
    print(f"verify: terms verify build/bundle/ID.json --trust {jwks}")
    return EXIT_OK
