/* What inline onclick handlers used to do, which the content security policy
 * refuses: a button with data-confirm-question asks first (and does nothing when
 * the answer is no), a bulk action's menu entry (data-action) runs that action,
 * and links that only work a script ("#": menus, "Add Filter" entries) stay on
 * the page. Listened to while the click goes down the page, before Flask-Admin's
 * menus stop it on its way up. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target || !target.closest) { return; }
    var asking = target.closest("[data-confirm-question]");
    if (asking && !window.confirm(asking.getAttribute("data-confirm-question"))) {
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    if (target.closest('a[href="#"]')) { event.preventDefault(); }
    var action = target.closest("[data-action]");
    if (action && window.modelActions) {
      window.modelActions.execute(action.getAttribute("data-action"));
    }
  }, true);
})();
