// The language switcher leads to the same page in the other language and keeps the clause
// anchor. Material's own handler would send the reader to that language's home page (it looks
// pages up in a sitemap that needs an absolute site_url), so ours runs first, in the capture
// phase, and keeps the click from reaching it; the browser then follows our link. On a decision's
// page it keeps the query too: the facts of "Check your case" (terms-form.js); elsewhere the day
// of "In force on" (?on=), if any.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a.terms-language-link");
  if (!link) return;
  var on = new URLSearchParams(window.location.search).get("on");
  var kept = document.querySelector("section.terms-check") ? window.location.search : on ? "?on=" + encodeURIComponent(on) : "";
  link.href = link.href.split(/[?#]/)[0] + kept + window.location.hash;
  event.stopPropagation();
}, true);

// Glossary definitions as tooltips, on hover, on keyboard focus and on tap (touch screens have
// no hover, so a title attribute alone showed nothing there). Material's content.tooltips is
// not used: it inserts the title's text as HTML. Here the text goes in as textContent only.
// WCAG 1.4.13: the tooltip stays while the pointer is over it, and Escape dismisses it.
(function () {
  var links = document.querySelectorAll(".terms-prose a[title][href*='glossary/#']");
  var open = null;
  var lastPointer = "mouse";
  function hide() {
    if (open) { open.tip.hidden = true; open = null; }
  }
  function show(entry) {
    if (open === entry) return;
    hide();
    var rect = entry.link.getBoundingClientRect();
    entry.tip.hidden = false;
    var width = entry.tip.offsetWidth;
    var left = Math.max(8, Math.min(rect.left, document.documentElement.clientWidth - width - 8));
    entry.tip.style.left = (left + window.scrollX) + "px";
    entry.tip.style.top = (rect.bottom + window.scrollY + 6) + "px";
    open = entry;
  }
  links.forEach(function (link, index) {
    var tip = document.createElement("span");
    var entry = { link: link, tip: tip, timer: 0, shownBeforeTap: false };
    tip.className = "terms-tooltip";
    tip.id = "terms-definition-" + index;
    tip.setAttribute("role", "tooltip");
    tip.textContent = link.getAttribute("title");
    tip.hidden = true;
    document.body.appendChild(tip);
    link.removeAttribute("title"); // the browser's own tooltip would show it a second time
    link.setAttribute("aria-describedby", tip.id);
    function stay() { clearTimeout(entry.timer); show(entry); }
    function leave() { entry.timer = setTimeout(function () { if (open === entry) hide(); }, 300); }
    link.addEventListener("mouseenter", stay);
    link.addEventListener("mouseleave", leave);
    tip.addEventListener("mouseenter", stay);
    tip.addEventListener("mouseleave", leave);
    link.addEventListener("focus", stay);
    link.addEventListener("blur", leave);
    // A first tap shows the definition; a second tap follows the link to the glossary. Whether
    // it was showing is read at the touch itself: the focus a tap gives the link shows it too.
    link.addEventListener("pointerdown", function (event) {
      lastPointer = event.pointerType;
      entry.shownBeforeTap = open === entry;
    });
    link.addEventListener("click", function (event) {
      if (lastPointer === "touch" && !entry.shownBeforeTap) { event.preventDefault(); show(entry); }
    });
  });
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") hide(); });
  document.addEventListener("pointerdown", function (event) {
    if (open && !open.link.contains(event.target) && !open.tip.contains(event.target)) hide();
  });
})();

// "In force on" (overrides/partials/in-force-on.html): a date leads to the same page in the
// edition in force on that day, the last one published on or before it (an edition is in force
// from its date until the next one's), with ?on=<day>; there, the clauses whose effective days
// (data-effective-from and -until, both included: docs/semantics.md) leave that day out are
// marked. The editions are site/editions.json, at the site's root: the field's data-base is
// MkDocs' base_url (this edition's folder, relative to the page), and the root is two folders up
// from it (pages are <lang>/<edition>/<path>), wherever the site is published.
(function () {
  var ISO_DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
  var box = document.querySelector(".terms-in-force-on");
  if (!box) return;
  var field = box.querySelector("input");
  var message = box.querySelector(".terms-in-force-on-message");
  var on = new URLSearchParams(window.location.search).get("on");
  if (on !== null && ISO_DATE.test(on)) {
    field.value = on;
    markClauses(on);
  }

  function markClauses(day) {
    document.querySelectorAll(".terms-clause").forEach(function (clause) {
      var from = clause.dataset.effectiveFrom, until = clause.dataset.effectiveUntil;
      if (!((from && day < from) || (until && day > until))) return; // ISO dates sort as text
      var note = document.createElement("p");
      note.className = "terms-not-in-effect";
      note.textContent = box.dataset.notInEffect.replace("{date}", day);
      clause.classList.add("terms-clause-not-in-effect");
      clause.insertBefore(note, clause.querySelector(".terms-prose"));
    });
  }

  function inForce(editions, day) {
    var found = null;
    editions.forEach(function (edition) {
      if (edition.date <= day && (found === null || edition.date > found.date)) found = edition;
    });
    return found;
  }

  function go(day) {
    var edition = new URL(box.dataset.base, window.location.href);
    var root = new URL("../../", edition);
    var here = window.location.pathname;
    var path = here.indexOf(edition.pathname) === 0 ? here.slice(edition.pathname.length) : "";
    fetch(new URL("editions.json", root), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("editions.json: HTTP " + response.status);
        return response.json();
      })
      .then(function (listing) {
        var found = inForce(listing.editions, day);
        // An edition without pages in this language (added since) was not in force for its readers.
        var home = found && found.pages[box.dataset.language];
        if (!home) {
          message.textContent = box.dataset.noEditionOn.replace("{date}", day);
          return null;
        }
        var start = new URL(home, root);
        var page = new URL(path, start);
        // Only ever a page of this site (an address such as /en/2026-11//elsewhere.example/ gives
        // a path of //elsewhere.example/, which is another site's).
        if (start.origin !== root.origin) throw new Error("editions.json: " + home + " is not on this site");
        if (page.origin !== root.origin) return start;
        // The page may not exist in that edition (a section added since): then its home page.
        return fetch(page, { method: "HEAD", credentials: "same-origin" }).then(function (response) {
          if (!response.ok) return start;
          page.hash = window.location.hash; // the same clause
          return page;
        });
      })
      .then(function (target) {
        if (target === null) return;
        target.search = "?on=" + day;
        window.location.assign(target.href);
      })
      .catch(function (error) { console.warn("terms: in force on:", error); });
  }

  // Once the field holds a whole date, each key typed in it makes another (typing the year 2026
  // passes through 0002, 0020 and 0202), so the field waits for a pause in typing, or Enter.
  var timer = 0;
  function settle(delay) {
    clearTimeout(timer);
    message.textContent = "";
    if (!ISO_DATE.test(field.value)) return;
    var day = field.value;
    timer = setTimeout(function () { go(day); }, delay);
  }
  field.addEventListener("change", function () { settle(800); });
  field.addEventListener("keydown", function (event) { if (event.key === "Enter") settle(0); });
})();

// Material's edition selector names its button "Select version" (aria-label) while the button
// shows the edition: a name without the visible words fails WCAG 2.5.3, label in name (axe's
// label-content-name-mismatch). Once Material has drawn it (after reading versions.json), the
// name is the visible words, then Material's own label, in the page's language.
(function () {
  var topic = document.querySelector(".md-header__topic");
  if (!topic) return;
  function name() {
    var button = topic.querySelector(".md-version__current");
    if (!button || button.hasAttribute("data-terms-named")) return;
    var label = button.getAttribute("aria-label");
    button.setAttribute("aria-label", button.textContent.trim() + (label ? " · " + label : ""));
    button.setAttribute("data-terms-named", "");
  }
  new MutationObserver(name).observe(topic, { childList: true, subtree: true });
  name();
})();
