/* The register outbox: submissions of a register form kept in the browser (IndexedDB) while the
   network is down, and sent again, as the same form POST, when it is back. Shared by the page
   (register-offline.js) and the service worker (register-sw.js), so that both send the same way.

   Generic: an entry is keyed by the form's action URL and holds the form's fields as they were
   submitted (each row's version and the mark the page showed included), so any register form
   that posts rows this way (a lesson's too) can use it. The server's answer decides what is
   cleared: only what was saved. A mark someone else changed meanwhile is a conflict: it is kept
   aside for the teacher to see and never sent over the other person's mark. */
(function (scope) {
  "use strict";

  var DB = "register-outbox";
  var WAITING = "waiting";      // one entry per form action: { action, user, token, fields, queuedAt, stuck }
  var CONFLICTS = "conflicts";  // { id, action, pupil, yours, theirs, by, message, at }
  var ROW_FIELD = /^(mark|other|minutes|arrived|reason|version|was)-(\d+)$/;
  var TOKEN = "csrfmiddlewaretoken";
  var QUEUED_BY = "queued-by";
  var dbPromise = null;

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = scope.indexedDB.open(DB, 1);
        request.onupgradeneeded = function () {
          var db = request.result;
          db.createObjectStore(WAITING, { keyPath: "action" });
          db.createObjectStore(CONFLICTS, { keyPath: "id", autoIncrement: true }).createIndex("action", "action");
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { dbPromise = null; reject(request.error); };
      });
    }
    return dbPromise;
  }

  // One IndexedDB transaction; resolves with what `work` returns once the transaction is complete.
  function tx(store, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(store, mode);
        var request;
        t.oncomplete = function () { resolve(request ? request.result : undefined); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
        request = work(t.objectStore(store));
      });
    });
  }

  function get(action) { return tx(WAITING, "readonly", function (s) { return s.get(action); }).then(function (e) { return e || null; }); }
  function all() { return tx(WAITING, "readonly", function (s) { return s.getAll(); }); }
  function put(entry) { return tx(WAITING, "readwrite", function (s) { s.put(entry); }); }
  function drop(action) { return tx(WAITING, "readwrite", function (s) { s["delete"](action); }); }

  function conflicts(action) {
    return tx(CONFLICTS, "readonly", function (s) { return s.index("action").getAll(action); });
  }
  function addConflicts(list) {
    if (!list.length) { return Promise.resolve(); }
    return tx(CONFLICTS, "readwrite", function (s) { list.forEach(function (c) { s.add(c); }); });
  }
  function dismissConflict(id) { return tx(CONFLICTS, "readwrite", function (s) { s["delete"](id); }); }

  // Keep a submission (the form's fields as [name, value] pairs). A register already waiting keeps
  // the versions and shown marks of its first submission: they are what the teacher last saw from
  // the server, so someone else's change since is still found as a conflict.
  function keep(action, user, pairs) {
    return get(action).then(function (old) {
      var token = "";
      var fields = [];
      pairs.forEach(function (p) {
        if (p[0] === TOKEN) { token = p[1]; }
        else if (p[0] === QUEUED_BY) { user = user || p[1]; }
        else { fields.push([p[0], p[1]]); }
      });
      if (old) {
        var first = {};
        old.fields.forEach(function (p) { if (/^(version|was)-/.test(p[0])) { first[p[0]] = p[1]; } });
        fields = fields.map(function (p) { return first.hasOwnProperty(p[0]) ? [p[0], first[p[0]]] : p; });
      }
      var entry = {
        action: action, user: user || (old && old.user) || "", token: token || (old && old.token) || "",
        fields: fields, queuedAt: (old && old.queuedAt) || Date.now(), stuck: null
      };
      return put(entry).then(function () { return entry; });
    });
  }

  function field(fields, name) {
    for (var i = 0; i < fields.length; i += 1) { if (fields[i][0] === name) { return fields[i][1]; } }
    return null;
  }

  // The code a row asks for: a typed code wins over the radio, as on the server.
  function codeIn(fields, pupil) {
    return ((field(fields, "other-" + pupil) || field(fields, "mark-" + pupil) || "") + "").trim().toUpperCase();
  }

  function present(code) { return code === "/" || code === "\\"; }
  function same(a, b) { return a === b || (present(a) && present(b)); }

  // Pupils whose mark in the entry differs from the one the page showed: the marks waiting.
  function changedPupils(entry) {
    var pupils = {};
    entry.fields.forEach(function (p) {
      var m = ROW_FIELD.exec(p[0]);
      if (m) { pupils[m[2]] = true; }
    });
    return Object.keys(pupils).filter(function (pupil) {
      var code = codeIn(entry.fields, pupil);
      var was = ((field(entry.fields, "was-" + pupil) || "|").split("|")[0] || "").toUpperCase();
      var arrived = field(entry.fields, "arrived-" + pupil);
      return code && (!same(code, was) || (arrived && code === "L" && !was));
    });
  }

  function withoutPupil(fields, pupil) {
    return fields.filter(function (p) { var m = ROW_FIELD.exec(p[0]); return !m || m[2] !== String(pupil); });
  }

  function body(entry) {
    var data = new URLSearchParams();
    entry.fields.forEach(function (p) { data.append(p[0], p[1]); });
    data.append(TOKEN, entry.token);
    if (entry.user) { data.append(QUEUED_BY, entry.user); }
    return data;
  }

  function isJson(response) {
    return (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
  }

  // A fresh CSRF token from the register page itself; null when the session has gone (the
  // request ends at the sign-in page) or the page is refused.
  function freshToken(action) {
    return fetch(action, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (!response.ok || response.redirected) { return null; }
      return response.text().then(function (html) {
        var m = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html);
        return m ? m[1] : null;
      });
    });
  }

  function serialised(work) {
    if (scope.navigator && scope.navigator.locks) { return scope.navigator.locks.request(DB, work); }
    return work();
  }

  /* Send one register's waiting submission. Resolves with what happened:
     { kind: "saved", sent, marks, conflicts } — everything still wanted was saved (or was there already);
     { kind: "offline" } — the network failed: nothing changed, the entry waits;
     { kind: "sign_in", message } — the session or its token has gone: the entry waits;
     { kind: "refused", refusals, conflicts } — the server refused something else (kept, marked stuck);
     { kind: "none" } — nothing was waiting.
     A conflict whose mark now is the one the teacher asked for (their own earlier send whose
     answer was lost, or the same mark from someone else) is saved already, not a conflict. */
  function send(action) {
    return serialised(function () {
      return get(action).then(function (entry) {
        if (!entry) { return { kind: "none" }; }
        // Refused for a reason only the teacher can put right: sent again when they save the form.
        if (entry.stuck) { return { kind: "refused", refusals: entry.stuck.map(function (m) { return { message: m }; }), conflicts: [] }; }
        var found = [];
        var sent = changedPupils(entry).length;
        var refreshed = false;

        function attempt(round) {
          return fetch(entry.action, {
            method: "POST", body: body(entry), credentials: "same-origin", cache: "no-store",
            headers: { "Accept": "application/json" }
          }).then(function (response) {
            if (!isJson(response)) {
              if (response.status === 403 && !refreshed) {
                refreshed = true;
                return freshToken(entry.action).then(function (token) {
                  if (!token) { return { kind: "sign_in" }; }
                  entry.token = token;
                  return put(entry).then(function () { return attempt(round); });
                });
              }
              return { kind: "sign_in" };
            }
            return response.json().then(function (data) { return answered(data, round); });
          }, function () { return { kind: "offline" }; });
        }

        function answered(data, round) {
          if (data.saved) {
            return drop(entry.action).then(function () {
              return { kind: "saved", sent: sent - found.length, marks: data.marks || {}, conflicts: found };
            });
          }
          if (data.sign_in) { return { kind: "sign_in", message: data.message }; }
          var refusals = data.refusals || [];
          var others = refusals.filter(function (r) { return !r.conflict; });
          var marks = data.marks || {};
          var fresh = [];
          refusals.filter(function (r) { return r.conflict; }).forEach(function (r) {
            var yours = codeIn(entry.fields, r.pupil);
            var now = marks[String(r.pupil)];
            if (!(now && same(now.code, yours))) {
              fresh.push({
                action: entry.action, pupil: String(r.pupil), yours: yours, theirs: now ? now.code : "",
                by: now ? now.by : "", message: r.message, at: Date.now()
              });
            }
            entry.fields = withoutPupil(entry.fields, r.pupil);
          });
          found = found.concat(fresh);
          return addConflicts(fresh).then(function () {
            if (others.length) {
              entry.stuck = others.map(function (r) { return r.message; });
              return put(entry).then(function () { return { kind: "refused", refusals: others, conflicts: found }; });
            }
            if (!changedPupils(entry).length) {
              return drop(entry.action).then(function () {
                return { kind: "saved", sent: sent - found.length, marks: marks, conflicts: found };
              });
            }
            if (round >= 3) {  // someone keeps changing this register: stop and let the teacher look
              entry.stuck = ["Someone else is changing this register at the same time."];
              return put(entry).then(function () { return { kind: "refused", refusals: [], conflicts: found }; });
            }
            // The rest were refused only because the batch is all or nothing: send them again.
            return put(entry).then(function () { return attempt(round + 1); });
          });
        }

        return attempt(0);
      });
    });
  }

  scope.RegisterOutbox = {
    keep: keep, get: get, all: all, drop: drop, send: send,
    conflicts: conflicts, dismissConflict: dismissConflict,
    changedPupils: changedPupils, field: field, codeIn: codeIn, ROW_FIELD: ROW_FIELD
  };
})(self);
