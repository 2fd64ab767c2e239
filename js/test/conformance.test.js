// The bundle's conformance cases (tests/conformance/, published as conformance.json beside the
// bundle by `terms build`) pass whole: outcome, deciding clauses, and overridden when given.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { loadBundleFile } from "../src/node.js";
import { work } from "./helpers.js";

test("every conformance case of the shipped bundle passes", async () => {
  const { bundle: path } = work().shipped;
  const conformance = JSON.parse(readFileSync(join(dirname(path), "conformance.json"), "utf8"));
  const bundle = await loadBundleFile(join(dirname(path), conformance.bundle));
  assert.ok(conformance.cases.length >= 100, `only ${conformance.cases.length} cases`);
  const failures = [];
  for (const item of conformance.cases) {
    const answer = bundle.decide(item.decision, item.facts, item.as_of ?? null);
    const got = { outcome: answer.outcome, deciding: [...answer.deciding] };
    const expected = { outcome: item.outcome, deciding: item.deciding };
    if (item.overridden) {
      got.overridden = [...answer.overridden];
      expected.overridden = item.overridden;
    }
    try {
      assert.deepEqual(got, expected);
    } catch {
      failures.push(`${item.file}: ${item.name}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
    }
  }
  assert.deepEqual(failures, []);
});
