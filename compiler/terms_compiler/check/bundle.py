"""Check: load a bundle, verify it, and answer decisions. The Python API for tools.

    from terms_compiler.check.bundle import Bundle
    bundle = Bundle.load("build/bundle/product-terms-sa.json")
    answer = bundle.decide("sa-purchase", {...facts...})
    answer.outcome, answer.deciding, bundle.explain(answer, "uk")

Only the standard library is imported here (not even pathlib or dataclasses), so `terms check`
starts fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from terms_compiler.check.describe import Reason
from terms_compiler.check.evaluate import Answer, CompiledDecision, FactError, RuleError
from terms_compiler.check.explain import explain, explain_json
from terms_compiler.check.rules import found
from terms_compiler.check.shape import bundle_problems

if TYPE_CHECKING:
    from terms_compiler.check.signatures import TrustedKey, Verified

TrustedKeys: TypeAlias = "str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | Sequence[TrustedKey]"
"""Keys a bundle must be signed by: key files or folders, or keys already read."""

SUPPORTED_MAJOR = 1
REQUIRED_KEYS = ("format", "format_version", "corpus", "languages", "decisions", "clauses")
SHOWN_PROBLEMS = 5
"""Most problems of a malformed bundle its message lists (a hostile one may have thousands)."""


class BundleError(Exception):
    """The bundle cannot be trusted or read; the message says why."""


class UnknownDecision(KeyError):
    pass


class Bundle:
    """A verified bundle, ready to answer. Each decision is compiled when it is first asked
    for (a call answers one decision: compiling the others would only slow its start), and a
    malformed rule is refused then, with a BundleError."""

    def __init__(self, data: Mapping[str, Any], source: str = "<bundle>") -> None:
        _check_shape(data, source)
        self.data = data
        self.source = source
        self.decisions: dict[str, CompiledDecision] = {}
        """The decisions compiled so far, by id."""
        self.signature: Verified | None = None
        """What the verified signature says (key, time, issuer, files); None: not checked."""

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        digest: str | os.PathLike[str] | None = None,
        trusted_keys: TrustedKeys | None = None,
    ) -> Bundle:
        """Read a bundle and refuse it unless its SHA-256 matches its .sha256 file. In this order:
        the digest (nothing unverified is parsed), the JWS signature when `trusted_keys` is given,
        the JSON (too deep a nesting is refused, not a RecursionError), then the structure (in the
        constructor).

        trusted_keys: key files (a PEM public key, a JWKS, or a folder of them; one path or a
        list), or keys read by signatures.load_trusted_keys. Once given, even empty, the bundle
        must be signed by one of them and every file of its folder listed in the signature with
        its SHA-256: anything else is refused (fail closed), see check/signatures.py."""
        path = os.fspath(path)
        keys = None if trusted_keys is None else _trusted(trusted_keys)
        # A signed bundle's folder is read where the path really leads, once: a link swapped
        # meanwhile (build/current, terms fetch's DIR/current) cannot mix two versions' files.
        real = path if keys is None else os.path.realpath(path)
        try:
            with open(real, "rb") as stream:
                raw = stream.read()
        except OSError as error:
            raise BundleError(f"{path}: cannot read the bundle ({error.strerror})") from None
        _verify_digest(path, raw, os.fspath(digest) if digest else real + ".sha256")
        signature = None if keys is None else _verify_signature(path, real, raw, keys)
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise BundleError(f"{path}: the bundle is not valid JSON ({error})") from None
        except RecursionError:
            raise BundleError(f"{path}: the bundle is nested too deeply to read") from None
        bundle = cls(data, str(path))
        bundle.signature = signature
        return bundle

    def decision(self, decision_id: str) -> CompiledDecision:
        compiled = self.decisions.get(decision_id)
        if compiled is not None:
            return compiled
        spec = self.data["decisions"].get(decision_id)
        if spec is None:
            known = ", ".join(self.data["decisions"])
            raise UnknownDecision(f"unknown decision '{decision_id}'; the bundle has: {known}")
        try:
            compiled = self.decisions[decision_id] = CompiledDecision(decision_id, spec)
        except RuleError as error:
            raise BundleError(f"{self.source}: a rule in the bundle is malformed ({error})") from None
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            # The decision's other fields (facts, default) are read where they are used.
            raise BundleError(
                f"{self.source}: decision '{decision_id}' in the bundle is malformed ({error!r})"
            ) from None
        return compiled

    def decide(self, decision_id: str, facts: Mapping[str, Any], as_of: str | None = None) -> Answer:
        """Answer a decision for facts (as JSON values); raises FactError for bad facts."""
        decision = self.decisions.get(decision_id) or self.decision(decision_id)
        return decision.decide(facts, as_of)

    def explain(self, answer: Answer, language: str = "en") -> list[Reason]:
        return explain(self.decision(answer.decision), answer, language)

    def explain_json(self, answer: Answer, language: str = "en") -> list[dict[str, str]]:
        """The reasons as JSON objects, as `terms check --format json` writes them."""
        return explain_json(self.decision(answer.decision), answer, language)

    def clause_text(self, clause_id: str, language: str) -> Mapping[str, Any]:
        return self.data["clauses"][clause_id]["text"][language]  # type: ignore[no-any-return]


def _trusted(trusted_keys: TrustedKeys) -> list[TrustedKey]:
    from terms_compiler.check.signatures import SignatureError, TrustedKey, load_trusted_keys

    if isinstance(trusted_keys, list | tuple) and all(isinstance(k, TrustedKey) for k in trusted_keys):
        return list(trusted_keys)
    try:
        return load_trusted_keys(trusted_keys)  # type: ignore[arg-type]  # key files, as checked above
    except SignatureError as error:
        raise BundleError(str(error)) from None


def _verify_signature(path: str, real: str, raw: bytes, keys: list[TrustedKey]) -> Verified:
    from terms_compiler.check.signatures import SignatureError, verify_folder

    try:
        return verify_folder(real, keys, {os.path.basename(real): raw}, shown=path)
    except SignatureError as error:
        raise BundleError(str(error)) from None


def _verify_digest(path: str, raw: bytes, digest_path: str) -> None:
    try:
        with open(digest_path, "rb") as stream:
            recorded = stream.read(DIGEST_FILE_BYTES).split(maxsplit=1)[0].decode("ascii").lower()
    except (OSError, IndexError):
        raise BundleError(f"{path}: no digest file {digest_path}; refusing an unverified bundle") from None
    except UnicodeDecodeError:
        recorded = ""
    if not SHA256.fullmatch(recorded):
        raise BundleError(
            f"{path}: the digest file {digest_path} does not start with a SHA-256 (64 hexadecimal "
            "digits); refusing an unverified bundle"
        )
    actual = hashlib.sha256(raw).hexdigest()
    if recorded != actual:
        raise BundleError(
            f"{path}: SHA-256 is {actual} but {os.path.basename(digest_path)} records "
            f"{recorded}; the bundle was changed or truncated"
        )


DIGEST_FILE_BYTES = 4096
"""What is read of a digest file: `<sha256>  <file name>` fits, whatever else it holds."""
SHA256 = re.compile(r"[0-9a-f]{64}")


def _check_shape(data: Any, source: str) -> None:
    if not isinstance(data, dict):
        raise BundleError(f"{source}: a bundle is a JSON object")
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise BundleError(f"{source}: not a terms bundle (missing {', '.join(missing)})")
    if data["format"] != "terms-bundle":
        raise BundleError(f'{source}: format is {found(data["format"])}, expected "terms-bundle"')
    version = data["format_version"]
    if not isinstance(version, str):
        raise BundleError(f'{source}: format_version is {found(version)}, expected a text such as "1.0"')
    major = version.split(".")[0]
    if not (major.isascii() and major.isdigit()) or int(major) != SUPPORTED_MAJOR:
        raise BundleError(
            f"{source}: format version {version} is not supported; this checker reads {SUPPORTED_MAJOR}.x"
        )
    problems = bundle_problems(data)
    if problems:
        more = len(problems) - SHOWN_PROBLEMS
        shown = "; ".join(problems[:SHOWN_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")
        raise BundleError(f"{source}: the bundle is malformed: {shown}")


__all__ = ["Answer", "Bundle", "BundleError", "FactError", "Reason", "UnknownDecision"]
