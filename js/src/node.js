// Node's side of terms-check: read a bundle file and its digest file, verify with node:crypto.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { BundleError, loadBundle } from "./bundle.js";

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

/** Read and verify a bundle file against its digest file (default: PATH.sha256): a Bundle, or a
 * BundleError worded as the Python checker words it. */
export async function loadBundleFile(path, digestPath = null) {
  let bytes;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new BundleError(`${path}: cannot read the bundle (${strerror(error)})`);
  }
  const digestName = digestPath || `${path}.sha256`;
  let digestBytes = null;
  try {
    digestBytes = readFileSync(digestName);
  } catch {
    digestBytes = null;
  }
  return loadBundle(bytes, digestBytes, { source: String(path), digestName, sha256: sha256Node });
}
