/* The officer's worklist: "tick every proposal shown" and a count of those ticked. Without this
   file each proposal is ticked by hand; the buttons work the same. */
(function () {
  "use strict";

  var form = document.querySelector("[data-worklist]");
  if (!form) { return; }
  var items = form.querySelectorAll("[data-item]");
  var all = form.querySelector("[data-select-all]");
  var wrap = form.querySelector("[data-select-all-wrap]");
  var count = form.querySelector("[data-selected-count]");

  function update() {
    var n = 0;
    for (var i = 0; i < items.length; i++) { if (items[i].checked) { n++; } }
    if (count) { count.textContent = n ? n + " ticked" : ""; }
    if (all) {
      all.checked = n === items.length && n > 0;
      all.indeterminate = n > 0 && n < items.length;
    }
  }

  if (all && wrap) {
    wrap.hidden = false;
    all.addEventListener("change", function () {
      for (var i = 0; i < items.length; i++) { items[i].checked = all.checked; }
      update();
    });
  }
  for (var i = 0; i < items.length; i++) { items[i].addEventListener("change", update); }
  update();
})();
