// terms-check stands in for `terms check`: for the same arguments and input, the same bytes on
// standard output, the same messages on standard error and the same exit code, for batches
// (JSON Lines: generated fact sets and hostile lines), single fact files, and bundles that must
// be refused.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { CLI, PYTHON, assertSame, bothChecks, run, work } from "./helpers.js";

const PER_DECISION = 3000;
const temp = mkdtempSync(join(tmpdir(), "terms-check-cli-"));

/** Generated fact sets of each decision, as JSON Lines text, from the differential cases. */
function generatedLines() {
  const byDecision = new Map();
  for (const line of readFileSync(work().shipped.cases, "utf8").split("\n")) {
    if (!line) continue;
    const item = JSON.parse(line);
    const lines = byDecision.get(item.decision) ?? [];
    if (lines.length < PER_DECISION) lines.push(item.facts);
    byDecision.set(item.decision, lines);
  }
  return byDecision;
}

const HOSTILE_LINES = [
  "",
  "   ",
  "\x1c\x1d",
  "{bad",
  '{"a": 1,}',
  "[1]",
  "null",
  '"text"',
  "NaN",
  '{"program": NaN, "x": Infinity, "y": -Infinity}',
  '{"agreement_year": 1e400, "order_date": 20240101}',
  '{"agreement_year": 123456789012345678901234567890, "reattach_quantity": -0}',
  '{"program": "\\ud800", "channel": "oem"}',
  '{"\\ud83d\\ude00": 1, "1": 2, "0": 3, "__proto__": 4, "constructor": 5}',
  '{"a": "\\u12"}',
  '{"a": "\\x"}',
  '{"a": "\u0001"}',
  "\ufeff{}",
  "{}  x",
  "[".repeat(2000) + "]".repeat(2000),
  `{"country": "${"é".repeat(300)}"}`,
];

test("a batch answers line for line as `terms check` does, in json and text, in every language", () => {
  const bundle = work().shipped.bundle;
  let index = 0;
  for (const [decision, lines] of generatedLines()) {
    const body = [...lines.slice(0, 50), ...HOSTILE_LINES, ...lines.slice(50)].join("\n");
    const file = join(temp, `${decision}.jsonl`);
    // Windows line ends, a lone \r (a line end in a file), bytes that are not UTF-8, no final \n.
    writeFileSync(file, Buffer.concat([Buffer.from(`${body}\r\n{}\rnull\n`), Buffer.from([0xff, 0x7b, 0x0a]), Buffer.from("{}")]));
    const language = ["en", "uk", "ru", "zh"][index++ % 4];
    for (const format of ["json", "text"]) {
      assertSame(["--bundle", bundle, "--decision", decision, "--format", format, "--lang", language, file]);
    }
    assertSame(["--bundle", bundle, "--decision", decision, "--format", "json", "--as-of", "2020-07-31", file]);
    for (const explain of ["none", "deciding"]) {
      assertSame(["--bundle", bundle, "--decision", decision, "--format", "json", "--explain", explain, "--lang", language, file]);
    }
    assertSame(["--bundle", bundle, "--decision", decision, "--lines", "--format", "json", "-"], readFileSync(file));
  }
});

const FACT_FILES = {
  "valid.json": '{"program": "open-license", "order_date": "2020-08-01"}',
  "bom.json": '\ufeff{"program": "open-license", "order_date": "2020-07-31"}',
  "crlf.json": '{"program": "open-license",\r\n "order_date": "2020-07-31",\r\n "x": 1}',
  "invalid.json": '{"program": "open-licence", "order_dat": "2020-07-31", "extra": [1]}',
  "null.json": "null",
  "syntax.json": '{"program": "open-license",\r\n "order_date": }',
  "deep.json": "[".repeat(3000) + "]".repeat(3000),
  "surrogate.json": '{"program": "\\udc00", "order_date": "2020-07-31"}',
};

test("a single fact file is answered, or refused, as `terms check` does", () => {
  const bundle = work().shipped.bundle;
  for (const [name, text] of Object.entries(FACT_FILES)) {
    const file = join(temp, name);
    writeFileSync(file, text);
    for (const format of ["json", "text"]) {
      for (const language of ["en", "zh"]) {
        assertSame(["--bundle", bundle, "--decision", "proof-of-license", "--format", format, "--lang", language, file]);
        for (const explain of ["none", "deciding"]) {
          assertSame(["--bundle", bundle, "--decision", "proof-of-license", "--format", format, "--lang", language, "--explain", explain, file]);
        }
      }
    }
  }
  const notUtf8 = join(temp, "latin1.json");
  writeFileSync(notUtf8, Buffer.from('{"program":\r\n "caf\xe9"}', "latin1"));
  assertSame(["--bundle", bundle, "--decision", "proof-of-license", notUtf8]);
  assertSame(["--bundle", bundle, "--decision", "proof-of-license", "-"], FACT_FILES["valid.json"]);
  assertSame(["--bundle", bundle, "--decision", "proof-of-license", "--as-of", "2024-02-30", join(temp, "valid.json")]);
  assertSame(["--bundle", bundle, "--decision", "license-switch", "--as-of", "2024-01-01", "-"], "{}");
  assertSame(["--bundle", bundle, "--decision", "nothing", "-"], "{}");
  assertSame(["--bundle", bundle, "--decision", "sa-purchase", "--lang", "de", "-"], "{}");
  assertSame(["--bundle", bundle, "--decision", "sa-purchase", join(temp, "no-such-file.json")]);
  assertSame(["--bundle", bundle, "--decision", "sa-purchase", temp]);
  assertSame(["--bundle", bundle, "--decision", "sa-purchase", "--format", "json", join(temp, "no-such-file.json")]);
});

/** A copy of the shipped bundle changed by `change` (its JSON), with a matching digest file. */
function bundleLike(name, change, { digest } = {}) {
  const data = JSON.parse(readFileSync(work().shipped.bundle, "utf8"));
  const text = change(data) ?? JSON.stringify(data);
  const path = join(temp, name);
  writeFileSync(path, text);
  const sha = createHash("sha256").update(text).digest("hex");
  writeFileSync(`${path}.sha256`, digest ?? `${sha}  ${name}\n`);
  return path;
}

test("answers that conflict are written and exit 3, as `terms check` does", () => {
  const path = bundleLike("conflicting.json", (data) => {
    for (const rule of data.decisions["sa-purchase"].rules) rule.overrides = [];
  });
  const facts = join(temp, "conflict.jsonl");
  const lines = generatedLines().get("sa-purchase");
  writeFileSync(facts, lines.join("\n"));
  const python = assertSame(["--bundle", path, "--decision", "sa-purchase", "--format", "json", facts]);
  assert.match(python.stdout.toString(), /"outcome": "conflict"/);
  const one = join(temp, "conflict.json");
  writeFileSync(one, lines.find((line) => line.includes('"channel": "oem"') && line.includes('"latest_version": false')));
  for (const format of ["json", "text"]) assertSame(["--bundle", path, "--decision", "sa-purchase", "--format", format, one]);
});

const REFUSED = {
  "tampered.json": [(data) => JSON.stringify(data).replace('"allowed"', '"Allowed"'), { digest: "0".repeat(64) }],
  "upper-digest.json": [(data) => JSON.stringify(data), { upper: true }],
  "no-hex.json": [(data) => JSON.stringify(data), { digest: "sha256:abc\n" }],
  "empty-digest.json": [(data) => JSON.stringify(data), { digest: "  \n" }],
  "version-2.json": [(data) => void (data.format_version = "2.0")],
  "version-superscript.json": [(data) => void (data.format_version = "\u00b2.0")],
  "version-number.json": [(data) => void (data.format_version = 1.0)],
  "format.json": [(data) => void (data.format = "opa-bundle")],
  "missing.json": [(data) => void delete data.decisions],
  "array.json": [() => "[]"],
  "not-json.json": [(data) => JSON.stringify(data).slice(0, 1000)],
  "bad-utf8.json": [() => Buffer.from([0x7b, 0xe2, 0x82, 0x7d])],
  "malformed.json": [
    (data) => {
      const decision = data.decisions["sa-purchase"];
      decision.default = "maybe";
      decision.facts.program.values = [];
      decision.facts.order_date.default = "2024-02-30";
      decision.rules[0].clause = "no-such-clause";
      data.languages.push("de");
    },
  ],
  "bad-rule.json": [(data) => void (data.decisions["sa-purchase"].rules[2].when.args[0].op = "xor")],
  "bad-type.json": [(data) => void (data.decisions["sa-purchase"].rules[0].when.args[0].right.type = "int")],
  "float-int.json": [(data) => JSON.stringify(data).replace('"value": 90}', '"value": 90.0}')],
  "undeclared.json": [(data) => void (data.decisions["sa-purchase"].rules[0].when.args[0].left.name = "chanel")],
  "bad-pattern.json": [(data) => void (data.decisions["regional-availability"].facts.country.pattern = "(\\d+)*[é]")],
  "bool-pattern.json": [(data) => void (data.decisions["regional-availability"].facts.sanctioned.pattern = "[A-Z]{2}")],
  "long-pattern.json": [(data) => void (data.decisions["regional-availability"].facts.country.pattern = "😀".repeat(201))],
  "default-unmatched.json": [(data) => void (data.decisions["regional-availability"].facts.country.default = "ru")],
};

test("a tampered, truncated, unknown or malformed bundle is refused as `terms check` refuses it", () => {
  const facts = join(temp, "valid.json");
  writeFileSync(facts, FACT_FILES["valid.json"]);
  for (const [name, [change, options = {}]] of Object.entries(REFUSED)) {
    const path = bundleLike(name, change, options);
    if (options.upper) writeFileSync(`${path}.sha256`, readFileSync(`${path}.sha256`, "utf8").toUpperCase());
    const python = assertSame(["--bundle", path, "--decision", "sa-purchase", facts], undefined, name);
    if (!options.upper) assert.equal(python.status, 2, `${name} is refused`);
  }
  const shipped = work().shipped.bundle;
  const truncated = join(temp, "truncated.json");
  writeFileSync(truncated, readFileSync(shipped).subarray(0, 5000));
  writeFileSync(`${truncated}.sha256`, readFileSync(`${shipped}.sha256`));
  assertSame(["--bundle", truncated, "--decision", "sa-purchase", facts]);
  assertSame(["--bundle", join(temp, "nothing.json"), "--decision", "sa-purchase", facts]);
  assertSame(["--bundle", shipped, "--digest", join(temp, "nothing.sha256"), "--decision", "sa-purchase", facts]);
});

test("--explain takes none, deciding or all, as `terms check` does (the usage names its program)", () => {
  const { python, js } = bothChecks(["--bundle", work().shipped.bundle, "--decision", "sa-purchase", "--explain", "some", "-"], "{}");
  assert.deepEqual([js.status, python.status], [2, 2]);
  const lastLine = (run) => run.stderr.toString().trimEnd().split("\n").at(-1).replace(/^terms[- ]check: /, "");
  assert.equal(lastLine(js), "error: argument --explain: invalid choice: 'some' (choose from 'none', 'deciding', 'all')");
  assert.equal(lastLine(python), lastLine(js));
});

test("a country outside its pattern is refused alike, alone and in a batch, in both formats", () => {
  const bundle = work().shipped.bundle;
  const facts = { transaction: "renewal", customer_type: "private", sanctioned: false, date: "2024-01-01" };
  const lines = ["RU", "ru", "R", "RUS", "RU\n", "R\r", "\u2028", 7].map((country) => JSON.stringify({ ...facts, country }));
  const file = join(temp, "countries.jsonl");
  writeFileSync(file, `${lines.join("\n")}\n`);
  for (const format of ["json", "text"]) {
    assertSame(["--bundle", bundle, "--decision", "regional-availability", "--format", format, "--lang", "zh", file]);
    assertSame(["--bundle", bundle, "--decision", "regional-availability", "--format", format, "-"], lines[1]);
  }
});

test("without --bundle, inside a built corpus, the built bundle is used, as `terms check` uses it", () => {
  const folder = mkdtempSync(join(tmpdir(), "terms-check-corpus-"));
  const facts = join(temp, "valid.json");
  writeFileSync(facts, FACT_FILES["valid.json"]);
  const args = ["--decision", "proof-of-license", "--format", "json", facts];
  const same = () => {
    const python = run(PYTHON, ["-m", "terms_compiler.cli", "check", ...args], { cwd: folder });
    const js = run(process.execPath, [CLI, ...args], { cwd: folder });
    assert.deepEqual([js.status, js.stderr.toString(), js.stdout.toString()], [python.status, python.stderr.toString(), python.stdout.toString()]);
    return python;
  };
  assert.match(same().stderr.toString(), /no corpus here/);
  mkdirSync(join(folder, "terms"));
  writeFileSync(join(folder, "terms", "corpus.yaml"), "id: x\n");
  assert.match(same().stderr.toString(), /has no one built bundle in \.\/build\/bundle \(found none\)/);
  cpSync(join(work().shipped.bundle, ".."), join(folder, "build", "bundle"), { recursive: true });
  assert.equal(same().status, 0);
});
