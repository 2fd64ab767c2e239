// Material's partials/javascripts/content.html (9.x) as a file, for a Content-Security-Policy
// without inline scripts.
var target=document.getElementById(location.hash.slice(1));target&&target.name&&(target.checked=target.name.startsWith("__tabbed_"))
