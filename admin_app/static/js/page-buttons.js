/* What inline onclick handlers used to do, which the content security policy
 * refuses: a button with data-confirm-question asks first (and does nothing when
 * the answer is no), a bulk action's menu entry (data-action) runs that action,
 * and the "Add Filter" entries stay on the page. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target) { return; }
    var asking = target.closest("[data-confirm-question]");
    if (asking && !window.confirm(asking.getAttribute("data-confirm-question"))) {
      event.preventDefault();
      return;
    }
    var action = target.closest("[data-action]");
    if (action && window.modelActions) {
      event.preventDefault();
      window.modelActions.execute(action.getAttribute("data-action"));
      return;
    }
    if (target.closest("a.filter")) { event.preventDefault(); }
  });
})();
