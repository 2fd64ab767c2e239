// The `terms-check` command line: options, records and exit codes of Python's `terms check`
// (compiler/terms_compiler/cli.py), byte for byte on standard output. Only JSON fact files are
// read: where `terms check` falls back to YAML (a FACTS that is not JSON and not named *.json),
// this one says the facts are not valid JSON.

import { closeSync, createReadStream, fstatSync, openSync, readFileSync, readdirSync, statSync, writeSync } from "node:fs";
import { BundleError, UnknownDecision } from "./bundle.js";
import { CONFLICT, FactError } from "./evaluate.js";
import { PHRASES, outcomeWords, wordsLanguage } from "./explain.js";
import {
  JSONDecodeError,
  JSONDepthError,
  asciiEscaped,
  backslashReplaced,
  dumpsString,
  hasLoneSurrogate,
  pyParse,
} from "./json.js";
import { loadBundleFile, strerror } from "./node.js";
import { decodeErrorText, firstInvalid } from "./utf8.js";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_CONFLICT = 3;

const DEEP_JSON = "the JSON is nested too deeply to read";
/** Levels of nesting Python's reader takes in a batch line, and in a single facts file. */
const LINE_DEPTH = 992;
const FILE_DEPTH = 991;
const FLOAT_LIKE = /[0-9][.eE]/;

const USAGE =
  "usage: terms-check [-h] [--bundle BUNDLE] [--digest DIGEST] --decision DECISION [--as-of DATE]\n" +
  "                   [--format {text,json}] [--lang LANG] [--explain {none,deciding,all}]\n" +
  "                   [--lines] [--trust KEYS]\n" +
  "                   FACTS\n";
const HELP = `${USAGE}
Answer a decision for FACTS: a JSON file, '-' for standard input, or a .jsonl file (or --lines)
with one fact set per line, answered in order. A bad line gets an error answer naming its line;
the rest go on. The same options, output and exit codes as \`terms check\`.

options:
  --bundle BUNDLE      the bundle JSON file (default: the bundle built in build/bundle/, inside
                       a corpus)
  --digest DIGEST      its SHA-256 file (default: BUNDLE.sha256)
  --decision DECISION  decision id, e.g. sa-purchase
  --as-of DATE         evaluate as of this date (default: the decision's date fact)
  --format {text,json}
  --lang LANG          language of reasons and quotes (default en)
  --explain {none,deciding,all}
                       reasons given: none (the outcome alone, fastest), deciding (the deciding
                       rules' and the default or conflict), all (every rule's, the default)
  --lines              read FACTS as JSON Lines even without the .jsonl extension
  --trust KEYS         a public key the bundle must be signed by: a PEM, a JWKS file, or a
                       folder of them (repeatable). With it, an unsigned or mis-signed bundle is
                       refused

exit codes: 0 success; 1 some fact sets failed (a batch); 2 usage error, unreadable or tampered
bundle, invalid facts; 3 the rules conflict.
`;

class UsageError extends Error {}

const EXPLAIN = ["none", "deciding", "all"];
/** The statuses of the reasons `--explain deciding` keeps: why the outcome is what it is. */
const DECIDING = new Set(["deciding", "conflict", "default"]);

const OPTIONS = {
  "--bundle": "bundle",
  "--digest": "digest",
  "--decision": "decision",
  "--as-of": "asOf",
  "--format": "format",
  "--lang": "lang",
  "--explain": "explain",
  "--lines": "lines",
  "--trust": "trust",
  "--help": "help",
};

/** The options, as argparse reads them (a unique prefix of an option names it). */
export function parseArguments(argv) {
  const args = { bundle: null, digest: null, decision: null, asOf: null, format: "text", lang: "en", explain: "all", lines: false, trust: null, facts: null };
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    let argument = argv[i];
    if (argument === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (argument === "-h") argument = "--help";
    if (!argument.startsWith("-") || argument === "-") {
      positional.push(argument);
      continue;
    }
    const equals = argument.indexOf("=");
    const given = equals > 0 ? argument.slice(0, equals) : argument;
    const names = Object.keys(OPTIONS).filter((name) => name.startsWith(given));
    const name = OPTIONS[given] ? given : names.length === 1 ? names[0] : null;
    if (name === null) {
      if (names.length > 1) throw new UsageError(`ambiguous option: ${given} could match ${names.join(", ")}`);
      throw new UsageError(`unrecognized arguments: ${argument}`);
    }
    const key = OPTIONS[name];
    if (key === "help") {
      args.help = true;
      continue;
    }
    if (key === "lines") {
      if (equals > 0) throw new UsageError(`argument --lines: ignored explicit argument '${argument.slice(equals + 1)}'`);
      args.lines = true;
      continue;
    }
    let value;
    if (equals > 0) value = argument.slice(equals + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith("-") && value !== "-" && !/^-\d/.test(value))) {
        throw new UsageError(`argument ${name}: expected one argument`);
      }
      i += 1;
    }
    if (key === "format" && value !== "text" && value !== "json") {
      throw new UsageError(`argument --format: invalid choice: '${value}' (choose from 'text', 'json')`);
    }
    if (key === "explain" && !EXPLAIN.includes(value)) {
      throw new UsageError(`argument --explain: invalid choice: '${value}' (choose from ${EXPLAIN.map((v) => `'${v}'`).join(", ")})`);
    }
    if (key === "trust") args.trust = [...(args.trust ?? []), value];
    else args[key] = value;
  }
  if (args.help) return args;
  const missing = [["--decision", args.decision]].filter(([, v]) => v === null).map(([n]) => n);
  if (missing.length > 0 || positional.length === 0) {
    const all = [...missing, ...(positional.length === 0 ? ["FACTS"] : [])];
    throw new UsageError(`the following arguments are required: ${all.join(", ")}`);
  }
  if (positional.length > 1) throw new UsageError(`unrecognized arguments: ${positional.slice(1).join(" ")}`);
  args.facts = positional[0];
  return args;
}

/** Run `terms-check` with argv; resolves to the exit code. */
export async function main(argv, io = defaultIo()) {
  let args;
  try {
    args = parseArguments(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`${USAGE}terms-check: error: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (args.help) {
    io.out(HELP);
    return EXIT_OK;
  }
  let bundle;
  try {
    args.bundle ??= builtBundle(".");
    bundle = await loadBundleFile(args.bundle, { digestPath: args.digest, trustedKeys: args.trust });
    bundle.decision(args.decision);
  } catch (error) {
    if (!(error instanceof BundleError || error instanceof UnknownDecision)) throw error;
    io.err(`terms check: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (!bundle.languages.includes(args.lang)) {
    io.err(`terms check: language '${args.lang}' is not in the bundle (${bundle.languages.join(", ")})\n`);
    return EXIT_USAGE;
  }
  const lines = args.lines || args.facts.endsWith(".jsonl");
  let fd = 0;
  if (args.facts !== "-") {
    try {
      fd = openSync(args.facts, "r");
      if (fstatSync(fd).isDirectory()) {
        closeSync(fd);
        throw Object.assign(new Error("EISDIR"), { code: "EISDIR" }); // Python's open() refuses a folder
      }
    } catch (error) {
      io.err(`terms check: cannot read ${args.facts}: ${strerror(error)}\n`);
      return EXIT_USAGE;
    }
  }
  try {
    return lines ? await checkLines(bundle, args, fd, io) : checkOne(bundle, args, fd, io);
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

/** The bundle `terms build` wrote for the corpus in folder, found as `terms check` finds it
 * (corpus.yaml in the folder or in terms/ under it; the bundle in build/bundle/), else a
 * BundleError in its words. */
function builtBundle(folder) {
  const isFile = (path) => {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  };
  const corpora = [folder, `${folder}/terms`].filter((path) => isFile(`${path}/corpus.yaml`));
  if (corpora.length === 0) {
    throw new BundleError("no --bundle given, and no corpus here (corpus.yaml in . or in terms/) to take it from");
  }
  const built = `${folder}/build/bundle`;
  let names = [];
  try {
    // The bundle, not the conformance cases or the site's rules files (<corpus>.rules.*.json).
    names = readdirSync(built)
      .filter((name) => name.endsWith(".json") && name !== "conformance.json" && !name.includes(".rules."))
      .sort();
  } catch {
    names = [];
  }
  if (names.length !== 1) {
    const found = names.length ? `found ${names.join(", ")}` : "found none";
    throw new BundleError(
      `no --bundle given, and the corpus in ${corpora[0]} has no one built bundle in ${built} (${found}): run terms build, or give --bundle`,
    );
  }
  return `${built}/${names[0]}`;
}

function defaultIo() {
  return {
    out: (text) => writeAll(1, text),
    err: (text) => writeAll(2, backslashReplaced(text)),
  };
}

/** Write all of text to a file descriptor, synchronously (a pipe that is full is waited for). */
function writeAll(fd, text) {
  let bytes = Buffer.from(text, "utf8");
  while (bytes.length > 0) {
    let written;
    try {
      written = writeSync(fd, bytes);
    } catch (error) {
      if (error.code === "EAGAIN") continue;
      if (error.code === "EPIPE") throw new BrokenPipe();
      throw error;
    }
    bytes = bytes.subarray(written);
  }
}

class BrokenPipe extends Error {}

// One fact set ------------------------------------------------------------------------------------

function checkOne(bundle, args, fd, io) {
  let answer;
  try {
    const facts = readFacts(readFileSync(fd), args.facts, fd !== 0);
    answer = bundle.decide(args.decision, facts, args.asOf);
  } catch (error) {
    if (error instanceof FactError) return refused(args, error.problems, io);
    if (error instanceof FactsUnreadable) return refused(args, [`cannot read the facts: ${error.message}`], io);
    throw error;
  }
  if (args.format === "json") {
    const record = answer.toJSON();
    if (args.explain !== "none") record.reasons = reasonsOf(bundle, answer, args.lang, args.explain);
    writeIndented(record, io);
  } else {
    const out = `${answerText(bundle, answer, args.lang, args.explain)}\n`;
    io.out(hasLoneSurrogate(out) ? asciiEscaped(out) : out);
  }
  return answer.outcome === CONFLICT ? EXIT_CONFLICT : EXIT_OK;
}

/** Facts that get no answer: with --format json, the error record a batch line gets (without its
 * line) on standard output; as text, one line a problem on standard error. Exit 2 either way. */
function refused(args, problems, io) {
  if (args.format === "json") writeIndented(errorRecord(problems), io);
  else io.err(problems.map((problem) => `${args.facts}: error: ${problem}\n`).join(""));
  return EXIT_USAGE;
}

/** What a fact set that gets no answer is, in JSON: every problem, and them joined by `; `. */
function errorRecord(problems) {
  return { error: problems.join("; "), problems };
}

/** The reasons --explain asks for: every rule's (`all`), or the deciding ones' (`deciding`); the
 * default or conflict reason after them either way. */
function reasonsOf(bundle, answer, language, explain) {
  const reasons = bundle.explain(answer, language);
  return explain === "all" ? reasons : reasons.filter((reason) => DECIDING.has(reason.status));
}

/** json.dumps(record, ensure_ascii=False, indent=2) and a line end, as `terms check` writes it. */
function writeIndented(record, io) {
  let out = JSON.stringify(record, null, 2);
  if (out.includes("\\ud")) out = indentedPython(record);
  out += "\n";
  io.out(hasLoneSurrogate(out) ? asciiEscaped(out) : out);
}

class FactsUnreadable extends Error {}

/** The facts of a JSON file's bytes, as `terms check` reads them: UTF-8 (a bad byte named with
 * its line and column), a byte order mark dropped, then JSON. */
function readFacts(bytes, name, isFile) {
  const invalid = firstInvalid(bytes);
  if (invalid !== null) {
    const before = newlinesOf(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes.subarray(0, invalid.at)), isFile);
    const lineStart = before.lastIndexOf("\n") + 1;
    const line = before.split("\n").length;
    const column = [...before.slice(lineStart)].length + 1;
    const byte = invalid.byte.toString(16).padStart(2, "0");
    throw new FactsUnreadable(`not valid UTF-8 (byte 0x${byte} at line ${line}, column ${column})`);
  }
  let text = newlinesOf(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes), isFile);
  if (text.startsWith("\ufeff")) text = text.slice(1);
  try {
    return pyParse(text, { maps: true, depth: FILE_DEPTH });
  } catch (error) {
    if (error instanceof JSONDepthError) throw new FactsUnreadable(DEEP_JSON);
    if (error instanceof JSONDecodeError) throw new FactsUnreadable(`not valid JSON (${error.message})`);
    throw error;
  }
}

/** A file's text as Python reads it (universal newlines: \r\n and \r are \n); stdin's as it is. */
function newlinesOf(text, isFile) {
  return isFile ? text.replace(/\r\n?/g, "\n") : text;
}

function answerText(bundle, answer, language, explain) {
  const phrases = PHRASES[wordsLanguage(language)];
  const outcome = outcomeWords(bundle.data.decisions[answer.decision].outcomes, answer.outcome, language);
  const lines = [fill(phrases.answer, { decision: answer.decision, outcome, date: answer.as_of })];
  for (const reason of explain === "none" ? [] : reasonsOf(bundle, answer, language, explain)) {
    lines.push(`  - ${reason.message}`);
    if (reason.status === "deciding") {
      const text = bundle.clauseText(reason.clause, language);
      lines.push(`      ${fill(phrases.quote, { title: text.title, text: text.plain })}`.replaceAll("\n", "\n      "));
    }
  }
  return lines.join("\n");
}

/** phrase.format(**parts), for parts that are texts. */
function fill(phrase, parts) {
  return phrase.replace(/\{([a-z_]+)\}/g, (_, name) => parts[name]);
}

/** json.dumps(record, ensure_ascii=False, indent=2) for a record holding a lone surrogate. */
function indentedPython(value, indent = "") {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((item) => inner + indentedPython(item, inner)).join(",\n")}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    return `{\n${entries.map(([key, item]) => `${inner}${dumpsString(key)}: ${indentedPython(item, inner)}`).join(",\n")}\n${indent}}`;
  }
  return typeof value === "string" ? dumpsString(value) : JSON.stringify(value);
}

// A batch of JSON Lines -------------------------------------------------------------------------

async function checkLines(bundle, args, fd, io) {
  const decision = bundle.decision(args.decision);
  const asOf = args.asOf;
  const asJson = args.format === "json";
  const language = args.lang;
  const explain = args.explain;
  const isFile = fd !== 0;
  let failed = 0;
  let pending = "";
  const flush = () => {
    if (pending) io.out(pending);
    pending = "";
  };
  const answerLine = (number, bytes, terminated) => {
    let out;
    let problems = [];
    let answer = null;
    let text = lineText(bytes);
    if (text !== null && terminated) text += "\n";
    // Only an escape (in the line or the bundle) gives a text a lone surrogate: UTF-8 has none.
    const mayHoldLoneSurrogate = bundle.loneSurrogates || (text !== null && text.includes("\\u"));
    if (text === null) problems = ["not valid UTF-8"];
    else if (isBlank(text)) return;
    else {
      const stackTraceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0; // a bad line's FactError needs no stack
      try {
        answer = decideText(decision, text, asOf);
      } catch (error) {
        if (error instanceof FactError) problems = error.problems;
        else if (error instanceof JSONDecodeError) problems = [`not valid JSON (${error.message})`];
        else if (error instanceof JSONDepthError) problems = [DEEP_JSON];
        else throw error;
      } finally {
        Error.stackTraceLimit = stackTraceLimit;
      }
    }
    if (problems.length > 0) {
      failed += 1;
      const problem = problems.join("; ");
      out = asJson
        ? `{"line": ${number}, "error": ${dumpsString(problem)}, "problems": [${problems.map(dumpsString).join(", ")}]}\n`
        : `line ${number}: error: ${problem}\n`;
    } else {
      if (answer.outcome === CONFLICT) failed += 1;
      out = asJson
        ? answerRecord(number, answer, bundle, language, explain, mayHoldLoneSurrogate)
        : `line ${number}: ${answer.outcome} (${answer.deciding.join(", ") || "default"})\n`;
    }
    if (mayHoldLoneSurrogate && hasLoneSurrogate(out)) out = asciiEscaped(out);
    pending += out;
    if (pending.length > 65536) flush();
  };
  try {
    await eachLine(fd, isFile, answerLine);
    flush();
  } catch (error) {
    if (error instanceof BrokenPipe) return EXIT_OK;
    throw error;
  }
  return failed ? EXIT_FAILED : EXIT_OK;
}

/** A line's text, or null when it is not UTF-8. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
function lineText(bytes) {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** Whether a line is blank as Python's str.strip() sees it. */
function isBlank(text) {
  return PYTHON_SPACE.test(text);
}
const PYTHON_SPACE = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;

/** The answer for a fact set given as JSON text (a line of a batch): JSON.parse and the quick path when the line is plainly JSON and the
 * facts plainly valid; otherwise Python's reading of the line (exact numbers, keys in order,
 * Python's messages) and the careful path. */
export function decideText(decision, text, asOf = null) {
  if (text.length < LINE_DEPTH && !FLOAT_LIKE.test(text)) {
    let facts;
    try {
      facts = JSON.parse(text);
    } catch {
      facts = undefined;
    }
    if (facts !== undefined) {
      const answer = decision.quickly(facts, asOf);
      if (answer !== null) return answer;
    }
  }
  return decision.decide(pyParse(text, { maps: true, depth: LINE_DEPTH }), asOf);
}

function answerRecord(number, answer, bundle, language, explain, mayHoldLoneSurrogate) {
  let out =
    `{"line": ${number}, "decision": ${JSON.stringify(answer.decision)}, "outcome": ${JSON.stringify(answer.outcome)}, ` +
    `"as_of": ${JSON.stringify(answer.as_of)}, "deciding": ${list(answer.deciding)}, "overridden": ${list(answer.overridden)}`;
  if (explain === "all") out += `, "reasons": ${bundle.explainJson(answer, language)}`;
  else if (explain === "deciding") out += `, "reasons": [${reasonsOf(bundle, answer, language, explain).map(reasonJson).join(", ")}]`;
  out += "}\n";
  if (mayHoldLoneSurrogate && out.includes("\\ud")) {
    // A lone surrogate, which JSON.stringify escapes and Python keeps (then escapes it all).
    const strings = [answer.decision, answer.outcome, answer.as_of, ...answer.deciding, ...answer.overridden];
    for (const reason of explain === "none" ? [] : bundle.explain(answer, language)) strings.push(reason.clause, reason.status, reason.outcome, reason.message);
    if (strings.some(hasLoneSurrogate)) out = asciiEscaped(out);
  }
  return out;
}

function reasonJson({ clause, status, outcome, message }) {
  return `{"clause": ${JSON.stringify(clause)}, "status": ${JSON.stringify(status)}, "outcome": ${JSON.stringify(outcome)}, "message": ${JSON.stringify(message)}}`;
}

function list(items) {
  return items.length === 0 ? "[]" : `[${items.map((item) => JSON.stringify(item)).join(", ")}]`;
}

/** Call each(number, bytes, terminated) for every line of the stream, numbered from 1, without
 * its end: a file's lines end at \n, \r\n or \r (Python's universal newlines, each read as \n),
 * standard input's at \n (a \r stays in the line). */
async function eachLine(fd, isFile, each) {
  const stream = createReadStream(null, { fd, autoClose: false, highWaterMark: 1 << 20 });
  let number = 0;
  let rest = null;
  let pendingCr = false;
  for await (const chunk of stream) {
    let bytes = rest === null ? chunk : Buffer.concat([rest, chunk]);
    let start = 0;
    if (pendingCr && bytes[0] === 0x0a) start = 1; // the \n of a \r\n cut between chunks
    pendingCr = false;
    for (let i = start; i < bytes.length; i++) {
      const byte = bytes[i];
      if (byte === 0x0a || (isFile && byte === 0x0d)) {
        number += 1;
        each(number, bytes.subarray(start, i), true);
        if (byte === 0x0d) {
          if (i + 1 < bytes.length) {
            if (bytes[i + 1] === 0x0a) i += 1;
          } else pendingCr = true;
        }
        start = i + 1;
      }
    }
    rest = start < bytes.length ? Buffer.from(bytes.subarray(start)) : null;
    bytes = null;
  }
  if (rest !== null && rest.length > 0) each(number + 1, rest, false);
}
