/* Producing letters, a little quicker: tick or untick every pupil at once, and the button says
   how many letters it will produce. The form works without this file. */
(function () {
  "use strict";

  var form = document.querySelector("[data-produce-form]");
  if (!form) { return; }
  var boxes = Array.prototype.slice.call(form.querySelectorAll(".lt-pupil-list input[type=checkbox]"));
  var button = form.querySelector("[data-produce-button]");
  var tickAll = form.querySelector("[data-tick-all]");

  function label() {
    var n = boxes.filter(function (b) { return b.checked; }).length;
    button.textContent = n === 0 ? "Tick at least one pupil" : n === 1 ? "Produce 1 letter" : "Produce " + n + " letters";
    button.disabled = n === 0;
  }

  if (boxes.length > 1) {
    tickAll.hidden = false;
    tickAll.addEventListener("click", function (event) {
      var which = event.target.getAttribute("data-tick");
      if (!which) { return; }
      boxes.forEach(function (b) { b.checked = which === "all"; });
      label();
    });
    boxes.forEach(function (b) { b.addEventListener("change", label); });
    label();
  }

  form.addEventListener("submit", function () {
    window.setTimeout(function () { button.disabled = true; button.textContent = "Producing…"; }, 0);
  });
})();
