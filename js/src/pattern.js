// Patterns of string facts: the portable subset of regular expressions (docs/semantics.md,
// "Facts"), checked as compiler/terms_compiler/check/pattern.py checks it, with its messages, and
// matched as Python's re.fullmatch matches it.

const MAX_LENGTH = 200;
const MAX_COUNT = 1000;
const ESCAPES = new Set("\\.-()[]{}*+?|^$/");
const CLASS_ESCAPES = new Set("\\][-^");
const QUANTIFIERS = new Set("?*+{");
const DOUBLED_IN_CLASS = ["--", "&&", "~~", "||"];
const COUNTS = /\{([0-9]+)(,([0-9]*))?\}/y;
const sorted = (set) => [...set].sort().join("");

class PatternError extends Error {
  constructor(what, at = null) {
    super(at === null ? what : `${what} (at character ${at + 1})`);
    this.what = what;
    this.at = at;
  }
}

/** What puts pattern outside the portable subset, with its position, or null. */
export function patternProblem(pattern) {
  try {
    new Reader(pattern).read();
  } catch (error) {
    if (error instanceof PatternError) return error.message;
    throw error;
  }
  return null;
}

/** A RegExp that tests a whole text as Python's re.fullmatch(pattern, text) does, for a pattern
 * of the subset. The agreed form is `new RegExp("^(?:" + pattern + ")$", "u")`; two readings
 * differ from Python's there and are rewritten: `.` (JavaScript's also refuses \r, U+2028 and
 * U+2029; Python's only \n) becomes `[^\n]`, and `\-` outside a class (an error in `u` mode)
 * becomes `-`. */
export function patternRegExp(pattern) {
  let source = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "\\") {
      const escaped = pattern[++i];
      source += !inClass && escaped === "-" ? "-" : `\\${escaped}`;
    } else if (inClass) {
      if (char === "]") inClass = false;
      source += char;
    } else if (char === "[") {
      inClass = true;
      source += char;
      if (pattern[i + 1] === "^") source += pattern[++i];
    } else source += char === "." ? "[^\\n]" : char;
  }
  return new RegExp(`^(?:${source})$`, "u");
}

class Reader {
  constructor(pattern) {
    this.text = pattern;
    this.at = 0;
  }

  fail(what) {
    throw new PatternError(what, this.at);
  }

  peek() {
    return this.at < this.text.length ? this.text[this.at] : "";
  }

  read() {
    if (typeof this.text !== "string") throw new PatternError("a pattern is a text");
    const length = [...this.text].length; // in code points, as Python counts
    if (length > MAX_LENGTH) throw new PatternError(`a pattern has at most ${MAX_LENGTH} characters, found ${length}`);
    for (this.at = 0; this.at < this.text.length; this.at++) {
      const code = this.text.codePointAt(this.at);
      if (code < 0x20 || code > 0x7e) this.fail(`only printable ASCII characters, found U+${code.toString(16).toUpperCase().padStart(4, "0")}`);
    }
    this.at = 0;
    this.alternatives();
    if (this.at < this.text.length) this.fail("a ')' without its '('");
  }

  alternatives() {
    let quantified = this.sequence();
    while (this.peek() === "|") {
      this.at += 1;
      quantified = this.sequence() || quantified;
    }
    return quantified;
  }

  sequence() {
    let quantified = false;
    while (!["", "|", ")"].includes(this.peek())) {
      let holds = this.atom();
      if (QUANTIFIERS.has(this.peek())) {
        if (holds) this.fail("a quantifier on a group that holds one (no nested repetition)");
        this.quantifier();
        holds = true;
        if (QUANTIFIERS.has(this.peek())) this.fail("a quantifier after a quantifier");
      }
      quantified = quantified || holds;
    }
    return quantified;
  }

  atom() {
    const char = this.peek();
    if (char === "(") {
      this.at += 1;
      if (this.text.startsWith("?:", this.at)) this.at += 2;
      else if (this.peek() === "?") this.fail("only groups (...) and (?:...)");
      const holds = this.alternatives();
      if (this.peek() !== ")") this.fail("a '(' without its ')'");
      this.at += 1;
      return holds;
    }
    if (char === "[") this.characterClass();
    else if (char === "\\") {
      const escaped = this.text.slice(this.at + 1, this.at + 2);
      if (!ESCAPES.has(escaped)) this.fail(`the escape \\${escaped} (only \\ and one of ${sorted(ESCAPES)})`);
      this.at += 2;
    } else if (QUANTIFIERS.has(char)) this.fail(`'${char}' with nothing to repeat (a literal '${char}' is written \\${char})`);
    else if (char === "]" || char === "}") this.fail(`a literal '${char}' is written \\${char}`);
    else if (char === "^" || char === "$") this.fail(`'${char}' (the whole value must match: a pattern has no anchors)`);
    else this.at += 1;
    return false;
  }

  quantifier() {
    if (this.peek() !== "{") {
      this.at += 1;
      return;
    }
    COUNTS.lastIndex = this.at;
    const counts = COUNTS.exec(this.text);
    if (counts === null) this.fail("'{' starts {n}, {n,} or {n,m} (a literal '{' is written \\{)");
    const low = BigInt(counts[1]);
    const high = counts[3] ? BigInt(counts[3]) : null;
    if (low > MAX_COUNT || (high !== null && high > MAX_COUNT)) this.fail(`a count above ${MAX_COUNT}`);
    if (high !== null && low > high) this.fail(`{${low},${high}}: the first count is above the second`);
    this.at = COUNTS.lastIndex;
  }

  characterClass() {
    const start = this.at;
    this.at += 1;
    if (this.peek() === "^") this.at += 1;
    let members = 0;
    while (this.peek() !== "]") {
      if (!this.peek()) {
        this.at = start;
        this.fail("a '[' without its ']'");
      }
      for (const pair of DOUBLED_IN_CLASS) {
        if (this.text.startsWith(pair, this.at)) this.fail(`'${pair}' in a class (read as a set operation by some engines)`);
      }
      const low = this.classCharacter();
      const next = this.text.slice(this.at + 1, this.at + 2);
      if (this.peek() === "-" && next !== "]" && next !== "") {
        this.at += 1;
        const high = this.classCharacter();
        if (high < low) this.fail(`the range ${low}-${high} runs backwards`);
      }
      members += 1;
    }
    if (!members) this.fail("an empty class (a literal ']' is written \\])");
    this.at += 1;
  }

  classCharacter() {
    let char = this.peek();
    if (char === "\\") {
      char = this.text.slice(this.at + 1, this.at + 2);
      if (!CLASS_ESCAPES.has(char)) this.fail(`the escape \\${char} in a class (only \\ and one of ${sorted(CLASS_ESCAPES)})`);
      this.at += 1;
    } else if (char === "[") this.fail("a literal '[' in a class is written \\[");
    this.at += 1;
    return char;
  }
}
