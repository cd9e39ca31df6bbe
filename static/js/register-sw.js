/* The register pages' service worker (loaded by the script /registers/sw.js, whose scope is the
   statutory register pages only, and by the same script at /lessons/registers/sw.js for the
   lesson register pages). Three jobs, so that a dropped school Wi-Fi loses no mark:
   - keep a copy of each register page and its static files, so a reload while offline still
     shows the page (the page then puts the waiting marks back from the outbox);
   - when a register form's POST cannot reach the server, keep the submission in the outbox
     (register-outbox.js) and show the page again, instead of the browser's "no connection" page;
   - send waiting submissions when the connection returns, where the browser offers background
     sync (the page sends them itself too, on load and when it comes back online).
   Pages are fetched from the network first: the copy is used only when the network fails. */
/* global RegisterOutbox */
"use strict";

var CACHE = "register-pages-v1";
var SCOPE = new URL(self.registration.scope);

function inScope(url) { return url.origin === SCOPE.origin && url.pathname.indexOf(SCOPE.pathname) === 0; }
function sameOrigin(url) { return url.origin === SCOPE.origin; }

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("register-pages-") === 0 && n !== CACHE; })
      .map(function (n) { return caches["delete"](n); }));
  }).then(function () { return self.clients.claim(); }));
});

// Only whole, successful pages are kept: never a redirect (to the sign-in page) or an error.
function keepCopy(request, response) {
  if (response && response.ok && response.type === "basic" && !response.redirected) {
    var copy = response.clone();
    caches.open(CACHE).then(function (cache) { return cache.put(request, copy); });
  }
  return response;
}

function fromCache(request) {
  return caches.open(CACHE).then(function (cache) { return cache.match(request, { ignoreVary: true }); });
}

function offlinePage() {
  return new Response(
    "<!doctype html><html lang=\"en-GB\"><meta charset=\"utf-8\"><title>Offline</title>" +
    "<h1>You are offline</h1><p>This register has not been opened on this device before, so it cannot be " +
    "shown until the connection returns.</p></html>",
    { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } }
  );
}

function networkFirst(request, navigation) {
  return fetch(request).then(function (response) { return keepCopy(request, response); }, function () {
    return fromCache(request).then(function (copy) {
      if (copy) { return copy; }
      return navigation ? offlinePage() : Response.error();
    });
  });
}

function tellPages(message) {
  return self.clients.matchAll({ type: "window" }).then(function (pages) {
    pages.forEach(function (page) { page.postMessage(message); });
  });
}

// A register form posted while the network is down: keep it, then show the page again (a
// redirect, so that reloading the page does not post the form a second time).
function postOrKeep(request) {
  var kept = request.clone();
  return fetch(request).then(function (response) {
    // The server answered: the page it returns shows what was saved or refused, from the
    // form just posted, which carried every waiting mark: the outbox entry is done with.
    if (response.status === 403 || response.status >= 500) { return response; }
    return RegisterOutbox.drop(request.url).then(function () { return response; }, function () { return response; });
  }, function () {
    return kept.formData().then(function (form) {
      var pairs = [];
      form.forEach(function (value, name) { if (typeof value === "string") { pairs.push([name, value]); } });
      return RegisterOutbox.keep(request.url, "", pairs);  // the page stamps the form with its user
    }).then(function () {
      if (self.registration.sync) { self.registration.sync.register("register-outbox")["catch"](function () {}); }
      return Response.redirect(request.url, 303);
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (!sameOrigin(url)) { return; }
  if (request.mode === "navigate") {
    if (!inScope(url)) { return; }
    if (request.method === "POST") { event.respondWith(postOrKeep(request)); return; }
    if (request.method === "GET") { event.respondWith(networkFirst(request, true)); }
    return;
  }
  // The static files of a register page (styles, scripts, icon): fetched and kept the same way.
  if (request.method === "GET" && request.destination && ["style", "script", "image", "font"].indexOf(request.destination) >= 0) {
    event.respondWith(networkFirst(request, false));
  }
});

// The page, opened before this worker looked after it, asks for its own copy and its files; on
// signing out it asks for the copies to be forgotten (pupils' names on a shared computer). The
// outbox stays: marks not yet sent are never thrown away, and go only with their own user.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "forget") { event.waitUntil(caches["delete"](CACHE)); return; }
  if (data.type !== "keep" || !Array.isArray(data.urls)) { return; }
  var urls = data.urls.filter(function (u) {
    var url = new URL(u, SCOPE);
    return sameOrigin(url) && (inScope(url) || url.pathname.indexOf("/static/") === 0);
  });
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(urls.map(function (u) {
      return fetch(u, { credentials: "same-origin" }).then(function (response) {
        if (response.ok && !response.redirected) { return cache.put(u, response); }
      })["catch"](function () {});
    }));
  }));
});

self.addEventListener("sync", function (event) {
  if (event.tag !== "register-outbox") { return; }
  var offline = false;
  event.waitUntil(RegisterOutbox.all().then(function (entries) {
    return entries.reduce(function (done, entry) {
      return done.then(function () { return RegisterOutbox.send(entry.action); }).then(function (outcome) {
        if (outcome && outcome.kind === "offline") { offline = true; }
        // An open register page shows what happened (saved, conflicts, sign in again).
        return tellPages({ type: "outbox-sent", action: entry.action, outcome: outcome });
      });
    }, Promise.resolve());
  }).then(function () {
    return tellPages({ type: "outbox-changed" });
  }).then(function () {
    if (offline) { throw new Error("still offline: the browser tries again later"); }
  }));
});
