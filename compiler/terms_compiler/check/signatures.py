"""Signatures: read the keys a tool trusts and verify a bundle folder's `.signatures.json`.

The layout is OPA's signed bundles: `<bundle>.signatures.json` holds {"signatures": [JWS]}, one
JWS in compact serialization (RFC 7515) whose header names `alg` (EdDSA with Ed25519, or ES256
with P-256) and `kid`, and whose payload lists every file of the bundle folder:

    {"files": [{"name": "product-terms-sa.json", "hash": "<sha-256 hex>", "algorithm": "SHA-256"},
               ...], "keyid": "<kid>", "iat": 1764720000, "iss": "terms-compiler"}

Verification fails closed: no signature, an unknown key, a bad signature, a file listed but
missing, a file present but not listed and a hash mismatch are each refused with a message
saying which. The standard library is imported here; pyca/cryptography (the `sign` extra) only
when a key is read or a signature checked, so `terms check` without --trust never loads it.

Why pyca/cryptography alone, not a JOSE library: the JWS layer needed is small (one compact
serialization, two algorithms, JWK import of two key types), and fail-closed messages need to
tell an unknown kid from a bad signature. joserfc 1.8 refuses `alg` EdDSA unless each call opts
in, warns on every use (RFC 9864 deprecates it), and reports a kid it cannot match as a missing
key; PyJWT is kept for the tests, as the independent implementation our signatures must satisfy.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

SIGNATURES_SUFFIX = ".signatures.json"
ALGORITHMS = ("EdDSA", "ES256")
"""The JWS algorithms accepted: Ed25519 (what `terms keygen` makes), and ECDSA P-256 with
SHA-256 for keys held where Ed25519 is not available."""
HASH_ALGORITHM = "SHA-256"
SIGN_EXTRA = "pip install 'terms-compiler[sign]'"
MAX_KEY_FILE_BYTES = 1 << 20
MAX_SIGNATURES_BYTES = 1 << 20
FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
"""A file named in a signature: a plain name in the bundle's folder, never a path."""
BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class SignatureError(Exception):
    """A bundle's signature, or a key, cannot be trusted or read; the message says why."""


class TrustedKey(NamedTuple):
    kid: str | None
    """The key's id: its JWK `kid` (or RFC 7638 thumbprint when it names none); None for a PEM
    key, which carries no id and is tried whatever key id a signature names."""
    alg: str
    """The JWS algorithm it verifies: EdDSA or ES256."""
    key: Any
    """The public key, a pyca/cryptography Ed25519PublicKey or EllipticCurvePublicKey."""
    source: str
    """The file it was read from."""


class Verified(NamedTuple):
    """What a verified signature says."""

    kid: str
    alg: str
    iat: int | None
    iss: str | None
    files: dict[str, str]
    """Every file of the bundle folder, by name: its SHA-256 in hex."""
    key_source: str
    """The file of the trusted key that verified it."""


# Keys ------------------------------------------------------------------------------------------


def crypto() -> Any:
    """pyca/cryptography's primitives, or a SignatureError naming the extra that installs them."""
    try:
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    except ModuleNotFoundError:
        raise SignatureError(
            f"checking signatures needs the 'sign' extra (pyca/cryptography): {SIGN_EXTRA}"
        ) from None
    return ec, ed25519


def load_trusted_keys(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[TrustedKey]:
    """The keys in paths: each a public key PEM, a JWKS (or one JWK) JSON file, or a folder of
    them (*.pem, *.json, *.jwks). Raises SignatureError when a file cannot be read or holds
    something other than an Ed25519 or P-256 public key, and when no key is found at all: a
    tool that asked for keys never runs without one."""
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    names = [os.fspath(path) for path in paths]
    keys: list[TrustedKey] = []
    for name in names:
        if os.path.isdir(name):  # a folder of public keys (a private key beside them is skipped)
            keys += [key for file in _key_files(name) for key in _keys_in(file, in_folder=True)]
        else:
            keys += _keys_in(name)
    if not keys:
        raise SignatureError(f"no public key found in {', '.join(names) or 'the trusted keys'}")
    seen: dict[str, TrustedKey] = {}
    for key in keys:
        other = seen.setdefault(str(key.kid), key)
        if key.kid is not None and thumbprint(other.key) != thumbprint(key.key):
            raise SignatureError(
                f"two different trusted keys have the id '{key.kid}' ({other.source}, {key.source})"
            )
    return keys


def _key_files(folder: str) -> list[str]:
    names = sorted(os.listdir(folder))
    return [os.path.join(folder, n) for n in names if n.endswith((".pem", ".json", ".jwks"))]


def _keys_in(file: str, in_folder: bool = False) -> list[TrustedKey]:
    try:
        with open(file, "rb") as stream:
            data = stream.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as error:
        raise SignatureError(f"{file}: cannot read the key file ({error.strerror})") from None
    if len(data) > MAX_KEY_FILE_BYTES:
        raise SignatureError(f"{file}: a key file is at most 1 MiB")
    if data.lstrip().startswith(b"-----BEGIN"):
        if in_folder and b"PRIVATE KEY" in data:
            return []
        return [_pem_key(file, data)]
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        raise SignatureError(f"{file}: neither a PEM public key nor a JWKS (JSON) document") from None
    if isinstance(document, dict) and isinstance(document.get("keys"), list):
        return [_jwk_key(file, jwk, f"key {n}") for n, jwk in enumerate(document["keys"], 1)]
    if isinstance(document, dict) and "kty" in document:
        return [_jwk_key(file, document, "the key")]
    raise SignatureError(f'{file}: a JWKS is a JSON object with "keys", a list of JWKs')


def _pem_key(file: str, data: bytes) -> TrustedKey:
    ec, ed25519 = crypto()
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    if b"PRIVATE KEY" in data:
        raise SignatureError(f"{file}: is a private key; trust the public key (public.pem) instead")
    try:
        key = load_pem_public_key(data)
    except ValueError:
        raise SignatureError(f"{file}: not a PEM public key") from None
    if isinstance(key, ed25519.Ed25519PublicKey):
        return TrustedKey(None, "EdDSA", key, file)
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return TrustedKey(None, "ES256", key, file)
    raise SignatureError(f"{file}: the key is {type(key).__name__}; Ed25519 or P-256 keys are accepted")


def _jwk_key(file: str, jwk: Any, which: str) -> TrustedKey:
    ec, ed25519 = crypto()
    where = f"{file}: {which}"
    if not isinstance(jwk, dict):
        raise SignatureError(f"{where} is not a JSON object")
    kid = jwk.get("kid")
    if kid is not None and (not isinstance(kid, str) or not kid):
        raise SignatureError(f"{where}: kid must be a non-empty text")
    if "d" in jwk:
        raise SignatureError(f"{where} is a private key; publish and trust the public key only")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    try:
        if kty == "OKP" and crv == "Ed25519":
            key, alg = ed25519.Ed25519PublicKey.from_public_bytes(_b64decode(jwk.get("x"))), "EdDSA"
        elif kty == "EC" and crv == "P-256":
            x, y = (int.from_bytes(_b64decode(jwk.get(c)), "big") for c in ("x", "y"))
            key, alg = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key(), "ES256"
        else:
            raise SignatureError(
                f"{where}: kty {json.dumps(kty)} crv {json.dumps(crv)} is not accepted "
                "(OKP Ed25519 or EC P-256)"
            )
    except (ValueError, TypeError):
        raise SignatureError(f"{where}: its coordinates are not a valid {crv} public key") from None
    if jwk.get("alg", alg) != alg:
        raise SignatureError(f"{where}: alg {json.dumps(jwk['alg'])} does not fit a {crv} key ({alg})")
    return TrustedKey(kid or thumbprint(key), alg, key, file)


def public_jwk(key: Any, kid: str | None = None) -> dict[str, str]:
    """The public JWK of a cryptography public key (Ed25519 or P-256), with its kid and alg."""
    ec, ed25519 = crypto()
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64encode(raw)}
        alg = "EdDSA"
    elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        numbers = key.public_numbers()
        x, y = (b64encode(n.to_bytes(32, "big")) for n in (numbers.x, numbers.y))
        jwk, alg = {"kty": "EC", "crv": "P-256", "x": x, "y": y}, "ES256"
    else:
        raise SignatureError(f"the key is {type(key).__name__}; Ed25519 or P-256 keys are accepted")
    return {**jwk, "kid": kid or _thumbprint_of(jwk), "alg": alg, "use": "sig"}


def thumbprint(key: Any) -> str:
    """The key's RFC 7638 JWK thumbprint (SHA-256, base64url): its id when none is given."""
    return _thumbprint_of(public_jwk(key, "-"))


def _thumbprint_of(jwk: Mapping[str, str]) -> str:
    members = ("crv", "kty", "x") if jwk["kty"] == "OKP" else ("crv", "kty", "x", "y")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return b64encode(hashlib.sha256(canonical.encode()).digest())


# Verification ----------------------------------------------------------------------------------


def verify_folder(
    bundle_path: str,
    keys: list[TrustedKey],
    held: Mapping[str, bytes] | None = None,
    shown: str | None = None,
) -> Verified:
    """Verify the signature of the bundle at bundle_path and every file of its folder against
    it. `held` gives files already read (name -> bytes), whose hash is taken from these bytes:
    the bundle a caller parses is the bundle that was checked. Messages name the bundle as
    `shown` (default bundle_path)."""
    shown = shown or bundle_path
    if not keys:
        raise SignatureError(f"{shown}: no trusted key to check the signature with")
    folder, name = os.path.split(bundle_path)
    signatures_name = name + SIGNATURES_SUFFIX
    token = _read_token(shown, os.path.join(folder, signatures_name))
    verified = verify_token(token, keys, f"{shown}: {signatures_name}")
    _check_files(shown, folder or ".", name, verified.files, held or {})
    return verified


def _read_token(shown: str, signatures_path: str) -> str:
    try:
        with open(signatures_path, "rb") as stream:
            data = stream.read(MAX_SIGNATURES_BYTES + 1)
    except FileNotFoundError:
        raise SignatureError(
            f"{shown}: no signature ({os.path.basename(signatures_path)} is missing); trusted "
            "keys are configured, so an unsigned bundle is refused"
        ) from None
    except OSError as error:
        raise SignatureError(f"{shown}: cannot read the signature ({error.strerror})") from None
    where = f"{shown}: {os.path.basename(signatures_path)}"
    try:
        document = json.loads(data) if len(data) <= MAX_SIGNATURES_BYTES else None
    except (ValueError, RecursionError):
        document = None
    signatures = document.get("signatures") if isinstance(document, dict) else None
    if not isinstance(signatures, list) or not signatures:
        raise SignatureError(f'{where} is not a signatures file ({{"signatures": ["<JWS>"]}})')
    if len(signatures) != 1 or not isinstance(signatures[0], str):
        raise SignatureError(f"{where} must hold exactly one JWS, a text in compact serialization")
    return signatures[0]


def verify_token(token: str, keys: list[TrustedKey], where: str) -> Verified:
    """Verify one compact JWS against the trusted keys and read its payload."""
    parts = token.split(".")
    if len(parts) != 3 or not all(BASE64URL.fullmatch(part) for part in parts):
        raise SignatureError(f"{where}: the signature is not a JWS in compact serialization")
    header = _json_part(parts[0], where, "header")
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALGORITHMS:
        raise SignatureError(f"{where}: alg {json.dumps(alg)} is not accepted (EdDSA or ES256)")
    if set(header) - {"alg", "kid", "typ"}:
        extra = ", ".join(sorted(set(header) - {"alg", "kid", "typ"}))
        raise SignatureError(f"{where}: the JWS header has fields this checker does not know ({extra})")
    if kid is not None and not isinstance(kid, str):
        raise SignatureError(f"{where}: kid must be a text")
    candidates = [key for key in keys if kid is None or key.kid in (kid, None)]
    if not candidates:
        known = ", ".join(sorted({str(key.kid) for key in keys}))
        raise SignatureError(f"{where}: signed by key '{kid}', which is not a trusted key (trusted: {known})")
    try:
        signature = _b64decode(parts[2])
    except ValueError:
        raise SignatureError(f"{where}: the JWS signature is not base64url") from None
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    key = next((k for k in candidates if k.alg == alg and _valid(k, signing_input, signature)), None)
    if key is None:
        named = f"key '{kid}'" if kid is not None else "any trusted key"
        raise SignatureError(
            f"{where}: bad signature: it does not verify with {named}; the bundle's files or "
            "their signature were changed after signing, or another key signed them"
        )
    return _payload(_json_part(parts[1], where, "payload"), key, kid, where)


def _valid(key: TrustedKey, signing_input: bytes, signature: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    try:
        if key.alg == "EdDSA":
            key.key.verify(signature, signing_input)
        else:
            if len(signature) != 64:
                return False
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            key.key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _payload(payload: dict[str, Any], key: TrustedKey, kid: str | None, where: str) -> Verified:
    keyid, iat, iss, files = (payload.get(n) for n in ("keyid", "iat", "iss", "files"))
    if keyid is not None and kid is not None and keyid != kid:
        raise SignatureError(f"{where}: the payload names key '{keyid}' but the header names '{kid}'")
    if iat is not None and (not isinstance(iat, int) or isinstance(iat, bool)):
        raise SignatureError(f"{where}: iat must be a whole number of seconds")
    if iss is not None and not isinstance(iss, str):
        raise SignatureError(f"{where}: iss must be a text")
    if not isinstance(files, list):
        raise SignatureError(f'{where}: the payload has no list of "files"')
    listed: dict[str, str] = {}
    for entry in files:
        name = entry.get("name") if isinstance(entry, dict) else None
        digest = entry.get("hash") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not FILE_NAME.fullmatch(name) or name in listed:
            raise SignatureError(f"{where}: a file in the payload has no plain, unique name: {entry!r}")
        if entry.get("algorithm", HASH_ALGORITHM) != HASH_ALGORITHM:
            raise SignatureError(f"{where}: {name}: hash algorithm {entry['algorithm']!r} (SHA-256 only)")
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise SignatureError(f"{where}: {name}: the hash is not a SHA-256 in hexadecimal")
        listed[name] = digest
    name = kid or key.kid or thumbprint(key.key)
    return Verified(name, key.alg, iat, iss, listed, key.source)


def _check_files(
    shown: str, folder: str, bundle_name: str, listed: Mapping[str, str], held: Mapping[str, bytes]
) -> None:
    if bundle_name not in listed:
        raise SignatureError(f"{shown}: the signature does not list the bundle ({bundle_name})")
    try:  # a bundle folder is flat: a subfolder (the site's files/schemas/) is not one of its files
        with os.scandir(folder) as entries:
            present = sorted(
                e.name for e in entries if not e.is_dir() and e.name != bundle_name + SIGNATURES_SUFFIX
            )
    except OSError as error:
        raise SignatureError(f"{shown}: cannot list the bundle's folder ({error.strerror})") from None
    for name in present:
        if name not in listed:
            raise SignatureError(f"{shown}: {name} is in the bundle's folder but not listed in the signature")
    for name, recorded in sorted(listed.items()):
        data = held.get(name)
        if data is None:
            data = _read_listed(shown, folder, name)
        actual = hashlib.sha256(data).hexdigest()
        if actual != recorded:
            raise SignatureError(
                f"{shown}: {name} has SHA-256 {actual} but the signature lists {recorded}; "
                "it was changed after signing"
            )


def _read_listed(shown: str, folder: str, name: str) -> bytes:
    path = os.path.join(folder, name)
    try:
        if not os.path.isfile(path):
            raise FileNotFoundError
        with open(path, "rb") as stream:
            return stream.read()
    except FileNotFoundError:
        raise SignatureError(
            f"{shown}: {name} is listed in the signature but missing from the bundle's folder"
        ) from None
    except OSError as error:
        raise SignatureError(f"{shown}: cannot read {name}, a signed file ({error.strerror})") from None


# JWS encoding ----------------------------------------------------------------------------------


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: Any) -> bytes:
    if not isinstance(text, str) or not BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise ValueError("not base64url") from None


def _json_part(part: str, where: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(part))
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise SignatureError(f"{where}: the JWS {what} is not a JSON object")
    return value
