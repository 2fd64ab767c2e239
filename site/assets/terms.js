// The language switcher leads to the same page in the other language and keeps the clause
// anchor. Material's own handler would send the reader to that language's home page (it looks
// pages up in a sitemap that needs an absolute site_url), so ours runs first, in the capture
// phase, and keeps the click from reaching it; the browser then follows our link. On a decision's
// page it keeps the query too: the facts of "Check your case" (terms-form.js).
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a.terms-language-link");
  if (!link) return;
  var kept = document.querySelector("section.terms-check") ? window.location.search : "";
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
