// The language switcher leads to the same page in the other language and keeps the clause
// anchor. Material's own handler would send the reader to that language's home page (it looks
// pages up in a sitemap that needs an absolute site_url), so ours runs first, in the capture
// phase, and keeps the click from reaching it; the browser then follows our link.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a.terms-language-link");
  if (!link) return;
  link.href = link.href.split("#")[0] + window.location.hash;
  event.stopPropagation();
}, true);
