/* Live lesson pages (pupils missing from lessons, lesson registers not taken): poll the page's
   JSON fragment and replace the list, saying the new count to screen readers. Without this file
   the page has a "Refresh" link and every action is a plain link or form. */
(function () {
  "use strict";

  var box = document.getElementById("live-box");
  if (!box || !window.fetch) { return; }
  var url = box.dataset.url;
  var seconds = Math.max(5, Number(box.dataset.pollSeconds) || 30);
  var updated = document.getElementById("live-updated");
  var status = document.getElementById("live-status");
  var lastCount = box.dataset.count ? Number(box.dataset.count) : null;  // as the page was served
  var busy = false;

  function say(count) {
    if (count === 0) { return box.dataset.none; }
    return count + " " + (count === 1 ? box.dataset.one : box.dataset.many);
  }

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
        if (status && lastCount !== null && data.count !== lastCount) { status.textContent = say(data.count); }
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
