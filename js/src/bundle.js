// Bundle: read a bundle's bytes, verify them against their SHA-256 digest file, check the format
// and the structure, then answer decisions (docs/semantics.md, "Reading a bundle"). Messages are
// the Python checker's (compiler/terms_compiler/check/bundle.py), so `terms-check` and
// `terms check` refuse the same bundles in the same words.
//
// Nothing here touches files or a particular crypto API: the caller gives the bytes, the digest
// file's bytes and a SHA-256 function (WebCrypto's in a browser: see sha256WebCrypto; Node's in
// ./node.js), so a web page imports this module as it is.

import { CompiledDecision, FactError } from "./evaluate.js";
import { explain, explainJson } from "./explain.js";
import { JSONDecodeError, JSONDepthError, pyParse } from "./json.js";
import { RuleError, found } from "./rules.js";
import { bundleProblems } from "./shape.js";
import { SignatureError, areTrustedKeys, readTrustedKeys, verifyGiven, webCryptoSuite } from "./signatures.js";
import { decodeErrorText, firstInvalid } from "./utf8.js";

const SUPPORTED_MAJOR = 1;
const REQUIRED_KEYS = ["format", "format_version", "corpus", "languages", "decisions", "clauses"];
const SHOWN_PROBLEMS = 5;
const DIGEST_FILE_BYTES = 4096;
const SHA256 = /^[0-9a-f]{64}$/;
/** Levels of nesting read before a bundle is refused as too deep (as Python's reader does). */
export const BUNDLE_DEPTH = 990;

/** The bundle cannot be trusted or read; the message says why. */
export class BundleError extends Error {}

/** A decision id the bundle does not have. */
export class UnknownDecision extends Error {}

/** The SHA-256 of bytes as lower-case hex, with the browser's (or Node's) WebCrypto. */
export async function sha256WebCrypto(bytes) {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Verify a bundle's bytes against its digest file's bytes, then read it: a Bundle, or a
 * BundleError. `source` names the bundle in messages (its path), `digestName` the digest file;
 * `sha256(bytes)` gives the hex digest (sync or async).
 *
 * Signed bundles (docs/trust.md): with `trustedKeys` (JWKS or JWK documents as JSON values, or
 * keys from readTrustedKeys), the bundle must be signed by one of them, fail-closed: `signatures`
 * is the bytes of ID.json.signatures.json (null or absent: refused as unsigned), `bundleName` the
 * bundle's file name in the listing (default: the last part of `source`), `files` any other file
 * of the folder held (name -> bytes), checked against the listing too; a page has no folder to
 * list, so a listed file it does not give is not checked. The signature is verified after the
 * digest and before the JSON is read; bundle.signature says what it holds.
 */
export async function loadBundle(bytes, digestBytes, options = {}) {
  const { source = "<bundle>", digestName = `${source}.sha256`, sha256 = sha256WebCrypto } = options;
  const verifySignature = options.verifySignature ?? (await givenSignature(options, source));
  const recorded = recordedDigest(digestBytes, source, digestName);
  const actual = await sha256(bytes);
  if (recorded !== actual) {
    throw new BundleError(
      `${source}: SHA-256 is ${actual} but ${baseName(digestName)} records ${recorded}; the bundle was changed or truncated`,
    );
  }
  const signature = verifySignature === null ? null : await verifySignature(bytes, digestBytes);
  const report = {};
  const bundle = new Bundle(parseBundle(bytes, source, report), source);
  bundle.loneSurrogates = report.loneSurrogates;
  bundle.signature = signature;
  return bundle;
}

/** The check of a signature given as bytes (the browser's way), or null when no key is given. */
async function givenSignature({ trustedKeys = null, signatures = null, bundleName = null, files = {}, suite = webCryptoSuite, digestName }, source) {
  if (trustedKeys === null || trustedKeys === undefined) return null;
  let keys;
  try {
    keys = areTrustedKeys(trustedKeys) ? trustedKeys : await readTrustedKeys(trustedKeys, suite);
  } catch (error) {
    if (error instanceof SignatureError) throw new BundleError(error.message);
    throw error;
  }
  const name = bundleName ?? baseName(source);
  return async (bytes, digestBytes) => {
    const digest = baseName(digestName ?? `${source}.sha256`) === `${name}.sha256` ? { [`${name}.sha256`]: digestBytes } : {};
    const given = { ...digest, ...files, [name]: bytes };
    try {
      return await verifyGiven({ keys, signatures, bundleName: name, files: given, shown: source, suite });
    } catch (error) {
      if (error instanceof SignatureError) throw new BundleError(error.message);
      throw error;
    }
  };
}

/** The digest a digest file records (its first word); BundleError when it records none. */
export function recordedDigest(digestBytes, source, digestName) {
  if (digestBytes === null || digestBytes === undefined) {
    throw new BundleError(`${source}: no digest file ${digestName}; refusing an unverified bundle`);
  }
  const head = digestBytes.subarray(0, DIGEST_FILE_BYTES);
  let start = 0;
  while (start < head.length && isSpace(head[start])) start += 1;
  let end = start;
  while (end < head.length && !isSpace(head[end])) end += 1;
  if (start === end) throw new BundleError(`${source}: no digest file ${digestName}; refusing an unverified bundle`);
  const word = head.subarray(start, end);
  const recorded = word.every((byte) => byte < 0x80) ? String.fromCharCode(...word).toLowerCase() : "";
  if (!SHA256.test(recorded)) {
    throw new BundleError(
      `${source}: the digest file ${digestName} does not start with a SHA-256 (64 hexadecimal digits); refusing an unverified bundle`,
    );
  }
  return recorded;
}

/** ASCII whitespace as Python's bytes.split() knows it. */
function isSpace(byte) {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

function baseName(path) {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The bundle's JSON (a verified digest first: nothing unverified is parsed). */
export function parseBundle(bytes, source = "<bundle>", report = {}) {
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const problem = utf8Problem(bytes);
    if (problem !== null) throw new BundleError(`${source}: the bundle is not valid JSON (${problem})`);
    text = decodeSurrogatePass(bytes);
  }
  try {
    return pyParse(text, { depth: BUNDLE_DEPTH, bom: false, report });
  } catch (error) {
    if (error instanceof JSONDepthError) throw new BundleError(`${source}: the bundle is nested too deeply to read`);
    if (error instanceof JSONDecodeError) throw new BundleError(`${source}: the bundle is not valid JSON (${error.message})`);
    throw error;
  }
}

/** Python's UnicodeDecodeError text for the first byte that is not UTF-8 (surrogatepass), or null. */
export function utf8Problem(bytes) {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const problem = firstInvalid(bytes, start, true);
  return problem === null ? null : decodeErrorText(problem, start);
}

/** UTF-8 as Python decodes it with surrogatepass (an encoded surrogate is kept): for the rare
 * text TextDecoder refuses although Python reads it. */
function decodeSurrogatePass(bytes) {
  let text = "";
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length) {
    const byte = bytes[i];
    let code;
    if (byte < 0x80) [code, i] = [byte, i + 1];
    else if (byte < 0xe0) [code, i] = [((byte & 0x1f) << 6) | (bytes[i + 1] & 0x3f), i + 2];
    else if (byte < 0xf0) [code, i] = [((byte & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f), i + 3];
    else {
      code = ((byte & 0x07) << 18) | ((bytes[i + 1] & 0x3f) << 12) | ((bytes[i + 2] & 0x3f) << 6) | (bytes[i + 3] & 0x3f);
      i += 4;
    }
    text += String.fromCodePoint(code);
  }
  return text;
}

/** A verified bundle, ready to answer. Each decision is compiled when it is first asked for. */
export class Bundle {
  constructor(data, source = "<bundle>") {
    checkShape(data, source);
    this.data = data;
    this.source = source;
    this.decisions = new Map();
    /** Whether a text of the bundle holds a lone surrogate (an escape such as "\ud800"). */
    this.loneSurrogates = true;
    /** What the verified signature says ({kid, alg, iat, iss, files, keySource}); null: not checked. */
    this.signature = null;
  }

  get languages() {
    return this.data.languages;
  }

  /** The compiled decision; UnknownDecision or BundleError (a malformed rule). */
  decision(id) {
    let compiled = this.decisions.get(id);
    if (compiled !== undefined) return compiled;
    const decisions = this.data.decisions;
    if (!Object.hasOwn(decisions, id)) {
      throw new UnknownDecision(`unknown decision '${id}'; the bundle has: ${Object.keys(decisions).join(", ")}`);
    }
    try {
      compiled = new CompiledDecision(id, decisions[id]);
    } catch (error) {
      if (error instanceof RuleError) throw new BundleError(`${this.source}: a rule in the bundle is malformed (${error.message})`);
      throw new BundleError(`${this.source}: decision '${id}' in the bundle is malformed (${error.message})`);
    }
    this.decisions.set(id, compiled);
    return compiled;
  }

  /** Answer a decision for facts (JSON values; a Map keeps Python's key order); FactError for bad facts. */
  decide(id, facts, asOf = null) {
    return (this.decisions.get(id) ?? this.decision(id)).decide(facts, asOf);
  }

  /** The reasons for an answer, in a language of the bundle: [{clause, status, outcome, message}]. */
  explain(answer, language = "en") {
    const decision = this.decision(answer.decision);
    return explain(decision, decision.closures(answer.exact), answer, language);
  }

  /** The reasons as the JSON text of a list, as `terms check --format json` writes them. */
  explainJson(answer, language = "en") {
    const decision = this.decision(answer.decision);
    return explainJson(decision, decision.closures(answer.exact), answer, language);
  }

  clauseText(clauseId, language) {
    return this.data.clauses[clauseId].text[language];
  }
}

function checkShape(data, source) {
  if (data === null || typeof data !== "object" || Array.isArray(data) || data instanceof Map) {
    throw new BundleError(`${source}: a bundle is a JSON object`);
  }
  const missing = REQUIRED_KEYS.filter((key) => !Object.hasOwn(data, key));
  if (missing.length > 0) throw new BundleError(`${source}: not a terms bundle (missing ${missing.join(", ")})`);
  if (data.format !== "terms-bundle") {
    throw new BundleError(`${source}: format is ${found(data.format)}, expected "terms-bundle"`);
  }
  const version = data.format_version;
  if (typeof version !== "string") {
    throw new BundleError(`${source}: format_version is ${found(version)}, expected a text such as "1.0"`);
  }
  const major = version.split(".")[0];
  if (!/^[0-9]+$/.test(major) || Number(major) !== SUPPORTED_MAJOR) {
    throw new BundleError(`${source}: format version ${version} is not supported; this checker reads ${SUPPORTED_MAJOR}.x`);
  }
  const problems = bundleProblems(data);
  if (problems.length > 0) {
    const more = problems.length - SHOWN_PROBLEMS;
    const shown = problems.slice(0, SHOWN_PROBLEMS).join("; ") + (more > 0 ? `; and ${more} more` : "");
    throw new BundleError(`${source}: the bundle is malformed: ${shown}`);
  }
}

export { FactError };
