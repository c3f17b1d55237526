/* "Select all N matching": a bulk action on every row the list's search and
 * filters match, not only the checked rows of this page. The action form is
 * then posted to action/?<the list's query> with matching=all, after a
 * confirmation that states the count. */
(function () {
  "use strict";
  var banner = document.getElementById("all-matching");
  if (!banner || !window.jQuery || !window.modelActions) { return; }
  var $ = window.jQuery;
  var $banner = $(banner);
  var allMatching = false;
  var labels = {};
  $(".dropdown-item[data-action]").each(function () {
    labels[this.getAttribute("data-action")] = $(this).text().trim();
  });

  function everyRowChecked() {
    var boxes = $("input.action-checkbox");
    return boxes.length > 0 && boxes.filter(":checked").length === boxes.length;
  }

  function show() {
    $banner.toggleClass("d-none", !everyRowChecked());
    $banner.find(".page-selected").toggleClass("d-none", allMatching);
    $banner.find(".all-selected").toggleClass("d-none", !allMatching);
  }

  $(document).on("change", "input.action-checkbox, .action-rowtoggle", function () {
    if (!everyRowChecked()) { allMatching = false; }
    window.setTimeout(show, 0);  // after Flask-Admin's own toggle handler
  });
  $banner.on("click", ".select-matching", function () { allMatching = true; show(); });
  $banner.on("click", ".clear-matching", function () {
    allMatching = false;
    $("input.action-checkbox, .action-rowtoggle").prop("checked", false);
    show();
  });

  var execute = window.modelActions.execute;
  window.modelActions.execute = function (name) {
    if (!allMatching) { return execute.call(this, name); }
    var message = banner.getAttribute("data-confirm").replace("{action}", labels[name] || name);
    if (!window.confirm(message)) { return false; }
    var form = $("#action_form");
    form.attr("action", form.attr("action").split("?")[0] + window.location.search);
    $("input[name=matching]", form).remove();
    form.append($("<input>", {type: "hidden", name: "matching", value: "all"}));
    $("#action", form).val(name);
    $("input.action-checkbox", form).remove();
    form.submit();
    return false;
  };
})();
