"""Signed bundles (issue 16): terms keygen, terms build --sign-key, and verification that fails
closed in terms check --trust, terms verify and Bundle.load(trusted_keys=...)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from terms_compiler.check.bundle import Bundle, BundleError
from terms_compiler.cli import main
from terms_compiler.signing import generate_keys

from tests.conftest import ROOT, SHIPPED_CORPUS
from tests.test_check_cli import OEM_SERVER

NAME = "product-terms-sa.json"
# The rules file of each decision in each language, its digest and its gzip copy (docs/rules-files.md).
RULES_FILES = {
    f"product-terms-sa.rules.{decision}.{language}.json{suffix}"
    for decision in (
        "sa-purchase",
        "sa-renewal",
        "license-switch",
        "proof-of-license",
        "regional-availability",
    )
    for language in ("en", "uk", "ru", "zh")
    for suffix in ("", ".sha256", ".gz")
}
SIGNATURES = NAME + ".signatures.json"
PINNED = "1764720000"  # SOURCE_DATE_EPOCH: 2025-12-03T00:00:00Z


def keygen(out: Path, kid: str | None = None) -> Path:
    """A key pair in out, as terms keygen makes it (test_keygen_says_what_it_wrote runs the command)."""
    generate_keys(out, kid)
    return out


def signed_build(out: Path, key: Path, *options: str, epoch: str = PINNED) -> Path:
    """The shipped corpus built into out, signed with key; its bundle folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", epoch)
        code = main(
            [
                "build",
                str(SHIPPED_CORPUS),
                "--out",
                str(out),
                "--no-site",
                "-q",
                "--sign-key",
                str(key),
                *options,
            ]
        )
    assert code == 0
    return out / "bundle"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A key pair made by terms keygen --kid k-2026."""
    return keygen(tmp_path_factory.mktemp("keys") / "k", "k-2026")


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory, keys: Path) -> Path:
    """The bundle folder of a signed build (not to be changed: copy it with `copy`)."""
    return signed_build(tmp_path_factory.mktemp("signed"), keys / "private.pem")


def copy(folder: Path, into: Path) -> Path:
    """A plain copy of a bundle folder, to tamper with; its bundle's path."""
    shutil.copytree(folder.resolve(), into)
    return into / NAME


def token_parts(folder: Path) -> tuple[dict[str, object], dict[str, object], str]:
    token = json.loads((folder / SIGNATURES).read_text())["signatures"][0]
    header, payload, signature = token.split(".")
    decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # noqa: E731
    return decode(header), decode(payload), signature


def refusal(bundle: Path, trusted: object) -> str:
    with pytest.raises(BundleError) as error:
        Bundle.load(bundle, trusted_keys=trusted)  # type: ignore[arg-type]
    return str(error.value)


# keygen ----------------------------------------------------------------------------------------


def test_keygen_writes_a_private_key_for_its_owner_only_and_the_public_key_as_pem_and_jwks(
    keys: Path,
) -> None:
    assert stat.S_IMODE((keys / "private.pem").stat().st_mode) == 0o600
    assert (keys / "private.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert (keys / "public.pem").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    [jwk] = json.loads((keys / "public.jwks.json").read_text())["keys"]
    assert {k: jwk[k] for k in ("kty", "crv", "kid", "alg", "use")} == {
        "kty": "OKP",
        "crv": "Ed25519",
        "kid": "k-2026",
        "alg": "EdDSA",
        "use": "sig",
    }
    assert "d" not in jwk


def test_keygen_says_what_it_wrote(run_terms, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    keys = tmp_path / "keys"
    code, out, err = run_terms("keygen", "--out", str(keys), "--kid", "k-1")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"wrote {keys / 'private.pem'} (the private key, readable by you only: keep it secret)",
        f"wrote {keys / 'public.pem'} and {keys / 'public.jwks.json'} (the public key, id 'k-1': give these to tools)",
        "",
        f"sign:   terms build --sign-key {keys / 'private.pem'}",
        f"verify: terms verify build/bundle/ID.json --trust {keys / 'public.jwks.json'}",
    ]
    assert stat.S_IMODE((keys / "private.pem").stat().st_mode) == 0o600


def test_keygen_never_overwrites_a_private_key(run_terms, keys: Path) -> None:  # type: ignore[no-untyped-def]
    before = (keys / "private.pem").read_bytes()
    code, _, err = run_terms("keygen", "--out", str(keys))
    assert (code, err) == (
        2,
        f"terms keygen: {keys / 'private.pem'} exists; keygen never overwrites a private key\n",
    )
    assert (keys / "private.pem").read_bytes() == before


def test_keygen_without_kid_names_the_key_by_its_thumbprint(tmp_path: Path) -> None:
    [jwk] = json.loads((keygen(tmp_path / "k") / "public.jwks.json").read_text())["keys"]
    members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": jwk["x"]}, separators=(",", ":"))
    expected = base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=").decode()
    assert jwk["kid"] == expected  # RFC 7638


# build --sign-key ------------------------------------------------------------------------------


def test_the_signature_lists_every_file_of_the_bundle_folder_with_its_sha256(signed: Path) -> None:
    header, payload, _ = token_parts(signed)
    assert header == {"alg": "EdDSA", "kid": "k-2026"}
    files = {NAME, NAME + ".sha256", "conformance.json", "product-terms-sa.jwks.json", *RULES_FILES}
    assert sorted(p.name for p in signed.iterdir()) == sorted([*files, SIGNATURES])
    assert payload == {
        "files": [
            {
                "name": name,
                "hash": hashlib.sha256((signed / name).read_bytes()).hexdigest(),
                "algorithm": "SHA-256",
            }
            for name in sorted(files)
        ],
        "keyid": "k-2026",
        "iat": int(PINNED),
        "iss": "terms-compiler",
    }


def test_a_signed_build_is_byte_identical_when_source_date_epoch_pins_its_time(
    signed: Path, keys: Path, tmp_path: Path
) -> None:
    again = signed_build(tmp_path / "again", keys / "private.pem", "--no-cache")
    assert {p.name: p.read_bytes() for p in again.iterdir()} == {
        p.name: p.read_bytes() for p in signed.iterdir()
    }
    later = signed_build(tmp_path / "later", keys / "private.pem", "--no-cache", epoch="1764806400")
    differs = [p.name for p in later.iterdir() if p.read_bytes() != (signed / p.name).read_bytes()]
    assert differs == [SIGNATURES]
    assert token_parts(later)[1]["iat"] == 1764806400


def test_issuer_and_kid_are_written_as_given(keys: Path, tmp_path: Path) -> None:
    folder = signed_build(
        tmp_path / "b", keys / "private.pem", "--kid", "renamed", "--issuer", "Contoso Licensing"
    )
    header, payload, _ = token_parts(folder)
    assert (header["kid"], payload["keyid"], payload["iss"]) == ("renamed", "renamed", "Contoso Licensing")


def test_build_refuses_a_key_that_is_not_a_private_key(run_terms, keys: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_terms(
        "build", str(SHIPPED_CORPUS), "--out", str(tmp_path / "b"), "--sign-key", str(keys / "public.pem")
    )
    assert (code, err) == (
        2,
        f"terms build: {keys / 'public.pem'}: not a PEM private key (terms keygen makes one)\n",
    )
    code, _, err = run_terms("build", str(SHIPPED_CORPUS), "--out", str(tmp_path / "b"), "--kid", "x")
    assert (code, err) == (2, "terms build: --kid and --issuer name the signature: give --sign-key too\n")
    assert not (tmp_path / "b").exists()


# verification ----------------------------------------------------------------------------------


def test_verify_says_what_was_checked(run_terms, signed: Path, keys: Path) -> None:  # type: ignore[no-untyped-def]
    bundle = signed / NAME
    code, out, err = run_terms("verify", str(bundle), "--trust", str(keys / "public.jwks.json"))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"verified {bundle}",
        f"  digest:    SHA-256 matches {NAME}.sha256",
        f"  signature: EdDSA, key 'k-2026' trusted from {keys / 'public.jwks.json'}, issued "
        "2025-12-03T00:00:00Z by terms-compiler",
        "  files:     64 listed, each present with its SHA-256, none unlisted: "
        + ", ".join(
            sorted({"conformance.json", NAME, f"{NAME}.sha256", "product-terms-sa.jwks.json", *RULES_FILES})
        ),
        "  bundle:    product-terms-sa edition 2026-11 (2026-11-01), format 1.0, 5 decisions, well-formed",
    ]
    code, out, _ = run_terms("verify", str(bundle))
    assert code == 0
    assert "  signature: not checked (no --trust given): the digest proves integrity, not origin" in out


@pytest.mark.parametrize("trusted", ["public.pem", "public.jwks.json", "."])
def test_a_pem_a_jwks_or_a_folder_of_keys_verifies_the_bundle(signed: Path, keys: Path, trusted: str) -> None:
    bundle = Bundle.load(signed / NAME, trusted_keys=keys / trusted)
    assert bundle.signature is not None
    assert (bundle.signature.kid, bundle.signature.alg, bundle.signature.iat) == (
        "k-2026",
        "EdDSA",
        int(PINNED),
    )


def test_terms_check_answers_from_a_bundle_signed_by_a_trusted_key(  # type: ignore[no-untyped-def]
    run_terms, signed: Path, keys: Path, tmp_path: Path
) -> None:
    facts = tmp_path / "f.json"
    facts.write_text(json.dumps(OEM_SERVER))
    code, out, err = run_terms(
        "check", "--bundle", str(signed / NAME), "--decision", "sa-purchase", "--trust", str(keys), str(facts)
    )
    assert (code, err, out.splitlines()[0]) == (0, "", "sa-purchase: allowed, as of 2024-05-30")


def test_no_signature_is_refused_once_a_key_is_trusted(signed: Path, keys: Path, tmp_path: Path) -> None:
    bundle = copy(signed, tmp_path / "b")
    (bundle.parent / SIGNATURES).unlink()
    assert refusal(bundle, keys / "public.jwks.json") == (
        f"{bundle}: no signature ({SIGNATURES} is missing); trusted keys are configured, so an "
        "unsigned bundle is refused"
    )
    Bundle.load(bundle)  # without keys: the digest alone, as before


def test_no_setting_accepts_an_unsigned_bundle_when_keys_are_given(signed: Path, tmp_path: Path) -> None:
    bundle = copy(signed, tmp_path / "b")
    (bundle.parent / SIGNATURES).unlink()
    assert refusal(bundle, []) == f"{bundle}: no trusted key to check the signature with"
    (tmp_path / "empty").mkdir()
    assert refusal(bundle, tmp_path / "empty") == f"no public key found in {tmp_path / 'empty'}"
    assert refusal(signed / NAME, []) == f"{signed / NAME}: no trusted key to check the signature with"


def test_a_signature_by_an_unknown_kid_is_refused(signed: Path, tmp_path: Path) -> None:
    other = keygen(tmp_path / "other", "k-other")
    assert refusal(signed / NAME, other / "public.jwks.json") == (
        f"{signed / NAME}: {SIGNATURES}: signed by key 'k-2026', which is not a trusted key (trusted: k-other)"
    )


def test_a_bad_signature_is_refused(signed: Path, tmp_path: Path) -> None:
    # Another key under the same id: the kid matches, the signature does not.
    impostor = keygen(tmp_path / "impostor", "k-2026")
    message = (
        f"{signed / NAME}: {SIGNATURES}: bad signature: it does not verify with key 'k-2026'; the bundle's "
        "files or their signature were changed after signing, or another key signed them"
    )
    assert refusal(signed / NAME, impostor / "public.jwks.json") == message
    assert refusal(signed / NAME, impostor / "public.pem") == message


def test_a_payload_changed_after_signing_is_a_bad_signature(signed: Path, keys: Path, tmp_path: Path) -> None:
    bundle = copy(signed, tmp_path / "b")
    header, payload, signature = token_parts(bundle.parent)
    payload["iss"] = "someone else"
    encode = lambda v: base64.urlsafe_b64encode(json.dumps(v).encode()).rstrip(b"=").decode()  # noqa: E731
    forged = f"{encode(header)}.{encode(payload)}.{signature}"
    (bundle.parent / SIGNATURES).write_text(json.dumps({"signatures": [forged]}))
    assert "bad signature: it does not verify with key 'k-2026'" in refusal(bundle, keys / "public.jwks.json")


def test_an_algorithm_other_than_eddsa_or_es256_is_refused(signed: Path, keys: Path, tmp_path: Path) -> None:
    bundle = copy(signed, tmp_path / "b")
    _, payload, _ = token_parts(bundle.parent)
    encode = lambda v: base64.urlsafe_b64encode(json.dumps(v).encode()).rstrip(b"=").decode()  # noqa: E731
    unsigned = f"{encode({'alg': 'none', 'kid': 'k-2026'})}.{encode(payload)}."
    (bundle.parent / SIGNATURES).write_text(json.dumps({"signatures": [unsigned]}))
    assert refusal(bundle, keys / "public.jwks.json") == (
        f'{bundle}: {SIGNATURES}: alg "none" is not accepted (EdDSA or ES256)'
    )


def test_a_file_listed_but_missing_is_refused(signed: Path, keys: Path, tmp_path: Path) -> None:
    bundle = copy(signed, tmp_path / "b")
    (bundle.parent / "conformance.json").unlink()
    assert refusal(bundle, keys / "public.jwks.json") == (
        f"{bundle}: conformance.json is listed in the signature but missing from the bundle's folder"
    )


def test_a_file_present_but_not_listed_is_refused(signed: Path, keys: Path, tmp_path: Path) -> None:
    bundle = copy(signed, tmp_path / "b")
    (bundle.parent / "extra-rules.json").write_text("{}")
    assert refusal(bundle, keys / "public.jwks.json") == (
        f"{bundle}: extra-rules.json is in the bundle's folder but not listed in the signature"
    )


def test_a_hash_mismatch_is_refused_even_with_a_matching_digest_file(
    signed: Path, keys: Path, tmp_path: Path
) -> None:
    bundle = copy(signed, tmp_path / "b")
    cases = bundle.parent / "conformance.json"
    cases.write_bytes(cases.read_bytes().replace(b'"allowed"', b'"denied"', 1))
    actual, listed = (
        hashlib.sha256(cases.read_bytes()).hexdigest(),
        token_parts(bundle.parent)[1]["files"][0]["hash"],
    )  # type: ignore[index]
    assert refusal(bundle, keys / "public.jwks.json") == (
        f"{bundle}: conformance.json has SHA-256 {actual} but the signature lists {listed}; it was changed after signing"
    )
    # The bundle itself, edited with its digest redone: the digest agrees, the signature does not.
    data = bundle.read_bytes().replace(b'"2026-11"', b'"2026-12"', 1)
    bundle.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    (bundle.parent / (NAME + ".sha256")).write_text(f"{digest}  {NAME}\n")
    cases.write_bytes((signed / "conformance.json").read_bytes())
    message = refusal(bundle, keys / "public.jwks.json")
    assert message.startswith(f"{bundle}: {NAME} has SHA-256 {digest} but the signature lists ")
    Bundle.load(bundle)  # the digest alone cannot tell


def test_terms_check_and_verify_refuse_with_exit_2_and_the_reason(  # type: ignore[no-untyped-def]
    run_terms, signed: Path, keys: Path, tmp_path: Path
) -> None:
    bundle = copy(signed, tmp_path / "b")
    (bundle.parent / SIGNATURES).unlink()
    reason = f"{bundle}: no signature ({SIGNATURES} is missing); trusted keys are configured, so an unsigned bundle is refused"
    code, out, err = run_terms(
        "check", "--bundle", str(bundle), "--decision", "sa-purchase", "--trust", str(keys), "-"
    )
    assert (code, out, err) == (2, "", f"terms check: {reason}\n")
    code, out, err = run_terms("verify", str(bundle), "--trust", str(keys))
    assert (code, out, err) == (2, "", f"terms verify: refused: {reason}\n")


def test_a_trusted_private_key_or_a_file_that_is_no_key_is_an_error(
    signed: Path, keys: Path, tmp_path: Path
) -> None:
    assert refusal(signed / NAME, keys / "private.pem") == (
        f"{keys / 'private.pem'}: is a private key; trust the public key (public.pem) instead"
    )
    (tmp_path / "k.json").write_text('{"keys": [{"kty": "RSA", "n": "x", "e": "AQAB"}]}')
    assert refusal(signed / NAME, tmp_path / "k.json") == (
        f'{tmp_path / "k.json"}: key 1: kty "RSA" crv null is not accepted (OKP Ed25519 or EC P-256)'
    )
    assert refusal(signed / NAME, tmp_path / "none.pem") == (
        f"{tmp_path / 'none.pem'}: cannot read the key file (No such file or directory)"
    )


def test_key_rotation_a_jwks_with_several_keys_verifies_bundles_signed_by_any_of_them(
    signed: Path, keys: Path, tmp_path: Path
) -> None:
    new = keygen(tmp_path / "new", "k-2027")
    by_new = signed_build(tmp_path / "b", new / "private.pem")
    both = tmp_path / "both.jwks.json"
    both.write_text(
        json.dumps(
            {"keys": [json.loads((k / "public.jwks.json").read_text())["keys"][0] for k in (keys, new)]}
        )
    )
    verified = [Bundle.load(folder / NAME, trusted_keys=both).signature for folder in (signed, by_new)]
    assert [v.kid for v in verified if v] == ["k-2026", "k-2027"]
    # The old key retired: what it signed is refused, by name.
    assert refusal(signed / NAME, new / "public.jwks.json").endswith(
        "signed by key 'k-2026', which is not a trusted key (trusted: k-2027)"
    )


def test_an_es256_key_signs_and_verifies(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = tmp_path / "p256.pem"
    pem.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    folder = signed_build(tmp_path / "b", pem, "--kid", "hsm-1")
    assert token_parts(folder)[0] == {"alg": "ES256", "kid": "hsm-1"}
    jwks = tmp_path / "p256.jwks.json"
    jwks.write_text(json.dumps({"keys": [jwt.PyJWK.from_json(_public_jwk_json(key, "hsm-1"))._jwk_data]}))
    assert Bundle.load(folder / NAME, trusted_keys=jwks).signature.alg == "ES256"  # type: ignore[union-attr]


def _public_jwk_json(key: ec.EllipticCurvePrivateKey, kid: str) -> str:
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    return json.dumps({**jwk, "kid": kid})


# an independent implementation -----------------------------------------------------------------


def test_the_signature_verifies_with_pyjwt_an_independent_jws_implementation(
    signed: Path, keys: Path
) -> None:
    token = json.loads((signed / SIGNATURES).read_text())["signatures"][0]
    [jwk] = json.loads((keys / "public.jwks.json").read_text())["keys"]
    decoded = jwt.PyJWS().decode_complete(token, key=jwt.PyJWK(jwk).key, algorithms=["EdDSA"])
    assert decoded["header"] == {"alg": "EdDSA", "kid": "k-2026"}
    files = json.loads(decoded["payload"])["files"]
    assert {f["name"]: f["hash"] for f in files} == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in signed.iterdir() if p.name != SIGNATURES
    }
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.PyJWS().decode_complete(tampered, key=jwt.PyJWK(jwk).key, algorithms=["EdDSA"])


def test_pyjwt_signed_token_verifies_with_our_checker(signed: Path, keys: Path, tmp_path: Path) -> None:
    """The other direction: a signature made by PyJWT over our payload is accepted."""
    bundle = copy(signed, tmp_path / "b")
    _, payload, _ = token_parts(bundle.parent)
    private = (keys / "private.pem").read_bytes()
    token = jwt.PyJWS().encode(
        json.dumps(payload).encode(), private, algorithm="EdDSA", headers={"kid": "k-2026"}
    )
    (bundle.parent / SIGNATURES).write_text(json.dumps({"signatures": [token]}))
    assert Bundle.load(bundle, trusted_keys=keys / "public.pem").signature is not None


# the site and the check runtime ----------------------------------------------------------------


def test_a_signed_site_publishes_the_signature_and_the_public_key_on_the_downloads_page(
    keys: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site-build"
    mini = ROOT / "tests" / "fixtures" / "mini"
    assert main(["build", str(mini), "--out", str(out), "-q", "--sign-key", str(keys / "private.pem")]) == 0
    files = out / "site" / "files" / "2026-01"
    assert json.loads((files / "mini-terms.jwks.json").read_text()) == json.loads(
        (keys / "public.jwks.json").read_text()
    )
    assert (files / "schemas").is_dir()  # beside the bundle's files, not one of them
    assert (files / "mini-terms.json.signatures.json").read_bytes() == (
        out / "bundle" / "mini-terms.json.signatures.json"
    ).read_bytes()
    page = (out / "site" / "en" / "2026-01" / "downloads" / "index.html").read_text()
    assert (
        '<a href="../../../files/2026-01/mini-terms.json.signatures.json">'
        "<code>mini-terms.<wbr>json.<wbr>signatures.<wbr>json</code></a>" in page  # <wbr>: may wrap there
    )
    assert (
        '<a href="../../../files/2026-01/mini-terms.jwks.json"><code>mini-terms.<wbr>jwks.<wbr>json</code></a>'
        in page
    )
    assert Bundle.load(files / "mini-terms.json", trusted_keys=files / "mini-terms.jwks.json").signature


def test_an_unsigned_check_never_imports_the_crypto_library(shipped_bundle: Path, tmp_path: Path) -> None:
    facts = tmp_path / "f.json"
    facts.write_text(json.dumps(OEM_SERVER))
    program = (
        "import sys; from terms_compiler.cli import main; "
        f"code = main(['check', '--bundle', {str(shipped_bundle)!r}, '--decision', 'sa-purchase', {str(facts)!r}]); "
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] in ('cryptography', 'base64', 'jwt')))"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "0 []"


def test_trust_without_the_sign_extra_names_the_extra_and_exits_2(signed: Path, keys: Path) -> None:
    program = (
        "import sys; sys.modules['cryptography'] = None; from terms_compiler.cli import main; "
        f"sys.exit(main(['verify', {str(signed / NAME)!r}, '--trust', {str(keys)!r}]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env={**os.environ}
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "terms verify: refused: checking signatures needs the 'sign' extra (pyca/cryptography): "
        "pip install 'terms-compiler[sign]'\n"
    )


def test_signing_an_unchanged_corpus_is_a_new_build_not_the_unsigned_one_kept(
    keys: Path, tmp_path: Path
) -> None:
    out = tmp_path / "b"
    assert main(["build", str(SHIPPED_CORPUS), "--out", str(out), "--no-site", "-q"]) == 0
    assert not (out / "bundle" / SIGNATURES).exists()
    folder = signed_build(out, keys / "private.pem")  # the build cache is on
    assert Bundle.load(folder / NAME, trusted_keys=keys / "public.pem").signature is not None
