// Progressive enhancement for the parent forms: stop a double tap sending the form twice
// (the server also ignores a resend of the same form), and keep "last day" no earlier
// than "first day". Every form works without this script.
(function () {
  "use strict";
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      if (form.dataset.sent) { return; }
      form.dataset.sent = "1";
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) {
          b.disabled = true;
          b.textContent = "Sending…";
        });
      }, 0);
    });
    var start = form.querySelector("input[name=start_date]");
    var end = form.querySelector("input[name=end_date]");
    if (start && end) {
      start.addEventListener("change", function () {
        end.min = start.value;
        if (!end.value || end.value < start.value) { end.value = start.value; }
      });
    }
  });
})();
