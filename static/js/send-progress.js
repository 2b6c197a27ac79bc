// Live progress of a send: polls the JSON endpoint named by data-url and fills data-field cells.
(function () {
  "use strict";
  var root = document.getElementById("send-progress");
  if (!root) return;
  var url = root.getAttribute("data-url");
  var bar = document.getElementById("send-bar");
  function update() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        root.querySelectorAll("[data-field]").forEach(function (cell) {
          var value = data[cell.getAttribute("data-field")];
          cell.textContent = value === null || value === undefined ? "—" : String(value);
        });
        if (bar) { bar.max = data.total || 1; bar.value = data.sent; }
        if (data.state === "sending" || data.state === "paused") setTimeout(update, 2000);
      })
      .catch(function () { setTimeout(update, 5000); });
  }
  setTimeout(update, 1000);
})();
