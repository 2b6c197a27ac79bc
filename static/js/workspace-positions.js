// On submit, each section and item posts where it stands: 1..n in the order shown, as the
// server numbers them, so a row that did not move posts the position it was loaded with and
// the server writes nothing for it. And its section's id, after a move across sections.
//
// This replaces nested_admin's own submit handler, which numbered from 0 (every one of 300
// rows then looked moved, and was rewritten) and looked each form's fields up across the
// whole document (a second and more of the browser's time on a 300-item issue). nested_admin
// still numbers a group when a row is dragged, added or removed; this runs at the end.
(function () {
  "use strict";
  var form = document.getElementById("issue_form");
  if (!form || !window.django || !window.django.jQuery) {
    return;
  }
  var OWN_FIELD = /^[^-]+$/;

  function ownFields(box) {
    var start = box.id + "-";
    return Array.prototype.filter.call(box.querySelectorAll("[name^='" + start + "']"), function (field) {
      return OWN_FIELD.test(field.name.slice(start.length));
    });
  }

  // As nested_admin decides: a form is numbered when one of its own fields holds something
  // (so that an added form left blank stays blank, and is not saved).
  function hasValue(fields, parentName) {
    return fields.some(function (field) {
      if (field.name === parentName || field.disabled) {
        return false;
      }
      if (field.type === "checkbox" || field.type === "radio") {
        return field.checked;
      }
      return Boolean(field.value);
    });
  }

  function number(group) {
    var prefix = group.id.replace(/-group$/, "");
    var own = new RegExp("^" + prefix.replace(/[-]/g, "\\-") + "-\\d+$");
    var parent = prefix.match(/^(.+)-(items)$/);
    var parentId = parent ? form.querySelector("input[name='" + parent[1] + "-id']") : null;
    var position = 1;
    Array.prototype.forEach.call(group.querySelectorAll(".djn-inline-form"), function (box) {
      if (!own.test(box.id)) {
        return;
      }
      var fields = ownFields(box);
      var parentName = box.id + "-section";
      if (parentId) {
        fields.forEach(function (field) {
          if (field.name === parentName) {
            field.value = parentId.value;
          }
        });
      }
      if (!hasValue(fields, parentName)) {
        return;
      }
      fields.forEach(function (field) {
        if (field.name === box.id + "-position") {
          field.value = String(position);
        }
      });
      position += 1;
    });
  }

  window.django.jQuery(function ($) {
    // After nested_admin's ready handler, which registered its own.
    $(form).off("submit.djnesting");
    form.addEventListener("submit", function () {
      form.querySelectorAll(".djn-group").forEach(number);
    });
  });
})();
