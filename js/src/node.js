// Node's side of terms-check: read a bundle file, its digest file and, with trusted keys, its
// signature and the files of its folder; verify with node:crypto.

import { createHash, createPublicKey, verify as cryptoVerify } from "node:crypto";
import { readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { BundleError, loadBundle } from "./bundle.js";
import {
  MAX_KEY_FILE_BYTES,
  SIGNATURES_SUFFIX,
  SignatureError,
  areTrustedKeys,
  checkFiles,
  checkedKeys,
  keysOfFile,
  missingFile,
  pySorted,
  readToken,
  verifyToken,
} from "./signatures.js";

export * from "./index.js";

/** The SHA-256 of bytes as lower-case hex, with node:crypto. */
export function sha256Node(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Python's words for a file system error (its strerror). */
export function strerror(error) {
  return STRERROR[error.code] ?? error.message;
}

const STRERROR = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EISDIR: "Is a directory",
  ENOTDIR: "Not a directory",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
  EMFILE: "Too many open files",
  EIO: "Input/output error",
};

// Keys and signatures with node:crypto -----------------------------------------------------------

/** The names pyca/cryptography gives the public keys it reads but does not accept. */
const KEY_TYPE_NAMES = {
  rsa: "RSAPublicKey",
  "rsa-pss": "RSAPublicKey",
  dsa: "DSAPublicKey",
  ec: "ECPublicKey",
  ed448: "Ed448PublicKey",
  x25519: "X25519PublicKey",
  x448: "X448PublicKey",
  dh: "DHPublicKey",
};
const PEM_PUBLIC_LABELS = ["PUBLIC KEY", "RSA PUBLIC KEY"];

export const nodeCryptoSuite = Object.freeze({
  sha256: sha256Node,
  importKey(alg, jwk) {
    return createPublicKey({ key: jwk, format: "jwk" });
  },
  verify(alg, key, data, signature) {
    if (alg === "EdDSA") return cryptoVerify(null, data, key, signature);
    return cryptoVerify("sha256", data, { key, dsaEncoding: "ieee-p1363" }, signature);
  },
  /** A PEM public key: {alg, key, jwk}, {alg: null, typeName} for a key of another kind, or
   * null when the bytes are not a PEM public key (a certificate is not). */
  importPem(bytes) {
    const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(bytes.toString("latin1"));
    if (label === null || !PEM_PUBLIC_LABELS.includes(label[1])) return null;
    let key;
    try {
      key = createPublicKey({ key: bytes, format: "pem" });
    } catch {
      return null;
    }
    const type = key.asymmetricKeyType;
    if (type === "ed25519") return { alg: "EdDSA", key, jwk: key.export({ format: "jwk" }) };
    if (type === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") {
      return { alg: "ES256", key, jwk: key.export({ format: "jwk" }) };
    }
    return { alg: null, typeName: KEY_TYPE_NAMES[type] ?? `${type}PublicKey` };
  },
});

/**
 * The keys in paths (one path or a list): each a public key PEM, a JWKS (or one JWK) JSON file,
 * or a folder of them (*.pem, *.json, *.jwks; a private key in a folder is skipped). A
 * SignatureError when a file cannot be read or holds something other than an Ed25519 or P-256
 * public key, and when no key is found at all.
 */
export async function loadTrustedKeys(paths) {
  const names = (Array.isArray(paths) ? paths : [paths]).map(String);
  const keys = [];
  for (const name of names) {
    if (isDirectory(name)) {
      for (const file of keyFiles(name)) keys.push(...(await keysOfFile(readKeyFile(file), file, nodeCryptoSuite, true)));
    } else {
      keys.push(...(await keysOfFile(readKeyFile(name), name, nodeCryptoSuite)));
    }
  }
  return checkedKeys(keys, names, nodeCryptoSuite);
}

function isDirectory(path) {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function keyFiles(folder) {
  const names = pySorted(readdirSync(folder)).filter((n) => n.endsWith(".pem") || n.endsWith(".json") || n.endsWith(".jwks"));
  return names.map((name) => join(folder, name));
}

function readKeyFile(file) {
  try {
    const bytes = readFileSync(file);
    return bytes.length > MAX_KEY_FILE_BYTES ? bytes.subarray(0, MAX_KEY_FILE_BYTES + 1) : bytes;
  } catch (error) {
    throw new SignatureError(`${file}: cannot read the key file (${strerror(error)})`);
  }
}

/**
 * Verify the signature of the bundle at `real` (its path with links resolved) and every file of
 * its folder against it; `bytes` are the bundle's bytes already read, `shown` names it in
 * messages. What the signature says, or a SignatureError.
 */
export async function verifyFolder(real, bytes, keys, shown = real) {
  if (keys.length === 0) throw new SignatureError(`${shown}: no trusted key to check the signature with`);
  const folder = dirname(real);
  const name = basename(real);
  const signaturesName = name + SIGNATURES_SUFFIX;
  const token = readToken(readSignatures(join(folder, signaturesName), shown), shown, signaturesName);
  const verified = await verifyToken(token, keys, `${shown}: ${signaturesName}`, nodeCryptoSuite);
  const present = folderFiles(folder, shown).filter((file) => file !== signaturesName);
  const read = (file) => (file === name ? bytes : readListed(shown, folder, file));
  await checkFiles(shown, name, verified.files, present, read, nodeCryptoSuite);
  return verified;
}

function readSignatures(path, shown) {
  try {
    return readFileSync(path);
  } catch (error) {
    if (error.code === "ENOENT") return null;
    throw new SignatureError(`${shown}: cannot read the signature (${strerror(error)})`);
  }
}

/** The names in a folder that are not folders (a link is followed), as os.scandir sees them. */
function folderFiles(folder, shown) {
  let entries;
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    throw new SignatureError(`${shown}: cannot list the bundle's folder (${strerror(error)})`);
  }
  return entries.filter((entry) => !(entry.isDirectory() || (entry.isSymbolicLink() && isDirectory(join(folder, entry.name))))).map((entry) => entry.name);
}

function readListed(shown, folder, name) {
  const path = join(folder, name);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) throw missingFile(shown, name);
  try {
    return readFileSync(path);
  } catch (error) {
    if (error.code === "ENOENT") throw missingFile(shown, name);
    throw new SignatureError(`${shown}: cannot read ${name}, a signed file (${strerror(error)})`);
  }
}

/** The path with its links resolved, as Python's os.path.realpath gives it (also for a path
 * that does not exist). */
function realPath(path) {
  try {
    return realpathSync(path);
  } catch {
    try {
      return join(realpathSync(dirname(path)), basename(path));
    } catch {
      return resolve(path);
    }
  }
}

// Reading a bundle file ------------------------------------------------------------------------

/**
 * Read and verify a bundle file against its digest file (default: PATH.sha256): a Bundle, or a
 * BundleError worded as the Python checker words it.
 *
 * options: {digestPath, trustedKeys} (or the digest path alone, as a text). trustedKeys: key
 * files (a PEM public key, a JWKS, or a folder of them; one path or a list), or keys read by
 * loadTrustedKeys. Once given, even empty, the bundle must be signed by one of them and every
 * file of its folder listed in the signature with its SHA-256 (fail closed, docs/trust.md).
 */
export async function loadBundleFile(path, options = {}) {
  const { digestPath = null, trustedKeys = null } = typeof options === "string" || options === null ? { digestPath: options } : options;
  const keys = trustedKeys === null || trustedKeys === undefined ? null : await trusted(trustedKeys);
  const shown = String(path);
  // A signed bundle's folder is read where the path really leads, once: a link swapped
  // meanwhile (build/current, terms fetch's DIR/current) cannot mix two versions' files.
  const real = keys === null ? shown : realPath(shown);
  let bytes;
  try {
    bytes = readFileSync(real);
  } catch (error) {
    throw new BundleError(`${shown}: cannot read the bundle (${strerror(error)})`);
  }
  const digestName = digestPath || `${real}.sha256`;
  let digestBytes = null;
  try {
    digestBytes = readFileSync(digestName);
  } catch {
    digestBytes = null;
  }
  const verifySignature = keys === null ? null : (held) => signatureOf(real, held, keys, shown);
  return loadBundle(bytes, digestBytes, { source: shown, digestName, sha256: sha256Node, verifySignature });
}

async function trusted(trustedKeys) {
  if (areTrustedKeys(trustedKeys)) return trustedKeys;
  try {
    return await loadTrustedKeys(trustedKeys);
  } catch (error) {
    if (error instanceof SignatureError) throw new BundleError(error.message);
    throw error;
  }
}

async function signatureOf(real, bytes, keys, shown) {
  try {
    return await verifyFolder(real, bytes, keys, shown);
  } catch (error) {
    if (error instanceof SignatureError) throw new BundleError(error.message);
    throw error;
  }
}
