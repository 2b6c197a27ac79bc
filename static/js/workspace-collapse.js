// A long issue stays workable: each saved section and item folds to its header (remembered in
// this browser, per issue and per section or item; an opened summary is opened again after a
// save or a reload), "Collapse all" / "Expand all" fold them at once, and the panel's contents
// open and jump to the section or item clicked.
// On a long issue the server sends items as summaries (number, title, state, where they stand):
// opening one fetches its fields (issues/admin/views/items.py) into the box, under the name
// the box has now (boxes are renamed as they are dragged). `window.digestItems.open(boxes)`
// does it for other scripts (restoring a local copy opens the items it holds).
(function () {
  "use strict";
  var workspace = document.querySelector(".digest-workspace[data-draft-key]");
  var form = document.getElementById("issue_form");
  if (!workspace || !form) {
    return;
  }
  var key = "digest:collapsed:" + workspace.dataset.draftKey;
  // Summaries the editor opened: opened again (fetched) after a save or a reload.
  var openedKey = "digest:opened:" + workspace.dataset.draftKey;
  var FORM_ID = /^sections-\d+(-items-\d+)?$/;

  function boxes() {
    return Array.prototype.filter.call(
      form.querySelectorAll(".djn-inline-form.has_original"),
      function (box) {
        return FORM_ID.test(box.id);
      }
    );
  }

  // Remembered by the row's primary key, so the state follows an item that is moved. The id
  // fields are looked up by name in one pass each time (boxes are renamed as they are dragged):
  // a search of the whole form for each of 320 boxes took a fifth of a second of the load.
  function rowKeys() {
    var ids = {};
    form.querySelectorAll("input[name$='-id']").forEach(function (field) {
      ids[field.name] = field;
    });
    return function (box) {
      var pk = ids[box.id + "-id"];
      return pk && pk.value ? (box.id.indexOf("-items-") === -1 ? "s" : "i") + pk.value : null;
    };
  }

  function load(name) {
    try {
      return JSON.parse(window.localStorage.getItem(name) || "[]");
    } catch (error) {
      return [];
    }
  }

  function keys(list) {
    return list.map(rowKeys()).filter(Boolean);
  }

  function store() {
    var all = boxes();
    var folded = all.filter(function (box) {
      return box.classList.contains("is-collapsed");
    });
    var opened = all.filter(function (box) {
      var summary = box.querySelector(":scope > .item-summary");
      return summary && !box.classList.contains("is-collapsed");
    });
    try {
      window.localStorage.setItem(key, JSON.stringify(keys(folded)));
      window.localStorage.setItem(openedKey, JSON.stringify(keys(opened)));
    } catch (error) {
      // not remembered, still works
    }
  }

  var versionField = form.querySelector("input[name=loaded_version]");

  function isSummary(box) {
    var summary = box.querySelector(":scope > .item-summary");
    return Boolean(summary && !summary.dataset.loaded);
  }

  // Fetch the fields of these summaries, at most 100 a request (the address stays short); a
  // summary already being fetched is waited for, not fetched twice.
  var fetching = new Map();

  function open(list) {
    var requests = [];
    var waiting = list.filter(function (box) {
      if (fetching.has(box)) {
        requests.push(fetching.get(box));
        return false;
      }
      return isSummary(box);
    });
    for (var start = 0; start < waiting.length; start += 100) {
      var some = waiting.slice(start, start + 100);
      var request = openSome(some);
      some.forEach(function (box) {
        fetching.set(box, request);
      });
      requests.push(request);
    }
    return Promise.all(requests);
  }

  function openSome(list) {
    var query = list
      .map(function (box) {
        var summary = box.querySelector(":scope > .item-summary");
        return "item=" + encodeURIComponent(summary.dataset.itemPk + ":" + box.id);
      })
      .join("&");
    return fetch(workspace.dataset.itemsUrl + "?" + query, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (answer) {
        list.forEach(function (box) {
          var summary = box.querySelector(":scope > .item-summary");
          var html = answer.forms[summary.dataset.itemPk];
          if (html === undefined || summary.dataset.loaded) {
            return;
          }
          var fields = summary.querySelector(".item-fields");
          // Named as the box is named now, whatever it was called when the page loaded.
          fields.innerHTML = html;
          summary.dataset.loaded = "true";
          if (versionField && String(answer.version) !== versionField.value) {
            var note = document.createElement("p");
            note.className = "errornote item-newer";
            note.textContent = workspace.dataset.itemNewer;
            fields.prepend(note);
          }
        });
      })
      .catch(function () {
        list.forEach(function (box) {
          fetching.delete(box); // may be tried again
          var fields = box.querySelector(":scope > .item-summary .item-fields");
          if (fields && !fields.querySelector(".item-failed")) {
            var note = document.createElement("p");
            note.className = "errornote item-failed";
            note.textContent = workspace.dataset.itemFailed;
            fields.appendChild(note);
          }
        });
      });
  }

  window.digestItems = { open: open };

  function fold(box, collapsed, opened) {
    if (!collapsed && !opened && isSummary(box)) {
      open([box]);
    }
    box.classList.toggle("is-collapsed", collapsed);
    var toggle = box.querySelector(":scope > h3 .fold-toggle");
    if (toggle) {
      toggle.setAttribute("aria-expanded", collapsed ? "false" : "true");
      toggle.textContent = collapsed ? workspace.dataset.expand : workspace.dataset.collapse;
    }
  }

  var remembered = load(key);
  var reopened = load(openedKey);
  var reopening = [];
  var rowKey = rowKeys();
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
    // A summary starts folded: its fields are fetched when it is opened, or at once if the
    // editor had it open before the page was saved or reloaded.
    if (isSummary(box) && reopened.indexOf(rowKey(box)) !== -1) {
      reopening.push(box);
      fold(box, false, true);
      return;
    }
    fold(box, isSummary(box) || remembered.indexOf(rowKey(box)) !== -1);
  });
  open(reopening); // in one request for up to 100 items, not one each

  document.addEventListener("click", function (event) {
    var all = event.target.closest && event.target.closest("[data-fold-all]");
    if (all) {
      var collapsed = all.dataset.foldAll === "collapse";
      if (!collapsed) {
        open(boxes()); // the summaries' fields in a few requests, not one per item
      }
      boxes().forEach(function (box) {
        // Collapsing all folds the items and keeps sections open, so their items stay listed.
        if (!collapsed || box.id.indexOf("-items-") !== -1) {
          fold(box, collapsed, true);
        }
      });
      store();
      return;
    }
    var link = event.target.closest && event.target.closest("a.toc-link");
    if (link) {
      var target = document.getElementById(link.hash.slice(1));
      // Open the target and the section around it before the browser jumps there.
      var opening = [];
      for (var box = target; box; box = box.parentElement && box.parentElement.closest(".djn-inline-form")) {
        if (isSummary(box)) {
          opening.push(box);
        }
        if (box.classList.contains("is-collapsed")) {
          fold(box, false);
        }
      }
      store();
      if (opening.length && target) {
        open(opening).then(function () {
          target.scrollIntoView();
        });
      }
    }
  });
})();
