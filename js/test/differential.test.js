// The differential test: on fact sets generated at every rule's boundaries (test/differential.py,
// at least 100,000 per decision of the shipped corpus, and the synthetic 2,000-clause corpus of
// benchmarks/gen_corpus.py), this checker agrees with the Python checker on the outcome, the
// deciding and overridden clauses and the facts' problems, and, on every sixteenth answer, on
// the reasons in one of the bundle's languages, word for word.
import assert from "node:assert/strict";
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { FactError } from "../src/evaluate.js";
import { decideText } from "../src/cli.js";
import { loadBundleFile } from "../src/node.js";
import { work } from "./helpers.js";

const SHOWN = 5;

async function compare({ bundle: path, cases }) {
  const bundle = await loadBundleFile(path);
  const counts = new Map();
  const disagreements = [];
  let reasons = 0;
  const lines = createInterface({ input: createReadStream(cases), crlfDelay: Infinity });
  for await (const line of lines) {
    const item = JSON.parse(line);
    counts.set(item.decision, (counts.get(item.decision) ?? 0) + 1);
    let got;
    let answer = null;
    try {
      answer = decideText(bundle.decision(item.decision), item.facts, item.as_of);
      got = { outcome: answer.outcome, deciding: [...answer.deciding], overridden: [...answer.overridden] };
    } catch (error) {
      if (!(error instanceof FactError)) throw error;
      got = { errors: error.problems };
    }
    const expected = item.errors
      ? { errors: item.errors }
      : { outcome: item.outcome, deciding: item.deciding, overridden: item.overridden };
    if (item.reasons && answer !== null) {
      got.reasons = bundle.explain(answer, item.language);
      expected.reasons = item.reasons;
      reasons += 1;
    }
    try {
      assert.deepEqual(got, expected);
    } catch {
      if (disagreements.length < SHOWN) {
        disagreements.push({ decision: item.decision, facts: item.facts, as_of: item.as_of, expected, got });
      } else disagreements.push(null);
    }
  }
  return { counts, disagreements, reasons };
}

test("agrees with the Python checker on 100,000 boundary fact sets per decision of the shipped corpus", async () => {
  const { counts, disagreements, reasons } = await compare(work().shipped);
  assert.deepEqual(disagreements.length, 0, JSON.stringify(disagreements.slice(0, SHOWN), null, 2));
  assert.equal(counts.size, 5);
  for (const [decision, count] of counts) assert.ok(count >= 100000, `${decision}: only ${count} fact sets`);
  assert.ok(reasons >= 5 * 5000, `only ${reasons} explanations compared`);
});

test("agrees with the Python checker on the synthetic 2,000-clause corpus", async (t) => {
  const synthetic = work().synthetic;
  if (!synthetic) return t.skip("prepared without the synthetic corpus (--synthetic-clauses 0)");
  const { counts, disagreements } = await compare(synthetic);
  assert.ok(counts.size >= 3);
  assert.deepEqual(disagreements.length, 0, JSON.stringify(disagreements.slice(0, SHOWN), null, 2));
});
