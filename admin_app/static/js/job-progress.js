/* A job's progress bar (templates/admin/_job_progress.html) kept current without
 * a reload: the job's progress.json is asked every second until the job has
 * ended, then its outcome and a link to the result are shown. Every figure comes
 * from the database, so any app server answers and a reload starts again here. */
(function () {
  "use strict";
  var box = document.getElementById("job-progress");
  if (!box || box.getAttribute("data-finished") === "true" || !window.fetch) { return; }
  var url = box.getAttribute("data-progress-url");
  var EVERY_MS = 1000;

  function part(name) { return box.querySelector('[data-job="' + name + '"]'); }

  function show(data) {
    part("status_label").textContent = data.status_label;
    part("counts").textContent = data.counts;
    var bar = part("bar");
    bar.style.width = data.percent + "%";
    bar.setAttribute("aria-valuenow", String(data.percent));
    part("percent").textContent = data.percent_text;
    part("elapsed").textContent = data.elapsed;
    part("eta").textContent = data.eta || "";
    part("eta-block").hidden = !data.eta;
    part("resumed").hidden = !data.resumed;
    part("outcome").textContent = data.outcome || "";
    part("outcome").hidden = !data.outcome;
    part("result").hidden = !data.finished;
  }

  // Asking again cannot help: logged out (the login page answers), no longer allowed,
  // or the job is gone. Say so, and stop.
  function stop() {
    part("outcome").textContent = box.getAttribute("data-stopped-text");
    part("outcome").hidden = false;
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.redirected || [401, 403, 404].indexOf(response.status) >= 0) {
          stop();
          return null;
        }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (data === null) { return; }
        show(data);
        if (data.finished) {
          box.setAttribute("data-finished", "true");
        } else {
          window.setTimeout(poll, EVERY_MS);
        }
      })
      // A server restarting, or a login page instead of the figures: ask again, slower.
      .catch(function () { window.setTimeout(poll, EVERY_MS * 5); });
  }

  window.setTimeout(poll, EVERY_MS);
})();
