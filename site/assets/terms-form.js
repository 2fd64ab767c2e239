// "Check your case" on a decision's page: the form the page carries (site/pages/decision.md.j2)
// answers in the browser with the JavaScript checker (assets/terms-check/, the modules of js/src),
// from the decision's rules file (docs/rules-files.md), verified against its SHA-256 first.
//
// The facts live in the page's query string (?program=select&order_date=2024-03-01), so a link
// shares the answer and the language switcher (terms.js) carries it to the other languages.
// Every text from the rules file or the address reaches the page through textContent or an
// attribute, never as HTML. Anything that fails (file://, where modules and fetch do not work;
// a missing or altered rules file) leaves the section hidden: the page stays the reference.

const AS_OF = "as-of"; // the query key of the as-of date: not a fact name (those have no hyphen)
const ISO_DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const WHOLE = /^-?[0-9]+$/;

function start() {
  const section = document.querySelector("section.terms-check");
  if (section === null || section.dataset.started) return;
  section.dataset.started = "true";
  setUp(section).catch((error) => console.warn("terms: the check form is unavailable:", error));
}

async function setUp(section) {
  const checker = await import("./terms-check/index.js");
  const root = new URL(section.dataset.root, window.location.href);
  const rulesUrl = new URL(section.dataset.rules, root);
  const [bytes, digest] = await Promise.all([fetchRules(rulesUrl), fetchBytes(new URL(`${rulesUrl.href}.sha256`))]);
  const name = rulesUrl.pathname.slice(rulesUrl.pathname.lastIndexOf("/") + 1);
  const bundle = await checker.loadBundle(bytes, digest, { source: name });
  const form = new CheckForm(section, bundle, checker, root);
  form.readAddress(new URLSearchParams(window.location.search));
  section.hidden = false;
  form.answer(false);
}

/** The rules file's bytes: from its gzip copy, decompressed here, where the browser can (a large
 * decision's rules compress 20-fold, and not every static server compresses JSON); else as it is.
 * The digest is checked on the decompressed bytes, so the copy is as verified as the file. */
async function fetchRules(url) {
  if (typeof DecompressionStream === "function") {
    try {
      const packed = await fetchBytes(new URL(`${url.href}.gz`));
      // A server that labels .gz files Content-Encoding: gzip has had the browser decompress it.
      if (packed[0] !== 0x1f || packed[1] !== 0x8b) return packed;
      const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip"));
      return new Uint8Array(await new Response(stream).arrayBuffer());
    } catch (error) {
      console.warn("terms: reading the rules file uncompressed:", error);
    }
  }
  return fetchBytes(url);
}

async function fetchBytes(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

class CheckForm {
  constructor(section, bundle, checker, root) {
    this.section = section;
    this.bundle = bundle;
    this.checker = checker;
    this.root = root;
    this.language = section.dataset.lang;
    this.decisionId = section.dataset.decision;
    this.decision = bundle.data.decisions[this.decisionId];
    this.strings = JSON.parse(section.dataset.strings);
    this.fields = [...section.querySelectorAll(".terms-field")].map((box) => ({
      box,
      name: box.dataset.asOf ? AS_OF : box.dataset.fact,
      type: box.dataset.type,
      required: box.dataset.required === "true",
      control: box.querySelector("input, select"),
      error: box.querySelector(".terms-field-error"),
      bad: null, // a value from the address the control cannot hold (a date such as 2024-02-30)
    }));
    this.output = section.querySelector(".terms-answer");
    const form = section.querySelector("form");
    form.addEventListener("submit", (event) => event.preventDefault());
    const changed = (event) => {
      const field = this.fields.find((candidate) => candidate.control === event.target);
      if (field) field.bad = null;
      this.answer(true);
    };
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
  }

  /** Fill the fields from the query string; a value a field cannot take is kept to be shown as wrong. */
  readAddress(params) {
    for (const field of this.fields) {
      if (!params.has(field.name)) continue;
      const value = params.get(field.name);
      const control = field.control;
      if (field.type === "bool") {
        if (value === "true" || value === "false") control.checked = value === "true";
        else field.bad = value;
      } else {
        control.value = value;
        if (control.value !== value) field.bad = value;
      }
    }
  }

  /** Read every field: [facts, as-of date or null, problems by field]. */
  read() {
    const facts = {};
    let asOf = null;
    const problems = new Map();
    for (const field of this.fields) {
      const [value, problem] = this.valueOf(field);
      if (problem !== null) problems.set(field, problem);
      else if (value === undefined) continue;
      else if (field.name === AS_OF) asOf = value;
      else facts[field.name] = value;
    }
    return [facts, asOf, problems];
  }

  /** A field's JSON value (undefined: left out, so the fact takes its default) and its problem. */
  valueOf(field) {
    const s = this.strings;
    const control = field.control;
    if (field.bad !== null) {
      const message = { date: s.check_invalid_date, int: s.check_invalid_int, bool: s.check_invalid_bool }[field.type];
      return [undefined, message ?? `${s.check_invalid_value} ${field.bad}`];
    }
    if (field.type === "bool") return [control.checked, null];
    const text = control.value;
    if (field.type === "string") return [text, null];
    if (text === "") {
      if (control.validity && control.validity.badInput) {
        return [undefined, field.type === "int" ? s.check_invalid_int : s.check_invalid_date];
      }
      return [undefined, field.required ? s.check_required : null];
    }
    if (field.type === "date") {
      return ISO_DATE.test(text) && this.checker.parseDate(text) !== null ? [text, null] : [undefined, s.check_invalid_date];
    }
    if (field.type === "int") {
      if (!WHOLE.test(text)) return [undefined, s.check_invalid_int];
      const number = Number(text);
      return [Number.isSafeInteger(number) ? number : BigInt(text), null];
    }
    return [text, null]; // an enum: the select offers only its values
  }

  /** Answer the form as it stands; `record` puts the facts in the address (for a link to share). */
  answer(record) {
    const [facts, asOf, problems] = this.read();
    if (record) this.record();
    let answer = null;
    if (problems.size === 0) {
      try {
        answer = this.bundle.decide(this.decisionId, facts, asOf);
      } catch (error) {
        if (!(error instanceof this.checker.FactError)) throw error;
        for (const problem of error.problems) {
          const field = this.fields.find((candidate) => problem.includes(`'${candidate.name}'`)) ?? this.fields[0];
          problems.set(field, problems.has(field) ? `${problems.get(field)}; ${problem}` : problem);
        }
      }
    }
    for (const field of this.fields) {
      const problem = problems.get(field) ?? null;
      field.error.textContent = problem ?? "";
      field.box.classList.toggle("terms-field-invalid", problem !== null);
      if (problem === null) field.control.removeAttribute("aria-invalid");
      else field.control.setAttribute("aria-invalid", "true");
    }
    this.output.replaceChildren(...(answer === null ? [paragraph(this.strings.check_fix, "terms-answer-fix")] : this.shown(answer)));
    this.output.dataset.outcome = answer === null ? "" : answer.outcome;
  }

  /** Put every field's value in the query string, keeping the page's anchor. */
  record() {
    const params = new URLSearchParams();
    for (const field of this.fields) {
      const value = field.bad ?? (field.type === "bool" ? String(field.control.checked) : field.control.value);
      if (field.name !== AS_OF || value !== "") params.set(field.name, value);
    }
    window.history.replaceState(window.history.state, "", `?${params}${window.location.hash}`);
  }

  /** The answer as elements: the outcome, the deciding clauses, and the reason for each rule. */
  shown(answer) {
    const s = this.strings;
    const labels = this.decision.outcomes[answer.outcome];
    const label = answer.outcome === this.checker.CONFLICT ? s.check_conflict : (labels?.[this.language] ?? answer.outcome);
    const outcome = element("p", "terms-answer-outcome");
    outcome.append(`${s.check_outcome}: `, element("strong", "", label), " ", element("code", "", answer.outcome));
    outcome.append(` (${s.check_as_of_shown.replace("{date}", answer.as_of)})`);
    const parts = [outcome];
    const deciding = element("ul", "terms-answer-deciding");
    for (const id of answer.deciding) deciding.append(element("li", "", "", this.clauseLink(id)));
    parts.push(element("p", "terms-answer-heading", s.check_deciding));
    parts.push(answer.deciding.length > 0 ? deciding : paragraph(s.check_no_rule, "terms-answer-none"));
    const why = element("details", "terms-answer-why");
    why.append(element("summary", "", s.check_why));
    const reasons = element("ul");
    for (const reason of this.bundle.explain(answer, this.language)) {
      const item = element("li", `terms-reason-${reason.status}`);
      item.dataset.status = reason.status;
      if (reason.clause) item.append(this.clauseLink(reason.clause), ": ");
      item.append(reason.message);
      reasons.append(item);
    }
    why.append(reasons);
    parts.push(why);
    const share = element("a", "terms-answer-share", s.check_share);
    share.href = window.location.href;
    parts.push(element("p", "", "", share));
    return parts;
  }

  /** A link to a clause's text on the site, by its title, with its id. */
  clauseLink(id) {
    const text = this.bundle.data.clauses[id].text[this.language];
    const link = element("a", "terms-answer-clause", text.title);
    link.href = new URL(text.url, this.root).href;
    link.dataset.clause = id;
    const span = element("span");
    span.append(link, " ", element("code", "", id));
    return span;
  }
}

function element(tag, className = "", text = "", child = null) {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text) made.textContent = text;
  if (child !== null) made.append(child);
  return made;
}

function paragraph(text, className) {
  return element("p", className, text);
}

// Material's instant navigation (not enabled in mkdocs.base.yml) would swap pages without loading
// them: its document$ announces each page, so the form starts on each one either way.
if (window.document$ && typeof window.document$.subscribe === "function") window.document$.subscribe(start);
else start();
