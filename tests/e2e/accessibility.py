"""axe-core in the browser tests: every page a test loads is checked against the
WCAG 2 A and AA rules, in whatever language the test is using.

axe-core is vendored, pinned, in ``vendor/axe.min.js`` (see ``vendor/README.md``) and
injected by the test's browser context only: users are never sent it.

- Automatically: the ``page`` fixture installs ``AxeWatch`` on its context, which runs
  axe once each page has loaded; the test fails at its end if any page had a violation.
- On demand: ``check_accessibility(page)`` checks the page as it is now (a dropdown
  open, a filter added, a message shown) and fails at once with what it found.
"""
from __future__ import annotations

import json
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "vendor"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

# Runs in every page of the test's context, before the page's own scripts. Runs of
# axe are chained: a check on demand waits for the one started at load.
_RUNNER = """
(() => {
  if (window.top !== window || !/^https?:$/.test(location.protocol)) return;
  const options = {runOnly: {type: "tag", values: %(tags)s}, resultTypes: ["violations"]};
  const summary = (label, result) => ({
    label, url: location.pathname + location.search, lang: document.documentElement.lang,
    violations: result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
    })),
  });
  window.__backofficeAxe = label => {
    const previous = window.__backofficeAxeRun || Promise.resolve();
    const run = previous.catch(() => null).then(() => {
      if (!document.contentType.includes("html")) return null;  // a PDF, an image
      return window.axe.run(document, options).then(result => summary(label, result));
    }).catch(error => ({label, url: location.pathname + location.search,
                        lang: document.documentElement.lang, error: String(error)}));
    window.__backofficeAxeRun = run;
    return run;
  };
  const report = result => result && window.__backofficeAxeReport(result);
  window.addEventListener("load", () => setTimeout(() => {
    window.__backofficeAxe("on load").then(report);
  }, 0));
})();
"""


def _failed(report: dict | None) -> bool:
    return bool(report) and bool(report.get("error") or report.get("violations"))


def describe(reports: list[dict]) -> str:
    """The failures, one line a rule with the first elements it found."""
    lines = []
    for report in reports:
        where = f"{report['url']} [{report['lang']}, {report['label']}]"
        if report.get("error"):
            lines.append(f"{where}: axe could not run: {report['error']}")
        for violation in report.get("violations", []):
            nodes = violation["nodes"]
            first = "; ".join(f"{n['target']}: {n['summary']}" for n in nodes[:3])
            lines.append(f"{where}: {violation['id']} ({violation['impact']}, "
                         f"{len(nodes)} elements) {violation['help']}. {first}")
    return "\n".join(lines)


class AxeWatch:
    """Checks each page a browser context loads; ``failures()`` lists what failed."""

    def __init__(self, context):
        self.reports: list[dict] = []
        axe = (VENDOR / "axe.min.js").read_text(encoding="utf-8")
        context.expose_binding("__backofficeAxeReport",
                               lambda source, report: self.reports.append(report))
        context.add_init_script(script=axe + _RUNNER % {"tags": json.dumps(WCAG_TAGS)})

    def finish(self, page) -> list[dict]:
        """Waits for a check still running on ``page``; the failed reports."""
        try:
            page.evaluate("() => window.__backofficeAxeRun || null")
        except Exception:  # the page is closed, or is not ours to script (a PDF viewer)
            pass
        return [report for report in self.reports if _failed(report)]


def check_accessibility(page, label: str = "on demand") -> None:
    """Fails now if the page, as it is, breaks a WCAG 2 A/AA rule axe checks."""
    report = page.evaluate("label => window.__backofficeAxe(label)", label)
    assert report is not None, f"{page.url} is not an HTML page"
    assert not _failed(report), "axe-core found:\n" + describe([report])
