/* Letters shown in a frame (the editor's preview, a letter's record page) are A4 wide; scale
   each one to the width of its frame so the whole line can be read without scrolling sideways.
   The editor's script announces a new letter in the frame with a "letters:shown" event. Without
   this file the frame scrolls instead. */
(function () {
  "use strict";

  var frames = Array.prototype.slice.call(document.querySelectorAll("iframe.lt-frame"));
  if (!frames.length) { return; }

  function fit(frame) {
    var doc;
    try { doc = frame.contentDocument; } catch (e) { return; }
    if (!doc || !doc.body) { return; }
    var sheet = doc.querySelector("article");
    doc.body.style.zoom = "";
    if (!sheet) { return; }
    var natural = sheet.offsetWidth + 24;
    var room = frame.clientWidth;
    var scale = Math.min(1, room / natural);
    doc.body.style.zoom = scale < 1 ? String(Math.floor(scale * 1000) / 1000) : "";
    // A short letter (scaled down on a phone) should not sit in a tall empty frame.
    frame.style.height = "";
    var content = doc.documentElement.scrollHeight;
    if (content && content + 4 < frame.clientHeight) { frame.style.height = (content + 4) + "px"; }
  }

  frames.forEach(function (frame) {
    frame.addEventListener("load", function () { fit(frame); });
    frame.addEventListener("letters:shown", function () { fit(frame); });
    fit(frame);
  });
  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () { frames.forEach(fit); }, 100);
  });
})();
