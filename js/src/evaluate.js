// Evaluate: one decision of a bundle, compiled once into JavaScript closures that check a fact
// set and answer it (docs/semantics.md, "Facts", "The as-of date", "Deciding").
//
// Each node of a rule's AST becomes a closure over the closures of its children, built when the
// decision is first asked for; answering a fact set then calls them, with no walk of the tree
// and no code made from bundle text (no eval, no Function). A fact set is read on a quick path
// (every declared fact present or defaulted, each plainly valid, nothing else): at the first
// sign of trouble the careful path reads it again and words every problem, as the Python
// checker does (compiler/terms_compiler/check/evaluate.py), in its words.
//
// Whole numbers: Python's are exact at any size. Here a decision evaluates with Numbers while
// every int it meets is within ±2^40 (so no sum of its rules can leave the range where Numbers
// are exact), and otherwise, for that fact set, with BigInts: the same closures, built a second
// time over BigInt constants.

import { parseDate, fromOrdinal, today } from "./dates.js";
import { PyFloat, floatRepr } from "./json.js";
import { RuleError, isInt, readRule, walk } from "./rules.js";
import { closeMatch } from "./difflib.js";
import { patternRegExp } from "./pattern.js";

export const CONFLICT = "conflict";
const CACHE_LIMIT = 100000;
const NUMBER_BOUND = 2 ** 40;
const MOST_LEAVES = 2 ** 12;

/** The facts do not fit the decision's declaration; one message per problem. */
export class FactError extends Error {
  constructor(problems) {
    super(problems.join("; "));
    this.problems = problems;
  }
}

const INVALID = Symbol("invalid");
const DATE = 0;
const ENUM = 1;
const BOOL = 2;
const INT = 3;
const TEXT = 4;
const TYPE_CODES = { date: DATE, enum: ENUM, bool: BOOL, int: INT, string: TEXT };

/** The same text as an interned string (V8 keeps one copy of a property name): texts read from
 * a bundle are compared with texts from fact sets by identity first. */
export function interned(text) {
  return Object.keys({ [text]: 0 })[0];
}

/** An answer: what `terms check --format json` writes, plus the prepared facts it rests on. */
export class Answer {
  constructor(decision, outcome, asOf, deciding, overridden, values, day, exact) {
    this.decision = decision;
    this.outcome = outcome;
    this.as_of = asOf;
    this.deciding = deciding;
    this.overridden = overridden;
    /** The prepared facts in declaration order (defaults filled in, dates as day numbers). */
    this.values = values;
    /** The as-of day number. */
    this.day = day;
    /** Whether the answer was evaluated with BigInts. */
    this.exact = exact;
  }

  toJSON() {
    return {
      decision: this.decision,
      outcome: this.outcome,
      as_of: this.as_of,
      deciding: this.deciding,
      overridden: this.overridden,
    };
  }
}

/** One decision of a bundle, ready to answer fact sets. Throws RuleError when a rule is malformed. */
export class CompiledDecision {
  constructor(id, spec) {
    this.strings = new Map();
    this.id = id;
    this.spec = spec;
    this.default = spec.default;
    this.asOfFact = spec.as_of ?? null;
    this.rules = spec.rules.map((rule, index) => readRule(rule, `decisions.${id}.rules[${index}]`));
    this.facts = Object.entries(spec.facts).map(([name, fact], slot) => ({
      name: interned(name),
      slot,
      type: fact.type,
      code: TYPE_CODES[fact.type],
      values: fact.values,
      pattern: typeof fact.pattern === "string" ? fact.pattern : null,
      /** The pattern's full match (the bundle's shape check read it); null: any text. */
      matches: typeof fact.pattern === "string" ? patternRegExp(fact.pattern) : null,
      enumValues: new Map(fact.type === "enum" ? fact.values.map((value) => [value, this.canonical(value)]) : []),
      required: !Object.hasOwn(fact, "default"),
      fallback: Object.hasOwn(fact, "default") ? prepared(fact.type, fact.default) : undefined,
      inherited: name in Object.prototype,
    }));
    this.factsByName = new Map(this.facts.map((fact) => [fact.name, fact]));
    this.quickSpecs = new Map(this.facts.filter((fact) => !fact.inherited).map((fact) => [fact.name, fact]));
    this.fallbacks = this.facts.map((fact) => fact.fallback);
    this.first = this.facts.length; // following[first]: the first key's fact
    this.following = new Array(this.facts.length + 1).fill(undefined);
    for (const rule of this.rules) checkFactsOf(rule, this.factsByName);
    this.required = this.facts.filter((fact) => fact.required);
    this.asOfSlot = this.asOfFact === null ? -1 : this.factsByName.get(this.asOfFact).slot;
    this.alwaysExact = this.needsBigInts();
    this.outcomes = new Map();
    this.numbers = this.alwaysExact ? null : new Closures(this, false);
    this.bigints = null;
  }

  /** One string object for each text of the decision (enum values, constants): equal texts
   * then compare by identity. */
  canonical(text) {
    let found = this.strings.get(text);
    if (found === undefined) this.strings.set(text, (found = interned(text)));
    return found;
  }

  /** Whether Numbers could go wrong for this decision whatever the facts: an int constant or
   * default beyond the bound, or a sum of more terms than the bound allows for. */
  needsBigInts() {
    const big = (value) => typeof value === "bigint" || Math.abs(value) > NUMBER_BOUND;
    for (const fact of this.facts) if (fact.type === "int" && fact.fallback !== undefined && big(fact.fallback)) return true;
    for (const rule of this.rules) {
      for (const node of walk(rule.when)) {
        if ((node.kind === "param" || node.kind === "const") && node.type === "int" && big(node.value)) return true;
        if ((node.kind === "arith" || node.kind === "days") && leaves(node) > MOST_LEAVES) return true;
      }
    }
    return false;
  }

  closures(exact) {
    if (!exact) return this.numbers;
    return (this.bigints ??= new Closures(this, true));
  }

  /** The answer for facts (JSON values: an object or a Map); FactError names every problem. */
  decide(facts, asOf = null) {
    return this.quickly(facts, asOf) ?? this.carefully(facts, asOf);
  }

  /** The answer when every fact is plainly valid and within the Numbers' bound; else null.
   * The object's own keys are walked once (for-in: V8 reads each value from its enumeration
   * cache), each to its declared fact; an enum value becomes the bundle's own string, so that
   * the rules compare it by identity. */
  quickly(facts, asOf) {
    if (this.numbers === null || facts === null || typeof facts !== "object") return null;
    const proto = Object.getPrototypeOf(facts);
    if (proto !== Object.prototype && proto !== null) return null;
    const byName = this.quickSpecs;
    const following = this.following;
    const values = this.fallbacks.slice();
    let required = 0;
    let previous = this.first;
    for (const name in facts) {
      // The fact after the previous one last time: key orders repeat from call to call, and
      // names from for-in are interned, so === is one comparison; else the Map.
      let spec = following[previous];
      if (spec === undefined || spec.name !== name) {
        spec = byName.get(name);
        if (spec === undefined) return null; // unknown (or inherited): the careful path words it
        following[previous] = spec;
      }
      previous = spec.slot;
      let value = facts[name];
      switch (spec.code) {
        case DATE:
          if (typeof value !== "string") return null;
          value = parseDate(value);
          if (value === null) return null;
          break;
        case ENUM:
          value = spec.enumValues.get(value);
          if (value === undefined) return null;
          break;
        case BOOL:
          if (typeof value !== "boolean") return null;
          break;
        case INT:
          if (typeof value !== "number" || !Number.isInteger(value) || value > NUMBER_BOUND || value < -NUMBER_BOUND) {
            return null;
          }
          break;
        default:
          if (typeof value !== "string" || (spec.matches !== null && !spec.matches.test(value))) return null;
      }
      values[spec.slot] = value;
      if (spec.required) required += 1;
    }
    if (required !== this.required.length) return null;
    let day;
    let asOfText = asOf;
    if (asOf === null || asOf === undefined) {
      if (this.asOfSlot < 0) {
        day = today();
        asOfText = fromOrdinal(day);
      } else {
        day = values[this.asOfSlot];
        asOfText = facts[this.asOfFact];
        if (typeof asOfText !== "string") asOfText = fromOrdinal(day); // the default
      }
    } else {
      if (typeof asOf !== "string") return null;
      day = parseDate(asOf);
      if (day === null) return null;
    }
    return this.answer(this.numbers, values, day, asOfText);
  }

  carefully(facts, asOf) {
    const values = this.prepare(facts);
    const day = this.asOfDay(values, asOf);
    const exact = this.alwaysExact || values.some((value, i) => this.facts[i].type === "int" && outOfBound(value));
    if (!exact) return this.answer(this.numbers, values, day, fromOrdinal(day));
    const bigValues = values.map((value, i) => (this.facts[i].type === "int" || this.facts[i].type === "date" ? BigInt(value) : value));
    return this.answer(this.closures(true), bigValues, BigInt(day), fromOrdinal(day));
  }

  answer(closures, values, day, asOfText) {
    const applies = closures.applies;
    let key;
    if (applies.length <= 30) {
      key = 0;
      for (let i = 0; i < applies.length; i++) if (applies[i](values, day)) key |= 1 << i;
    } else {
      key = "";
      for (let i = 0; i < applies.length; i++) key += applies[i](values, day) ? "1" : "0";
    }
    const found = this.outcomes.get(key) ?? this.outcomeOf(key);
    return new Answer(this.id, found[0], asOfText, found[1], found[2], values, day, closures.exact);
  }

  /** The outcome, deciding and overridden clauses when the rules that hold are `key`. */
  outcomeOf(key) {
    const hit = (i) => (typeof key === "number" ? (key & (1 << i)) !== 0 : key[i] === "1");
    const applicable = this.rules.filter((rule, i) => hit(i));
    const beaten = new Set(applicable.flatMap((rule) => rule.overrides));
    const deciding = applicable.filter((rule) => !beaten.has(rule.clause));
    const outcomes = new Set(deciding.map((rule) => rule.outcome));
    let outcome;
    if (deciding.length === 0) outcome = this.default;
    else if (outcomes.size === 1) outcome = deciding[0].outcome;
    else outcome = CONFLICT;
    if (this.outcomes.size >= CACHE_LIMIT) this.outcomes.clear();
    const found = Object.freeze([
      outcome,
      Object.freeze(deciding.map((rule) => rule.clause)),
      Object.freeze(applicable.filter((rule) => beaten.has(rule.clause)).map((rule) => rule.clause)),
    ]);
    this.outcomes.set(key, found);
    return found;
  }

  /** Validate facts against the declaration; fill defaults; dates become day numbers. */
  prepare(facts) {
    if (facts === null || typeof facts !== "object" || Array.isArray(facts) || facts instanceof PyFloat) {
      throw new FactError(["the facts must be a JSON object"]);
    }
    const entries = (facts instanceof Map ? [...facts] : Object.entries(facts)).filter(([, v]) => v !== undefined);
    const problems = [];
    const values = this.facts.map((fact) => fact.fallback);
    const given = new Set();
    for (const [name, value] of entries) {
      given.add(name);
      const spec = this.factsByName.get(name);
      if (spec === undefined) {
        const close = closeMatch(String(name), [...this.factsByName.keys()]);
        problems.push(`unknown fact '${name}'${close === null ? "" : ` (did you mean '${close}'?)`}`);
        continue;
      }
      const converted = convert(spec, value);
      if (converted === INVALID) problems.push(`fact '${name}' must be ${typeWords(spec)}, found ${show(value)}`);
      else values[spec.slot] = converted;
    }
    for (const spec of this.required) {
      if (!given.has(spec.name)) problems.push(`missing fact '${spec.name}' (${typeWords(spec)})`);
    }
    if (problems.length > 0) throw new FactError(problems);
    return values;
  }

  asOfDay(values, asOf) {
    if (asOf !== null && asOf !== undefined) {
      const day = parseDate(asOf);
      if (day === null) throw new FactError([`the as-of date must be a date (YYYY-MM-DD), found ${show(asOf)}`]);
      return day;
    }
    if (this.asOfSlot >= 0) return values[this.asOfSlot];
    return today();
  }
}

function outOfBound(value) {
  return typeof value === "bigint" || value > NUMBER_BOUND || value < -NUMBER_BOUND;
}

/** The terms of the largest sum below node (a days() counts its two dates). */
function leaves(node) {
  if (node.kind === "arith") return leaves(node.left) + leaves(node.right);
  if (node.kind === "days") return leaves(node.start) + leaves(node.end);
  return 1;
}

function convert(spec, value) {
  switch (spec.type) {
    case "date": {
      const day = parseDate(value);
      return day === null ? INVALID : day;
    }
    case "enum":
      return typeof value === "string" && spec.enumValues.has(value) ? spec.enumValues.get(value) : INVALID;
    case "bool":
      return typeof value === "boolean" ? value : INVALID;
    case "int":
      return isInt(value) ? value : INVALID;
    default:
      return typeof value === "string" && (spec.matches === null || spec.matches.test(value)) ? value : INVALID;
  }
}

/** A fact's default as prepared facts hold it: a date as its day number. */
function prepared(type, value) {
  return type === "date" ? parseDate(value) : value;
}

function checkFactsOf(rule, facts) {
  for (const node of walk(rule.when)) {
    if (node.kind !== "fact") continue;
    const declared = facts.get(node.name);
    if (declared === undefined) {
      throw new RuleError(`clause '${rule.clause}': the rule names the undeclared fact '${node.name}'`);
    }
    if (node.type.split(":")[0] !== declared.type) {
      throw new RuleError(
        `clause '${rule.clause}': the rule reads fact '${node.name}' as ${node.type}, ` +
          `but the decision declares it ${declared.type}`,
      );
    }
  }
}

export function typeWords(spec) {
  if (spec.type === "enum") return `one of ${spec.values.join(", ")}`;
  if (spec.type === "string" && spec.pattern !== null) return `a text matching ${spec.pattern}`;
  return { date: "a date (YYYY-MM-DD)", int: "a whole number", bool: "true or false", string: "a text" }[spec.type];
}

/** A fact's value in a problem, as the Python checker shows it. */
export function show(value) {
  if (value === true) return "true";
  if (value === false) return "false";
  if (value === null) return "null";
  if (typeof value === "string") return `"${value}"`;
  if (Array.isArray(value)) return "a list";
  if (value instanceof PyFloat) return floatRepr(value.value);
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : floatRepr(value);
  if (typeof value === "bigint") return String(value);
  if (typeof value === "object") return "an object";
  return String(value);
}

// Closures --------------------------------------------------------------------------------------

/** A decision's rules and nodes as closures over prepared facts, with Numbers or BigInts. */
export class Closures {
  constructor(decision, exact) {
    this.decision = decision;
    this.exact = exact;
    this.cache = new Map();
    this.applies = decision.rules.map((rule) => this.rule(rule));
    this.explainers = new Map();
  }

  /** A day number or an int as this set of closures computes with it. */
  number(value) {
    return this.exact ? BigInt(value) : Number(value);
  }

  rule(rule) {
    const condition = this.node(rule.when);
    const start = rule.start === null ? null : this.number(rule.start);
    const end = rule.end === null ? null : this.number(rule.end);
    if (start === null && end === null) return condition;
    if (end === null) return (v, day) => start <= day && condition(v);
    if (start === null) return (v, day) => day <= end && condition(v);
    return (v, day) => start <= day && day <= end && condition(v);
  }

  /** The closure of a node: (prepared facts) -> its value. */
  node(node) {
    let closure = this.cache.get(node);
    if (closure === undefined) {
      closure = this.build(node);
      this.cache.set(node, closure);
    }
    return closure;
  }

  constant(node) {
    if (node.type === "date") return this.number(parseDate(node.value));
    if (node.type === "int") return this.number(node.value);
    return typeof node.value === "string" ? this.decision.canonical(node.value) : node.value;
  }

  build(node) {
    switch (node.kind) {
      case "fact": {
        const slot = this.decision.factsByName.get(node.name).slot;
        return (v) => v[slot];
      }
      case "param":
      case "const": {
        const value = this.constant(node);
        return () => value;
      }
      case "and": {
        const args = node.args.map((arg) => this.node(arg));
        const [a, b, c, d] = args;
        if (args.length === 2) return (v) => a(v) && b(v);
        if (args.length === 3) return (v) => a(v) && b(v) && c(v);
        if (args.length === 4) return (v) => a(v) && b(v) && c(v) && d(v);
        return (v) => {
          for (let i = 0; i < args.length; i++) if (!args[i](v)) return false;
          return true;
        };
      }
      case "or": {
        const args = node.args.map((arg) => this.node(arg));
        if (args.length === 2) {
          const [a, b] = args;
          return (v) => a(v) || b(v);
        }
        return (v) => {
          for (let i = 0; i < args.length; i++) if (args[i](v)) return true;
          return false;
        };
      }
      case "not": {
        const arg = this.node(node.arg);
        return (v) => !arg(v);
      }
      case "compare":
        return this.compare(node);
      case "in":
        return this.membership(node);
      case "days": {
        const start = this.node(node.start);
        const end = this.node(node.end);
        return (v) => end(v) - start(v);
      }
      case "arith": {
        const left = this.node(node.left);
        const right = this.node(node.right);
        return node.op === "+" ? (v) => left(v) + right(v) : (v) => left(v) - right(v);
      }
    }
    throw new RuleError(`not a rule node: ${node.kind}`);
  }

  compare(node) {
    const { op, left, right } = node;
    const slot = (fact) => this.decision.factsByName.get(fact.name).slot;
    if (left.kind === "days" && left.start.kind === "fact" && left.end.kind === "fact" && isConstant(right)) {
      return COMPARE_DAYS_TO_CONSTANT[op](slot(left.start), slot(left.end), this.constant(right));
    }
    if (left.kind === "fact" && right.kind === "fact") return COMPARE_SLOTS[op](slot(left), slot(right));
    if (isConstant(node.right)) {
      const limit = this.constant(node.right);
      if (node.left.kind === "fact") {
        const slot = this.decision.factsByName.get(node.left.name).slot;
        return COMPARE_SLOT_TO_CONSTANT[op](slot, limit);
      }
      return COMPARE_TO_CONSTANT[op](this.node(node.left), limit);
    }
    return COMPARE[op](this.node(node.left), this.node(node.right));
  }

  membership(node) {
    const value = this.node(node.value);
    if (node.options.every(isConstant)) {
      const options = new Set(node.options.map((option) => this.constant(option)));
      if (node.value.kind === "fact") {
        const slot = this.decision.factsByName.get(node.value.name).slot;
        const [a, b, c, d] = options;
        if (options.size === 1) return (v) => v[slot] === a;
        if (options.size === 2) return (v) => v[slot] === a || v[slot] === b;
        if (options.size === 3) return (v) => v[slot] === a || v[slot] === b || v[slot] === c;
        if (options.size === 4) return (v) => v[slot] === a || v[slot] === b || v[slot] === c || v[slot] === d;
        return (v) => options.has(v[slot]);
      }
      return (v) => options.has(value(v));
    }
    const options = node.options.map((option) => this.node(option));
    return (v) => {
      const found = value(v);
      for (let i = 0; i < options.length; i++) if (options[i](v) === found) return true;
      return false;
    };
  }
}

function isConstant(node) {
  return node.kind === "const" || node.kind === "param";
}

const COMPARE = {
  "==": (a, b) => (v) => a(v) === b(v),
  "!=": (a, b) => (v) => a(v) !== b(v),
  "<": (a, b) => (v) => a(v) < b(v),
  "<=": (a, b) => (v) => a(v) <= b(v),
  ">": (a, b) => (v) => a(v) > b(v),
  ">=": (a, b) => (v) => a(v) >= b(v),
};
const COMPARE_TO_CONSTANT = {
  "==": (a, c) => (v) => a(v) === c,
  "!=": (a, c) => (v) => a(v) !== c,
  "<": (a, c) => (v) => a(v) < c,
  "<=": (a, c) => (v) => a(v) <= c,
  ">": (a, c) => (v) => a(v) > c,
  ">=": (a, c) => (v) => a(v) >= c,
};
const COMPARE_SLOTS = {
  "==": (i, j) => (v) => v[i] === v[j],
  "!=": (i, j) => (v) => v[i] !== v[j],
  "<": (i, j) => (v) => v[i] < v[j],
  "<=": (i, j) => (v) => v[i] <= v[j],
  ">": (i, j) => (v) => v[i] > v[j],
  ">=": (i, j) => (v) => v[i] >= v[j],
};
const COMPARE_DAYS_TO_CONSTANT = {
  "==": (s, e, c) => (v) => v[e] - v[s] === c,
  "!=": (s, e, c) => (v) => v[e] - v[s] !== c,
  "<": (s, e, c) => (v) => v[e] - v[s] < c,
  "<=": (s, e, c) => (v) => v[e] - v[s] <= c,
  ">": (s, e, c) => (v) => v[e] - v[s] > c,
  ">=": (s, e, c) => (v) => v[e] - v[s] >= c,
};
const COMPARE_SLOT_TO_CONSTANT = {
  "==": (i, c) => (v) => v[i] === c,
  "!=": (i, c) => (v) => v[i] !== c,
  "<": (i, c) => (v) => v[i] < c,
  "<=": (i, c) => (v) => v[i] <= c,
  ">": (i, c) => (v) => v[i] > c,
  ">=": (i, c) => (v) => v[i] >= c,
};
