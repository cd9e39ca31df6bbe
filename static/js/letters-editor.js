/* The letter template editor, enhanced. Without this file the page still works: the Preview
   button posts the draft into the preview frame, "Find pupil" searches on the server, and
   the merge-field names can be copied by hand. With it: the preview follows the typing (after
   a short pause, without adding to the browser's history), pupils are found as you search,
   and each merge field has Insert and Copy buttons. */
(function () {
  "use strict";

  var form = document.getElementById("template-form");
  if (!form || !window.fetch) { return; }

  var previewUrl = form.dataset.previewUrl;
  var searchUrl = form.dataset.pupilSearchUrl;
  var frame = form.querySelector("iframe.lt-frame");
  var box = form.querySelector(".lt-preview");
  var status = form.querySelector("[data-preview-status]");
  var subject = form.querySelector("[name=subject]");
  var body = form.querySelector("[name=body]");
  var finder = form.querySelector("[name=find_pupil]");
  var results = form.querySelector("[data-pupil-results]");
  var pupilName = form.querySelector("[data-pupil-name]");
  var DELAY = 500;
  var timer = null;
  var sequence = 0;
  var shown = 0;
  var frameReady = false;
  var pending = null;
  var dirty = false;
  var target = body;

  frame.addEventListener("load", function () {
    frameReady = true;
    if (pending) { var html = pending; pending = null; show(html); }
  });
  try { frameReady = frame.contentDocument && frame.contentDocument.readyState === "complete" && frame.contentDocument.URL !== "about:blank"; } catch (e) { frameReady = false; }

  function pupilInput() {
    var checked = form.querySelector("input[name=preview_pupil]:checked");
    return checked || form.querySelector("input[type=hidden][name=preview_pupil]");
  }

  function setStatus(text, isError) {
    status.textContent = text;
    status.classList.toggle("is-error", !!isError);
    box.dataset.state = isError ? "error" : "";
  }

  function now() {
    var d = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }

  /* Put the fetched letter into the frame's own document: the frame keeps the letter's own
     security policy (its styles apply, no script runs in it) and the browser history is left
     alone. */
  function show(html) {
    if (!frameReady) { pending = html; return; }
    var doc;
    try { doc = frame.contentDocument; } catch (e) { doc = null; }
    if (!doc) { return; }
    var scroll = doc.scrollingElement ? doc.scrollingElement.scrollTop : 0;
    doc.open();
    doc.write(html);
    doc.close();
    frame.dispatchEvent(new Event("letters:shown"));
    if (doc.scrollingElement) { doc.scrollingElement.scrollTop = scroll; }
  }

  function attribute(html, name) {
    var match = new RegExp(name + '="([^"]*)"').exec(html);
    if (!match) { return null; }
    var decode = document.createElement("textarea");
    decode.innerHTML = match[1];
    return decode.value;
  }

  function preview() {
    window.clearTimeout(timer);
    timer = null;
    var mine = ++sequence;
    var data = new FormData(form);
    data.set("action", "preview");
    box.dataset.state = "busy";
    fetch(previewUrl, { method: "POST", body: data, credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.text().then(function (text) { return { ok: response.ok, code: response.status, text: text }; }); })
      .then(function (result) {
        if (mine < shown) { return; }
        shown = mine;
        var problem = attribute(result.text, "data-preview-error");
        show(result.text);
        if (problem !== null) {
          var line = attribute(result.text, "data-preview-line");
          var part = attribute(result.text, "data-preview-part") === "subject" ? "heading" : "letter text";
          var where = line && problem.indexOf("line " + line) === -1 ? " (" + part + ", line " + line + ")" : "";
          setStatus("Not shown: " + problem + where, true);
        } else if (!result.ok) {
          setStatus("The preview could not be made (the server answered " + result.code + ").", true);
        } else {
          var who = pupilName ? pupilName.textContent.trim() : "";
          setStatus("Your draft, not saved yet" + (who ? ", for " + who : "") + " · updated " + now(), false);
        }
      })
      .catch(function () { setStatus("The preview could not be updated; check the connection and press Preview.", true); });
  }

  function schedule() {
    dirty = true;
    window.clearTimeout(timer);
    timer = window.setTimeout(preview, DELAY);
  }

  [subject, body].forEach(function (el) {
    el.addEventListener("input", schedule);
    el.addEventListener("focus", function () { target = el; });
  });

  /* --- merge fields: Insert at the cursor of the last box used, or Copy ---------------- */
  // On a narrow screen the list comes after the text: keep every group closed until asked.
  if (window.matchMedia && window.matchMedia("(max-width: 899px)").matches) {
    form.querySelectorAll("details.lt-field-group[open]").forEach(function (d) { d.open = false; });
  }

  function insert(text) {
    var el = target || body;
    var start = el.selectionStart, end = el.selectionEnd;
    if (typeof start !== "number") { start = end = el.value.length; }
    el.value = el.value.slice(0, start) + text + el.value.slice(end);
    el.focus();
    el.selectionStart = el.selectionEnd = start + text.length;
    el.dispatchEvent(new Event("input", { bubbles: true }));
  }

  form.querySelectorAll("[data-merge-field]").forEach(function (item) {
    var name = item.getAttribute("data-merge-field");
    var text = "{{ " + name + " }}";
    var buttons = document.createElement("div");
    buttons.className = "lt-field-buttons";
    var add = document.createElement("button");
    add.type = "button";
    add.textContent = "Insert";
    add.setAttribute("aria-label", "Insert " + name);
    add.addEventListener("mousedown", function (e) { e.preventDefault(); });  // keep the text box's selection
    add.addEventListener("click", function () { insert(text); });
    buttons.appendChild(add);
    if (navigator.clipboard && window.isSecureContext) {
      var copy = document.createElement("button");
      copy.type = "button";
      copy.textContent = "Copy";
      copy.setAttribute("aria-label", "Copy " + name);
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(text).then(function () {
          copy.textContent = "Copied";
          window.setTimeout(function () { copy.textContent = "Copy"; }, 1500);
        });
      });
      buttons.appendChild(copy);
    }
    item.appendChild(buttons);
  });

  /* --- the preview pupil ------------------------------------------------------------------ */
  var sampleButton = form.querySelector("button[value=sample]");

  function choosePupil(id, label) {
    var input = pupilInput();
    if (input && input.type === "radio") {
      form.querySelectorAll("input[name=preview_pupil]").forEach(function (r) { r.checked = r.value === String(id); });
    } else if (input) {
      input.value = id;
    }
    if (pupilName) { pupilName.textContent = label; }
    if (sampleButton) { sampleButton.hidden = !id; }
    preview();
  }

  function search() {
    var q = finder.value.trim();
    if (!q) { results.textContent = ""; finder.focus(); return; }
    fetch(searchUrl + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) {
        results.textContent = "";
        if (!data.pupils.length) {
          var none = document.createElement("p");
          none.className = "muted";
          none.textContent = "No pupil on roll matches “" + q + "”.";
          results.appendChild(none);
          return;
        }
        var list = document.createElement("ul");
        data.pupils.forEach(function (p) {
          var li = document.createElement("li");
          var b = document.createElement("button");
          b.type = "button";
          b.textContent = p.name + " ";
          var extra = document.createElement("span");
          extra.className = "muted";
          extra.textContent = p.group + " · " + p.upn;
          b.appendChild(extra);
          b.addEventListener("click", function () {
            choosePupil(p.id, p.name + " (" + p.group + ")");
            results.textContent = "";
            finder.value = "";
          });
          li.appendChild(b);
          list.appendChild(li);
        });
        results.appendChild(list);
      })
      .catch(function () { results.textContent = "The search did not work; press Find pupil again."; });
  }

  form.addEventListener("submit", function (event) {
    var action = event.submitter ? event.submitter.value : "";
    if (action === "find") {
      event.preventDefault();
      search();
    } else if (action === "preview") {
      event.preventDefault();
      preview();
    } else if (action === "sample") {
      event.preventDefault();
      choosePupil("", "sample data (a made-up pupil)");
    } else {
      dirty = false;
    }
  });

  /* Back from a save that was refused: show the draft, and put the cursor on the line named. */
  if (form.dataset.draft === "true") {
    dirty = true;
    preview();
  }
  var errorLine = Number(form.dataset.errorLine) || 0;
  if (errorLine) {
    var box2 = form.dataset.errorPart === "subject" ? subject : body;
    var lines = box2.value.split("\n");
    var start = 0;
    for (var i = 0; i < errorLine - 1 && i < lines.length; i++) { start += lines[i].length + 1; }
    var end = start + (lines[errorLine - 1] || "").length;
    box2.focus();
    box2.setSelectionRange(start, end);
    target = box2;
  }

  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();
