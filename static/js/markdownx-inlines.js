// markdownx starts its editors once, when the page loads; a section or item added later is a
// copy of a form that was already started, so its live preview would stay blank. Run markdownx
// again for the new form: it starts every editor not marked as started.
document.addEventListener("formset:added", function (event) {
  event.target.querySelectorAll(".markdownx-editor[data-markdownx-init]").forEach(function (editor) {
    editor.removeAttribute("data-markdownx-init");
  });
  var loaded = document.querySelector("script[src*='markdownx/js/markdownx']");
  if (!loaded) {
    return;
  }
  var script = document.createElement("script");
  script.src = loaded.src;
  document.body.appendChild(script);
});
