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
from collections.abc import Mapping
from typing import Any

from terms_compiler.check.describe import Reason
from terms_compiler.check.evaluate import Answer, CompiledDecision, FactError, RuleError
from terms_compiler.check.explain import explain, explain_json
from terms_compiler.check.rules import found
from terms_compiler.check.shape import bundle_problems

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

    @classmethod
    def load(cls, path: str | os.PathLike[str], digest: str | os.PathLike[str] | None = None) -> Bundle:
        """Read a bundle and refuse it unless its SHA-256 matches its .sha256 file. In this order:
        the digest (nothing unverified is parsed), the JSON (too deep a nesting is refused, not
        a RecursionError), then the structure (in the constructor)."""
        path = os.fspath(path)
        try:
            with open(path, "rb") as stream:
                raw = stream.read()
        except OSError as error:
            raise BundleError(f"{path}: cannot read the bundle ({error.strerror})") from None
        _verify_digest(path, raw, os.fspath(digest) if digest else path + ".sha256")
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise BundleError(f"{path}: the bundle is not valid JSON ({error})") from None
        except RecursionError:
            raise BundleError(f"{path}: the bundle is nested too deeply to read") from None
        return cls(data, str(path))

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
    if not major.isdigit() or int(major) != SUPPORTED_MAJOR:
        raise BundleError(
            f"{source}: format version {version} is not supported; this checker reads {SUPPORTED_MAJOR}.x"
        )
    problems = bundle_problems(data)
    if problems:
        more = len(problems) - SHOWN_PROBLEMS
        shown = "; ".join(problems[:SHOWN_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")
        raise BundleError(f"{source}: the bundle is malformed: {shown}")


__all__ = ["Answer", "Bundle", "BundleError", "FactError", "Reason", "UnknownDecision"]
