"""Browser test fixtures: the test app served on 127.0.0.1, one headless Chromium
for the run, and for each test a fresh browser context and page that leaves a
screenshot behind, whatever the outcome.

Everything here is skipped, with the reason, when Debian's Chromium is not
installed at /usr/bin/chromium or Playwright cannot be imported.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from admin_app.choices import Role

from ..conftest import TEST_PASSWORD
from .accessibility import AxeWatch, describe

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError as error:  # pragma: no cover - depends on the machine
    expect = sync_playwright = None
    PLAYWRIGHT_MISSING = f"Playwright cannot be imported ({error}): browser tests skipped"
else:
    PLAYWRIGHT_MISSING = None

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
TIMEOUT_MS = 15_000  # generous: a busy CI machine, PostgreSQL, a PDF to render


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not os.access(CHROMIUM, os.X_OK):
        return (f"Chromium not found at {CHROMIUM}: browser tests skipped "
                "(apt-get install chromium)")
    return PLAYWRIGHT_MISSING


@pytest.fixture(scope="session")
def browser():
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class QuietRequestHandler(WSGIRequestHandler):
    """Logs only the requests that went wrong (4xx, 5xx), not every page and asset."""

    def log_request(self, code="-", size="-"):
        if str(getattr(code, "value", code))[:1] in ("4", "5"):
            super().log_request(code, size)


@pytest.fixture(scope="session")
def live_server(app):
    """The test app (its database, CSRF on) served by a threaded server on a free port."""
    server = make_server("127.0.0.1", 0, app, threaded=True,
                         request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def page(browser, live_server, request):
    """A new context and page per test; ``tests/e2e/screenshots/<test>.png`` at the end,
    and no page it loaded may break a WCAG 2 A/AA rule (axe-core, accessibility.py)."""
    context = browser.new_context(base_url=live_server, locale="en-US", accept_downloads=True,
                                  viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    axe = AxeWatch(context)  # every page loaded is checked (accessibility.py)
    page = context.new_page()
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    yield page
    SCREENSHOTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=SCREENSHOTS / f"{request.node.name}.png", full_page=True)
        inaccessible = axe.finish(page)
    finally:
        context.close()
    assert not script_errors, f"JavaScript errors on the pages: {script_errors}"
    assert not inaccessible, "axe-core (WCAG 2 A/AA) found:\n" + describe(inaccessible)


def fill_login_form(page, email: str, password: str = TEST_PASSWORD) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def log_in(page, email: str, password: str = TEST_PASSWORD) -> None:
    """Log in through the login form, as a person would."""
    page.goto("/login")
    fill_login_form(page, email, password)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


@pytest.fixture
def logged_in(page, users):
    """logged_in(role) -> the page, logged in as that role's user (admin by default)."""

    def _logged_in(role: str = Role.ADMIN):
        log_in(page, users[role].email)
        return page

    return _logged_in
