/* A batch of letters, live: poll progress.json and move the bar, the count and the list of
   letters that could not be produced; when the batch has finished, load the page again to show
   the PDF and every letter. Without this file the page refreshes itself (a <noscript> meta
   refresh) and has a Refresh link. */
(function () {
  "use strict";

  var box = document.querySelector("[data-batch-progress]");
  if (!box || !window.fetch || box.dataset.finished === "true") { return; }
  var url = box.dataset.batchProgress;
  var bar = box.querySelector("[data-bar]");
  var statusEl = box.querySelector("[data-status]");
  var count = box.querySelector("[data-count]");
  var percent = box.querySelector("[data-percent]");
  var note = box.querySelector("[data-refresh-note]");
  var errorsBox = document.querySelector("[data-errors-box]");
  var errorsBody = document.querySelector("[data-errors]");
  var shownErrors = errorsBody ? errorsBody.rows.length : 0;
  var delay = 700;
  var failures = 0;

  function addError(e) {
    var tr = document.createElement("tr");
    var th = document.createElement("th");
    th.scope = "row";
    th.textContent = e.pupil || "The whole batch";
    var field = document.createElement("td");
    field.setAttribute("data-label", "Merge field");
    if (e.field) {
      var code = document.createElement("code");
      code.textContent = e.field;
      field.appendChild(code);
    } else {
      field.textContent = "–";
    }
    var message = document.createElement("td");
    message.setAttribute("data-label", "Problem");
    message.textContent = e.message;
    tr.appendChild(th);
    tr.appendChild(field);
    tr.appendChild(message);
    errorsBody.appendChild(tr);
  }

  function update(data) {
    bar.value = data.percent;
    bar.textContent = data.percent + "%";
    statusEl.textContent = data.status_label + (data.phase_label ? " · " + data.phase_label.toLowerCase() : "");
    count.textContent = data.done + " of " + data.total + " produced" + (data.failed ? ", " + data.failed + " could not be" : "");
    percent.textContent = data.percent;
    if (errorsBody && data.errors.length > shownErrors) {
      data.errors.slice(shownErrors).forEach(addError);
      shownErrors = data.errors.length;
      errorsBox.hidden = false;
    }
  }

  function poll() {
    if (document.hidden) { window.setTimeout(poll, delay); return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) {
        failures = 0;
        update(data);
        if (data.finished) {
          statusEl.textContent = data.status_label + " — loading the letters…";
          window.location.reload();
          return;
        }
        delay = Math.min(delay * 1.3, 3000);
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        failures += 1;
        if (note) { note.firstChild.textContent = "Could not check the progress just now; trying again. "; }
        window.setTimeout(poll, Math.min(2000 * failures, 15000));
      });
  }

  window.setTimeout(poll, 300);
})();
