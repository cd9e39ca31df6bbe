/* The rule form: show the parameters of the trigger chosen in the list, at once. Without this
   file the form is two steps: choose the trigger ("Show the settings for this trigger"), then
   fill in its parameters. A hidden fieldset is also disabled, so only the chosen trigger's
   parameters are sent. */
(function () {
  "use strict";

  var select = document.querySelector("[data-policy-trigger]");
  if (!select) { return; }
  var sets = document.querySelectorAll("fieldset[data-trigger]");
  var prompt = document.querySelector("[data-no-trigger]");
  var choose = document.querySelector("[data-choose-trigger]");
  if (choose) { choose.hidden = true; }

  function show() {
    for (var i = 0; i < sets.length; i++) {
      var on = sets[i].getAttribute("data-trigger") === select.value;
      sets[i].hidden = !on;
      sets[i].disabled = !on;
    }
    if (prompt) { prompt.hidden = Boolean(select.value); }
  }

  select.addEventListener("change", show);
  show();
})();
