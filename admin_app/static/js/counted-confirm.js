/* Bulk actions ask with the number of checked rows: "Delete 3 customers?".
 * The messages come from the server in the user's language, one for a single
 * record and one for several, with {#} where the number goes. */
(function () {
  "use strict";
  var data = document.getElementById("counted-confirmations");
  if (!data || !window.modelActions) { return; }
  var messages = JSON.parse(data.textContent);
  var execute = window.modelActions.execute;
  window.modelActions.execute = function (name) {
    var message = messages[name];
    var checked = document.querySelectorAll("input.action-checkbox:checked").length;
    if (message && checked > 0) {
      var count = checked.toLocaleString(document.documentElement.lang || undefined);
      var text = (checked === 1 ? message.one : message.other).replace("{#}", count);
      if (!window.confirm(text)) { return false; }
    }
    return execute.call(this, name);
  };
})();
