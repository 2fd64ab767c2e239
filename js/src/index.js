// terms-check: a second, independent checker of terms bundles, for Node and browsers.
//
//   import { loadBundle } from "terms-check";             // a browser: WebCrypto verifies
//   const bundle = await loadBundle(bytes, digestBytes, { source: "product-terms-sa.json" });
//   const answer = bundle.decide("sa-renewal", facts);    // FactError on invalid facts
//   answer.outcome, answer.deciding, answer.overridden, bundle.explain(answer, "uk")
//
// A signed bundle (docs/trust.md), in a browser: keys pinned by the page, the signature's bytes:
//   const bundle = await loadBundle(bytes, digestBytes, { source: "product-terms-sa.json",
//     trustedKeys: [publisherJwks], signatures: signatureBytes });   // BundleError unless signed
//
// In Node, `import { loadBundleFile } from "terms-check/node"` reads and verifies a bundle file:
// loadBundleFile(path, { trustedKeys: "keys/" }) checks its signature and its folder too.
// docs/semantics.md is the contract this module implements.

export { Bundle, BundleError, UnknownDecision, loadBundle, parseBundle, recordedDigest, sha256WebCrypto } from "./bundle.js";
export { Answer, CONFLICT, CompiledDecision, FactError } from "./evaluate.js";
export { explain, showValue } from "./explain.js";
export { JSONDecodeError, JSONDepthError, PyFloat, pyParse } from "./json.js";
export { RuleError, readRule } from "./rules.js";
export { bundleProblems } from "./shape.js";
export { SignatureError, readTrustedKeys, webCryptoSuite } from "./signatures.js";
export { dayText, parseDate } from "./dates.js";
