// Keep the clause anchor when switching language: the same clause in the other language.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a.terms-language-link");
  if (link && window.location.hash) {
    link.href = link.href.split("#")[0] + window.location.hash;
  }
});
