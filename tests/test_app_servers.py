"""Several app servers on one database: two real gunicorn servers (``wsgi:app``),
started the way production starts them, share the test suite's database, the
secret key and, when Redis answers, the login throttle.

- a login made on one server is a session on the other (cookie sessions signed
  with the shared SECRET_KEY, users read from the shared database);
- add-balance requests spread over both servers at once lose nothing (the
  ledger's row lock holds across processes, not only across threads);
- failed logins for one account are counted once, in Redis, whichever server
  they reach.

The servers get their settings from environment variables. ``create_app()``
also reads the developer's ``instance/config.py``, which wins over the
environment, and the app cannot be pointed at another instance folder. So the
tests read that file as well: a setting there that would send the servers to
another database or another throttle store skips the test that depends on it,
with the reason; a local per-account login limit is simply used.
"""
from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import flask
import pytest
import redis
from limits import parse as parse_limit
from sqlalchemy import func, select

from admin_app.choices import Role
from admin_app.config import Config
from admin_app.extensions import db
from admin_app.models import Wallet, WalletTransaction

from .conftest import CSRF_INPUT, TEST_PASSWORD
from .pages import hidden_value

# Starts two gunicorn servers.
pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[1]
# The gunicorn next to this Python: the project's .venv/bin, not one on PATH.
GUNICORN = Path(sys.executable).parent / "gunicorn"
WORKERS_PER_SERVER = 2
# Our own Redis database, emptied before the throttle test: counts of earlier
# runs (the per-address limit lasts 15 minutes) must not mix in. Not 15, which
# tests/test_security.py shares with other runs under unique key prefixes.
REDIS_URL = "redis://127.0.0.1:6379/14"
# Generous: a slow 2-core machine starts four workers, each importing the app.
START_TIMEOUT = 120
HTTP_TIMEOUT = 60
CREDITS = 20  # add-balance requests in the concurrency test, 1.00 each


# -- plain HTTP, with cookies kept like a browser behind a load balancer ------------------

@dataclass
class Reply:
    status: int
    location: str
    text: str


@dataclass
class Browser:
    """One user's cookies, sent to whichever server a request goes to: a cookie
    belongs to the host, not the port, so both servers receive it."""

    cookies: dict[str, str] = field(default_factory=dict)

    def copy(self) -> Browser:
        return Browser(dict(self.cookies))

    def get(self, server: Server, path: str) -> Reply:
        return self._request(server, "GET", path)

    def post(self, server: Server, path: str, form: dict) -> Reply:
        return self._request(server, "POST", path, form)

    def _request(self, server: Server, method: str, path: str, form: dict | None = None) -> Reply:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=HTTP_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:  # an emptied session is deleted with an empty value
                    self.cookies.pop(name, None)
        return Reply(response.status, response.headers.get("Location", ""), text)


def csrf_token(page: str) -> str:
    match = CSRF_INPUT.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def try_login(browser: Browser, server: Server, email: str, password: str) -> Reply:
    """Open the login page on ``server`` (for its CSRF token) and submit it there."""
    page = browser.get(server, "/login")
    assert page.status == 200, page.status
    return browser.post(server, "/login", {"email": email, "password": password,
                                           "csrf_token": csrf_token(page.text)})


def logged_in(server: Server, email: str) -> Browser:
    browser = Browser()
    reply = try_login(browser, server, email, TEST_PASSWORD)
    assert reply.status == 302 and not reply.location.startswith("/login"), \
        (reply.status, reply.location)
    return browser


# -- the servers ----------------------------------------------------------------------------

@dataclass
class Server:
    name: str
    port: int
    log: Path
    process: subprocess.Popen

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def instance_overrides(app: flask.Flask) -> dict:
    """The settings the developer's instance/config.py sets: create_app() reads
    that file after the environment, so each of them beats our env vars."""
    found = flask.Config(app.instance_path)
    found.from_pyfile("config.py", silent=True)
    return dict(found)


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=5).ping())
    except redis.RedisError:
        return False


def start_server(name: str, env: dict, log: Path) -> Server:
    port = free_port()
    command = [
        str(GUNICORN), "wsgi:app",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(WORKERS_PER_SERVER),
        "--timeout", "120",            # a slow machine is not a hung worker
        "--graceful-timeout", "10",
        # Two masters on one machine would otherwise share the default
        # ~/.gunicorn/gunicorn.ctl control socket.
        "--no-control-socket",
        "--error-logfile", str(log),
    ]
    # A log file, not a pipe: nobody reads a pipe while the tests run, and a full
    # one would block the server.
    process = subprocess.Popen(command, cwd=PROJECT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    return Server(name, port, log, process)


def wait_until_serving(server: Server) -> None:
    """Poll until the server answers the login page; fail with its log if it died."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"server {server.name} exited with {server.process.returncode}:\n"
                        f"{server.log_text()}")
        try:
            if Browser().get(server, "/login").status == 200:
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.5)
    pytest.fail(f"server {server.name} did not answer within {START_TIMEOUT} s:\n"
                f"{server.log_text()}")


def stop_server(server: Server) -> None:
    server.process.terminate()  # SIGTERM: gunicorn stops its workers gracefully
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=30)


@pytest.fixture(scope="module")
def overrides(app) -> dict:
    return instance_overrides(app)


@pytest.fixture(scope="module")
def shared_throttle() -> bool:
    """Decided once: whether the servers count failed logins in Redis."""
    return redis_answers()


@pytest.fixture(scope="module")
def servers(app, overrides, shared_throttle, tmp_path_factory):
    """Servers A and B on the test suite's database (already migrated by ``app``)."""
    if "SQLALCHEMY_DATABASE_URI" in overrides:
        pytest.skip(f"{app.instance_path}/config.py sets SQLALCHEMY_DATABASE_URI, which wins "
                    "over DATABASE_URL: the servers would not use the test database")
    logs = tmp_path_factory.mktemp("servers")
    env = dict(os.environ)
    env.pop("FLASK_ENV", None)
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": secrets.token_hex(32),  # the same for both: each signs the other's cookies
        # Without Redis the servers still run (parts a and b); the throttle test skips.
        "RATELIMIT_STORAGE_URI": REDIS_URL if shared_throttle else "memory://",
        # Plain HTTP here: production's Secure cookies and HSTS are tested elsewhere.
        "BACKOFFICE_ENV": "development",
    })
    started = []
    try:
        for name in ("A", "B"):
            started.append(start_server(name, env, logs / f"{name}.log"))
        for server in started:
            wait_until_serving(server)
        yield tuple(started)
    finally:
        for server in started:
            stop_server(server)


# -- the tests -----------------------------------------------------------------------------

def test_a_login_on_one_server_is_a_session_on_the_other(servers, users):
    a, b = servers
    # Without a session, B sends the visitor to the login page...
    anonymous = Browser().get(b, "/admin/customers/")
    assert anonymous.status == 302 and anonymous.location.startswith("/login"), \
        (anonymous.status, anonymous.location)
    # ...and with the cookie of a login made on A, B shows the page.
    browser = logged_in(a, users[Role.VIEWER].email)
    page = browser.get(b, "/admin/customers/")
    assert page.status == 200, (page.status, page.location)


def test_add_balance_requests_spread_over_both_servers_lose_nothing(servers, users, make):
    wallet_id = make.wallet(make.customer()).id
    db.session.commit()  # hold no transaction of ours open while the servers write
    url = f"/admin/wallets/add-balance/?id={wallet_id}"
    manager = logged_in(servers[0], users[Role.MANAGER].email)

    def credit(n: int) -> Reply:
        """A manager opens the form on one server and submits it there, as
        alternate requests behind a load balancer would."""
        server, browser = servers[n % 2], manager.copy()
        form = browser.get(server, url)
        assert form.status == 200, (form.status, form.location)
        # Each rendering of the form has its own idempotency key: 20 forms, 20 credits.
        return browser.post(server, url, {
            "csrf_token": csrf_token(form.text), "amount": "1.00",
            "reason": f"Two servers {n}",
            "idempotency_key": hidden_value(form.text, "idempotency_key")})

    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(credit, range(CREDITS)))

    # Accepted: back to the wallet (not the form again with 400, nor the login).
    assert [(r.status, "/admin/wallets/details/" in r.location) for r in replies] \
        == [(302, True)] * CREDITS, [(r.status, r.location) for r in replies]
    # Read what the servers committed: drop whatever this session still holds.
    db.session.rollback()
    db.session.expire_all()
    balance = db.session.get(Wallet, wallet_id).balance_minor
    rows = db.session.execute(
        select(func.count(), func.coalesce(func.sum(WalletTransaction.amount_minor), 0))
        .where(WalletTransaction.wallet_id == wallet_id)).one()
    assert balance == CREDITS * 100            # no credit lost or doubled
    assert tuple(rows) == (CREDITS, balance)   # one ledger row each, adding up to it


def test_failed_logins_are_counted_once_across_both_servers(servers, users, overrides,
                                                           shared_throttle):
    if not shared_throttle:
        pytest.skip(f"no Redis at {REDIS_URL}: the servers count failed logins in memory")
    if any(key.startswith("RATELIMIT_") or key == "LOGIN_LIMIT_PER_IP" for key in overrides):
        pytest.skip("instance/config.py sets RATELIMIT_* or LOGIN_LIMIT_PER_IP, which win over "
                    "this test's environment: the servers may not count in this Redis database")
    redis.Redis.from_url(REDIS_URL).flushdb()  # no counts left by earlier runs
    # The per-account limit the servers apply (a local override included).
    limit = parse_limit(overrides.get("LOGIN_LIMIT_PER_ACCOUNT",
                                      Config.LOGIN_LIMIT_PER_ACCOUNT)).amount
    email = users[Role.ADMIN].email
    for attempt in range(limit):
        reply = try_login(Browser(), servers[attempt % 2], email, "not-the-password")
        assert reply.status == 400, (attempt, reply.status)
    # Neither server alone has seen `limit` failures; together they have, so the
    # next attempt waits on either server, even with the right password.
    for server in (servers[limit % 2], servers[(limit + 1) % 2]):
        blocked = try_login(Browser(), server, email, TEST_PASSWORD)
        assert blocked.status == 429, (server.name, blocked.status)
        assert "Too many failed attempts" in blocked.text
