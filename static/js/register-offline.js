/* A register form that survives the network. Without this file the form is a plain POST; with it:
   - the register pages' service worker is installed (its URL is the form's data-outbox), so a
     reload while offline still shows the page, and a POST that cannot reach the server is kept;
   - saving while offline keeps the submission in the outbox (register-outbox.js) instead;
   - marks waiting are put back into the form when the page loads, and the status region says
     plainly how many are waiting and why;
   - when the connection returns (or on the next load) they are sent as the same form POST; what
     was saved is cleared, and a mark someone else changed meanwhile is shown to the teacher,
     never written over.
   Generic: keyed by the form's action URL; any form with data-outbox and rows named like the
   register's (mark-<id>, other-<id>, version-<id>, was-<id> …) in rows with data-pupil works. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-outbox]");
  if (!form || !window.indexedDB || !window.RegisterOutbox || !window.Promise) { return; }
  var Outbox = window.RegisterOutbox;
  // (not form.action: the register's submit buttons are named "action")
  var action = new URL(form.getAttribute("action") || location.href, location.href).href.split("#")[0];
  var user = form.dataset.user || "";
  var present = form.dataset.present || "/";
  var status = document.getElementById("offline-status");
  var syncing = false;
  var signIn = false;
  var lastSaved = "";
  var retry = null;
  var shownConflicts = "";

  // The user the submission belongs to travels with the form, so the service worker can keep it too.
  var stamp = document.createElement("input");
  stamp.type = "hidden";
  stamp.name = "queued-by";
  stamp.value = user;
  form.appendChild(stamp);

  function plural(n, one) { return n + " " + one + (n === 1 ? "" : "s"); }
  function rowOf(pupil) { return form.querySelector("tr[data-pupil=\"" + pupil + "\"]"); }
  function input(name) { return form.elements.namedItem(name); }

  function setValue(name, value) {
    var el = input(name);
    if (!el) { return; }
    if (el instanceof RadioNodeList || (el.length && !el.tagName)) {
      Array.prototype.forEach.call(el, function (r) { r.checked = r.value === value; });
    } else if (el.type === "radio") {
      el.checked = el.value === value;
    } else {
      el.value = value;
    }
  }

  // Put a row's mark into the form as the server or the outbox has it.
  function setMark(pupil, code) {
    code = (code || "").toUpperCase();
    var isPresent = code === "/" || code === "\\";
    setValue("mark-" + pupil, isPresent ? present : (code === "L" || code === "N" ? code : ""));
    setValue("other-" + pupil, isPresent || code === "L" || code === "N" ? "" : code);
  }

  function restored() {
    var event;
    try { event = new CustomEvent("register:restored"); } catch (e) { return; }
    form.dispatchEvent(event);
  }

  // The waiting marks, back in the form (the page may be the copy kept while online).
  function restore(entry) {
    var rows = {};
    entry.fields.forEach(function (p) {
      var m = Outbox.ROW_FIELD.exec(p[0]);
      if (m) { rows[m[2]] = true; }
    });
    Object.keys(rows).forEach(function (pupil) {
      if (!rowOf(pupil) || !input("mark-" + pupil)) { return; }
      setMark(pupil, Outbox.codeIn(entry.fields, pupil));
      ["arrived", "reason", "version", "was"].forEach(function (name) {
        var value = Outbox.field(entry.fields, name + "-" + pupil);
        if (value !== null) { setValue(name + "-" + pupil, value); }
      });
    });
    restored();
  }

  // After an answer: each row's version and shown mark as the server has them now, so the next
  // save is checked against them; a conflicting row shows the other person's mark.
  function applyMarks(marks, conflicted) {
    Object.keys(marks || {}).forEach(function (pupil) {
      var mark = marks[pupil];
      setValue("version-" + pupil, String(mark.version));
      setValue("was-" + pupil, mark.was);
      if (conflicted[pupil]) { setMark(pupil, mark.code); }
    });
    restored();
  }

  function flag(row, cls, text) {
    var name = row.querySelector(".pupil-name");
    var el = name.querySelector("." + cls);
    if (!text) { if (el) { el.parentNode.removeChild(el); } return; }
    if (!el) {
      el = document.createElement("span");
      el.className = "flag " + cls;
      name.appendChild(el);
    }
    el.textContent = text;
  }

  function markRows(waiting, conflicts) {
    var waitingSet = {};
    (waiting || []).forEach(function (p) { waitingSet[p] = true; });
    var conflictOf = {};
    conflicts.forEach(function (c) { conflictOf[c.pupil] = c; });
    Array.prototype.forEach.call(form.querySelectorAll("tr[data-pupil]"), function (row) {
      var pupil = row.dataset.pupil;
      row.classList.toggle("waiting", !!waitingSet[pupil]);
      flag(row, "flag-waiting", waitingSet[pupil] ? "Waiting to be sent" : "");
      var c = conflictOf[pupil];
      flag(row, "flag-conflict", c ? "Not sent: " + (c.by || "someone else") + " recorded " + (c.theirs || "no mark") +
        " meanwhile; you entered " + c.yours : "");
    });
  }

  function say(nodes) {
    if (!status) { return; }
    var text = nodes.map(function (n) { return typeof n === "string" ? n : n.textContent; }).join("");
    if (status.dataset.said === text) { return; }  // the live region speaks only when something changed
    status.dataset.said = text;
    status.textContent = "";
    if (!text) { status.classList.remove("message", "warning", "error"); return; }
    var p = document.createElement("p");
    nodes.forEach(function (n) { p.appendChild(typeof n === "string" ? document.createTextNode(n) : n); });
    status.appendChild(p);
  }

  function conflictPanel(conflicts) {
    var key = conflicts.map(function (c) { return c.id; }).join(",");
    if (key === shownConflicts) { return; }
    shownConflicts = key;
    var panel = document.getElementById("offline-conflicts");
    if (panel) { panel.parentNode.removeChild(panel); }
    if (!conflicts.length) { return; }
    panel = document.createElement("div");
    panel.id = "offline-conflicts";
    panel.className = "message error offline-conflicts";
    panel.setAttribute("role", "alert");
    var h = document.createElement("h2");
    h.textContent = "Not saved: someone else changed " + (conflicts.length === 1 ? "this mark" : "these marks") +
      " while yours were waiting";
    panel.appendChild(h);
    var list = document.createElement("ul");
    conflicts.forEach(function (c) {
      var li = document.createElement("li");
      li.appendChild(document.createTextNode(c.message + " You entered " + (c.yours || "no mark") + "; " +
        (c.theirs ? "their mark (" + c.theirs + ") is kept" : "the register shows what is recorded now") +
        ". If yours is right, change it below and save again. "));
      var done = document.createElement("button");
      done.type = "button";
      done.className = "button secondary small";
      done.textContent = "I have checked this";
      done.addEventListener("click", function () { Outbox.dismissConflict(c.id).then(refresh); });
      li.appendChild(done);
      list.appendChild(li);
    });
    panel.appendChild(list);
    status.parentNode.insertBefore(panel, status.nextSibling);
  }

  function refresh() {
    return Promise.all([Outbox.get(action), Outbox.conflicts(action)]).then(function (found) {
      var entry = found[0];
      var conflicts = found[1] || [];
      var mine = entry && (!entry.user || !user || entry.user === user) ? entry : null;
      var waiting = mine ? Outbox.changedPupils(mine) : [];
      var n = waiting.length;
      var marks = plural(n, "mark");
      var online = navigator.onLine;
      markRows(waiting, conflicts);
      conflictPanel(conflicts);
      var level = "warning";
      if (entry && !mine) {
        say(["Marks entered on this device by someone else are waiting to be sent; they will be sent when that person signs in again."]);
      } else if (n && mine.stuck) {
        level = "error";
        say([marks + " not saved: " + mine.stuck.join(" ") + " They are filled in below: check them and press Save register."]);
      } else if (n && signIn) {
        level = "error";
        var link = document.createElement("a");
        link.href = form.dataset.signIn || "/login/";
        link.textContent = "Sign in again";
        say([marks + " waiting to be sent — you need to sign in again before they can be sent; they are kept on this device. ", link,
          " (then come back to this register)."]);
      } else if (n && !online) {
        say([marks + " waiting to be sent — you are offline; they will be sent when the connection returns."]);
      } else if (n && syncing) {
        say(["Sending " + marks + "…"]);
      } else if (n) {
        say([marks + " waiting to be sent — the connection is not working yet; trying again shortly."]);
      } else if (!online) {
        say(["You are offline. You can carry on marking: when you save, the marks are kept on this device and sent when the connection returns."]);
      } else {
        level = "";
        say([lastSaved]);
      }
      if (status) {
        status.classList.toggle("message", !!status.textContent);
        status.classList.toggle("warning", !!status.textContent && level === "warning");
        status.classList.toggle("error", !!status.textContent && level === "error");
      }
      return mine;
    });
  }

  function requestBackgroundSync() {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.sync) { return reg.sync.register("register-outbox"); }
    })["catch"](function () {});
  }

  // What sending the waiting marks did, whether this page sent them or the service worker did.
  function handled(outcome) {
    var conflicted = {};
    (outcome.conflicts || []).forEach(function (c) { conflicted[c.pupil] = true; });
    if (outcome.kind === "saved") {
      signIn = false;
      applyMarks(outcome.marks, conflicted);
      lastSaved = outcome.sent > 0 ? "All " + plural(outcome.sent, "waiting mark") + " sent and saved." : "";
    } else if (outcome.kind === "sign_in") {
      signIn = true;
    } else if (outcome.kind === "offline") {
      clearTimeout(retry);
      retry = setTimeout(sync, 15000);
    }
    return outcome;
  }

  function sync() {
    if (syncing || !navigator.onLine) { return Promise.resolve(); }
    clearTimeout(retry);
    return Outbox.get(action).then(function (entry) {
      if (!entry || entry.stuck || (entry.user && user && entry.user !== user)) { return null; }
      syncing = true;
      return refresh().then(function () { return Outbox.send(action); }).then(handled);
    }).then(function (outcome) {
      syncing = false;
      return refresh().then(function () { return outcome; });
    }, function (error) {
      syncing = false;
      retry = setTimeout(sync, 15000);
      return refresh().then(function () { throw error; });
    });
  }

  // Saving while offline: keep the submission instead of letting the browser fail to post it.
  form.addEventListener("submit", function (e) {
    if (navigator.onLine) { return; }  // posted as usual; the service worker keeps it if the network fails
    e.preventDefault();
    var pairs = [];
    var data;
    try { data = new FormData(form, e.submitter || undefined); } catch (err) { data = new FormData(form); }
    data.forEach(function (value, name) { if (typeof value === "string") { pairs.push([name, value]); } });
    if (!pairs.some(function (p) { return p[0] === "action"; })) { pairs.push(["action", "save"]); }
    Outbox.keep(action, user, pairs).then(function (entry) {
      if (!Outbox.changedPupils(entry).length) { return Outbox.drop(action); }
      requestBackgroundSync();
    }).then(refresh);
  });

  window.addEventListener("online", function () { refresh().then(sync); });
  window.addEventListener("offline", refresh);

  if ("serviceWorker" in navigator && form.dataset.outbox) {
    var firstVisit = !navigator.serviceWorker.controller;
    navigator.serviceWorker.register(form.dataset.outbox).then(function () {
      if (!firstVisit) { return; }
      // Opened before the worker looked after it: ask it to keep this page and its files now.
      return navigator.serviceWorker.ready.then(function (reg) {
        var urls = [location.href.split("#")[0]];
        Array.prototype.forEach.call(document.querySelectorAll("link[rel~=stylesheet], link[rel~=icon], script[src]"), function (el) {
          urls.push(el.href || el.src);
        });
        if (reg.active) { reg.active.postMessage({ type: "keep", urls: urls }); }
      });
    })["catch"](function () {});
    // Signing out: the copies of register pages kept for offline use are forgotten.
    Array.prototype.forEach.call(document.querySelectorAll("form[action$='/logout/']"), function (signOut) {
      signOut.addEventListener("submit", function () {
        if (window.caches) { window.caches["delete"]("register-pages-v1")["catch"](function () {}); }
        if (navigator.serviceWorker.controller) { navigator.serviceWorker.controller.postMessage({ type: "forget" }); }
      });
    });
    navigator.serviceWorker.addEventListener("message", function (e) {
      if (!e.data) { return; }
      if (e.data.type === "outbox-sent" && e.data.action === action && e.data.outcome) {
        handled(e.data.outcome);
        refresh();
      } else if (e.data.type === "outbox-changed") {
        refresh();
      }
    });
  }

  Outbox.get(action).then(function (entry) {
    if (entry && (!entry.user || !user || entry.user === user)) { restore(entry); }
    return refresh();
  }).then(sync)["catch"](function () {});
})();
