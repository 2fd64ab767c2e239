// The pieces that make this checker's words the Python checker's, each compared with Python on
// many inputs: JSON reading and its error messages, float and date display, the "did you mean"
// hint.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dayText } from "../src/dates.js";
import { closeMatch } from "../src/difflib.js";
import { JSONDecodeError, PyFloat, floatRepr, loadsBytes, pyParse, pyRepr } from "../src/json.js";
import { b64decode, b64encode, pySorted } from "../src/signatures.js";
import { patternProblem, patternRegExp } from "../src/pattern.js";
import { pythonMap } from "./helpers.js";

function random(seed) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

test("day numbers in words, past 9999 and before year 1 too, as Python's day_text", () => {
  const days = [1, 2, 0, -1, -365, 3652059, 3652060, 3652059 + 90, -146097, 146097 * 30, -(146097 * 30) - 17];
  const next = random(7);
  for (let i = 0; i < 2000; i++) days.push(Math.floor((next() - 0.5) * 2 * 10 ** (1 + Math.floor(next() * 12))));
  const expected = pythonMap("from terms_compiler.check.dates import day_text as f", days);
  assert.deepEqual(days.map(dayText), expected);
  assert.deepEqual(days.map((day) => dayText(BigInt(day))), expected);
});

test("floats shown as Python's repr shows them", () => {
  const next = random(11);
  const values = [0.1, 1e16, 1e15, 1e-5, 1e-4, 123456789.0, 1.5e300, 5e-324, 1.7976931348623157e308, -2.5];
  for (let i = 0; i < 3000; i++) values.push((next() - 0.5) * 10 ** Math.floor((next() - 0.5) * 60));
  // Sent as texts: JSON would turn 1e16 into a Python int.
  assert.deepEqual(values.map(floatRepr), pythonMap("def f(text):\n    return repr(float(text))", values.map(String)));
});

test("the closest fact name, as difflib.get_close_matches finds it", () => {
  const names = ["program", "previous_program", "order_date", "sa_end_date", "same_agreement", "agreement_year", "channel", "pool"];
  const next = random(3);
  const words = ["programme", "progam", "order", "date", "agreement", "x", "", "chanel", "a".repeat(250), "p".repeat(210) + "rogram"];
  for (let i = 0; i < 1500; i++) {
    const base = names[Math.floor(next() * names.length)];
    const chars = [...base];
    for (let k = Math.floor(next() * 4); k > 0; k--) chars.splice(Math.floor(next() * chars.length), 1, "xyz_ae"[Math.floor(next() * 6)]);
    words.push(chars.join(""));
  }
  const expected = pythonMap(
    `import difflib\nNAMES = ${JSON.stringify(names)}\ndef f(w):\n    m = difflib.get_close_matches(w, NAMES, n=1)\n    return m[0] if m else None`,
    words,
  );
  assert.deepEqual(words.map((word) => closeMatch(word, names)), expected);
});

test("JSON is read, and refused, in json.loads' words", () => {
  const next = random(5);
  const pieces = ['{"a": ', "[", "]", "{", "}", ",", ":", '"x"', '"\\u12', '"\\ud800\\udc00"', "1", "-", "1.5", "1e5", "NaN", "-Infinity", "tru", "null", " ", "\n", "\t", '"\\', "é", "😀", "0", "01", '"\u0001"'];
  const texts = [];
  for (let i = 0; i < 4000; i++) {
    let text = "";
    for (let k = 1 + Math.floor(next() * 8); k > 0; k--) text += pieces[Math.floor(next() * pieces.length)];
    texts.push(text);
  }
  // Values as typed texts on both sides: an int is not a float, keys keep their order.
  const canon = (value) => {
    if (value instanceof Map) return [...value].map(([key, item]) => [key, canon(item)]);
    if (Array.isArray(value)) return ["list", value.map(canon)];
    if (value instanceof PyFloat) return `float:${floatRepr(value.value)}`;
    if (typeof value === "number" || typeof value === "bigint") return `int:${value}`;
    if (value !== null && typeof value === "object") return Object.entries(value).map(([key, item]) => [key, canon(item)]);
    return value;
  };
  const read = (text) => {
    try {
      return ["ok", canon(pyParse(text, { maps: true }))];
    } catch (error) {
      if (!(error instanceof JSONDecodeError)) throw error;
      return ["error", error.message];
    }
  };
  const expected = pythonMap(
    [
      "def canon(v):",
      "    if isinstance(v, dict): return [[k, canon(i)] for k, i in v.items()]",
      "    if isinstance(v, list): return ['list', [canon(i) for i in v]]",
      "    if isinstance(v, bool) or v is None or isinstance(v, str): return v",
      "    if isinstance(v, float): return 'float:' + repr(v)",
      "    return 'int:' + str(v)",
      "def f(t):",
      "    try:",
      "        return ['ok', canon(json.loads(t))]",
      "    except ValueError as e:",
      "        return ['error', str(e)]",
    ].join("\n"),
    texts,
  );
  assert.deepEqual(texts.map(read), expected);
});

test("repr() of JSON values and json.loads of bytes in every encoding Python detects, as Python", () => {
  const texts = [
    'null', 'true', '[1, -0, 1.0, 1e400, NaN, 123456789012345678901234567890]', '"it\'s"', '"say \\"hi\\" it\'s"',
    '"tab\\t nl\\n cr\\r nul\\u0000 del\\u007f back\\\\slash"', '"\u00e9 \u00a0 \u00ad \u200b \u2028 \ud800 \ud83d\ude00 \ue000 \u0378 \u3000"',
    '{"name": "../x", "hash": "00", "\u00e9": ["it\'s", 2.5e-7, 1e16]}', '{"b": {"a": [{}], "c": []}}',
  ];
  const expected = pythonMap("import json\ndef f(x): return repr(json.loads(x))", texts);
  assert.deepEqual(texts.map((text) => pyRepr(pyParse(text, { maps: true }))), expected);
  const document = '{"keys": [{"kty": "OKP", "x": "\u00e9\ud83d\ude00"}]}';
  const encodings = [["utf8", false], ["utf8", true], ["utf16le", false], ["utf16le", true], ["utf16be", true], ["utf32le", false], ["utf32be", true]];
  const encoded = encodings.map(([encoding, bom]) => encode(document, encoding, bom));
  const python = pythonMap("import json\ndef f(x): return repr(json.loads(bytes(x)))", encoded.map((bytes) => [...bytes]));
  encoded.forEach((bytes, i) => assert.equal(pyRepr(loadsBytes(bytes)), python[i], encodings[i].join(", bom ")));
});

function encode(text, encoding, bom) {
  const units = [...text].map((char) => char.codePointAt(0));
  const bytes = [];
  const push = (code, size, big) => {
    for (let i = 0; i < size; i++) bytes.push(big ? (code >> (8 * (size - 1 - i))) & 0xff : (code >> (8 * i)) & 0xff);
  };
  const big = encoding.endsWith("be");
  if (encoding === "utf8") return Buffer.concat([Buffer.from(bom ? [0xef, 0xbb, 0xbf] : []), Buffer.from(text)]);
  if (bom) push(0xfeff, encoding.startsWith("utf32") ? 4 : 2, big);
  for (const code of units) {
    if (encoding.startsWith("utf32")) push(code, 4, big);
    else if (code > 0xffff) {
      push(0xd800 + ((code - 0x10000) >> 10), 2, big);
      push(0xdc00 + ((code - 0x10000) & 0x3ff), 2, big);
    } else push(code, 2, big);
  }
  return Uint8Array.from(bytes);
}

test("base64url and Python's sorting of texts", () => {
  const next = random(5);
  for (let length = 0; length < 40; length++) {
    const bytes = Uint8Array.from({ length }, () => Math.floor(next() * 256));
    assert.equal(b64encode(bytes), Buffer.from(bytes).toString("base64url"));
    assert.deepEqual(b64decode(b64encode(bytes)), bytes);
  }
  assert.throws(() => b64decode("A"));
  assert.throws(() => b64decode("AA=="));
  const texts = ["b", "a", "\uffff", "\ud83d\ude00", "B", "a.json", "a-json", ""];
  assert.deepEqual(pySorted(texts), pythonMap("def f(x): return sorted(x)", [texts])[0]);
});

test("patterns of string facts: the same subset, the same messages and the same full matches as Python's re", () => {
  const patterns = [
    "[A-Z]{2}", "(ab)*", "(a+)*", "a**", "a*?", "\\d", "[a-", "[]", "[^]", "(?=a)", "^a", "a$", "a{3,1}", "a{1001}",
    "[a\\-z]", "\\-", "a|b|", "(a|b){2}", "[--a]", "é", "a{,3}", "a{2,}", "x]", "[z-a]", ")", "(a", "[a-z0-9_.]+",
    "\\/x", ".", "a.b", "[^a]", "\\", "[\\", "[a\\d]", "a{01,2}", "(?:a|)b", "[\\]\\[\\-\\^\\\\]+",
    "\\.\\-\\(\\)\\[\\]\\{\\}\\*\\+\\?\\|\\^\\$\\/", "a".repeat(201), `${"x".repeat(199)}é`,
    "😀".repeat(150), 5, null, "[a-]", "[-a]", "[a-b-c]", "{", "}", "a{2}{3}", "a|*", "()*", "(?:)+", "a{1000}", "[^^]",
    "[a^]", "(?i)a", "\\1", "a{99999999999999999999}", "\t", "[\\w]",
  ];
  const next = random(5);
  const pieces = ["a", "b", ".", "-", "[a-c]", "[^b]", "(", ")", "(?:", "|", "?", "*", "+", "{2}", "{1,3}", "\\.", "\\-", "]", "[", "^", "\\"];
  for (let i = 0; i < 1500; i++) {
    let pattern = "";
    for (let n = Math.floor(next() * 7); n >= 0; n--) pattern += pieces[Math.floor(next() * pieces.length)];
    patterns.push(pattern);
  }
  const values = ["", "a", "b", "ab", "abab", "aab", "-", ".", "a-b", "\n", "\r", "a\rb", "\u2028", "😀", "\ud800", "AB", "c", "[", "]", "^", "aaaa"];
  const inJs = patterns.map((pattern) => {
    const problem = patternProblem(pattern);
    return [problem, problem === null ? values.map((value) => patternRegExp(pattern).test(value)) : null];
  });
  const inPython = pythonMap(
    "import re\nfrom terms_compiler.check.pattern import pattern_problem\nVALUES = " +
      JSON.stringify(values) +
      "\ndef f(p):\n    problem = pattern_problem(p)\n    return [problem, None if problem else [re.fullmatch(p, v) is not None for v in VALUES]]",
    patterns,
  );
  assert.ok(inPython.filter(([problem]) => problem === null).length > 100, "enough patterns inside the subset");
  for (let i = 0; i < patterns.length; i++) assert.deepEqual(inJs[i], inPython[i], `pattern ${JSON.stringify(patterns[i])}`);
});
