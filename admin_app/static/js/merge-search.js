/* "Merge with…" finds customers as the person types: a moment after the last key,
 * the merge page is asked for the same search (the form's own GET) and its list of
 * matches replaces the one shown. Without this script, Search does the same. */
(function () {
  "use strict";
  var form = document.getElementById("merge-search");
  var box = document.getElementById("merge-q");
  if (!form || !box || !window.fetch || !window.DOMParser) { return; }
  var WAIT_MS = 300;
  var timer = null;
  var asked = 0;

  function search() {
    var typed = box.value.trim();
    var results = document.getElementById("merge-results");
    if (!results) { return; }
    if (typed.length < 2) { results.innerHTML = ""; return; }
    var number = ++asked;
    var url = form.getAttribute("action") + "?" + new URLSearchParams(new FormData(form));
    fetch(url, {credentials: "same-origin"}).then(function (answer) {
      return answer.ok ? answer.text() : null;
    }).then(function (page) {
      if (!page || number !== asked) { return; }  // a later search has been asked
      var found = new DOMParser().parseFromString(page, "text/html")
        .getElementById("merge-results");
      if (found) { results.innerHTML = found.innerHTML; }
    }).catch(function () { /* Search still works */ });
  }

  box.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, WAIT_MS);
  });
}());
