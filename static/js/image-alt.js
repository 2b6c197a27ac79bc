// A dropped image asks for its alt text: markdownx uploads it and inserts `![](url)`; a small
// dialog asks what the image shows, for readers who cannot see it, and writes `![words](url)`.
// Left empty, the image stays as inserted (the checks and the preview still show it).
(function () {
  "use strict";
  var template = document.getElementById("image-alt-dialog");
  if (!template) {
    return;
  }

  function markdownText(words) {
    return words.replace(/\s+/g, " ").trim().replace(/[\\[\]]/g, "\\$&");
  }

  function ask(then) {
    var dialog = template.content.firstElementChild.cloneNode(true);
    document.body.appendChild(dialog);
    var field = dialog.querySelector("input");
    dialog.addEventListener("close", function () {
      var words = dialog.returnValue === "insert" ? field.value : "";
      dialog.remove();
      then(words);
    });
    dialog.showModal();
    field.focus();
  }

  // markdownx's event does not bubble: listen while it travels down (capture).
  document.addEventListener(
    "markdownx.fileUploadEnd",
    function (event) {
      var editor = event.target.querySelector && event.target.querySelector("textarea");
      var answer = event.detail && event.detail[0];
      var code = answer && answer.image_code;
      if (!editor || !code || code.indexOf("![](") !== 0) {
        return;
      }
      var near = editor.selectionStart - code.length;
      ask(function (words) {
        var alt = markdownText(words);
        if (!alt) {
          return;
        }
        // The text may have changed while the dialog was open: find the image again.
        var at = editor.value.indexOf(code, Math.max(0, near - 1));
        if (at === -1) {
          at = editor.value.lastIndexOf(code);
        }
        if (at === -1) {
          return;
        }
        editor.setRangeText("![" + alt + "]", at, at + 3, "end");
        editor.dispatchEvent(new Event("input", { bubbles: true }));
        editor.focus();
      });
    },
    true
  );
})();
