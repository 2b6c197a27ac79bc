// A long issue stays workable: each saved section and item folds to its header (remembered in
// this browser, per issue and per section or item), "Collapse all" / "Expand all" fold them at
// once, and the panel's contents open and jump to the section or item clicked.
(function () {
  "use strict";
  var workspace = document.querySelector(".digest-workspace[data-draft-key]");
  var form = document.getElementById("issue_form");
  if (!workspace || !form) {
    return;
  }
  var key = "digest:collapsed:" + workspace.dataset.draftKey;
  var FORM_ID = /^sections-\d+(-items-\d+)?$/;

  function boxes() {
    return Array.prototype.filter.call(
      form.querySelectorAll(".djn-inline-form.has_original"),
      function (box) {
        return FORM_ID.test(box.id);
      }
    );
  }

  // Remembered by the row's primary key, so the state follows an item that is moved.
  function rowKey(box) {
    var pk = form.querySelector("input[name='" + box.id + "-id']");
    return pk && pk.value ? (box.id.indexOf("-items-") === -1 ? "s" : "i") + pk.value : null;
  }

  function load() {
    try {
      return JSON.parse(window.localStorage.getItem(key) || "[]");
    } catch (error) {
      return [];
    }
  }

  function store() {
    var folded = boxes()
      .filter(function (box) {
        return box.classList.contains("is-collapsed");
      })
      .map(rowKey)
      .filter(Boolean);
    try {
      window.localStorage.setItem(key, JSON.stringify(folded));
    } catch (error) {
      // not remembered, still works
    }
  }

  function fold(box, collapsed) {
    box.classList.toggle("is-collapsed", collapsed);
    var toggle = box.querySelector(":scope > h3 .fold-toggle");
    if (toggle) {
      toggle.setAttribute("aria-expanded", collapsed ? "false" : "true");
      toggle.textContent = collapsed ? workspace.dataset.expand : workspace.dataset.collapse;
    }
  }

  var remembered = load();
  boxes().forEach(function (box) {
    var header = box.querySelector(":scope > h3");
    if (!header) {
      return;
    }
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "fold-toggle";
    header.appendChild(toggle);
    toggle.addEventListener("mousedown", function (event) {
      event.stopPropagation(); // not the start of a drag
    });
    toggle.addEventListener("click", function (event) {
      event.preventDefault();
      fold(box, !box.classList.contains("is-collapsed"));
      store();
    });
    fold(box, remembered.indexOf(rowKey(box)) !== -1);
  });

  document.addEventListener("click", function (event) {
    var all = event.target.closest && event.target.closest("[data-fold-all]");
    if (all) {
      var collapsed = all.dataset.foldAll === "collapse";
      boxes().forEach(function (box) {
        // Collapsing all folds the items and keeps sections open, so their items stay listed.
        if (!collapsed || box.id.indexOf("-items-") !== -1) {
          fold(box, collapsed);
        }
      });
      store();
      return;
    }
    var link = event.target.closest && event.target.closest("a.toc-link");
    if (link) {
      var target = document.getElementById(link.hash.slice(1));
      // Open the target and the section around it before the browser jumps there.
      for (var box = target; box; box = box.parentElement && box.parentElement.closest(".djn-inline-form")) {
        if (box.classList.contains("is-collapsed")) {
          fold(box, false);
        }
      }
      store();
    }
  });
})();
