// What the tests share: the bundles and cases `npm test` prepares (the pretest script runs
// test/differential.py, which builds them with the Python compiler), and ways to run Python.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const JS_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const WORK = process.env.TERMS_JS_WORK || join(JS_ROOT, ".work");
export const PYTHON = process.env.TERMS_PYTHON || "python3";
export const CLI = join(JS_ROOT, "bin", "terms-check.js");

/** The manifest of the prepared bundles and cases: {shipped: {bundle, cases, count}, synthetic: ...}. */
export function work() {
  const manifest = join(WORK, "manifest.json");
  if (!existsSync(manifest)) {
    throw new Error(
      `${manifest} is missing: run \`npm test\` (its pretest builds the bundles and the cases with ` +
        "the Python compiler: python3 test/differential.py --out .work), or set TERMS_JS_WORK",
    );
  }
  return JSON.parse(readFileSync(manifest, "utf8"));
}

/** Run a command: {status, stdout, stderr} (bytes as Buffers). */
export function run(command, args, { input, cwd } = {}) {
  const result = spawnSync(command, args, { input, cwd, maxBuffer: 1 << 30 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Python's `terms check` and this package's `terms-check` with the same arguments. */
export function bothChecks(args, input) {
  const python = run(PYTHON, ["-m", "terms_compiler.cli", "check", ...args], { input });
  const js = run(process.execPath, [CLI, ...args], { input });
  return { python, js };
}

/** Run a Python function over JSON inputs: `code` defines f(x); returns [f(x) for x in inputs]. */
export function pythonMap(code, inputs) {
  const program = `import json, sys\n${code}\nprint(json.dumps([f(x) for x in json.load(sys.stdin)]))`;
  const result = run(PYTHON, ["-c", program], { input: JSON.stringify(inputs) });
  if (result.status !== 0) throw new Error(result.stderr.toString());
  return JSON.parse(result.stdout.toString());
}

/** Assert that `terms-check` and `terms check` give the same exit code, standard error and
 * standard output (byte for byte) for args and input; the Python run's result. */
export function assertSame(args, input, what = args.join(" ")) {
  const { python, js } = bothChecks(args, input);
  assert.equal(js.status, python.status, `${what}: exit code; python stderr: ${python.stderr}`);
  assert.equal(js.stderr.toString(), python.stderr.toString(), `${what}: standard error`);
  assert.ok(js.stdout.equals(python.stdout), `${what}: standard output differs\n${firstDifference(python.stdout, js.stdout)}`);
  return python;
}

function firstDifference(expected, got) {
  const a = expected.toString().split("\n");
  const b = got.toString().split("\n");
  const at = a.findIndex((line, i) => line !== b[i]);
  return `first difference at line ${at + 1}:\n  python: ${a[at]}\n  js:     ${b[at]}`;
}
