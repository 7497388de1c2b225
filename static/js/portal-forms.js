/* Behaviour of the portal's forms, kept out of the pages (no inline scripts: the
 * Content-Security-Policy allows scripts from this site's static files only).
 *
 * - The error summary at the top of a form takes the focus, so it is read out first.
 * - <form data-confirm="..."> asks before it is sent (deleting a material, ...).
 * - <button data-copy="element-id"> copies that element's text (commands, passwords).
 * - A formset table (data-formset="prefix") adds and removes rows without a save:
 *   its <template> holds an empty row with __prefix__, TOTAL_FORMS is kept in step.
 */
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  function confirmForms() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var question = form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        event.preventDefault();
      }
    }, true);
  }

  function copyButtons() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-copy]");
      if (!button) {
        return;
      }
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) {
        return;
      }
      var text = (source.value !== undefined ? source.value : source.textContent).trim();
      var done = function () {
        var label = button.getAttribute("data-copied");
        if (label) {
          var before = button.textContent;
          button.textContent = label;
          window.setTimeout(function () { button.textContent = before; }, 2000);
        }
        button.setAttribute("data-copied-text", text);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, done);
      } else {
        var area = document.createElement("textarea");
        area.value = text;
        area.setAttribute("readonly", "");
        area.style.position = "absolute";
        area.style.left = "-9999px";
        document.body.appendChild(area);
        area.select();
        try { document.execCommand("copy"); } catch (ignored) { /* nothing to do */ }
        document.body.removeChild(area);
        done();
      }
    });
  }

  function formsets() {
    document.querySelectorAll("[data-formset]").forEach(function (table) {
      var prefix = table.getAttribute("data-formset");
      var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
      var template = document.getElementById(prefix + "-empty-row");
      var body = table.querySelector("tbody");
      var add = document.querySelector("[data-formset-add='" + prefix + "']");
      if (!total || !template || !body) {
        return;
      }
      if (add) {
        add.addEventListener("click", function () {
          var index = parseInt(total.value, 10);
          var html = template.innerHTML.replace(/__prefix__/g, String(index));
          body.insertAdjacentHTML("beforeend", html);
          total.value = String(index + 1);
          var first = body.lastElementChild.querySelector("input, select, textarea");
          if (first) {
            first.focus();
          }
        });
      }
      table.addEventListener("click", function (event) {
        var remove = event.target.closest("[data-formset-remove]");
        if (!remove) {
          return;
        }
        var row = remove.closest("tr");
        var deleteBox = row.querySelector("input[name$='-DELETE']");
        if (deleteBox) {
          deleteBox.checked = true;
          row.hidden = true;
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    confirmForms();
    copyButtons();
    formsets();
  });
}());
