// Signatures: the keys a tool trusts, and a bundle's `.signatures.json` verified against them,
// fail-closed (docs/trust.md). Messages are the Python checker's
// (compiler/terms_compiler/check/signatures.py), so both refuse the same bundles in the same words.
//
// The layout is OPA's signed bundles: `<bundle>.signatures.json` holds {"signatures": [JWS]}, one
// JWS in compact serialization whose header names `alg` (EdDSA with Ed25519, or ES256 with
// P-256) and `kid`, and whose payload lists every file of the bundle folder with its SHA-256.
//
// Nothing here touches files or a particular crypto API. A suite does the cryptography:
//   sha256(bytes) -> hex;  importKey(alg, jwk) -> key (throws when the key is not valid);
//   verify(alg, key, data, signature) -> boolean;  and, in Node only, importPem(bytes).
// `webCryptoSuite` is the browser's (and Node's globalThis.crypto.subtle); ./node.js has Node's.

import { dumps, asciiEscaped, loadsBytes, pyRepr } from "./json.js";

export const SIGNATURES_SUFFIX = ".signatures.json";
export const ALGORITHMS = ["EdDSA", "ES256"];
const HASH_ALGORITHM = "SHA-256";
export const MAX_KEY_FILE_BYTES = 1 << 20;
export const MAX_SIGNATURES_BYTES = 1 << 20;
/** A file named in a signature: a plain name in the bundle's folder, never a path. */
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;
const JSON_DEPTH = 990;

/** A bundle's signature, or a key, cannot be trusted or read; the message says why. */
export class SignatureError extends Error {}

/**
 * A trusted key: {kid, alg, key, jwk, source}. kid is the JWK's `kid` (or its RFC 7638
 * thumbprint when it names none), null for a PEM key, which is tried whatever key id a
 * signature names; alg is EdDSA or ES256; key is the suite's key; jwk its public JWK (kty, crv,
 * x, y); source the file (or document) it was read from.
 */
function trustedKey(kid, alg, key, jwk, source) {
  const made = Object.freeze({ kid, alg, key, jwk, source });
  TRUSTED_KEYS.add(made);
  return made;
}
const TRUSTED_KEYS = new WeakSet();

/** Whether value is a list of keys already read (by readTrustedKeys or loadTrustedKeys). */
export function areTrustedKeys(value) {
  return Array.isArray(value) && value.every((key) => TRUSTED_KEYS.has(key));
}

// Keys ------------------------------------------------------------------------------------------

/** The keys of one key file's bytes: a PEM public key (with a suite that reads PEM) or a JWKS
 * (or one JWK) JSON document. In a folder (`inFolder`), a PEM private key is skipped. */
export async function keysOfFile(bytes, file, suite, inFolder = false) {
  if (bytes.length > MAX_KEY_FILE_BYTES) throw new SignatureError(`${file}: a key file is at most 1 MiB`);
  if (startsWithPem(bytes)) {
    const privateKey = includes(bytes, "PRIVATE KEY");
    if (inFolder && privateKey) return [];
    if (privateKey) throw new SignatureError(`${file}: is a private key; trust the public key (public.pem) instead`);
    return [await pemKey(bytes, file, suite)];
  }
  let document;
  try {
    document = asMap(loadsBytes(bytes, JSON_DEPTH));
  } catch {
    throw new SignatureError(`${file}: neither a PEM public key nor a JWKS (JSON) document`);
  }
  return keysOfDocument(document, file, suite);
}

/** The keys of a JWKS document ({"keys": [JWK, ...]}) or of one JWK, as JSON values (objects or
 * Maps). `source` names the document in messages. */
export async function keysOfDocument(document, source, suite) {
  document = asMap(document);
  if (document instanceof Map && Array.isArray(document.get("keys"))) {
    const keys = [];
    for (const [n, jwk] of document.get("keys").entries()) keys.push(await jwkKey(source, jwk, `key ${n + 1}`, suite));
    return keys;
  }
  if (document instanceof Map && document.has("kty")) return [await jwkKey(source, document, "the key", suite)];
  throw new SignatureError(`${source}: a JWKS is a JSON object with "keys", a list of JWKs`);
}

/** Keys read from every source, refused when there are none or two differ under one id. */
export async function checkedKeys(keys, names, suite) {
  if (keys.length === 0) throw new SignatureError(`no public key found in ${names.join(", ") || "the trusted keys"}`);
  const seen = new Map();
  for (const key of keys) {
    const id = key.kid === null ? "None" : key.kid;
    if (!seen.has(id)) seen.set(id, key);
    const other = seen.get(id);
    if (key.kid !== null && (await thumbprint(other.jwk, suite)) !== (await thumbprint(key.jwk, suite))) {
      throw new SignatureError(`two different trusted keys have the id '${key.kid}' (${other.source}, ${key.source})`);
    }
  }
  return keys;
}

/** The trusted keys of JWKS (or JWK) documents given as JSON values, for a page that has them
 * (fetched from a source it trusts): the browser's counterpart of reading key files. */
export async function readTrustedKeys(documents, suite = webCryptoSuite) {
  const list = Array.isArray(documents) ? documents : [documents];
  const keys = [];
  for (const [n, document] of list.entries()) keys.push(...(await keysOfDocument(document, `JWKS ${n + 1}`, suite)));
  return checkedKeys(keys, list.map((_, n) => `JWKS ${n + 1}`), suite);
}

function startsWithPem(bytes) {
  let i = 0;
  while (i < bytes.length && isSpace(bytes[i])) i += 1;
  return String.fromCharCode(...bytes.subarray(i, i + 10)) === "-----BEGIN";
}

function isSpace(byte) {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

function includes(bytes, text) {
  return new TextDecoder("latin1").decode(bytes).includes(text);
}

async function pemKey(bytes, file, suite) {
  if (!suite.importPem) throw new SignatureError(`${file}: not a PEM public key`);
  const read = await suite.importPem(bytes);
  if (read === null) throw new SignatureError(`${file}: not a PEM public key`);
  if (read.alg === null) {
    throw new SignatureError(`${file}: the key is ${read.typeName}; Ed25519 or P-256 keys are accepted`);
  }
  return trustedKey(null, read.alg, read.key, read.jwk, file);
}

async function jwkKey(file, jwk, which, suite) {
  const where = `${file}: ${which}`;
  if (!(jwk instanceof Map)) throw new SignatureError(`${where} is not a JSON object`);
  const kid = jwk.has("kid") ? jwk.get("kid") : null;
  if (kid !== null && (typeof kid !== "string" || !kid)) throw new SignatureError(`${where}: kid must be a non-empty text`);
  if (jwk.has("d")) throw new SignatureError(`${where} is a private key; publish and trust the public key only`);
  const [kty, crv] = [jwk.get("kty") ?? null, jwk.get("crv") ?? null];
  let alg;
  let publicJwk;
  if (kty === "OKP" && crv === "Ed25519") alg = "EdDSA";
  else if (kty === "EC" && crv === "P-256") alg = "ES256";
  else {
    throw new SignatureError(
      `${where}: kty ${pyDumps(kty)} crv ${pyDumps(crv)} is not accepted (OKP Ed25519 or EC P-256)`,
    );
  }
  let key;
  try {
    publicJwk = alg === "EdDSA" ? { kty, crv, x: edCoordinate(jwk.get("x")) } : { kty, crv, x: ecCoordinate(jwk.get("x")), y: ecCoordinate(jwk.get("y")) };
    key = await suite.importKey(alg, publicJwk);
  } catch {
    throw new SignatureError(`${where}: its coordinates are not a valid ${crv} public key`);
  }
  if (jwk.has("alg") && jwk.get("alg") !== alg) {
    throw new SignatureError(`${where}: alg ${pyDumps(jwk.get("alg"))} does not fit a ${crv} key (${alg})`);
  }
  return trustedKey(kid || (await thumbprint(publicJwk, suite)), alg, key, publicJwk, file);
}

/** An Ed25519 public key's x: 32 bytes, base64url. */
function edCoordinate(text) {
  const bytes = b64decode(text);
  if (bytes.length !== 32) throw new Error("not 32 bytes");
  return b64encode(bytes);
}

/** A P-256 coordinate as Python reads it (a big-endian number of any length), as 32 bytes. */
function ecCoordinate(text) {
  const bytes = b64decode(text);
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  if (value >= 1n << 256n) throw new Error("too large");
  const fixed = new Uint8Array(32);
  for (let i = 31; i >= 0; i--, value >>= 8n) fixed[i] = Number(value & 0xffn);
  return b64encode(fixed);
}

/** The key's RFC 7638 JWK thumbprint (SHA-256, base64url): its id when none is given. */
export async function thumbprint(jwk, suite) {
  const members = jwk.kty === "OKP" ? ["crv", "kty", "x"] : ["crv", "kty", "x", "y"];
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(",")}}`;
  const hex = await suite.sha256(new TextEncoder().encode(canonical));
  return b64encode(Uint8Array.from(hex.match(/../g), (pair) => parseInt(pair, 16)));
}

// Verification ----------------------------------------------------------------------------------

/** The one JWS of a signatures file's bytes (null: there is no such file). `shown` names the
 * bundle in messages, `name` the signatures file. */
export function readToken(bytes, shown, name) {
  if (bytes === null || bytes === undefined) {
    throw new SignatureError(
      `${shown}: no signature (${name} is missing); trusted keys are configured, so an unsigned bundle is refused`,
    );
  }
  const where = `${shown}: ${name}`;
  let document = null;
  try {
    if (bytes.length <= MAX_SIGNATURES_BYTES) document = asMap(loadsBytes(bytes, JSON_DEPTH));
  } catch {
    document = null;
  }
  const signatures = document instanceof Map ? document.get("signatures") : undefined;
  if (!Array.isArray(signatures) || signatures.length === 0) {
    throw new SignatureError(`${where} is not a signatures file ({"signatures": ["<JWS>"]})`);
  }
  if (signatures.length !== 1 || typeof signatures[0] !== "string") {
    throw new SignatureError(`${where} must hold exactly one JWS, a text in compact serialization`);
  }
  return signatures[0];
}

/**
 * Verify one compact JWS against the trusted keys and read its payload: {kid, alg, iat, iss,
 * files (a Map of name -> SHA-256 hex), keySource}. `where` starts every message.
 */
export async function verifyToken(token, keys, where, suite) {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) {
    throw new SignatureError(`${where}: the signature is not a JWS in compact serialization`);
  }
  const header = jsonPart(parts[0], where, "header");
  const [alg, kid] = [header.get("alg") ?? null, header.has("kid") ? header.get("kid") : null];
  if (!ALGORITHMS.includes(alg)) throw new SignatureError(`${where}: alg ${pyDumps(alg)} is not accepted (EdDSA or ES256)`);
  const extra = [...header.keys()].filter((name) => !["alg", "kid", "typ"].includes(name));
  if (extra.length > 0) {
    throw new SignatureError(`${where}: the JWS header has fields this checker does not know (${pySorted(extra).join(", ")})`);
  }
  if (kid !== null && typeof kid !== "string") throw new SignatureError(`${where}: kid must be a text`);
  const candidates = keys.filter((key) => kid === null || key.kid === kid || key.kid === null);
  if (candidates.length === 0) {
    const known = pySorted([...new Set(keys.map((key) => String(key.kid)))]).join(", ");
    throw new SignatureError(`${where}: signed by key '${kid}', which is not a trusted key (trusted: ${known})`);
  }
  let signature;
  try {
    signature = b64decode(parts[2]);
  } catch {
    throw new SignatureError(`${where}: the JWS signature is not base64url`);
  }
  const signingInput = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
  let verifiedBy = null;
  for (const key of candidates) {
    if (key.alg === alg && (await valid(key, signingInput, signature, suite))) {
      verifiedBy = key;
      break;
    }
  }
  if (verifiedBy === null) {
    const named = kid !== null ? `key '${kid}'` : "any trusted key";
    throw new SignatureError(
      `${where}: bad signature: it does not verify with ${named}; the bundle's files or their signature were changed after signing, or another key signed them`,
    );
  }
  return payloadOf(jsonPart(parts[1], where, "payload"), verifiedBy, kid, where, suite);
}

async function valid(key, signingInput, signature, suite) {
  if (key.alg === "ES256" && signature.length !== 64) return false;
  try {
    return (await suite.verify(key.alg, key.key, signingInput, signature)) === true;
  } catch {
    return false;
  }
}

async function payloadOf(payload, key, kid, where, suite) {
  const [keyid, iat, iss, files] = ["keyid", "iat", "iss", "files"].map((name) => (payload.has(name) ? payload.get(name) : null));
  if (keyid !== null && kid !== null && keyid !== kid) {
    throw new SignatureError(`${where}: the payload names key '${pyStr(keyid)}' but the header names '${kid}'`);
  }
  if (iat !== null && !((typeof iat === "number" && Number.isInteger(iat)) || typeof iat === "bigint")) {
    throw new SignatureError(`${where}: iat must be a whole number of seconds`);
  }
  if (iss !== null && typeof iss !== "string") throw new SignatureError(`${where}: iss must be a text`);
  if (!Array.isArray(files)) throw new SignatureError(`${where}: the payload has no list of "files"`);
  const listed = new Map();
  for (const entry of files) {
    const name = entry instanceof Map ? entry.get("name") : undefined;
    const digest = entry instanceof Map ? entry.get("hash") : undefined;
    if (typeof name !== "string" || !FILE_NAME.test(name) || listed.has(name)) {
      throw new SignatureError(`${where}: a file in the payload has no plain, unique name: ${pyRepr(entry)}`);
    }
    if (entry.has("algorithm") && entry.get("algorithm") !== HASH_ALGORITHM) {
      throw new SignatureError(`${where}: ${name}: hash algorithm ${pyRepr(entry.get("algorithm"))} (SHA-256 only)`);
    }
    if (typeof digest !== "string" || !HEX_SHA256.test(digest)) {
      throw new SignatureError(`${where}: ${name}: the hash is not a SHA-256 in hexadecimal`);
    }
    listed.set(name, digest);
  }
  const name = kid || key.kid || (await thumbprint(key.jwk, suite));
  return Object.freeze({ kid: name, alg: key.alg, iat, iss, files: listed, keySource: key.source });
}

/**
 * Check the files of a bundle's folder against the signature's listing, in the Python checker's
 * order: the bundle must be listed; no file present (`present`: names, the signatures file left
 * out) may be unlisted; every listed file must hash as listed. `read(name)` gives a listed
 * file's bytes, or throws the SignatureError saying why it cannot (missing, unreadable).
 */
export async function checkFiles(shown, bundleName, listed, present, read, suite) {
  if (!listed.has(bundleName)) throw new SignatureError(`${shown}: the signature does not list the bundle (${bundleName})`);
  for (const name of pySorted(present)) {
    if (!listed.has(name)) throw new SignatureError(`${shown}: ${name} is in the bundle's folder but not listed in the signature`);
  }
  for (const name of pySorted([...listed.keys()])) {
    const bytes = await read(name);
    const actual = await suite.sha256(bytes);
    const recorded = listed.get(name);
    if (actual !== recorded) {
      throw new SignatureError(`${shown}: ${name} has SHA-256 ${actual} but the signature lists ${recorded}; it was changed after signing`);
    }
  }
}

/** The message for a listed file that is not in the folder. */
export function missingFile(shown, name) {
  return new SignatureError(`${shown}: ${name} is listed in the signature but missing from the bundle's folder`);
}

/**
 * Verify a signature from bytes a page holds (no folder to list): the signatures file's bytes
 * against the trusted keys, then the bundle and every other file given (`files`, name -> bytes)
 * against the listing. A listed file that was not given is not checked; one given but not
 * listed is refused. What the signature says, or a SignatureError.
 */
export async function verifyGiven({ keys, signatures, bundleName, files, shown, suite = webCryptoSuite }) {
  if (keys.length === 0) throw new SignatureError(`${shown}: no trusted key to check the signature with`);
  const signaturesName = bundleName + SIGNATURES_SUFFIX;
  const token = readToken(signatures, shown, signaturesName);
  const verified = await verifyToken(token, keys, `${shown}: ${signaturesName}`, suite);
  const given = new Map(Object.entries(files));
  const listed = new Map([...verified.files].filter(([name]) => given.has(name)));
  if (!verified.files.has(bundleName)) listed.clear();
  await checkFiles(shown, bundleName, listed, [...given.keys()], (name) => given.get(name), suite);
  return verified;
}

// The browser's cryptography --------------------------------------------------------------------

const WEB_ALGORITHMS = {
  EdDSA: { import: { name: "Ed25519" }, verify: { name: "Ed25519" } },
  ES256: { import: { name: "ECDSA", namedCurve: "P-256" }, verify: { name: "ECDSA", hash: "SHA-256" } },
};

/** WebCrypto (globalThis.crypto.subtle): Ed25519 needs a browser that has it (Chrome 137,
 * Firefox 129, Safari 17) or Node 20. */
export const webCryptoSuite = Object.freeze({
  async sha256(bytes) {
    const digest = await globalThis.crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
  },
  importKey(alg, jwk) {
    return globalThis.crypto.subtle.importKey("jwk", jwk, WEB_ALGORITHMS[alg].import, false, ["verify"]);
  },
  verify(alg, key, data, signature) {
    return globalThis.crypto.subtle.verify(WEB_ALGORITHMS[alg].verify, key, signature, data);
  },
});

// JWS encoding ----------------------------------------------------------------------------------

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

export function b64encode(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const count = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < count; k++) text += ALPHABET[(chunk >> (18 - 6 * k)) & 63];
  }
  return text;
}

/** base64url without padding, as Python's urlsafe_b64decode reads it (spare bits ignored). */
export function b64decode(text) {
  if (typeof text !== "string" || !BASE64URL.test(text) || text.length % 4 === 1) throw new Error("not base64url");
  const bytes = [];
  let bits = 0;
  let value = 0;
  for (const char of text) {
    value = (value << 6) | ALPHABET.indexOf(char);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >> bits) & 0xff);
    }
  }
  return Uint8Array.from(bytes);
}

function jsonPart(part, where, what) {
  let value = null;
  try {
    value = asMap(loadsBytes(b64decode(part), JSON_DEPTH));
  } catch {
    value = null;
  }
  if (!(value instanceof Map)) throw new SignatureError(`${where}: the JWS ${what} is not a JSON object`);
  return value;
}

// Python's ways of writing and sorting ----------------------------------------------------------

/** json.dumps(value) (ensure_ascii). */
function pyDumps(value) {
  return asciiEscaped(dumps(value ?? null));
}

/** str(value): a text as it is, anything else as repr() writes it. */
function pyStr(value) {
  return typeof value === "string" ? value : pyRepr(value);
}

/** Texts in Python's order (by code point, not by UTF-16 unit). */
export function pySorted(texts) {
  return [...texts].sort((a, b) => {
    const [x, y] = [Array.from(a), Array.from(b)];
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (x[i] !== y[i]) return x[i].codePointAt(0) - y[i].codePointAt(0);
    }
    return x.length - y.length;
  });
}

/** A JSON value with every object as a Map (as Python's dict: keys in order, any key). */
function asMap(value) {
  if (Array.isArray(value)) return value.map(asMap);
  if (value instanceof Map) return new Map([...value].map(([key, item]) => [key, asMap(item)]));
  if (value === null || typeof value !== "object") return value;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== null && prototype !== Object.prototype) return value; // a PyFloat
  return new Map(Object.entries(value).map(([key, item]) => [key, asMap(item)]));
}
