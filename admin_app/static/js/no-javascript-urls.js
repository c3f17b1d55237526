/* Flask-Admin's dropdown toggles link to "javascript:void(0)", which the content
 * security policy blocks (and reports) on every click. Their clicks are handled
 * by Bootstrap and by onclick handlers that cancel navigation, so "#" does. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var links = document.querySelectorAll('a[href^="javascript:"]');
  for (var i = 0; i < links.length; i++) {
    links[i].setAttribute("href", "#");
    links[i].setAttribute("role", "button");
  }
});
