// JSON as Python's json module reads and writes it: the reader of fact sets and bundles, so
// that this checker accepts, refuses and words exactly what the Python checker does.
//
// What differs from JSON.parse: NaN, Infinity and -Infinity are read (as Python reads them);
// an integer keeps its exact value (a BigInt beyond 2^53) and a number written with a fraction
// or an exponent stays a float (a PyFloat), so `1.0` is not a whole number; an object keeps its
// keys in the order they first appear (a Map at the top of a fact set); errors are Python's
// messages, positions counted in code points; and nesting deeper than Python reads is refused.

/** A JSON number written with a fraction or an exponent: a float, even when whole. */
export class PyFloat {
  constructor(value) {
    this.value = value;
  }
}

/** A JSON text that Python's json.loads refuses: its message is Python's. */
export class JSONDecodeError extends Error {}

/** Nested deeper than Python's reader goes (RecursionError there). */
export class JSONDepthError extends Error {}

const WHITESPACE = /[ \t\n\r]*/y;
const NUMBER = /(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
const PLAIN_CHARS = /[^"\\\x00-\x1f]*/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const INT_MAX_STR_DIGITS = 4300;

/**
 * Parse text as Python's json.loads does. Objects become Maps when `maps` is true (key order
 * as Python's dict keeps it, whatever the keys), else objects with no prototype.
 * `depth` is the most levels of nesting read before a JSONDepthError. `bom`: refuse a text that
 * starts with a byte order mark, as json.loads refuses a str (not bytes, which it decodes).
 * `report`, an object, is told whether a text held a lone surrogate (`loneSurrogates`).
 */
export function pyParse(text, { maps = false, depth = 990, bom = true, report = null } = {}) {
  const parser = new Parser(text, maps, depth);
  const value = parser.document(bom);
  if (report !== null) report.loneSurrogates = parser.loneSurrogates;
  return value;
}

class Parser {
  constructor(text, maps, depth) {
    this.text = text;
    this.maps = maps;
    this.depth = depth;
    this.level = 0;
    this.loneSurrogates = false;
  }

  document(bom) {
    const text = this.text;
    if (bom && text.charCodeAt(0) === 0xfeff) this.fail("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0);
    let at = this.skip(0);
    const [value, end] = this.value(at, true);
    at = this.skip(end);
    if (at !== text.length) this.fail("Extra data", at);
    return value;
  }

  skip(at) {
    WHITESPACE.lastIndex = at;
    WHITESPACE.test(this.text);
    return WHITESPACE.lastIndex;
  }

  fail(message, at) {
    throw new JSONDecodeError(pythonPosition(message, this.text, at));
  }

  /** [value, index after it]; throws "Expecting value" when none starts at `at`. */
  value(at) {
    const text = this.text;
    const char = text[at];
    switch (char) {
      case '"':
        return this.string(at + 1);
      case "{":
        return this.nested(at, true);
      case "[":
        return this.nested(at, false);
      case "n":
        if (text.startsWith("null", at)) return [null, at + 4];
        break;
      case "t":
        if (text.startsWith("true", at)) return [true, at + 4];
        break;
      case "f":
        if (text.startsWith("false", at)) return [false, at + 5];
        break;
      case "N":
        if (text.startsWith("NaN", at)) return [new PyFloat(NaN), at + 3];
        break;
      case "I":
        if (text.startsWith("Infinity", at)) return [new PyFloat(Infinity), at + 8];
        break;
      case "-":
        if (text.startsWith("-Infinity", at)) return [new PyFloat(-Infinity), at + 9];
        return this.number(at);
      default:
        if (char >= "0" && char <= "9") return this.number(at);
    }
    return this.fail("Expecting value", at);
  }

  number(at) {
    NUMBER.lastIndex = at;
    const match = NUMBER.exec(this.text);
    if (match === null) return this.fail("Expecting value", at);
    const end = NUMBER.lastIndex;
    if (match[2] !== undefined || match[3] !== undefined) return [new PyFloat(Number(match[0])), end];
    const digits = match[1].length - (match[1][0] === "-" ? 1 : 0);
    if (digits > INT_MAX_STR_DIGITS) {
      throw new JSONDecodeError(
        `Exceeds the limit (${INT_MAX_STR_DIGITS} digits) for integer string conversion: value has ` +
          `${digits} digits; use sys.set_int_max_str_digits() to increase the limit`,
      );
    }
    const number = Number(match[1]);
    return [Number.isSafeInteger(number) ? number : BigInt(match[1]), end];
  }

  string(start) {
    const text = this.text;
    let at = start;
    let chunks = "";
    for (;;) {
      PLAIN_CHARS.lastIndex = at;
      PLAIN_CHARS.test(text);
      const end = PLAIN_CHARS.lastIndex;
      if (end !== at) chunks += text.slice(at, end);
      at = end;
      if (at >= text.length) this.fail("Unterminated string starting at", start - 1);
      const char = text.charCodeAt(at);
      if (char === 0x22) return [chunks, at + 1];
      if (char !== 0x5c) this.fail("Invalid control character at", at);
      at += 1;
      if (at >= text.length) this.fail("Unterminated string starting at", start - 1);
      const escape = text[at];
      if (escape !== "u") {
        const simple = ESCAPES[escape];
        if (simple === undefined) this.fail("Invalid \\escape", at - 1);
        chunks += simple;
        at += 1;
        continue;
      }
      let code = this.hex(at);
      at += 5;
      if (code >= 0xd800 && code <= 0xdbff && text[at] === "\\" && text[at + 1] === "u") {
        const low = this.hex(at + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          chunks += String.fromCharCode(code, low);
          at += 6;
          continue;
        }
      }
      if (code >= 0xd800 && code <= 0xdfff) this.loneSurrogates = true;
      chunks += String.fromCharCode(code);
    }
  }

  /** The code of the 4 hex digits after the `u` at `at` (Python wants a character after them). */
  hex(at) {
    const digits = this.text.slice(at + 1, at + 5);
    if (at + 5 >= this.text.length || !HEX4.test(digits)) this.fail("Invalid \\uXXXX escape", at);
    return parseInt(digits, 16);
  }

  nested(start, isObject) {
    if (++this.level > this.depth) throw new JSONDepthError("the JSON is nested too deeply to read");
    const result = isObject ? this.object(start + 1) : this.array(start + 1);
    this.level -= 1;
    return result;
  }

  object(from) {
    const text = this.text;
    const map = this.maps && this.level === 1 ? new Map() : null;
    const object = map === null ? Object.create(null) : null;
    let at = this.skip(from);
    if (text[at] === "}") return [map ?? object, at + 1];
    for (;;) {
      if (text[at] !== '"') this.fail("Expecting property name enclosed in double quotes", at);
      const [key, afterKey] = this.string(at + 1);
      at = this.skip(afterKey);
      if (text[at] !== ":") this.fail("Expecting ':' delimiter", at);
      at = this.skip(at + 1);
      const [value, afterValue] = this.value(at);
      if (map !== null) map.set(key, value);
      else object[key] = value;
      at = this.skip(afterValue);
      if (text[at] === "}") return [map ?? object, at + 1];
      if (text[at] !== ",") this.fail("Expecting ',' delimiter", at);
      at = this.skip(at + 1);
    }
  }

  array(from) {
    const text = this.text;
    const items = [];
    let at = this.skip(from);
    if (text[at] === "]") return [items, at + 1];
    for (;;) {
      const [value, after] = this.value(at);
      items.push(value);
      at = this.skip(after);
      if (text[at] === "]") return [items, at + 1];
      if (text[at] !== ",") this.fail("Expecting ',' delimiter", at);
      at = this.skip(at + 1);
    }
  }
}

const ESCAPES = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/** Python's JSONDecodeError text: `msg: line L column C (char P)`, P in code points. */
function pythonPosition(message, text, at) {
  const before = text.slice(0, at);
  const position = codePoints(before);
  const lineStart = before.lastIndexOf("\n");
  const line = before.split("\n").length;
  const column = position - (lineStart < 0 ? -1 : codePoints(before.slice(0, lineStart)));
  return `${message}: line ${line} column ${column} (char ${position})`;
}

/** How many code points Python counts in text (a surrogate pair is one). */
export function codePoints(text) {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count -= 1;
        i += 1;
      }
    }
  }
  return count;
}

// Writing, as Python writes ------------------------------------------------------------------

/** repr() of a Python float. */
export function floatRepr(value) {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const sign = value < 0 ? "-" : "";
  const [mantissa, exponent] = Math.abs(value).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const point = Number(exponent) + 1;
  if (point <= -4 || point > 16) {
    const shown = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const power = Number(exponent);
    return `${sign}${shown}e${power < 0 ? "-" : "+"}${String(Math.abs(power)).padStart(2, "0")}`;
  }
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** A JSON string as json.dumps(ensure_ascii=False) writes it (a lone surrogate stays raw). */
export function dumpsString(text) {
  const quoted = JSON.stringify(text);
  if (!LONE_ESCAPED.test(quoted)) return quoted;
  return quoted.replace(/\\\\|\\u(d[89a-f][0-9a-f]{2})/g, (match, hex) =>
    hex ? String.fromCharCode(parseInt(hex, 16)) : match,
  );
}
const LONE_ESCAPED = /\\ud[89a-f]/;

/** json.dumps(value, ensure_ascii=False) of a scalar or of any value, as Python writes it. */
export function dumps(value) {
  if (value === null || value === undefined) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "string") return dumpsString(value);
  if (typeof value === "bigint") return String(value);
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : floatJson(value);
  if (value instanceof PyFloat) return floatJson(value.value);
  if (Array.isArray(value)) return `[${value.map(dumps).join(", ")}]`;
  const entries = value instanceof Map ? [...value] : Object.entries(value);
  return `{${entries.map(([key, item]) => `${dumpsString(key)}: ${dumps(item)}`).join(", ")}}`;
}

function floatJson(value) {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  return floatRepr(value);
}

/** Whether text holds a lone surrogate, which no UTF-8 output can carry. */
export function hasLoneSurrogate(text) {
  return LONE.test(text);
}
const LONE = /[\uD800-\uDFFF]/u;

/** text with every non-ASCII character as a JSON escape (\u00e9; a pair beyond U+FFFF): what
 * the Python checker writes when an answer holds a lone surrogate. */
export function asciiEscaped(text) {
  return text.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Lone surrogates as Python's stderr writes them (backslashreplace). */
export function backslashReplaced(text) {
  return text.replace(/[\uD800-\uDFFF]/gu, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

// Reading bytes, and repr() -------------------------------------------------------------------

/** json.loads(bytes) as Python does it: the encoding detected (UTF-8 with or without a byte order
 * mark, UTF-16, UTF-32), then the text read with pyParse (objects as Maps). A JSONDecodeError
 * when the bytes are not text in that encoding. */
export function loadsBytes(bytes, depth = 990) {
  return pyParse(decodeDetected(bytes), { maps: true, depth });
}

function decodeDetected(bytes) {
  const [b0, b1, b2, b3] = bytes;
  let encoding = "utf-8";
  let start = 0;
  if ((b0 === 0 && b1 === 0 && b2 === 0xfe && b3 === 0xff) || (b0 === 0xff && b1 === 0xfe && b2 === 0 && b3 === 0)) {
    [encoding, start] = [b0 === 0 ? "utf-32be" : "utf-32le", 4];
  } else if ((b0 === 0xfe && b1 === 0xff) || (b0 === 0xff && b1 === 0xfe)) {
    [encoding, start] = [b0 === 0xfe ? "utf-16be" : "utf-16le", 2];
  } else if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf) start = 3;
  else if (bytes.length >= 4) {
    if (!b0) encoding = b1 ? "utf-16be" : "utf-32be";
    else if (!b1) encoding = b2 || b3 ? "utf-16le" : "utf-32le";
  } else if (bytes.length === 2) {
    if (!b0) encoding = "utf-16be";
    else if (!b1) encoding = "utf-16le";
  }
  const body = bytes.subarray(start);
  try {
    if (encoding.startsWith("utf-32")) return decodeUtf32(body, encoding === "utf-32be");
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    throw new JSONDecodeError(`not ${encoding} text`);
  }
}

function decodeUtf32(bytes, bigEndian) {
  if (bytes.length % 4 !== 0) throw new Error("truncated");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let text = "";
  for (let i = 0; i < bytes.length; i += 4) {
    const code = view.getUint32(i, !bigEndian);
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new Error("not a code point");
    text += String.fromCodePoint(code);
  }
  return text;
}

/** repr() of a value read by pyParse (a Map is a dict), as Python writes it in a message. */
export function pyRepr(value) {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return stringRepr(value);
  if (typeof value === "bigint") return String(value);
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : floatRepr(value);
  if (value instanceof PyFloat) return floatRepr(value.value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(", ")}]`;
  const entries = value instanceof Map ? [...value] : Object.entries(value);
  return `{${entries.map(([key, item]) => `${pyRepr(key)}: ${pyRepr(item)}`).join(", ")}}`;
}

function stringRepr(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0);
    if (char === quote || char === "\\") out += `\\${char}`;
    else if (char === "\t") out += "\\t";
    else if (char === "\n") out += "\\n";
    else if (char === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex(code, 2)}`;
    else if (code < 0x7f || PRINTABLE.test(char)) out += char;
    else if (code <= 0xff) out += `\\x${hex(code, 2)}`;
    else if (code <= 0xffff) out += `\\u${hex(code, 4)}`;
    else out += `\\U${hex(code, 8)}`;
  }
  return out + quote;
}
/** str.isprintable() of one character beyond ASCII. */
const PRINTABLE = /^[^\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

function hex(code, width) {
  return code.toString(16).padStart(width, "0");
}
