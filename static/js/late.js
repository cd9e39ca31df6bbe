/* The late sign-in search, as you type. Without this file the search form works by submitting
   it; this only fetches the same results list while typing (the list is a polite live region). */
(function () {
  "use strict";
  var input = document.getElementById("late-q");
  var results = document.getElementById("late-results");
  if (!input || !results || !window.fetch) { return; }
  var timer = null, asked = "";
  function search() {
    var q = input.value.trim();
    if (q === asked) { return; }
    asked = q;
    if (q.length < 2) { results.innerHTML = ""; return; }
    fetch(input.dataset.url + "?fragment=1&q=" + encodeURIComponent(q), {
      headers: { "X-Requested-With": "fetch" }, credentials: "same-origin"
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (data && asked === q) { results.innerHTML = data.html; }
    });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") {
      var first = results.querySelector("a");
      if (first) { e.preventDefault(); first.focus(); }
    }
  });
  results.addEventListener("keydown", function (e) {
    var links = Array.prototype.slice.call(results.querySelectorAll("a"));
    var i = links.indexOf(document.activeElement);
    if (i < 0) { return; }
    if (e.key === "ArrowDown" && i < links.length - 1) { e.preventDefault(); links[i + 1].focus(); }
    if (e.key === "ArrowUp") { e.preventDefault(); (i > 0 ? links[i - 1] : input).focus(); }
  });
})();
