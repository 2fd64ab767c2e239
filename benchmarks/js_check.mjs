// The JavaScript checker's speed on the sa-purchase decision, in one Node process: the API
// (Bundle.decide, facts validated), json-logic-js running the same rule, and a hand-written
// JavaScript function of the rule (the limit). Run by benchmarks/js_check.py, which gives it the
// bundle, the fact sets and the JsonLogic rule, and prints the figures beside Python's.
//
//   node benchmarks/js_check.mjs --bundle B --facts F.json --jsonlogic R.json [--calls N] [--repeat K]
//
// Each run times at least half a second of calls (and at most --calls).
//
// Prints one JSON object: calls per second, best of K runs, for each engine, and how many fact
// sets each engine answered as the bundle does.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { loadBundleFile } from "../js/src/node.js";

const require = createRequire(new URL("../js/package.json", import.meta.url));
const jsonLogic = require("json-logic-js");

const { values: options } = parseArgs({
  options: {
    bundle: { type: "string" },
    facts: { type: "string" },
    jsonlogic: { type: "string" },
    calls: { type: "string", default: "2000000" },
    repeat: { type: "string", default: "5" },
  },
});
const CALLS = Number(options.calls);
const REPEAT = Number(options.repeat);
const DECISION = "sa-purchase";
const EPOCH_ORDINAL = 719163; // 1970-01-01 as Python's date.toordinal(): peers.py's day numbers

const bundle = await loadBundleFile(options.bundle);
const spec = bundle.data.decisions[DECISION];
const factSets = JSON.parse(readFileSync(options.facts, "utf8"));
const logicRule = JSON.parse(readFileSync(options.jsonlogic, "utf8"));

// json-logic-js: the facts prepared as the Python peers benchmark prepares them (defaults
// filled in, dates as day numbers), not validated.
const defaults = Object.fromEntries(Object.entries(spec.facts).filter(([, f]) => "default" in f).map(([n, f]) => [n, f.default]));
const dateFacts = Object.entries(spec.facts).filter(([, f]) => f.type === "date").map(([n]) => n);
function prepare(facts) {
  const prepared = { ...defaults, ...facts };
  for (const name of dateFacts) prepared[name] = Date.parse(prepared[name]) / 86400000 + EPOCH_ORDINAL;
  return prepared;
}

// The hand-written function: the sa-purchase rules as a tool author would write them in
// JavaScript, with the same validation (types, enum values, unknown and missing facts).
const PROGRAMS = new Set(["open-license", "open-value", "enterprise-agreement", "eap", "select", "select-plus", "mpsa"]);
const CHANNELS = new Set(["volume-licensing", "oem", "retail", "transfer"]);
const POOLS = new Set(["applications", "systems", "servers"]);
const CUTOFF = civil(2020, 3, 31);
function digits(text, from, to) {
  let value = 0;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i) - 48;
    if (code < 0 || code > 9) return NaN;
    value = value * 10 + code;
  }
  return value;
}
function civil(year, month, date) {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + date - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
}
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function day(text) {
  if (typeof text !== "string" || text.length !== 10 || text[4] !== "-" || text[7] !== "-") return NaN;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const date = digits(text, 8, 10);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const most = month === 2 && leap ? 29 : MONTH_DAYS[month - 1];
  if (!(year >= 1 && month >= 1 && month <= 12 && date >= 1 && date <= most)) return NaN;
  return civil(year, month, date);
}
function handWritten(f) {
  let given = 8;
  const { program, channel, pool, product, enterprise_product: enterprise, latest_version: latest } = f;
  if (!PROGRAMS.has(program) || !CHANNELS.has(channel) || !POOLS.has(pool)) return null;
  if (typeof product !== "string" || typeof enterprise !== "boolean" || typeof latest !== "boolean") return null;
  const licensed = day(f.license_date);
  const ordered = day(f.order_date);
  if (Number.isNaN(licensed) || Number.isNaN(ordered)) return null;
  let { transferor_had_sa: transferor = false, transitioned_online: online = false } = f;
  let { at_anniversary_or_renewal: anniversary = false, reattach_quantity: reattach = 0, covered_at_transition: covered = 0 } = f;
  for (const [value, kind] of [[transferor, "boolean"], [online, "boolean"], [anniversary, "boolean"]]) if (typeof value !== kind) return null;
  if (!Number.isInteger(reattach) || !Number.isInteger(covered)) return null;
  for (const name of ["transferor_had_sa", "transitioned_online", "at_anniversary_or_renewal", "reattach_quantity", "covered_at_transition"]) {
    if (f[name] !== undefined) given += 1;
  }
  let count = 0;
  for (const key in f) count += 1;
  if (count !== given) return null;
  const days = ordered - licensed;
  const oemOrRetail = channel === "oem" || channel === "retail";
  const inWindow = days >= 0 && days <= 90;
  const withLicense = channel === "volume-licensing" && ordered === licensed;
  const notLatest = !latest;
  const transfer = channel === "transfer" && transferor && days >= 0 && days <= 30;
  const oemRetail = oemOrRetail && pool === "servers" && program !== "eap" && inWindow;
  const applications = oemOrRetail && pool === "applications";
  const enterpriseProducts = oemOrRetail && (program === "open-value" || program === "enterprise-agreement") && enterprise;
  const office =
    channel === "oem" && pool === "applications" && (product === "office-professional-2016" || product === "office-professional-2019") &&
    (program === "open-license" || program === "select" || program === "select-plus" || program === "open-value") && inWindow;
  const sql = channel === "oem" && pool === "servers" && product === "sql-server-2017" &&
    (program === "open-license" || program === "mpsa" || program === "select" || program === "select-plus" ||
      program === "open-value" || program === "enterprise-agreement") && licensed < CUTOFF && inWindow;
  const reattachOk =
    program === "enterprise-agreement" && channel === "volume-licensing" && online && anniversary && reattach > 0 && reattach <= covered;
  const hits = [withLicense, notLatest, transfer, oemRetail, applications, enterpriseProducts, office, sql, reattachOk];
  const beaten = [notLatest, transfer || office || sql || reattachOk, false, notLatest || enterpriseProducts, office, false, enterpriseProducts, enterpriseProducts, false];
  const outcomes = ["allowed", "denied", "allowed", "allowed", "denied", "denied", "allowed", "allowed", "allowed"];
  let allowed = false;
  let denied = false;
  for (let i = 0; i < 9; i++) {
    if (hits[i] && !beaten[i]) {
      if (outcomes[i] === "allowed") allowed = true;
      else denied = true;
    }
  }
  const outcome = allowed && denied ? "conflict" : allowed ? "allowed" : "denied";
  return outcome;
}

/** Calls per second, best of REPEAT runs of at least SECONDS each (CALLS calls at a time). */
const SECONDS = 0.5;
function bestRate(call) {
  const n = factSets.length;
  let best = 0;
  for (let run = 0; run < REPEAT; run++) {
    const started = process.hrtime.bigint();
    let calls = 0;
    let seconds = 0;
    do {
      const chunk = Math.min(CALLS, 20000);
      for (let i = 0; i < chunk; i++) call(factSets[(calls + i) % n]);
      calls += chunk;
      seconds = Number(process.hrtime.bigint() - started) / 1e9;
    } while (seconds < SECONDS && calls < CALLS);
    best = Math.max(best, calls / seconds);
  }
  return best;
}

const ours = factSets.map((facts) => bundle.decide(DECISION, facts).outcome);
const agreement = {
  "json-logic-js": factSets.filter((facts, i) => jsonLogic.apply(logicRule, prepare(facts)) === ours[i]).length,
  "hand-written JavaScript": factSets.filter((facts, i) => handWritten(facts) === ours[i]).length,
};
const engines = {
  "terms-check API (Bundle.decide)": (facts) => bundle.decide(DECISION, facts),
  "json-logic-js": (facts) => jsonLogic.apply(logicRule, prepare(facts)),
  "hand-written JavaScript": handWritten,
};
const rates = {};
// In turns, so that a noisy neighbour slows each of them alike.
for (let turn = 0; turn < 2; turn++) {
  for (const [name, call] of Object.entries(engines)) rates[name] = Math.max(rates[name] ?? 0, bestRate(call));
}
console.log(JSON.stringify({ facts: factSets.length, calls: CALLS, rates, agreement }));
