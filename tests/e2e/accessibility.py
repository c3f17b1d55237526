"""axe-core in the browser tests: every page a test loads is checked against the
WCAG 2 A and AA rules, in whatever language the test is using.

axe-core is vendored, pinned, in ``vendor/axe.min.js`` (see ``vendor/README.md``) and
injected by the tests' browser context only: users are never sent it.

- Automatically: the browser context of the run carries ``AxeWatch`` (conftest.py),
  which runs axe once each page has loaded; a test fails at its end if any page it
  loaded had a violation.
- On demand: ``check_accessibility(page)`` checks the page as it is now (a dropdown
  open, a filter added, a message shown) and fails at once with what it found.

axe's answer depends only on what the page shows: its markup, the state of its form
fields, where the focus and the pointer are, the viewport and the scroll, and the
stylesheets (which do not change during a run). A page in a state already checked
in this run (the same digest of all that) gets the answer that check found, without
running axe again; a page never seen is checked in full.
"""
from __future__ import annotations

import json
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "vendor"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

# Runs in every page of the context, before the page's own scripts. Runs of
# axe are chained: a check on demand waits for the one started at load.
_RUNNER = """
(() => {
  if (window.top !== window || !/^https?:$/.test(location.protocol)) return;
  // axe-core's own code runs only on a page that needs a check: an empty tab, a
  // page in a state already checked, never pay for it.
  const loadAxe = () => {
    if (window.axe) return;
    %(axe)s
  };
  const options = {runOnly: {type: "tag", values: %(tags)s}, resultTypes: ["violations"]};
  const violations = result => result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
  const where = label => ({label, url: location.pathname + location.search,
                           lang: document.documentElement.lang});

  // Everything axe's answer depends on, per-request tokens (CSRF, nonces) left out.
  const position = element => {
    const steps = [];
    for (; element && element.parentElement; element = element.parentElement) {
      steps.push(Array.prototype.indexOf.call(element.parentElement.children, element));
    }
    return steps.join(".");
  };
  const state = () => [
    innerWidth, innerHeight, scrollX, scrollY, location.hash, document.compatMode,
    position(document.activeElement),
    position([...document.querySelectorAll(":hover")].pop()),
    [...document.querySelectorAll("input, select, textarea")]
      .map(field => `${field.value}|${field.checked}`).join("\\n"),
    document.documentElement.outerHTML
      .replace(/<input[^>]*name="csrf_token"[^>]*>/g, "<input csrf>")
      .replace(/\\snonce="[^"]*"/g, ""),
  ].join("\\n");
  const digest = async () => {
    if (!window.crypto || !crypto.subtle) return null;  // then every check runs axe
    const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(state()));
    return Array.from(new Uint8Array(bytes), b => b.toString(16).padStart(2, "0")).join("");
  };

  const check = async label => {
    if (!document.contentType.includes("html")) return null;  // a PDF, an image
    const before = await digest();
    const known = before && await window.__backofficeAxeKnown(before);
    if (known) return {...where(label), violations: known.violations, known: true};
    loadAxe();
    const found = violations(await window.axe.run(document, options));
    // Remembered only when the page did not change while axe was reading it.
    if (before && before === await digest()) await window.__backofficeAxeLearn(before, found);
    return {...where(label), violations: found};
  };
  window.__backofficeAxe = label => {
    const previous = window.__backofficeAxeRun || Promise.resolve();
    const run = previous.catch(() => null).then(() => check(label))
      .catch(error => ({...where(label), error: String(error)}));
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
        label = report["label"] + (", as when first checked" if report.get("known") else "")
        where = f"{report['url']} [{report['lang']}, {label}]"
        if report.get("error"):
            lines.append(f"{where}: axe could not run: {report['error']}")
        for violation in report.get("violations", []):
            nodes = violation["nodes"]
            first = "; ".join(f"{n['target']}: {n['summary']}" for n in nodes[:3])
            lines.append(f"{where}: {violation['id']} ({violation['impact']}, "
                         f"{len(nodes)} elements) {violation['help']}. {first}")
    return "\n".join(lines)


class AxeWatch:
    """Checks each page a browser context loads; ``finish()`` lists what failed since
    ``forget()``."""

    # axe's violations by the digest of the page state it checked, for the whole run.
    known: dict[str, list[dict]] = {}
    _script: str | None = None

    def __init__(self, context):
        self.reports: list[dict] = []
        context.expose_binding("__backofficeAxeReport",
                               lambda source, report: self.reports.append(report))
        context.expose_binding("__backofficeAxeKnown", lambda source, key: self._lookup(key))
        context.expose_binding("__backofficeAxeLearn",
                               lambda source, key, found: self.known.setdefault(key, found))
        context.add_init_script(script=self.script())

    @classmethod
    def script(cls) -> str:
        if cls._script is None:
            axe = (VENDOR / "axe.min.js").read_text(encoding="utf-8")
            cls._script = _RUNNER % {"axe": axe, "tags": json.dumps(WCAG_TAGS)}
        return cls._script

    def _lookup(self, key: str) -> dict | None:
        found = self.known.get(key)
        return None if found is None else {"violations": found}

    def forget(self) -> None:
        """A new test begins: the reports so far were another test's."""
        self.reports.clear()

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
