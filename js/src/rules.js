// Rules: the typed reader of a bundle's rule AST (docs/semantics.md, "Conditions"). It checks
// every node as the semantics allow it, computes its type bottom-up, and refuses a malformed
// rule with a RuleError naming the clause and the JSON path, in the words of the Python
// checker's reader (compiler/terms_compiler/check/rules.py). Nodes are frozen plain objects
// with a `kind`: fact, param, const, and, or, not, compare, in, days, arith.

import { parseDate } from "./dates.js";
import { PyFloat, codePoints, dumps } from "./json.js";

export class RuleError extends Error {}

export const MISSING = Symbol("missing");
export const MAX_DEPTH = 64;
export const NAME = /^[a-z][a-z0-9_]*$/;
const TYPE = /^(?:bool|int|date|string|enum:[a-z0-9-]+)$/;
const COMPARISONS = ["==", "!=", "<", "<=", ">", ">="];
const ORDERED_TYPES = ["int", "date"];
const OPERATORS = ["and", "or", "not", ...COMPARISONS, "in", "days", "+", "-", "fact", "param", "const"];

/** A rule of `decisions.<id>.rules` as typed nodes: {clause, outcome, when, start, end, overrides}. */
export function readRule(data, path = "rule") {
  if (!isObject(data)) throw new RuleError(`rule at ${path}: expected an object, found ${found(data)}`);
  const clause = get(data, "clause");
  if (typeof clause !== "string") {
    throw new RuleError(`rule at ${path}.clause: expected the id of its clause, found ${found(clause)}`);
  }
  const reader = new Reader(`clause '${clause}'`, `${path}.`);
  const outcome = get(data, "outcome");
  if (typeof outcome !== "string") {
    throw reader.error("outcome", `expected the outcome (a text), found ${found(outcome)}`);
  }
  let effective = get(data, "effective");
  if (effective === MISSING || !truthy(effective)) effective = {};
  if (!isObject(effective)) {
    throw reader.error("effective", `expected an object with from and until, found ${found(effective)}`);
  }
  let overrides = get(data, "overrides");
  if (overrides === MISSING) overrides = [];
  if (!Array.isArray(overrides) || !overrides.every((item) => typeof item === "string")) {
    throw reader.error("overrides", `expected a list of clause ids, found ${found(overrides)}`);
  }
  const when = reader.condition(get(data, "when"), "when");
  const start = reader.day(getOr(effective, "from", null), "effective.from");
  const end = reader.day(getOr(effective, "until", null), "effective.until");
  return Object.freeze({ clause, outcome, when, start, end, overrides: Object.freeze([...overrides]) });
}

/** Python's truth value of a JSON value (for `data.get("effective") or {}`). */
function truthy(value) {
  if (value === null || value === false || value === 0 || value === "" || value === 0n) return false;
  if (value instanceof PyFloat) return value.value !== 0;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map) return value.size > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

class Reader {
  constructor(rule, base = "") {
    this.rule = rule;
    this.base = base;
    this.depth = 0;
  }

  error(path, problem) {
    return new RuleError(`${this.rule}, at ${this.base}${path}: ${problem}`);
  }

  condition(data, path) {
    const [node, type] = this.node(data, path);
    if (type !== "bool") throw this.error(path, `expected a condition (bool), found an expression of type ${type}`);
    return node;
  }

  node(data, path) {
    if (this.depth >= MAX_DEPTH) throw this.error(path, `the condition is nested more than ${MAX_DEPTH} levels deep`);
    this.depth += 1;
    try {
      return this.typedNode(data, path);
    } finally {
      this.depth -= 1;
    }
  }

  typedNode(data, path) {
    if (!isObject(data)) throw this.error(path, `expected a node (an object with 'op'), found ${found(data)}`);
    const op = get(data, "op");
    switch (op) {
      case "fact": {
        const type = this.type(data, path);
        return [freeze({ kind: "fact", name: this.name(data, path), type }), type];
      }
      case "param": {
        const type = this.type(data, path);
        const name = this.name(data, path);
        return [freeze({ kind: "param", name, type, value: this.value(data, type, path) }), type];
      }
      case "const": {
        const type = this.type(data, path);
        return [freeze({ kind: "const", type, value: this.value(data, type, path) }), type];
      }
      case "and":
      case "or": {
        const args = this.items(data, "args", path, 2).map(([arg, at]) => this.condition(arg, at));
        return [freeze({ kind: op, args: freeze(args) }), "bool"];
      }
      case "not":
        return [freeze({ kind: "not", arg: this.condition(get(data, "arg"), `${path}.arg`) }), "bool"];
      case "==":
      case "!=":
      case "<":
      case "<=":
      case ">":
      case ">=":
        return [this.compare(op, data, path), "bool"];
      case "+":
      case "-":
        return this.arithmetic(op, data, path);
      case "in":
        return [this.membership(data, path), "bool"];
      case "days":
        return [this.days(data, path), "int"];
    }
    const problem = op === MISSING ? "a node without 'op'" : `unknown operator ${found(op)}`;
    throw this.error(path, `${problem}; expected one of: ${OPERATORS.join(", ")}`);
  }

  compare(op, data, path) {
    const [left, leftType] = this.node(get(data, "left"), `${path}.left`);
    const [right, rightType] = this.node(get(data, "right"), `${path}.right`);
    if (leftType !== rightType) {
      throw this.error(path, `'${op}' compares values of one type, found ${leftType} and ${rightType}`);
    }
    if (op !== "==" && op !== "!=" && !ORDERED_TYPES.includes(leftType)) {
      throw this.error(path, `'${op}' compares int or date values, found ${leftType}`);
    }
    return freeze({ kind: "compare", op, left, right, type: leftType });
  }

  arithmetic(op, data, path) {
    const [left, leftType] = this.node(get(data, "left"), `${path}.left`);
    const [right, rightType] = this.node(get(data, "right"), `${path}.right`);
    if (!ORDERED_TYPES.includes(leftType) || rightType !== "int") {
      throw this.error(path, `'${op}' adds an int to an int or a date, found ${rightType} ${op} to ${leftType}`);
    }
    return [freeze({ kind: "arith", op, left, right, type: leftType }), leftType];
  }

  membership(data, path) {
    const [value, type] = this.node(get(data, "value"), `${path}.value`);
    if (type === "bool") throw this.error(`${path}.value`, "'in' looks up a value, found a condition (bool)");
    const options = [];
    for (const [option, at] of this.items(data, "options", path, 1)) {
      const [node, optionType] = this.node(option, at);
      if (optionType !== type) {
        throw this.error(at, `an option of 'in' has its value's type ${type}, found ${optionType}`);
      }
      options.push(node);
    }
    return freeze({ kind: "in", value, options: freeze(options) });
  }

  days(data, path) {
    const args = this.items(data, "args", path, 2);
    if (args.length !== 2) throw this.error(`${path}.args`, `days takes 2 dates (from, to), found ${args.length}`);
    const [start, startType] = this.node(...args[0]);
    const [end, endType] = this.node(...args[1]);
    if (startType !== "date" || endType !== "date") {
      throw this.error(`${path}.args`, `days takes 2 dates, found ${startType} and ${endType}`);
    }
    return freeze({ kind: "days", start, end });
  }

  items(data, key, path, least) {
    const items = get(data, key);
    if (!Array.isArray(items) || items.length < least) {
      throw this.error(`${path}.${key}`, `expected a list of ${least} or more nodes, found ${found(items)}`);
    }
    return items.map((item, index) => [item, `${path}.${key}[${index}]`]);
  }

  name(data, path) {
    const name = get(data, "name");
    if (typeof name !== "string" || !NAME.test(name)) {
      throw this.error(`${path}.name`, `expected a name (a-z, 0-9, _), found ${found(name)}`);
    }
    return name;
  }

  type(data, path) {
    const type = get(data, "type");
    if (typeof type !== "string" || !TYPE.test(type)) {
      throw this.error(`${path}.type`, `expected bool, int, date, string or enum:<name>, found ${found(type)}`);
    }
    return type;
  }

  value(data, type, path) {
    const value = get(data, "value");
    let fits;
    if (type === "bool") fits = typeof value === "boolean";
    else if (type === "int") fits = isInt(value);
    else if (type === "date") fits = parseDate(value) !== null;
    else fits = typeof value === "string";
    if (!fits) throw this.error(`${path}.value`, `expected a value of type ${type}, found ${found(value)}`);
    return value;
  }

  day(value, path) {
    if (value === null) return null;
    const day = parseDate(value);
    if (day === null) throw this.error(path, `expected a date (YYYY-MM-DD) or null, found ${found(value)}`);
    return day;
  }
}

function freeze(object) {
  return Object.freeze(object);
}

/** Whether value is a JSON integer as Python reads it (not a bool, not a float). */
export function isInt(value) {
  return (typeof value === "number" && Number.isInteger(value)) || typeof value === "bigint";
}

/** Whether value is a JSON object (as the bundle reader makes them, or a Map). */
export function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof PyFloat);
}

/** data[key], or MISSING when data has no such key (never an inherited property). */
export function get(data, key) {
  if (data instanceof Map) return data.has(key) ? data.get(key) : MISSING;
  return Object.hasOwn(data, key) ? data[key] : MISSING;
}

function getOr(data, key, otherwise) {
  const value = get(data, key);
  return value === MISSING ? otherwise : value;
}

/** A value from the bundle as an error message shows it: JSON-like and short. */
export function found(value) {
  if (value === MISSING) return "nothing";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (isObject(value)) return "an object";
  const text = dumps(value);
  if (codePoints(text) <= 60) return text;
  return `${Array.from(text).slice(0, 57).join("")}...`;
}

/** The type of a node's value. */
export function typeOf(node) {
  switch (node.kind) {
    case "fact":
    case "param":
    case "const":
      return node.type;
    case "days":
      return "int";
    case "arith":
      return typeOf(node.left);
  }
  return "bool";
}

/** node and every node below it, depth first, in order. */
export function* walk(node) {
  yield node;
  for (const child of children(node)) yield* walk(child);
}

function children(node) {
  switch (node.kind) {
    case "and":
    case "or":
      return node.args;
    case "not":
      return [node.arg];
    case "compare":
    case "arith":
      return [node.left, node.right];
    case "in":
      return [node.value, ...node.options];
    case "days":
      return [node.start, node.end];
  }
  return [];
}
