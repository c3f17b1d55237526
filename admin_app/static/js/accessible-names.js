/* Names for the controls that Flask-Admin and Select2 draw as an icon alone or
 * without a label (the clear-search cross, a filter's value, a chosen value's
 * cross): screen readers need one to say. The words, translated, come from the
 * page (#a11y-labels); filters and choices come and go, so they are named again
 * whenever the page changes. */
(function () {
  "use strict";
  var labels = null;

  function each(selector, callback) {
    var found = document.querySelectorAll(selector);
    for (var i = 0; i < found.length; i++) { callback(found[i]); }
  }

  function nameControls() {
    each('form[role="search"] .input-group-text a', function (link) {
      link.setAttribute("aria-label", labels.clearSearch);
      link.setAttribute("title", labels.clearSearch);
    });
    each(".select2-search-choice-close", function (link) {
      link.setAttribute("aria-label", labels.remove);
    });
    // A filter's value is named by its row: the filter and its operation ("Created to").
    each("table.filters tr", function (row) {
      var field = row.querySelector(".filter-val");
      var filter = row.querySelector(".remove-filter");
      if (!field || !filter) { return; }
      var name = filter.textContent.replace("\u00d7", "").trim();
      var operation = row.querySelector("select.filter-op");
      if (operation && operation.selectedIndex >= 0) {
        name += " " + operation.options[operation.selectedIndex].text;
      }
      field.setAttribute("aria-label", name);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    labels = JSON.parse(document.getElementById("a11y-labels").textContent);
    nameControls();
    new MutationObserver(nameControls).observe(document.body, {childList: true, subtree: true});
  });
})();
