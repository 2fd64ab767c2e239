// Signed bundles (docs/trust.md): `terms-check --trust KEYS` accepts and refuses what
// `terms check --trust KEYS` does, with the same messages and exit codes, byte for byte. The
// bundles are built here by the Python compiler (`terms keygen`, `terms build --sign-key`);
// bundles signed otherwise (a forged header, a payload of another shape) are signed here with
// node:crypto, by the same private keys.
import assert from "node:assert/strict";
import { createHash, createPrivateKey, generateKeyPairSync, sign } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { BundleError, loadBundle, readTrustedKeys } from "../src/index.js";
import { loadBundleFile, loadTrustedKeys } from "../src/node.js";
import { JS_ROOT, PYTHON, assertSame, run } from "./helpers.js";

const temp = mkdtempSync(join(tmpdir(), "terms-check-signed-"));
const NAME = "product-terms-sa.json";
const FACTS = join(temp, "facts.json");
writeFileSync(FACTS, '{"program": "open-license", "order_date": "2020-08-01"}');

function terms(...args) {
  const result = run(PYTHON, ["-m", "terms_compiler.cli", ...args], { cwd: temp });
  if (result.status !== 0) throw new Error(`terms ${args.join(" ")}: ${result.stderr}`);
}

// Keys: two Ed25519 keys made by `terms keygen` (a rotation), and a P-256 key (ES256).
terms("keygen", "--out", join(temp, "key-a"), "--kid", "2026-12");
terms("keygen", "--out", join(temp, "key-b"), "--kid", "2027-01");
mkdirSync(join(temp, "key-p"));
const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
writeFileSync(join(temp, "key-p", "private.pem"), p256.privateKey.export({ format: "pem", type: "pkcs8" }));
writeFileSync(join(temp, "key-p", "public.pem"), p256.publicKey.export({ format: "pem", type: "spki" }));
writeFileSync(join(temp, "key-p", "public.jwks.json"), JSON.stringify({ keys: [{ ...p256.publicKey.export({ format: "jwk" }), kid: "p-256", alg: "ES256" }] }));

/** The shipped corpus built and signed with a key: the bundle's path. */
function signedBuild(key, extra = []) {
  const out = join(temp, `build-${key}`);
  terms("build", join(JS_ROOT, "..", "terms"), "--no-site", "-q", "--out", out, "--sign-key", join(temp, key, "private.pem"), ...extra);
  return join(out, "bundle", NAME);
}
const SIGNED = { a: signedBuild("key-a"), b: signedBuild("key-b"), p: signedBuild("key-p", ["--kid", "p-256"]) };
const JWKS = { a: join(temp, "key-a", "public.jwks.json"), b: join(temp, "key-b", "public.jwks.json"), p: join(temp, "key-p", "public.jwks.json") };

// Both public keys in one JWKS, as a publisher rotating keys gives them to tools.
const BOTH = join(temp, "both.jwks.json");
writeFileSync(BOTH, JSON.stringify({ keys: [JWKS.a, JWKS.b].flatMap((file) => JSON.parse(readFileSync(file, "utf8")).keys) }));

let copies = 0;
/** A copy of a signed bundle's folder, changed by `change(folder)`: the bundle's path. */
function copy(from, change = () => {}) {
  const folder = join(temp, `copy-${++copies}`);
  cpSync(realpathSync(join(from, "..")), folder, { recursive: true }); // build/bundle is a link
  change(folder);
  return join(folder, NAME);
}

function check(bundle, ...trust) {
  return ["--bundle", bundle, "--decision", "proof-of-license", ...trust.flatMap((keys) => ["--trust", keys]), FACTS];
}

/** Assert both checkers refuse (exit 2) with a message ending as expected. */
function assertRefused(args, ending) {
  const python = assertSame(args);
  assert.equal(python.status, 2, `${args.join(" ")}: refused`);
  const message = python.stderr.toString().trimEnd();
  assert.ok(message.endsWith(ending), `${message}\n  does not end with\n${ending}`);
}

test("a signed bundle answers with its key pinned: a JWKS, a PEM, a folder, EdDSA and ES256", () => {
  for (const trust of [JWKS.a, join(temp, "key-a", "public.pem"), join(temp, "key-a"), join(SIGNED.a, "..", "product-terms-sa.jwks.json")]) {
    const python = assertSame(check(SIGNED.a, trust));
    assert.equal(python.status, 0, python.stderr.toString());
  }
  for (const trust of [JWKS.p, join(temp, "key-p", "public.pem")]) assert.equal(assertSame(check(SIGNED.p, trust)).status, 0);
  assert.equal(assertSame(check(SIGNED.p, JWKS.a, JWKS.p)).status, 0);
  const lines = join(temp, "facts.jsonl");
  writeFileSync(lines, '{"program": "open-license", "order_date": "2020-08-01"}\n{"program": "x"}\n');
  assertSame(["--bundle", SIGNED.a, "--decision", "proof-of-license", "--format", "json", "--trust", JWKS.a, lines]);
  assertSame(["--bundle", SIGNED.a, "--decision", "proof-of-license", "--tr", JWKS.a, "--trust=" + BOTH, FACTS]);
});

test("key rotation: a JWKS with two keys verifies bundles signed by either; dropping a key refuses its bundles", () => {
  for (const bundle of [SIGNED.a, SIGNED.b]) assert.equal(assertSame(check(bundle, BOTH)).status, 0);
  const folder = join(temp, "trusted-both");
  mkdirSync(folder);
  cpSync(JWKS.a, join(folder, "2026-12.jwks.json"));
  cpSync(join(temp, "key-b", "public.pem"), join(folder, "2027-01.pem"));
  for (const bundle of [SIGNED.a, SIGNED.b]) assert.equal(assertSame(check(bundle, folder)).status, 0);
  assertRefused(check(SIGNED.a, JWKS.b), "signed by key '2026-12', which is not a trusted key (trusted: 2027-01)");
});

test("each refusal of a signed bundle is `terms check`'s, in its words", () => {
  const signatures = (folder) => join(folder, `${NAME}.signatures.json`);
  assertRefused(check(copy(SIGNED.a, (f) => rmSync(signatures(f))), JWKS.a),
    "no signature (product-terms-sa.json.signatures.json is missing); trusted keys are configured, so an unsigned bundle is refused");
  const otherSignature = (f) => cpSync(signatures(join(SIGNED.b, "..")), signatures(f));
  assertRefused(check(copy(SIGNED.a, otherSignature), BOTH), "; it was changed after signing");
  const edited = (f) => {
    const bytes = Buffer.from(readFileSync(join(f, NAME), "utf8").replace('"allowed"', '"Allowed"'));
    writeFileSync(join(f, NAME), bytes);
    writeFileSync(join(f, `${NAME}.sha256`), `${createHash("sha256").update(bytes).digest("hex")}  ${NAME}\n`);
  };
  assertRefused(check(copy(SIGNED.a, edited), JWKS.a), "; it was changed after signing");
  assertRefused(check(copy(SIGNED.a, (f) => rmSync(join(f, "conformance.json"))), JWKS.a),
    "conformance.json is listed in the signature but missing from the bundle's folder");
  assertRefused(check(copy(SIGNED.a, (f) => writeFileSync(join(f, "notes.txt"), "hello")), JWKS.a),
    "notes.txt is in the bundle's folder but not listed in the signature");
  assertRefused(check(copy(SIGNED.a, (f) => writeFileSync(join(f, "conformance.json"), "[]")), JWKS.a), "; it was changed after signing");
  const flipped = (f) => {
    const token = JSON.parse(readFileSync(signatures(f))).signatures[0];
    const last = token.at(-2) === "A" ? "B" : "A";
    writeFileSync(signatures(f), JSON.stringify({ signatures: [`${token.slice(0, -2)}${last}${token.at(-1)}`] }));
  };
  for (const [bundle, keys] of [[SIGNED.a, JWKS.a], [SIGNED.p, JWKS.p]]) {
    assertRefused(check(copy(bundle, flipped), keys), "; the bundle's files or their signature were changed after signing, or another key signed them");
  }
  assertRefused(check(copy(SIGNED.a, (f) => forge(f, { alg: "none", kid: "2026-12" }, null)), JWKS.a), 'alg "none" is not accepted (EdDSA or ES256)');
  assertRefused(check(copy(SIGNED.a, (f) => forge(f, { alg: "HS256" }, null)), JWKS.a), 'alg "HS256" is not accepted (EdDSA or ES256)');
  // A digest file that does not match is found first, before the signature is looked at.
  assertRefused(check(copy(SIGNED.a, (f) => writeFileSync(join(f, `${NAME}.sha256`), "0".repeat(64))), JWKS.a), "the bundle was changed or truncated");
});

// Tokens made here: a header and a payload as given, signed by key-a (null: no signature).
function forge(folder, header, payload = undefined, key = "key-a") {
  const path = join(folder, `${NAME}.signatures.json`);
  const [head, body] = JSON.parse(readFileSync(path)).signatures[0].split(".");
  const encode = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
  const signingInput = `${header === undefined ? head : encode(header)}.${payload === undefined ? body : encode(payload)}`;
  const signature = payload === null ? "" : sign(null, Buffer.from(signingInput), createPrivateKey(readFileSync(join(temp, key, "private.pem")))).toString("base64url");
  writeFileSync(path, JSON.stringify({ signatures: [`${signingInput}.${signature}`] }));
}

function payloadOf(bundle) {
  const token = JSON.parse(readFileSync(`${bundle}.signatures.json`)).signatures[0];
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url"));
}

test("a signatures file or a JWS of another shape is refused as `terms check` refuses it", () => {
  const header = { alg: "EdDSA", kid: "2026-12" };
  const good = payloadOf(SIGNED.a);
  const withFiles = (files) => ({ ...good, files });
  const cases = [
    (f) => writeFileSync(join(f, `${NAME}.signatures.json`), "{}"),
    (f) => writeFileSync(join(f, `${NAME}.signatures.json`), '{"signatures": ["a.b.c", "d.e.f"]}'),
    (f) => writeFileSync(join(f, `${NAME}.signatures.json`), '{"signatures": ["a.b"]}'),
    (f) => writeFileSync(join(f, `${NAME}.signatures.json`), '{"signatures": ["a+.b.c"]}'),
    (f) => writeFileSync(join(f, `${NAME}.signatures.json`), "not json"),
    (f) => mkdirSync(join(f, "subfolder")), // a subfolder is not one of the bundle's files: accepted
    (f) => forge(f, { ...header, x5u: "https://example.org", cty: "x" }),
    (f) => forge(f, { ...header, kid: 7 }),
    (f) => forge(f, { alg: "EdDSA" }), // no kid: every trusted key is tried
    (f) => forge(f, { ...header, kid: "2027-01" }, undefined, "key-b"),
    (f) => forge(f, "[1]"),
    (f) => forge(f, header, "not json"),
    (f) => forge(f, header, { ...good, keyid: "other" }),
    (f) => forge(f, header, { ...good, keyid: ["x", 1.0] }),
    (f) => forge(f, header, { ...good, iat: 1.5 }),
    (f) => forge(f, header, { ...good, iss: 1 }),
    (f) => forge(f, header, { ...good, files: {} }),
    (f) => forge(f, header, withFiles([...good.files, { name: "../etc/passwd", hash: "0".repeat(64), é: "it's" }])),
    (f) => forge(f, header, withFiles([...good.files, good.files[0]])),
    (f) => forge(f, header, withFiles(good.files.map((file) => ({ ...file, algorithm: "SHA-1" })))),
    (f) => forge(f, header, withFiles(good.files.map((file) => ({ ...file, hash: file.hash.toUpperCase() })))),
    (f) => forge(f, header, withFiles(good.files.filter((file) => file.name !== NAME))),
    (f) => forge(f, header, withFiles([...good.files, { name: "extra.json", hash: "0".repeat(64) }])),
  ];
  for (const change of cases) assertSame(check(copy(SIGNED.a, change), JWKS.a, join(temp, "key-b", "public.pem")));
});

const KEY_FILES = {
  "garbage.json": "not a key",
  "list.json": "[1]",
  "empty.jwks": '{"keys": []}',
  "not-object.json": '{"keys": [1]}',
  "private.json": '{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "d": "x"}',
  "kid.json": '{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": ""}]}',
  "rsa.json": '{"kty": "RSA", "n": "x", "e": "AQAB"}',
  "curve.json": '{"kty": "EC", "crv": "P-384", "x": "", "y": ""}',
  "unicode.json": '{"kty": "OKP\u00e9", "crv": ["\u00e9", 1.5, null]}',
  "short.json": '{"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}',
  "padded.json": '{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="}',
  "off-curve.json": '{"kty": "EC", "crv": "P-256", "x": "AQ", "y": "Ag"}',
  "alg.json": '{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "alg": "ES256"}',
  "thumbprint.json": '{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}',
  "same-kid.json": '{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "2026-12"}]}',
  "bad.pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
  "cert.pem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
};

test("key files that cannot be trusted are refused as `terms check` refuses them, before the bundle is read", () => {
  const folder = join(temp, "key-files");
  mkdirSync(folder);
  const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "pem", type: "spki" });
  const files = { ...KEY_FILES, "rsa.pem": rsa, "ed448.pem": generateKeyPairSync("ed448").publicKey.export({ format: "pem", type: "spki" }) };
  files["p384.pem"] = generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey.export({ format: "pem", type: "spki" });
  files["utf16.jwks"] = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(readFileSync(JWKS.a, "utf8"), "utf16le")]);
  files["big.json"] = " ".repeat((1 << 20) + 1);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
  for (const name of Object.keys(files)) assertSame(check(SIGNED.a, join(folder, name)), undefined, name);
  assertSame(check(SIGNED.a, join(folder, "same-kid.json"), JWKS.a));
  assertSame(check(SIGNED.a, join(temp, "key-a", "private.pem")));
  assertSame(check(SIGNED.a, join(temp, "no-such-keys.jwks")));
  assertSame(check(join(temp, "no-such-bundle.json"), join(temp, "no-such-keys.jwks")));
  const empty = join(temp, "no-keys");
  mkdirSync(join(empty, "sub.json"), { recursive: true });
  assertSame(check(SIGNED.a, empty));
  rmSync(join(empty, "sub.json"), { recursive: true });
  writeFileSync(join(empty, "private.pem"), readFileSync(join(temp, "key-a", "private.pem")));
  writeFileSync(join(empty, "README.md"), "keys");
  assertRefused(check(SIGNED.a, empty), `no public key found in ${empty}`);
});

test("paths: a bundle read through a link, a bundle or digest that is missing", () => {
  const link = join(temp, "current");
  symlinkSync(join(SIGNED.a, ".."), link);
  assert.equal(assertSame(check(join(link, NAME), JWKS.a)).status, 0);
  const noDigest = copy(SIGNED.a, (f) => rmSync(join(f, `${NAME}.sha256`)));
  assertSame(check(noDigest, JWKS.a));
  assertSame(["--digest", `${SIGNED.a}.sha256`, ...check(noDigest, JWKS.a)]);
  assertSame(check(join(temp, "nothing.json"), JWKS.a));
});

test("the API: loadBundleFile with trusted keys, and loadBundle with JWKS and the signature's bytes (WebCrypto)", async () => {
  const bundle = await loadBundleFile(SIGNED.a, { trustedKeys: BOTH });
  assert.deepEqual([bundle.signature.kid, bundle.signature.alg, bundle.signature.keySource], ["2026-12", "EdDSA", BOTH]);
  // The signature lists every file of the folder: the rules files of the site's decision pages too.
  const rules = [...bundle.signature.files.keys()].filter((name) => name.startsWith("product-terms-sa.rules."));
  assert.equal(rules.length, 5 * 4 * 3); // decisions x languages x (file, .sha256, .gz)
  assert.deepEqual(
    [...bundle.signature.files.keys()].filter((name) => !rules.includes(name)),
    ["conformance.json", NAME, `${NAME}.sha256`, "product-terms-sa.jwks.json"],
  );
  const keys = await loadTrustedKeys([JWKS.p]);
  assert.equal((await loadBundleFile(SIGNED.p, { trustedKeys: keys })).signature.alg, "ES256");
  await assert.rejects(loadBundleFile(SIGNED.a, { trustedKeys: [] }), { message: `${SIGNED.a}: no trusted key to check the signature with` });
  const unsigned = copy(SIGNED.a, (f) => rmSync(join(f, `${NAME}.signatures.json`)));
  assert.equal((await loadBundleFile(unsigned)).signature, null);

  for (const [which, jwks] of [["a", JWKS.a], ["p", JWKS.p]]) {
    const path = SIGNED[which];
    const given = { source: NAME, trustedKeys: [JSON.parse(readFileSync(jwks, "utf8"))], signatures: readFileSync(`${path}.signatures.json`) };
    const web = await loadBundle(readFileSync(path), readFileSync(`${path}.sha256`), given);
    assert.equal(web.signature.alg, which === "a" ? "EdDSA" : "ES256");
    assert.equal(web.decide("proof-of-license", { program: "open-license", order_date: "2020-08-01" }).outcome, "digital-to-customer");
    await assert.rejects(loadBundle(readFileSync(path), readFileSync(`${path}.sha256`), { ...given, signatures: null }), (error) => {
      assert.ok(error instanceof BundleError);
      assert.match(error.message, /no signature \(product-terms-sa\.json\.signatures\.json is missing\)/);
      return true;
    });
  }
  const path = SIGNED.a;
  const trustedKeys = await readTrustedKeys(JSON.parse(readFileSync(JWKS.b, "utf8")));
  await assert.rejects(
    loadBundle(readFileSync(path), readFileSync(`${path}.sha256`), { source: NAME, trustedKeys, signatures: readFileSync(`${path}.signatures.json`) }),
    { message: `${NAME}: ${NAME}.signatures.json: signed by key '2026-12', which is not a trusted key (trusted: 2027-01)` },
  );
  const conformance = Buffer.from("[]");
  await assert.rejects(
    loadBundle(readFileSync(path), readFileSync(`${path}.sha256`), { source: NAME, trustedKeys: [JSON.parse(readFileSync(JWKS.a, "utf8"))], signatures: readFileSync(`${path}.signatures.json`), files: { "conformance.json": conformance } }),
    { message: /^product-terms-sa\.json: conformance\.json has SHA-256 [0-9a-f]{64} but the signature lists [0-9a-f]{64}; it was changed after signing$/ },
  );
});
