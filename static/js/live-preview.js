// While an item is typed, it is shown as it will be published: rendered with the whole issue
// (issues/admin/views/preview.py), so its citations carry their issue-wide numbers, and the
// panel's reference list follows the links added. Debounced; nothing is saved.
(function () {
  "use strict";
  var form = document.getElementById("issue_form");
  var workspace = document.querySelector(".digest-workspace[data-preview-url]");
  if (!form || !workspace) {
    return;
  }
  var ITEM_FIELD = /^(sections-\d+-items-\d+)-(title|body)$/;
  var timers = {};
  var sent = {};

  function previewBox(box) {
    var shown = box.querySelector(":scope .item-published");
    if (!shown) {
      shown = document.createElement("div");
      shown.className = "item-published";
      shown.setAttribute("aria-live", "polite");
      var heading = document.createElement("p");
      heading.className = "item-published-label";
      heading.textContent = workspace.dataset.previewLabel;
      shown.appendChild(heading);
      shown.appendChild(document.createElement("h4"));
      shown.appendChild(document.createElement("div"));
      var body = box.querySelector("textarea[name$='-body']");
      var row = body && body.closest(".form-row");
      (row || box).appendChild(shown);
    }
    return shown;
  }

  // Where a new item stands among its section's saved items: how many come before it.
  function savedBefore(box, group) {
    var count = 0;
    var own = new RegExp("^" + group + "-\\d+$");
    var boxes = box.parentNode ? box.parentNode.children : [];
    for (var i = 0; i < boxes.length && boxes[i] !== box; i += 1) {
      var pk = own.test(boxes[i].id) && form.elements.namedItem(boxes[i].id + "-id");
      if (pk && pk.value) {
        count += 1;
      }
    }
    return count;
  }

  function render(prefix) {
    var box = document.getElementById(prefix);
    var id = form.elements.namedItem(prefix + "-id");
    var title = form.elements.namedItem(prefix + "-title");
    var body = form.elements.namedItem(prefix + "-body");
    if (!box || !title || !body) {
      return;
    }
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.elements.namedItem("csrfmiddlewaretoken").value);
    if (id && id.value) {
      data.append("item", id.value);
    } else {
      // A new item: read in its place in a saved section (a new section has none yet).
      var section = form.elements.namedItem(prefix + "-section");
      if (!section || !section.value) {
        return;
      }
      data.append("section", section.value);
      data.append("index", String(savedBefore(box, prefix.replace(/-\d+$/, ""))));
    }
    data.append("title", title.value);
    data.append("body", body.value);
    var ticket = (sent[prefix] = (sent[prefix] || 0) + 1);
    fetch(workspace.dataset.previewUrl, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (!answer || ticket !== sent[prefix]) {
          return; // refused, or an older answer overtaken by a newer one
        }
        var shown = previewBox(box);
        // HTML from the one sanitising renderer (issues/text), as the published page has it.
        shown.querySelector("h4").innerHTML = answer.number + " " + answer.title;
        shown.querySelector("div").innerHTML = answer.body;
        var references = document.querySelector(".panel-references");
        if (references) {
          references.innerHTML = answer.references;
        }
      })
      .catch(function () {
        // offline or refused: the text is still in the form, the save still works
      });
  }

  form.addEventListener("input", function (event) {
    var match = event.target.name && ITEM_FIELD.exec(event.target.name);
    if (!match) {
      return;
    }
    var prefix = match[1];
    window.clearTimeout(timers[prefix]);
    timers[prefix] = window.setTimeout(function () {
      render(prefix);
    }, 600);
  });
})();
