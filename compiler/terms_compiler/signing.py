"""Signing: make a key pair (`terms keygen`) and sign a bundle folder (`terms build --sign-key`).

The signature is OPA's `.signatures.json` layout, read by check/signatures.py: one compact JWS
(EdDSA, or ES256 for a P-256 key) over a payload listing every file of the bundle folder with
its SHA-256. The JWS is made with pyca/cryptography's primitives (see check/signatures.py for
why not a JOSE library); it is imported when a key is read, never by an unsigned build.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from terms_compiler.check.signatures import (
    HASH_ALGORITHM,
    SIGNATURES_SUFFIX,
    SignatureError,
    b64encode,
    crypto,
    public_jwk,
)

DEFAULT_ISSUER = "terms-compiler"
PRIVATE_KEY = "private.pem"
PUBLIC_KEY = "public.pem"
PUBLIC_JWKS = "public.jwks.json"


@dataclass(frozen=True, slots=True)
class Signer:
    """A private key ready to sign, with the id and issuer its signatures carry."""

    key: Any
    """A pyca/cryptography Ed25519PrivateKey or EllipticCurvePrivateKey (P-256)."""
    alg: str
    """EdDSA or ES256."""
    kid: str
    """The key id in the JWS header and payload: given (--kid), else the one `terms keygen`
    recorded in public.jwks.json beside the key, else the key's RFC 7638 thumbprint."""
    issuer: str
    """The payload's `iss`."""

    def public_jwks(self) -> dict[str, Any]:
        """The public key as a JWKS document, as the site publishes it."""
        return {"keys": [public_jwk(self.key.public_key(), self.kid)]}

    def identity(self) -> str:
        """What a build's output depends on besides the corpus: the public key, kid, issuer."""
        return json.dumps([self.public_jwks(), self.issuer], sort_keys=True)


def load_signer(path: Path, kid: str | None = None, issuer: str | None = None) -> Signer:
    """The private key in the PEM file at path; SignatureError when it cannot be used."""
    ec, ed25519 = crypto()
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        data = path.read_bytes()
    except OSError as error:
        raise SignatureError(f"{path}: cannot read the signing key ({error.strerror})") from None
    try:
        key = load_pem_private_key(data, password=None)
    except TypeError:
        raise SignatureError(f"{path}: the key is encrypted; give an unencrypted PEM private key") from None
    except ValueError:
        raise SignatureError(f"{path}: not a PEM private key (terms keygen makes one)") from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        alg = "EdDSA"
    elif isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        alg = "ES256"
    else:
        raise SignatureError(f"{path}: the key is {type(key).__name__}; sign with an Ed25519 or P-256 key")
    if kid is not None and not kid.strip():
        raise SignatureError("the key id (--kid) must not be empty")
    jwk = public_jwk(key.public_key(), kid or _kid_beside(path, key.public_key()))
    return Signer(key, alg, jwk["kid"], issuer or DEFAULT_ISSUER)


def _kid_beside(path: Path, public: Any) -> str | None:
    """The kid `terms keygen --kid` recorded for this key in public.jwks.json beside it, if any."""
    try:
        keys = json.loads((path.parent / PUBLIC_JWKS).read_text(encoding="utf-8"))["keys"]
        mine = public_jwk(public)
        return next((k["kid"] for k in keys if k.get("x") == mine["x"] and k.get("y") == mine.get("y")), None)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def signing_time() -> int:
    """The signature's `iat`: SOURCE_DATE_EPOCH when set (a reproducible build pins it, as
    reproducible-builds.org specifies), otherwise the clock."""
    pinned = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if pinned:
        if not pinned.isdigit():
            raise SignatureError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, found {pinned!r}")
        return int(pinned)
    return int(time.time())


def sign_folder(folder: Path, bundle_name: str, signer: Signer, iat: int) -> Path:
    """Write folder/<bundle_name>.signatures.json, signing every other file of folder."""
    signatures = folder / (bundle_name + SIGNATURES_SUFFIX)
    files = [
        {
            "name": path.name,
            "hash": hashlib.sha256(path.read_bytes()).hexdigest(),
            "algorithm": HASH_ALGORITHM,
        }
        for path in sorted(folder.iterdir())
        if path != signatures
    ]
    payload = {"files": files, "keyid": signer.kid, "iat": iat, "iss": signer.issuer}
    token = sign_token(payload, signer)
    signatures.write_text(json.dumps({"signatures": [token]}, indent=2) + "\n", encoding="utf-8")
    return signatures


def sign_token(payload: dict[str, Any], signer: Signer) -> str:
    """A compact JWS (RFC 7515) of payload, serialized with sorted keys: same input, same bytes
    (Ed25519 signatures are deterministic; ECDSA ones are not)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    header = {"alg": signer.alg, "kid": signer.kid}
    signing_input = f"{_b64json(header)}.{_b64json(payload)}"
    if signer.alg == "EdDSA":
        signature = signer.key.sign(signing_input.encode("ascii"))
    else:
        r, s = decode_dss_signature(signer.key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{signing_input}.{b64encode(signature)}"


def _b64json(value: Any) -> str:
    return b64encode(json.dumps(value, sort_keys=True, separators=(",", ":")).encode())


def generate_keys(out: Path, kid: str | None = None) -> list[Path]:
    """A new Ed25519 key pair in out/: private.pem (readable by its owner only), public.pem and
    public.jwks.json. An existing private key is never overwritten (SignatureError)."""
    _, ed25519 = crypto()
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    if kid is not None and not kid.strip():
        raise SignatureError("the key id (--kid) must not be empty")
    key = ed25519.Ed25519PrivateKey.generate()
    out.mkdir(parents=True, exist_ok=True)
    private = out / PRIVATE_KEY
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    try:
        # Created with mode 0600 and O_EXCL: never readable by others, not even for a moment.
        handle = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SignatureError(f"{private} exists; keygen never overwrites a private key") from None
    with os.fdopen(handle, "wb") as stream:
        stream.write(pem)
    public = key.public_key()
    (out / PUBLIC_KEY).write_bytes(public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    jwks = {"keys": [public_jwk(public, kid)]}
    (out / PUBLIC_JWKS).write_text(json.dumps(jwks, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return [private, out / PUBLIC_KEY, out / PUBLIC_JWKS]
