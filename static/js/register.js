/* The register page, faster by keyboard and touch. The form works without this file: the
   server decides everything (L or U and the minutes, from the arrival time; who may change
   what). This only makes marking quicker: single keys, arrow keys, "mark all unmarked present"
   on the page, undo, and the arrival time filled in while the register is open. */
(function () {
  "use strict";

  var form = document.getElementById("register-form");
  if (!form) { return; }

  var codesEl = document.getElementById("register-codes");
  var codes = codesEl ? JSON.parse(codesEl.textContent) : [];
  var present = form.dataset.present || "/";
  var serverNow = Number(form.dataset.now) || Date.now();
  var lateAt = Number(form.dataset.late) || 0;
  var closesAt = Number(form.dataset.closes) || 0;
  var loadedAt = Date.now();
  var live = document.getElementById("register-live");
  var undoButton = document.getElementById("undo");
  var markAllButton = document.getElementById("mark-all");
  var saveButton = document.getElementById("save-register");
  var undoStack = [];
  var rows = Array.prototype.slice.call(form.querySelectorAll("tr.pupil-row")).filter(function (row) {
    return row.querySelector("input[type=radio]");
  });
  var ABSENCE = ["N", "O", "G", "U"];

  Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (el) { el.hidden = false; });
  form.classList.add("enhanced");

  function radios(row) { return row.querySelectorAll("input[type=radio]"); }
  function other(row) { return row.querySelector(".other-input"); }
  function arrived(row) { return row.querySelector(".arrived-input"); }
  function nameOf(row) { return row.dataset.name || "pupil"; }

  function getState(row) {
    var checked = row.querySelector("input[type=radio]:checked");
    return { radio: checked ? checked.value : "", other: other(row).value, arrived: arrived(row).value };
  }

  function codeOf(row) {
    var s = getState(row);
    return (s.other || s.radio || "").toUpperCase();
  }

  function setState(row, s) {
    Array.prototype.forEach.call(radios(row), function (r) { r.checked = r.value === s.radio; });
    other(row).value = s.other;
    arrived(row).value = s.arrived;
    refresh(row);
    row._last = getState(row);
  }

  function refresh(row) {
    var code = codeOf(row);
    var late = code === "L" || code === "U";
    arrived(row).disabled = !late;
    var css = "none";
    if (code === "/" || code === "\\") { css = "present"; }
    else if (code === "L") { css = "late"; }
    else if (ABSENCE.indexOf(code) >= 0) { css = "unauthorised_absence"; }
    else if (code) { css = "authorised_absence"; }
    row.className = row.className.replace(/\bmark-\S+/g, "").trim() + " mark-" + css;
    countUnmarked();
  }

  var unmarkedEl = document.getElementById("unmarked-count");
  var lockedUnmarked = form.querySelectorAll("tr.pupil-row.locked.mark-none").length;
  function countUnmarked() {
    if (!unmarkedEl) { return; }
    var n = lockedUnmarked;
    rows.forEach(function (row) { if (!codeOf(row)) { n += 1; } });
    unmarkedEl.textContent = String(n);
  }

  function serverTime() { return serverNow + (Date.now() - loadedAt); }
  function isClosed() { return closesAt && serverTime() >= closesAt; }
  function clockNow() {
    return new Date(serverTime()).toLocaleTimeString("en-GB", { timeZone: "Europe/London", hour: "2-digit", minute: "2-digit" });
  }
  // The arrival time a late mark starts with: now, while the register is open; after it closes the
  // teacher enters when the pupil arrived (it decides L or U and the minutes).
  function arrivalNow() { return isClosed() ? "" : clockNow(); }

  function describe(code) {
    if (!code) { return "no mark"; }
    if (code === "/" || code === "\\") { return "present"; }
    if (code === "L") {
      if (isClosed()) { return "late: enter the time they arrived"; }
      return "late, arrived " + clockNow();
    }
    if (code === "N") { return "absent, no reason yet"; }
    return "code " + code;
  }

  var announceTimer = null;
  function announce(text) {
    if (!live) { return; }
    live.textContent = "";
    clearTimeout(announceTimer);
    announceTimer = setTimeout(function () { live.textContent = text; }, 30);
  }

  function remember(entries) {
    undoStack.push(entries);
    if (undoButton) { undoButton.disabled = false; }
  }

  function stateFor(code) {
    var s = { radio: "", other: "", arrived: "" };
    if (code === "/" || code === "\\") { s.radio = present; }
    else if (code === "L" || code === "N") { s.radio = code; }
    else { s.other = code; }
    if (code === "L" || code === "U") { s.arrived = arrivalNow(); }
    return s;
  }

  function apply(row, code) {
    remember([{ row: row, state: row._last || getState(row) }]);
    setState(row, stateFor(code));
    announce(nameOf(row) + ": " + describe(code));
    return (code === "L" || code === "U") && !arrived(row).value;  // a time still to enter
  }

  function focusRow(row) {
    if (!row) { return; }
    var target = row.querySelector("input[type=radio]:checked") || row.querySelector("input[type=radio]");
    rows.forEach(function (r) { r.classList.remove("active"); });
    row.classList.add("active");
    target.focus();
    if (row.scrollIntoView) { row.scrollIntoView({ block: "nearest" }); }
  }

  function move(row, step) {
    var i = rows.indexOf(row) + step;
    if (i >= 0 && i < rows.length) { focusRow(rows[i]); }
    else if (i >= rows.length && saveButton) { saveButton.focus(); }
  }

  function markAll() {
    var changed = [];
    rows.forEach(function (row) {
      if (!codeOf(row)) {
        changed.push({ row: row, state: row._last || getState(row) });
        setState(row, stateFor(present));
      }
    });
    if (changed.length) { remember(changed); }
    announce(changed.length ? changed.length + " unmarked pupil" + (changed.length === 1 ? "" : "s") +
      " marked present. Check, then save the register." : "Every pupil already has a mark.");
  }

  function undo() {
    var entries = undoStack.pop();
    if (!entries) { announce("Nothing to undo."); return; }
    entries.forEach(function (e) { setState(e.row, e.state); });
    if (undoButton) { undoButton.disabled = undoStack.length === 0; }
    var row = entries[0].row;
    announce("Undone: " + (entries.length > 1 ? entries.length + " pupils" : nameOf(row) + " now " + describe(codeOf(row))));
    focusRow(row);
  }

  // typed codes: one or two characters; wait briefly when a code is the start of a longer one (C → C1)
  var buffer = "", bufferRow = null, bufferTimer = null;
  function isCode(s) { return codes.indexOf(s) >= 0; }
  function startsLonger(s) { return codes.some(function (c) { return c.length > s.length && c.indexOf(s) === 0; }); }
  function finishBuffer() {
    clearTimeout(bufferTimer);
    var row = bufferRow, code = buffer;
    buffer = ""; bufferRow = null;
    if (!row) { return; }
    if (isCode(code)) {
      if (apply(row, code)) { arrived(row).focus(); } else { move(row, 1); }
    }
    else { announce("“" + code + "” is not an attendance code."); row.classList.add("has-error"); }
  }
  function typed(row, ch) {
    if (bufferRow !== row) { buffer = ""; }
    bufferRow = row;
    buffer += ch;
    clearTimeout(bufferTimer);
    row.classList.remove("has-error");
    if (isCode(buffer) && !startsLonger(buffer)) { finishBuffer(); }
    else if (!startsLonger(buffer)) { finishBuffer(); }
    else { bufferTimer = setTimeout(finishBuffer, 900); }
  }

  form.addEventListener("keydown", function (e) {
    var t = e.target;
    if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === "z" || e.key === "Z")) {
      if (t.tagName === "INPUT" && t.type !== "radio") { return; }
      e.preventDefault();
      undo();
      return;
    }
    if (!t || t.type !== "radio" || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var row = t.closest("tr.pupil-row");
    if (!row) { return; }
    var key = e.key;
    if (key === "ArrowDown" || key === "ArrowUp") {
      e.preventDefault();
      move(row, key === "ArrowDown" ? 1 : -1);
    } else if (key === "/" || key === "\\" || key === " " || key === "Spacebar") {
      e.preventDefault();
      apply(row, present);
      move(row, 1);
    } else if (key === "*") {
      e.preventDefault();
      markAll();
    } else if (key === "Backspace" || key === "Delete") {
      e.preventDefault();
      apply(row, "");
    } else if (key.length === 1 && /[A-Za-z0-9#]/.test(key)) {
      e.preventDefault();
      typed(row, key.toUpperCase());
    }
  });

  form.addEventListener("focusin", function (e) {
    var row = e.target.closest && e.target.closest("tr.pupil-row");
    rows.forEach(function (r) { if (r !== row) { r.classList.remove("active"); } });
    if (row) { row.classList.add("active"); }
  });

  form.addEventListener("change", function (e) {
    var t = e.target;
    var row = t.closest && t.closest("tr.pupil-row");
    if (!row || rows.indexOf(row) < 0) { return; }
    if (t.type === "radio") {
      other(row).value = "";
      if (t.value === "L" && !arrived(row).value) { arrived(row).value = arrivalNow(); }
    }
    if (t.classList.contains("other-input")) {
      t.value = t.value.trim().toUpperCase();
      if (t.value) { Array.prototype.forEach.call(radios(row), function (r) { r.checked = false; }); }
      if ((t.value === "L" || t.value === "U") && !arrived(row).value) { arrived(row).value = arrivalNow(); }
    }
    remember([{ row: row, state: row._last || getState(row) }]);
    refresh(row);
    row._last = getState(row);
    announce(nameOf(row) + ": " + describe(codeOf(row)));
    var box = arrived(row);
    if (!box.disabled && !box.value && t !== box) { box.focus(); }
  });

  if (markAllButton) {
    markAllButton.addEventListener("click", function (e) {
      e.preventDefault();
      markAll();
    });
  }
  if (undoButton) {
    undoButton.disabled = true;
    undoButton.addEventListener("click", undo);
  }

  var submitting = false;
  form.addEventListener("submit", function (e) {
    if (submitting) { e.preventDefault(); return; }
    if (e.defaultPrevented) { return; }  // kept for later by register-offline.js: the form stays usable
    submitting = true;
    if (saveButton) { saveButton.setAttribute("aria-busy", "true"); }
  });

  // Marks put back into the form by another script (register-offline.js: marks waiting to be sent).
  form.addEventListener("register:restored", function () {
    rows.forEach(function (row) { refresh(row); row._last = getState(row); });
  });

  rows.forEach(function (row) {
    other(row).tabIndex = -1;  // codes are typed on the row; the box stays for touch and mouse
    refresh(row);
    row._last = getState(row);
  });
  var errors = document.getElementById("register-errors");
  if (errors) { errors.focus(); }
})();
