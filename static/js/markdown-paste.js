// Pasting a URL over selected text in a Markdown field makes a link of it: [text](url).
(function () {
  "use strict";
  var URL_ONLY = /^https?:\/\/\S+$/i;
  document.addEventListener("paste", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches(".digest-form textarea, .digest-form input.vTextField")) {
      return;
    }
    var pasted = ((event.clipboardData && event.clipboardData.getData("text/plain")) || "").trim();
    var start = field.selectionStart;
    var end = field.selectionEnd;
    var selected = field.value.slice(start, end);
    if (!URL_ONLY.test(pasted) || !selected.trim() || selected.indexOf("\n") !== -1) {
      return;
    }
    event.preventDefault();
    var link = "[" + selected + "](" + pasted.replace(/\)/g, "%29") + ")";
    field.setRangeText(link, start, end, "end");
    field.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
