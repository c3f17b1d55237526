"""Browser test fixtures: the test app served on 127.0.0.1, one headless Chromium
and one page for the run, handed to each test as new (run_page.py), which leaves a
screenshot behind, whatever the outcome.

``logged_in(role)`` gives the browser the session the app's own login form hands
out (posted by a test client, no page rendered): the tests of the login form itself
log in through it with ``log_in``.

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
from admin_app.extensions import db

from ..conftest import TEST_PASSWORD
from .accessibility import AxeWatch, describe
from .run_page import RunPage

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
VIEWPORT = {"width": 1400, "height": 900}


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


def cache_static_files(app):
    """The app wrapped so that the browser keeps the static files it fetched.

    The app sends them with "no-cache" and "Vary: Cookie" (the session cookie changes
    every second), so each page would fetch its thirty scripts and stylesheets again;
    they do not change while the tests run. The first page of the run fetches them
    all from the app.
    """
    prefixes = tuple(rule.rule.split("<", 1)[0] for rule in app.url_map.iter_rules()
                     if rule.endpoint.rpartition(".")[2] == "static")

    def serve(environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(prefixes):
            return app(environ, start_response)

        def start(status, headers, exc_info=None):
            kept = [(name, value) for name, value in headers
                    if name.lower() not in ("cache-control", "vary")]
            return start_response(status, [*kept, ("Cache-Control", "max-age=3600")],
                                  exc_info)

        return app(environ, start)

    return serve


class QuietRequestHandler(WSGIRequestHandler):
    """Logs only the requests that went wrong (4xx, 5xx), not every page and asset."""

    def log_request(self, code="-", size="-"):
        if str(getattr(code, "value", code))[:1] in ("4", "5"):
            super().log_request(code, size)


@pytest.fixture(scope="session")
def live_server(app):
    """The test app (its database, CSRF on) served by a threaded server on a free port."""
    server = make_server("127.0.0.1", 0, cache_static_files(app), threaded=True,
                         request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test, for the ``page`` fixture's screenshot."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def run_page(browser, live_server):
    """One browser context and one page for the run, every page it loads checked by
    axe-core (accessibility.py); the ``page`` fixture hands the page to each test as
    new (run_page.py)."""
    context = browser.new_context(base_url=live_server, locale="en-US", accept_downloads=True,
                                  viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    yield RunPage(context, VIEWPORT), AxeWatch(context)
    context.close()


@pytest.fixture
def page(run_page, request):
    """The page, as new for each test; ``tests/e2e/screenshots/<test>.png`` at the end
    (what the window shows, or the whole page when the test failed), and no page it
    loaded may break a WCAG 2 A/AA rule (axe-core, accessibility.py)."""
    shared, axe = run_page
    page = shared.start()
    axe.forget()
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    yield page
    SCREENSHOTS.mkdir(exist_ok=True)
    try:
        call = getattr(request.node, "report_call", None)
        page.screenshot(path=SCREENSHOTS / f"{request.node.name}.png",
                        full_page=call is None or call.failed)
        inaccessible = axe.finish(page)
    finally:
        shared.end()
    assert not script_errors, f"JavaScript errors on the pages: {script_errors}"
    assert not inaccessible, "axe-core (WCAG 2 A/AA) found:\n" + describe(inaccessible)


def fill_login_form(page, email: str, password: str = TEST_PASSWORD) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def open_in(page, url: str, language: str) -> None:
    """Open ``url`` and see it in ``language`` (the user's saved language, see logged_in)."""
    page.goto(url)
    expect(page.locator("html")).to_have_attribute("lang", language)


def log_in(page, email: str, password: str = TEST_PASSWORD) -> None:
    """Log in through the login form, as a person would."""
    page.goto("/login")
    fill_login_form(page, email, password)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


@pytest.fixture
def logged_in(app, page, users, login, live_server):
    """logged_in(role, language) -> the page (blank), its browser logged in as that role's
    user (admin by default), whose saved language is ``language`` when given (as the
    language switch leaves it).

    The session cookie is the one the app's login form hands out, posted by a test
    client: the same code path as ``log_in``, without rendering two pages per test.
    """

    def _logged_in(role: str = Role.ADMIN, language: str | None = None):
        if language:
            users[role].language = language
            db.session.commit()
        cookie = login(role).get_cookie(app.config["SESSION_COOKIE_NAME"])
        page.context.add_cookies([{"name": cookie.key, "value": cookie.value,
                                   "url": live_server, "httpOnly": cookie.http_only,
                                   "sameSite": cookie.same_site or "Lax"}])
        return page

    return _logged_in
