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
