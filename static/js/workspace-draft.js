// Nothing typed is lost: a warning before leaving the issue form with unsaved changes, and a copy
// of the form kept in this browser (localStorage) while typing, offered back after a crash or a
// closed tab. The copy restores text only: the hidden `loaded_version` stays what the server sent,
// so a save over someone else's newer version is still refused.
(function () {
  "use strict";
  var form = document.getElementById("issue_form");
  var workspace = document.querySelector(".digest-workspace");
  if (!form || !workspace) {
    return;
  }
  // Only an issue that exists has a copy: a new one has no stable address to find it again.
  var key = workspace.dataset.draftKey ? "digest:draft:" + workspace.dataset.draftKey : null;
  var texts = workspace.dataset;
  var versionField = form.querySelector("input[name=loaded_version]");
  var dirty = false;
  var submitting = false;
  var timer = null;

  // Text the editor types: titles, bodies, the icon, the language. Not the management forms,
  // the hidden positions or the version.
  function fields() {
    return Array.prototype.filter.call(form.elements, function (field) {
      if (!field.name || field.name.indexOf("__prefix__") !== -1 || field.disabled) {
        return false;
      }
      if (field.tagName === "TEXTAREA" || field.tagName === "SELECT") {
        return true;
      }
      return field.tagName === "INPUT" && (field.type === "text" || field.type === "number");
    });
  }

  function normal(value) {
    return (value || "").replace(/\r\n/g, "\n");
  }

  // After a refused save the form holds unsaved text from the start: keep all of it. Otherwise
  // keep what differs from what the server sent (an item opened and left as it was is not a
  // change, and its box may be a summary again next time).
  var refused = Boolean(document.querySelector(".errornote, .errorlist"));

  function snapshot(all) {
    var values = {};
    fields().forEach(function (field) {
      if (all || refused || normal(field.value) !== normal(field.defaultValue)) {
        values[field.name] = normal(field.value);
      }
    });
    return values;
  }

  function read() {
    if (!key) {
      return null;
    }
    try {
      var copy = JSON.parse(window.localStorage.getItem(key) || "null");
      return copy && copy.values ? copy : null;
    } catch (error) {
      return null;
    }
  }

  function save() {
    timer = null;
    if (!key) {
      return;
    }
    try {
      window.localStorage.setItem(
        key,
        JSON.stringify({
          savedAt: new Date().toISOString(),
          version: versionField ? versionField.value : "",
          values: snapshot(),
        })
      );
    } catch (error) {
      // Storage full or disabled: the unsaved-changes warning still protects the text.
    }
  }

  function forget() {
    if (!key) {
      return;
    }
    try {
      window.localStorage.removeItem(key);
    } catch (error) {
      // nothing stored
    }
  }

  // The item boxes (summaries not opened yet) a copy's fields belong to.
  function closedBoxes(copy) {
    return Object.keys(copy.values)
      .filter(function (name) {
        return !form.elements.namedItem(name);
      })
      .map(function (name) {
        return document.getElementById(name.replace(/-[a-z_]+$/, ""));
      })
      .filter(function (box) {
        return box && box.querySelector(":scope > .item-summary");
      });
  }

  function differs(copy) {
    var current = snapshot(true);
    var closed = closedBoxes(copy).map(function (box) {
      return box.id;
    });
    return Object.keys(copy.values).some(function (name) {
      if (name in current) {
        return current[name] !== copy.values[name];
      }
      return closed.indexOf(name.replace(/-[a-z_]+$/, "")) !== -1;
    });
  }

  function changed() {
    dirty = true;
    if (timer === null) {
      timer = window.setTimeout(save, 800);
    }
  }

  function restore(copy) {
    var closed = closedBoxes(copy);
    if (closed.length && window.digestItems) {
      // Open the items the copy holds text for, then put the text in.
      window.digestItems.open(closed).then(function () {
        closed.forEach(function (box) {
          box.classList.remove("is-collapsed");
        });
        put(copy);
      });
      return;
    }
    put(copy);
  }

  function put(copy) {
    fields().forEach(function (field) {
      if (Object.prototype.hasOwnProperty.call(copy.values, field.name)) {
        field.value = copy.values[field.name];
        field.dispatchEvent(new Event("input", { bubbles: true }));
        // Restored text is shown, even in an item opened (fetched) while folded.
        var folded = field.closest(".djn-inline-form.is-collapsed");
        if (folded) {
          folded.classList.remove("is-collapsed");
        }
      }
    });
    dirty = true;
  }

  function offer(copy) {
    var box = document.createElement("div");
    box.className = "draft-offer";
    box.setAttribute("role", "alert");
    var when = new Date(copy.savedAt);
    var message = document.createElement("p");
    message.textContent = texts.draftOffer.replace("{when}", when.toLocaleString());
    box.appendChild(message);
    if (versionField && copy.version !== versionField.value) {
      var stale = document.createElement("p");
      stale.className = "draft-stale";
      stale.textContent = texts.draftStale;
      box.appendChild(stale);
    }
    var restoreButton = document.createElement("button");
    restoreButton.type = "button";
    restoreButton.className = "button default draft-restore";
    restoreButton.textContent = texts.draftRestore;
    restoreButton.addEventListener("click", function () {
      restore(copy);
      box.remove();
    });
    var discardButton = document.createElement("button");
    discardButton.type = "button";
    discardButton.className = "button draft-discard";
    discardButton.textContent = texts.draftDiscard;
    discardButton.addEventListener("click", function () {
      forget();
      box.remove();
    });
    box.appendChild(restoreButton);
    box.appendChild(document.createTextNode(" "));
    box.appendChild(discardButton);
    form.parentNode.insertBefore(box, form);
  }

  // Items the copy holds text for may be summaries now (a long issue): they are opened first,
  // so that text already saved is not offered back. After the other scripts, which open items.
  function check(copy) {
    var closed = closedBoxes(copy);
    var ready = closed.length && window.digestItems ? window.digestItems.open(closed) : null;
    Promise.resolve(ready).then(function () {
      if (differs(copy)) {
        offer(copy);
      } else {
        forget(); // saved, or refused with the same text back in the form
      }
    });
  }

  var copy = read();
  if (copy) {
    document.addEventListener("DOMContentLoaded", function () {
      check(copy);
    });
  }
  // A refused save brings the text back in the form: it is still unsaved.
  dirty = refused;

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  // Sections and items added, deleted or dragged change the form too.
  document.addEventListener("formset:added", changed);
  document.addEventListener("formset:removed", changed);
  form.addEventListener("submit", function () {
    submitting = true;
    if (timer !== null) {
      window.clearTimeout(timer);
      save();
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
