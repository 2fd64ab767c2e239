// Loading a bundle through the browser's path (WebCrypto): a verified bundle answers; a
// tampered, truncated, unverified or unknown one is refused with a BundleError saying why.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { BundleError, FactError, loadBundle } from "../src/index.js";
import { JS_ROOT, work } from "./helpers.js";

function shipped() {
  const path = work().shipped.bundle;
  return { bytes: readFileSync(path), digest: readFileSync(`${path}.sha256`) };
}

test("a verified bundle answers, through WebCrypto", async () => {
  const { bytes, digest } = shipped();
  const bundle = await loadBundle(bytes, digest, { source: "b.json" });
  const answer = bundle.decide("proof-of-license", { program: "open-license", order_date: "2020-08-01" });
  assert.equal(answer.outcome, "digital-to-customer");
  assert.deepEqual(answer.deciding, ["proof-of-license.digital"]);
  assert.throws(() => bundle.decide("proof-of-license", { program: "open-licence" }), (error) => {
    assert.ok(error instanceof FactError);
    assert.deepEqual(error.problems, [
      "fact 'program' must be one of open-license, open-value, enterprise-agreement, eap, select, select-plus, mpsa, found \"open-licence\"",
      "missing fact 'order_date' (a date (YYYY-MM-DD))",
    ]);
    return true;
  });
});

test("a tampered or truncated bundle is refused before it is read", async () => {
  const { bytes, digest } = shipped();
  const recorded = digest.toString().split(/\s/)[0];
  const tampered = Buffer.from(bytes);
  tampered[tampered.length >> 1] ^= 0x01;
  for (const changed of [tampered, bytes.subarray(0, bytes.length - 1)]) {
    await assert.rejects(loadBundle(changed, digest, { source: "b.json" }), (error) => {
      assert.ok(error instanceof BundleError);
      assert.match(error.message, new RegExp(`^b\\.json: SHA-256 is [0-9a-f]{64} but b\\.json\\.sha256 records ${recorded}; the bundle was changed or truncated$`));
      return true;
    });
  }
  await assert.rejects(loadBundle(bytes, null, { source: "b.json" }), {
    message: "b.json: no digest file b.json.sha256; refusing an unverified bundle",
  });
  await assert.rejects(loadBundle(bytes, Buffer.from("md5:0123\n"), { source: "b.json" }), {
    message: "b.json: the digest file b.json.sha256 does not start with a SHA-256 (64 hexadecimal digits); refusing an unverified bundle",
  });
});

test("an unknown format is refused, even with a matching digest", async () => {
  const { bytes } = shipped();
  const data = JSON.parse(bytes.toString());
  data.format_version = "2.0";
  const changed = Buffer.from(JSON.stringify(data));
  const { createHash } = await import("node:crypto");
  const digest = Buffer.from(createHash("sha256").update(changed).digest("hex"));
  await assert.rejects(loadBundle(changed, digest, { source: "b.json" }), {
    message: "b.json: format version 2.0 is not supported; this checker reads 1.x",
  });
});

test("the module a web page imports uses nothing of Node's", () => {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(join(JS_ROOT, "src", file), "utf8");
    assert.doesNotMatch(source, /from "node:|require\(|process\./, `${file} is not browser-safe`);
    for (const [, imported] of source.matchAll(/from "\.\/([a-z0-9]+\.js)"/g)) visit(imported);
  };
  visit("index.js");
  assert.ok(seen.size >= 8, [...seen].join(", "));
});

test("a decision's rules become closures once, and no code is made from the bundle", async () => {
  const { bytes, digest } = shipped();
  const bundle = await loadBundle(bytes, digest);
  const decision = bundle.decision("sa-renewal");
  const closures = decision.closures(false).cache.size;
  assert.ok(closures > 20, `${closures} closures`);
  for (let day = 1; day <= 2000; day++) {
    const date = new Date(Date.UTC(2020, 0, day)).toISOString().slice(0, 10);
    const facts = { program: "open-license", previous_program: "open-license", same_agreement: day % 2 === 0 };
    Object.assign(facts, { sa_end_date: "2022-06-30", order_date: date, new_agreement_start: date, agreement_year: 2000 + (day % 12), perpetual_license: true });
    bundle.decide("sa-renewal", facts);
    bundle.explain(bundle.decide("sa-renewal", facts), ["en", "uk", "ru", "zh"][day % 4]);
  }
  assert.equal(bundle.decision("sa-renewal"), decision);
  assert.equal(decision.closures(false).cache.size >= closures, true);
  const afterExplaining = decision.closures(false).cache.size;
  for (let day = 1; day <= 100; day++) bundle.explain(bundle.decide("sa-renewal", { program: "eap", previous_program: "eap", same_agreement: true, sa_end_date: "2022-06-30", order_date: "2022-07-01", new_agreement_start: "2022-07-01", agreement_year: 2008, perpetual_license: true }), "en");
  assert.equal(decision.closures(false).cache.size, afterExplaining, "closures made per call");
  for (const file of ["bundle.js", "cli.js", "dates.js", "difflib.js", "evaluate.js", "explain.js", "json.js", "node.js", "rules.js", "shape.js", "signatures.js", "utf8.js"]) {
    const source = readFileSync(join(JS_ROOT, "src", file), "utf8");
    assert.doesNotMatch(source, /\beval\s*\(|\bFunction\s*\(|new\s+Function\b/, `${file} makes code`);
  }
});
