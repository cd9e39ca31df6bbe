/* Missing registers, live: poll the page's JSON fragment and replace the table. Without
   this file the page has a "Refresh" link and every button is a plain form. */
(function () {
  "use strict";

  var box = document.getElementById("missing-live");
  if (!box || !window.fetch) { return; }
  var url = box.dataset.url;
  var seconds = Math.max(2, Number(box.dataset.pollSeconds) || 20);
  var updated = document.getElementById("missing-updated");
  var status = document.getElementById("missing-status");
  var lastCount = null;
  var busy = false;

  function refresh() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(url, { headers: { "X-Requested-With": "fetch", "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        var focused = document.activeElement && box.contains(document.activeElement);
        if (!focused) { box.innerHTML = data.html; }
        if (updated) { updated.textContent = "Updated at " + data.at; }
        if (status && lastCount !== null && data.count !== lastCount) {
          status.textContent = data.count === 0 ? "Every register due so far has been taken."
            : data.count + " register" + (data.count === 1 ? "" : "s") + " not taken.";
        }
        lastCount = data.count;
      })
      .catch(function () {
        if (updated) { updated.textContent = "Could not refresh; use the Refresh link"; }
      })
      .then(function () { busy = false; });
  }

  setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });
})();
