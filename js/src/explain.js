// Explain: why each rule of a decision did or did not decide an answer, in words
// (docs/semantics.md, "Explanations"). The reasons and their words are the Python checker's
// (compiler/terms_compiler/check/describe.py and explain.py): for a rule whose condition failed,
// the first part of it that failed, with the facts' values and the limit.
//
// A decision's explanation in one language is compiled once, like its rules: the describer
// below turns each rule into a closure over the answer, whose pieces are either fixed words or
// closures that show a value or choose between the words of two cases.

import { dayText, fromOrdinal } from "./dates.js";
import { CONFLICT } from "./evaluate.js";
import { typeOf } from "./rules.js";

export const PHRASES = {
  "en": {
    "deciding": "{clause} applies: {outcome}",
    "overridden": "{clause} applies but is overridden by {by}",
    "not-in-effect": "{clause} is not in effect on {date} (in effect {window})",
    "not-met": "{clause} does not apply: {failure}",
    "default": "no rule applies, so the answer is the default: {outcome}",
    "conflict": "conflict: {clauses} apply with different outcomes and none overrides the others",
    "from": "from {date}",
    "until": "until {date}",
    "from-until": "from {start} until {end}",
    "compare": "{subject} is {value}; the rule needs {op} {limit}",
    "days-limit": "{end} is {count} days after {start}; the limit is {limit}",
    "days": "the number of days from {start} to {end}",
    "bool": "{subject} is {value}",
    "in": "{subject} is {value}, which is not one of: {options}",
    "not-in": "{subject} is {value}, which is excluded ({options})",
    "or": "none of the alternatives holds: {alternatives}",
    "or-joiner": "; or ",
    "int-ops": "<=:at most|<:less than|>=:at least|>:more than|==:|!=:anything but",
    "date-ops": "<=:on or before|<:before|>=:on or after|>:after|==:|!=:anything but",
    "answer": "{decision}: {outcome}, as of {date}",
    "quote": "{title}: {text}"
  },
  "uk": {
    "deciding": "{clause} застосовується: {outcome}",
    "overridden": "{clause} застосовується, але його перекриває {by}",
    "not-in-effect": "{clause} не діє на {date} (діє {window})",
    "not-met": "{clause} не застосовується: {failure}",
    "default": "жодне правило не застосовується, тому відповідь типова: {outcome}",
    "conflict": "конфлікт: {clauses} застосовуються з різними результатами, і жоден не перекриває інші",
    "from": "з {date}",
    "until": "до {date}",
    "from-until": "з {start} до {end}",
    "compare": "{subject} = {value}; правило вимагає: {op} {limit}",
    "days-limit": "{end} настає через {count} дн. після {start}; межа — {limit}",
    "days": "кількість днів від {start} до {end}",
    "bool": "{subject} має значення {value}",
    "in": "{subject} = {value}, а це не одне з: {options}",
    "not-in": "{subject} = {value}, а це одне з виключених значень ({options})",
    "or": "не виконується жодна з умов: {alternatives}",
    "or-joiner": "; або ",
    "int-ops": "<=:не більше ніж|<:менше ніж|>=:не менше ніж|>:більше ніж|==:|!=:будь-що, крім",
    "date-ops": "<=:не пізніше|<:раніше ніж|>=:не раніше|>:пізніше ніж|==:|!=:будь-що, крім",
    "answer": "{decision}: {outcome}, станом на {date}",
    "quote": "{title}: {text}"
  },
  "ru": {
    "deciding": "{clause} применяется: {outcome}",
    "overridden": "{clause} применяется, но его перекрывает {by}",
    "not-in-effect": "{clause} не действует на {date} (действует {window})",
    "not-met": "{clause} не применяется: {failure}",
    "default": "ни одно правило не применяется, поэтому ответ по умолчанию: {outcome}",
    "conflict": "конфликт: {clauses} применяются с разными результатами, и ни одно не перекрывает другие",
    "from": "с {date}",
    "until": "по {date}",
    "from-until": "с {start} по {end}",
    "compare": "{subject} = {value}; правило требует: {op} {limit}",
    "days-limit": "{end} наступает через {count} дн. после {start}; предел — {limit}",
    "days": "количество дней от {start} до {end}",
    "bool": "{subject} имеет значение {value}",
    "in": "{subject} = {value}, а это не одно из: {options}",
    "not-in": "{subject} = {value}, а это одно из исключённых значений ({options})",
    "or": "не выполняется ни одно из условий: {alternatives}",
    "or-joiner": "; или ",
    "int-ops": "<=:не больше|<:меньше|>=:не меньше|>:больше|==:|!=:что угодно, кроме",
    "date-ops": "<=:не позднее|<:ранее|>=:не ранее|>:позднее|==:|!=:что угодно, кроме",
    "answer": "{decision}: {outcome}, по состоянию на {date}",
    "quote": "{title}: {text}"
  },
  "zh": {
    "deciding": "{clause}适用：{outcome}",
    "overridden": "{clause}适用，但被{by}优先取代",
    "not-in-effect": "{clause}在{date}不生效（生效期：{window}）",
    "not-met": "{clause}不适用：{failure}",
    "default": "没有适用的规则，因此结果为默认值：{outcome}",
    "conflict": "冲突：{clauses}均适用但结果不同，且互不优先",
    "from": "自{date}起",
    "until": "至{date}止",
    "from-until": "自{start}至{end}",
    "compare": "{subject}为{value}；规则要求：{op}{limit}",
    "days-limit": "{end}在{start}之后{count}天；上限为{limit}",
    "days": "从{start}到{end}的天数",
    "bool": "{subject}为{value}",
    "in": "{subject}为{value}，不在以下值中：{options}",
    "not-in": "{subject}为{value}，属于被排除的值（{options}）",
    "or": "以下条件均不满足：{alternatives}",
    "or-joiner": "；或",
    "int-ops": "<=:不超过|<:小于|>=:不少于|>:大于|==:|!=:不为",
    "date-ops": "<=:不晚于|<:早于|>=:不早于|>:晚于|==:|!=:不为",
    "answer": "{decision}：{outcome}，截至{date}",
    "quote": "{title}：{text}"
  }
};

const NEGATION = { "==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<" };

/** A value in a message: a date as its ISO text (dayText), true and false as in JSON. */
export function showValue(value, type) {
  if (type === "date" && (typeof value === "number" || typeof value === "bigint")) return dayText(value);
  if (value === true) return "true";
  if (value === false) return "false";
  return String(value);
}

function operatorWords(table) {
  return Object.fromEntries(table.split("|").map((pair) => [pair.slice(0, pair.indexOf(":")), pair.slice(pair.indexOf(":") + 1)]));
}

/** The language whose words are used: English for one without phrases. */
export function wordsLanguage(language) {
  return Object.hasOwn(PHRASES, language) ? language : "en";
}

/** An outcome in a message: `LABEL (outcome)` with the bundle's label in the language, the
 * outcome alone when the label is the same or missing. */
export function outcomeWords(labels, outcome, language) {
  const entry = isPlainObject(labels) && Object.hasOwn(labels, outcome) ? labels[outcome] : undefined;
  const label = isPlainObject(entry) && Object.hasOwn(entry, language) ? entry[language] : undefined;
  return typeof label === "string" && label !== "" && label !== outcome ? `${label} (${outcome})` : outcome;
}

/** A fact as a message names it: by its description in the language, when the words are not
 * English and the bundle has one (the names are English identifiers); else by its name. */
export function factWords(facts, name, language) {
  if (wordsLanguage(language) === "en") return name;
  const spec = isPlainObject(facts) && Object.hasOwn(facts, name) ? facts[name] : undefined;
  const description = isPlainObject(spec) && Object.hasOwn(spec, "description") ? spec.description : undefined;
  const text = isPlainObject(description) && Object.hasOwn(description, language) ? description[language] : undefined;
  return typeof text === "string" && text !== "" ? text : name;
}

function isPlainObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The reasons for an answer: one per rule, in rule order, then the default or the conflict.
 * Each is {clause, status, outcome, message}. */
export function explain(decision, closures, answer, language = "en") {
  const reasons = explainer(decision, closures, language).map((reason) => reason(answer, false));
  const closing = closingReason(decision, answer, language);
  if (closing !== null) reasons.push(closing);
  return reasons;
}

/** The same reasons as the JSON text of a list, as `terms check --format json` writes it in a
 * batch (Python's separators: ", " and ": "); JSON.stringify escapes a lone surrogate, which
 * Python keeps (the caller escapes such a record whole, as Python does). */
export function explainJson(decision, closures, answer, language = "en") {
  const reasons = explainer(decision, closures, language);
  let text = "[";
  for (let i = 0; i < reasons.length; i++) text += (i ? ", " : "") + reasons[i](answer, true);
  const closing = closingReason(decision, answer, language);
  if (closing !== null) {
    const { clause, status, outcome, message } = closing;
    text += `${reasons.length ? ", " : ""}{"clause": ${JSON.stringify(clause)}, "status": "${status}", "outcome": ${JSON.stringify(outcome)}, "message": ${JSON.stringify(message)}}`;
  }
  return `${text}]`;
}

function explainer(decision, closures, language) {
  // By the language asked for, not its words' language: its labels and descriptions.
  let found = closures.explainers.get(language);
  if (found === undefined) {
    found = compileExplainer(decision, closures, language);
    closures.explainers.set(language, found);
  }
  return found;
}

function closingReason(decision, answer, language) {
  const phrases = PHRASES[wordsLanguage(language)];
  if (answer.outcome === CONFLICT) {
    const message = phrases.conflict.replace("{clauses}", () => answer.deciding.join(", "));
    return { clause: "", status: "conflict", outcome: CONFLICT, message };
  }
  if (answer.deciding.length === 0) {
    const outcome = outcomeWords(decision.spec.outcomes, answer.outcome, language);
    return { clause: "", status: "default", outcome: answer.outcome, message: phrases.default.replace("{outcome}", () => outcome) };
  }
  return null;
}

// Texts being put together: arrays of fixed words and of closures over the answer. ---------------

const PLACEHOLDER = /\{([a-z_]+)\}/;

function fill(phrase, parts) {
  const text = [];
  phrase.split(PLACEHOLDER).forEach((piece, index) => {
    if (index % 2) text.push(...parts[piece]);
    else text.push(piece);
  });
  return text;
}

function joined(separator, texts) {
  const text = [];
  texts.forEach((part, index) => {
    if (index) text.push(separator);
    text.push(...part);
  });
  return text;
}

/** A text as one closure (answer) -> string, fixed words merged. */
function compileText(text) {
  const pieces = [];
  for (const piece of text) {
    if (typeof piece === "string" && typeof pieces[pieces.length - 1] === "string") pieces[pieces.length - 1] += piece;
    else pieces.push(piece);
  }
  const nonEmpty = pieces.filter((piece) => piece !== "");
  if (nonEmpty.length === 0) return () => "";
  if (nonEmpty.length === 1) {
    const [only] = nonEmpty;
    return typeof only === "string" ? () => only : only;
  }
  const parts = nonEmpty.map((piece) => (typeof piece === "string" ? () => piece : piece));
  return (answer) => {
    let out = "";
    for (let i = 0; i < parts.length; i++) out += parts[i](answer);
    return out;
  };
}

function withSingleSpaces(text) {
  if (text.every((piece) => typeof piece === "string")) return [text.join("").replaceAll("  ", " ")];
  const whole = compileText(text);
  return [(answer) => whole(answer).replaceAll("  ", " ")];
}

function compileExplainer(decision, closures, language) {
  const describer = new Describer(decision, closures, language);
  return decision.rules.map((rule) => describer.reason(rule));
}

/** A decision's reasons in one language, compiled: every method that describes a part of a
 * condition is only reached for a part that fails (false, or true when `negated`). */
class Describer {
  constructor(decision, closures, language) {
    this.decision = decision;
    this.closures = closures;
    /** The language asked for: of the outcome labels and fact descriptions. */
    this.language = language;
    this.phrases = PHRASES[wordsLanguage(language)];
  }

  reason(rule) {
    const { phrases } = this;
    const clause = [rule.clause];
    const overriders = this.decision.rules.filter((r) => r.overrides.includes(rule.clause)).map((r) => r.clause);
    const made = (status, text) => {
      const message = compileText(text);
      const prefix = `{"clause": ${JSON.stringify(rule.clause)}, "status": "${status}", "outcome": ${JSON.stringify(rule.outcome)}, "message": `;
      // As an object, or as the JSON text `terms check --format json` writes (json: true).
      return (answer, json) =>
        json ? `${prefix}${JSON.stringify(message(answer))}}` : { clause: rule.clause, status, outcome: rule.outcome, message: message(answer) };
    };
    const outcome = outcomeWords(this.decision.spec.outcomes, rule.outcome, this.language);
    const deciding = made("deciding", fill(phrases.deciding, { clause, outcome: [outcome] }));
    const applied = (answer) =>
      overriders.filter((c) => answer.deciding.includes(c) || answer.overridden.includes(c)).join(", ");
    const overridden = made("overridden", fill(phrases.overridden, { clause, by: [applied] }));
    let notInEffect = null;
    if (rule.start !== null || rule.end !== null) {
      const window = [this.windowWords(rule)];
      notInEffect = made("not-in-effect", fill(phrases["not-in-effect"], { clause, date: [(a) => a.as_of], window }));
    }
    const notMet = made("not-met", fill(phrases["not-met"], { clause, failure: this.failure(rule.when, false) }));
    const start = rule.start === null ? null : this.closures.number(rule.start);
    const end = rule.end === null ? null : this.closures.number(rule.end);
    const outOfEffect = (day) => (start !== null && day < start) || (end !== null && day > end);
    return (answer, json) => {
      if (answer.deciding.includes(rule.clause)) return deciding(answer, json);
      if (answer.overridden.includes(rule.clause)) return overridden(answer, json);
      if (notInEffect !== null && outOfEffect(answer.day)) return notInEffect(answer, json);
      return notMet(answer, json);
    };
  }

  windowWords(rule) {
    const start = rule.start === null ? null : fromOrdinal(rule.start);
    const end = rule.end === null ? null : fromOrdinal(rule.end);
    if (start && end) return this.phrases["from-until"].replace("{start}", () => start).replace("{end}", () => end);
    return start ? this.phrases.from.replace("{date}", () => start) : this.phrases.until.replace("{date}", () => end);
  }

  /** Words for why node is false (or true, when negated). */
  failure(node, negated) {
    switch (node.kind) {
      case "and":
      case "or":
        if (node.kind === (negated ? "or" : "and")) return this.firstFailure(node.args, negated);
        return fill(this.phrases.or, {
          alternatives: joined(this.phrases["or-joiner"], node.args.map((arg) => this.failure(arg, negated))),
        });
      case "not":
        return this.failure(node.arg, !negated);
      case "in":
        return this.membership(node, negated);
      case "compare":
        return this.comparison(node, negated);
      case "fact":
      case "param":
      case "const":
        return fill(this.phrases.bool, { subject: this.subject(node), value: this.truth(node, negated) });
    }
    throw new TypeError(`not a condition: ${node.kind}`);
  }

  /** The first of args that fails (one does, or the rule would hold: when all others hold, the last). */
  firstFailure(args, negated) {
    const others = args.slice(0, -1);
    const cases = others.map((arg) => {
      const holds = this.closures.node(arg);
      return [negated ? holds : (v) => !holds(v), () => this.failure(arg, negated)];
    });
    return this.choose(cases, () => this.failure(args[args.length - 1], negated));
  }

  /** One piece choosing, for an answer, the text of the first case that holds, else otherwise's. */
  choose(cases, otherwise) {
    const tests = cases.map(([test]) => test);
    const texts = cases.map(([, then]) => compileText(then()));
    const fallback = compileText(otherwise());
    return [
      (answer) => {
        const values = answer.values;
        for (let i = 0; i < tests.length; i++) if (tests[i](values)) return texts[i](answer);
        return fallback(answer);
      },
    ];
  }

  shown(node, type) {
    const value = this.closures.node(node);
    return [(answer) => showValue(value(answer.values), type)];
  }

  truth(node, negated) {
    if (node.kind === "fact" && this.alwaysBool(node.name)) return [negated ? "true" : "false"];
    return this.shown(node, "bool");
  }

  alwaysBool(name) {
    const spec = this.decision.spec.facts[name];
    return spec?.type === "bool" && (!Object.hasOwn(spec, "default") || typeof spec.default === "boolean");
  }

  membership(node, negated) {
    return fill(this.phrases[negated ? "not-in" : "in"], {
      subject: this.subject(node.value),
      value: this.show(node.value, false),
      options: joined(", ", node.options.map((option) => this.show(option, true))),
    });
  }

  comparison(node, negated) {
    const op = negated ? NEGATION[node.op] : node.op;
    const { left, right } = node;
    const kind = typeOf(left) === "date" ? "date" : "int";
    const compare = () =>
      withSingleSpaces(
        fill(this.phrases.compare, {
          subject: this.subject(left),
          value: this.show(left, false),
          op: [operatorWords(this.phrases[`${kind}-ops`])[op]],
          limit: this.show(right, true),
        }),
      );
    if (left.kind !== "days" || (op !== "<=" && op !== "<")) return compare();
    const daysLimit = () =>
      fill(this.phrases["days-limit"], {
        end: this.subject(left.end),
        start: this.subject(left.start),
        count: this.shown(left, "int"),
        limit: this.show(right, true),
      });
    // Within a limit of days, a later date is said as "N days after"; an earlier one is not.
    const count = this.closures.node(left);
    const zero = this.closures.number(0);
    return this.choose([[(v) => count(v) >= zero, daysLimit]], compare);
  }

  subject(node) {
    switch (node.kind) {
      case "fact":
        return [factWords(this.decision.spec.facts, node.name, this.language)];
      case "param":
        return [node.name];
      case "days":
        return fill(this.phrases.days, { start: this.subject(node.start), end: this.subject(node.end) });
    }
    return this.show(node, true);
  }

  /** The node's value, with the name of the parameter or fact it comes from. */
  show(node, named) {
    const shown = this.shown(node, typeOf(node));
    if (named && node.kind === "fact") return [...shown, ` (${factWords(this.decision.spec.facts, node.name, this.language)})`];
    return named && node.kind === "param" ? [...shown, ` (${node.name})`] : shown;
  }
}
