// What the workspace changes in nested_admin's scripts, for a 300-item issue.
//
// On submit, each section and item posts where it stands: 1..n in the order shown, as the
// server numbers them, so a row that did not move posts the position it was loaded with and
// the server writes nothing for it. And its section's id, after a move across sections.
// This replaces nested_admin's own submit handler, which numbered from 0 (every one of 300
// rows then looked moved, and was rewritten) and looked each form's fields up across the
// whole document (a second and more of the browser's time on a 300-item issue). nested_admin
// still numbers a group when a row is dragged, added or removed; this runs at the end.
//
// At load, nested_admin showed or hid every form's remove button once for each form of its
// group (n² searches, a tenth of a second after the page was ready): the same, once. And its
// drag and drop (jQuery UI) measured every section and item as the page opened (another
// seventh of a second): it is made when a drag starts, by the press that starts it.
(function () {
  "use strict";
  var form = document.getElementById("issue_form");
  if (!form || !window.django || !window.django.jQuery) {
    return;
  }
  var OWN_FIELD = /^[^-]+$/;
  var $ = window.django.jQuery;
  var nesting = window.DJNesting && (window.DJNesting.DjangoFormset ? window.DJNesting : window.DJNesting.default);
  var Formset = nesting && nesting.DjangoFormset;
  if (Formset) {
    // nested_admin's _initializeForms, with the loop over the group's forms taken out of the
    // loop over the group's forms (it did the same each time: totals do not change here).
    Formset.prototype._initializeForms = function () {
      var totalForms = this.mgmtVal("TOTAL_FORMS");
      var maxForms = this.mgmtVal("MAX_NUM_FORMS");
      if (maxForms <= totalForms) {
        this.$inline.find(this.opts.addButtonSelector).parents(".djn-add-item").hide();
      }
      for (var i = 0; i < totalForms; i++) {
        var $form = $("#" + this.prefix + "-" + i);
        $form.addClass(this.opts.formClass);
        if ($form.hasClass("has_original")) {
          $("#id_" + $form.djangoFormPrefix() + "DELETE:checked").toggleClass(this.opts.predeleteClass);
        }
      }
      if (totalForms > 0) {
        var method = totalForms <= this.mgmtVal("MIN_NUM_FORMS") ? "hide" : "show";
        var remove = this.opts.removeButtonSelector;
        this.$inline.djangoFormsetForms().each(function () {
          $(this).find(remove)[method]();
        });
      }
    };
  }

  if (nesting && nesting.createSortable) {
    var createSortable = nesting.createSortable;
    nesting.createSortable = function ($group) {
      var group = $group[0];
      var made = false;
      function make(event) {
        if (!made && event.target.closest && event.target.closest(".djn-drag-handler")) {
          made = true;
          // Listening on the way down: jQuery UI, bound now on the way up, gets this press.
          createSortable($group);
        }
      }
      group.addEventListener("mousedown", make, true);
      group.addEventListener("touchstart", make, { capture: true, passive: true });
    };
  }

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

  $(function () {
    // After nested_admin's ready handler, which registered its own.
    $(form).off("submit.djnesting");
    form.addEventListener("submit", function () {
      form.querySelectorAll(".djn-group").forEach(number);
    });
  });
})();
