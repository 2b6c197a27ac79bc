// Previews on demand: a page of 300 items would otherwise send one markdownify request per text
// field on load. A field's markdownx editor starts when the field gets focus or its "Show
// preview" button is pressed; markdownx then previews it live as usual.
(function () {
  "use strict";
  function start(box) {
    if (!box || !box.classList.contains("markdownx-lazy")) {
      return;
    }
    box.classList.remove("markdownx-lazy");
    box.classList.add("markdownx");
    var actions = box.querySelector(".markdownx-lazy-actions");
    if (actions) {
      actions.remove();
    }
    // markdownx starts every .markdownx not yet started when its script runs: run it again.
    var loaded = document.querySelector("script[src*='markdownx/js/markdownx']");
    if (loaded) {
      var script = document.createElement("script");
      script.src = loaded.src;
      document.body.appendChild(script);
    }
  }
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches(".markdownx-lazy textarea")) {
      start(event.target.closest(".markdownx-lazy"));
    }
  });
  // An image dragged over a field not started yet: start it, so that markdownx takes the drop.
  document.addEventListener("dragenter", function (event) {
    if (event.target.matches && event.target.matches(".markdownx-lazy textarea")) {
      start(event.target.closest(".markdownx-lazy"));
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".markdownx-show");
    if (button) {
      start(button.closest(".markdownx-lazy"));
    }
  });
})();
