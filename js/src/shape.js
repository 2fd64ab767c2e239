// Shape: the structure of a bundle the checker relies on, checked before anything is compiled
// (docs/semantics.md, "Reading a bundle", step 3). Every problem is found, each with its JSON
// path, in the words of the Python checker (compiler/terms_compiler/check/shape.py).

import { parseDate } from "./dates.js";
import { patternProblem, patternRegExp } from "./pattern.js";
import { MISSING, NAME, found, get, isObject } from "./rules.js";

const FACT_TYPES = ["enum", "date", "int", "bool", "string"];
const CLAUSE_TEXTS = ["title", "markdown", "html", "plain", "hash", "url"];
const HASH = /^[0-9a-f]{64}$/;

/** Every problem of the bundle's structure, as `<JSON path>: <what is wrong>`; [] when usable. */
export function bundleProblems(data) {
  if (!isObject(data)) return [`the bundle: expected a JSON object, found ${found(data)}`];
  const problems = [];
  let languages = get(data, "languages");
  if (!texts(languages) || languages.length === 0) {
    problems.push(`languages: expected a list of one or more language codes, found ${found(languages)}`);
    languages = [];
  }
  const decisions = get(data, "decisions");
  const clauses = get(data, "clauses");
  if (!isObject(decisions)) {
    problems.push(`decisions: expected an object (decision id -> decision), found ${found(decisions)}`);
  }
  if (!isObject(clauses)) problems.push(`clauses: expected an object (clause id -> clause), found ${found(clauses)}`);
  if (isObject(decisions)) {
    for (const [id, decision] of Object.entries(decisions)) decisionProblems(`decisions.${id}`, decision, clauses, problems);
  }
  if (isObject(clauses)) {
    for (const [id, clause] of Object.entries(clauses)) {
      clauseProblems(`clauses.${id}`, clause, languages, decisions, problems);
    }
  }
  return problems;
}

function decisionProblems(path, decision, clauses, problems) {
  if (!isObject(decision)) {
    problems.push(`${path}: expected an object (a decision), found ${found(decision)}`);
    return;
  }
  let outcomes = get(decision, "outcomes");
  if (!isObject(outcomes)) {
    problems.push(`${path}.outcomes: expected an object (outcome -> labels), found ${found(outcomes)}`);
    outcomes = null;
  } else if (Object.keys(outcomes).length === 0) {
    problems.push(`${path}.outcomes: a decision has one or more outcomes, found none`);
  }
  const fallback = get(decision, "default");
  if (typeof fallback !== "string") {
    problems.push(`${path}.default: expected an outcome, found ${found(fallback)}`);
  } else if (outcomes !== null && !Object.hasOwn(outcomes, fallback)) {
    problems.push(
      `${path}.default: '${fallback}' is not one of the decision's outcomes (${Object.keys(outcomes).join(", ")})`,
    );
  }
  let facts = get(decision, "facts");
  if (!isObject(facts)) {
    problems.push(`${path}.facts: expected an object (fact name -> declaration), found ${found(facts)}`);
    facts = {};
  }
  const asOf = get(decision, "as_of");
  if (asOf !== null && !(typeof asOf === "string" && typeOfFact(Object.hasOwn(facts, asOf) ? facts[asOf] : null) === "date")) {
    problems.push(`${path}.as_of: ${found(asOf)} is not a date fact of the decision`);
  }
  for (const [name, fact] of Object.entries(facts)) factProblems(`${path}.facts.${name}`, name, fact, problems);
  let rules = get(decision, "rules");
  if (!Array.isArray(rules)) {
    problems.push(`${path}.rules: expected a list of rules, found ${found(rules)}`);
    rules = [];
  }
  rules.forEach((rule, index) => ruleProblems(`${path}.rules[${index}]`, rule, outcomes ?? {}, clauses, problems));
}

function typeOfFact(fact) {
  if (!isObject(fact)) return null;
  const type = get(fact, "type");
  return type === MISSING ? null : type;
}

function factProblems(path, name, fact, problems) {
  if (!NAME.test(name)) problems.push(`${path}: a fact's name is a-z, 0-9 and _, starting with a letter`);
  const type = typeOfFact(fact);
  if (!FACT_TYPES.includes(type)) {
    problems.push(`${path}.type: expected one of ${FACT_TYPES.join(", ")}, found ${found(type)}`);
    return;
  }
  let values = get(fact, "values");
  if ((type === "enum" || values !== MISSING) && (!texts(values) || values.length === 0)) {
    problems.push(`${path}.values: expected the enum's values (a list of texts), found ${found(values)}`);
    values = [];
  }
  let pattern = get(fact, "pattern");
  if (pattern !== MISSING) {
    const problem = type !== "string" ? "a pattern is for a string fact" : patternProblem(pattern);
    if (problem) {
      problems.push(`${path}.pattern: ${problem}, found ${found(pattern)}`);
      pattern = MISSING;
    }
  }
  const fallback = get(fact, "default");
  if (fallback !== MISSING && !fits(fallback, type, values, pattern)) {
    problems.push(`${path}.default: expected a value of type ${type}, found ${found(fallback)}`);
  }
}

/** Whether value is a valid value of a fact of type (an enum's among values, a string matching
 * its pattern). */
export function fits(value, type, values, pattern = MISSING) {
  if (pattern !== MISSING) return typeof value === "string" && patternRegExp(pattern).test(value);
  if (type === "date") return parseDate(value) !== null;
  if (type === "enum") return typeof value === "string" && Array.isArray(values) && values.includes(value);
  if (type === "int") return (typeof value === "number" && Number.isInteger(value)) || typeof value === "bigint";
  if (type === "bool") return typeof value === "boolean";
  return typeof value === "string";
}

function ruleProblems(path, rule, outcomes, clauses, problems) {
  if (!isObject(rule)) return; // the typed reader words it, with the rest of the rule's problems
  const clause = get(rule, "clause");
  if (typeof clause === "string" && isObject(clauses) && !Object.hasOwn(clauses, clause)) {
    problems.push(`${path}.clause: '${clause}' is not a clause of the bundle`);
  }
  const outcome = get(rule, "outcome");
  const listed = Object.keys(outcomes);
  if (typeof outcome === "string" && listed.length > 0 && !Object.hasOwn(outcomes, outcome)) {
    problems.push(`${path}.outcome: '${outcome}' is not one of the decision's outcomes (${listed.join(", ")})`);
  }
}

function clauseProblems(path, clause, languages, decisions, problems) {
  if (!isObject(clause)) {
    problems.push(`${path}: expected an object (a clause), found ${found(clause)}`);
    return;
  }
  const decision = get(clause, "decision");
  if (
    decision !== MISSING &&
    decision !== null &&
    isObject(decisions) &&
    !(typeof decision === "string" && Object.hasOwn(decisions, decision))
  ) {
    problems.push(`${path}.decision: ${found(decision)} is not a decision of the bundle`);
  }
  const textsOf = get(clause, "text");
  if (!isObject(textsOf)) {
    problems.push(`${path}.text: expected an object (language -> text), found ${found(textsOf)}`);
    return;
  }
  const missing = languages.filter((language) => !Object.hasOwn(textsOf, language));
  if (missing.length > 0) {
    const missed = missing.length === 1 ? `language ${missing[0]}` : `languages ${missing.join(", ")}`;
    problems.push(`${path}.text: missing ${missed} (the bundle's languages are ${languages.join(", ")})`);
  }
  for (const [language, text] of Object.entries(textsOf)) {
    const at = `${path}.text.${language}`;
    if (!isObject(text)) {
      problems.push(`${at}: expected an object (${CLAUSE_TEXTS.join(", ")}), found ${found(text)}`);
      continue;
    }
    for (const key of CLAUSE_TEXTS) {
      const value = get(text, key);
      if (typeof value !== "string") problems.push(`${at}.${key}: expected a text, found ${found(value)}`);
    }
    const hash = get(text, "hash");
    if (typeof hash === "string" && !HASH.test(hash)) {
      problems.push(`${at}.hash: expected a SHA-256 (64 lower-case hex digits), found ${found(hash)}`);
    }
  }
}

/** Whether value is a list of texts. */
function texts(value) {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}
