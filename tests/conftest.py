"""Fixtures: the app on a real database (SQLite, or PostgreSQL with
TEST_DATABASE_URL), a clean database per test, clients logged in per role."""
from __future__ import annotations

import os
import re
from datetime import datetime
from types import SimpleNamespace

import flask_migrate
import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, make_url, text

from admin_app import create_app, jobs
from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import AdminUser
from admin_app.passwords import hash_password
from admin_app.services import search_walk

from . import factories
from .pages import empty_tables, table_counts

TEST_PASSWORD = "correct-horse-battery"
# One round of PBKDF2 instead of scrypt (0.1 s of CPU a login, thousands of logins
# a run): the suite tests who may log in, not the hash's strength. Production
# refuses it (security.check_configuration); test_security checks the default.
CHEAP_PASSWORD_HASH = "pbkdf2:sha256:1"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# Slow groups marked here rather than in their own files: the browser tests drive
# Chromium; the scaffold test writes a view into a copy of the project and runs it.
SLOW_PATHS = ("tests/e2e/", "tests/test_scaffold.py")


def pytest_collection_modifyitems(items):
    for item in items:
        if item.nodeid.startswith(SLOW_PATHS):
            item.add_marker(pytest.mark.slow)


class AdminClient(FlaskClient):
    """A test client that logs in and adds the CSRF token to its forms."""

    # Requests run inside the test's app context, so what Flask-Login, Flask-Babel
    # and Flask-WTF cache in ``g`` for "this request" would carry over to the next
    # request, even another client's: each request starts without them.
    REQUEST_CACHES = ("_login_user", "_flask_babel", "csrf_token", "csp_nonce", "page_language")

    def open(self, *args, **kwargs):
        for name in self.REQUEST_CACHES:
            g.pop(name, None)
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        """A valid token for this client's session. Read from a page the first time,
        then again only when the session's CSRF secret has changed (a login or a
        logout starts a new session): a page render per form post made up a large
        part of the suite's time."""
        secret = self._session_csrf_secret()
        if secret is None or self._token is None or self._token[0] != secret:
            # The lightest page with a form (the home page computes its figures).
            page = self.get("/account/password" if self.user else "/login",
                            follow_redirects=True)
            match = CSRF_INPUT.search(page.get_data(as_text=True))
            assert match, "no CSRF token on the page"
            self._token = (self._session_csrf_secret(), match.group(1))
        return self._token[1]

    def _session_csrf_secret(self) -> str | None:
        with self.session_transaction() as session:
            return session.get("csrf_token")

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)

    def login(self, user: AdminUser, password: str = TEST_PASSWORD):
        self.user = None
        response = self.post_form("/login", {"email": user.email, "password": password})
        self.user = user if response.status_code == 302 else None
        return response

    user = None
    _token: tuple[str | None, str] | None = None


def admins_by_language(app, users, password_hash) -> dict:
    """{"en": client, "es": client}: the suite's admin and a Spanish-reading admin, logged in."""
    spanish = AdminUser(email="lectora@example.com", name="Lectora", role=Role.ADMIN,
                        password_hash=password_hash, language="es", active=True)
    db.session.add(spanish)
    db.session.commit()
    clients = {}
    for language, user in (("en", users[Role.ADMIN]), ("es", spanish)):
        client = app.test_client()
        assert client.login(user, TEST_PASSWORD).status_code == 302
        clients[language] = client
    return clients


def _fresh_schema(app) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        # The schema comes from the migrations, so they are tested on every run.
        flask_migrate.upgrade()


def _test_database_url(tmp_path_factory) -> str:
    """TEST_DATABASE_URL (PostgreSQL), else a new SQLite file. Run in parallel
    (pytest -n, pytest-xdist), each worker has its own: the SQLite file is in the
    worker's own temporary folder, the PostgreSQL database is <name>_gw0, _gw1...,
    made here on the same server when missing."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    server = make_url(url).set(drivername="postgresql+psycopg")
    name = f"{server.database}_{worker}"
    engine = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": name}):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = _test_database_url(tmp_path_factory)
    queue_file = tmp_path_factory.mktemp("queue") / "queue.db"
    mail_folder = tmp_path_factory.mktemp("mail")  # messages written without MAIL_SERVER
    app = create_app({
        "QUEUE_URL": f"sqlite:///{queue_file}",
        "MAIL_FILE_PATH": str(mail_folder),
        "TESTING": True,
        "SECRET_KEY": "tests-only",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": True,
        "PASSWORD_HASH_METHOD": CHEAP_PASSWORD_HASH,
        # The seller every invoice names.
        "INVOICE_SELLER_NAME": "Tienda Añil, S.L.",
        "INVOICE_SELLER_TAX_ID": "B12345678",
        "INVOICE_SELLER_ADDRESS": "Gran Vía 2, 28013 Madrid",
    })
    app.test_client_class = AdminClient
    _fresh_schema(app)
    yield app
    with app.app_context():
        db.engine.dispose()


class SharedRows:
    """Rows that the read-only tests of a module share: made once, not once a test.

    The module defines a module-scoped fixture ``shared_rows`` that returns
    ``SharedRows(build)``; a test that requests it (itself or through another
    fixture) must write nothing. ``rows()`` returns what ``build()`` returned,
    calling it only when the tables do not hold these rows already. ``build``
    returns plain values (ids, logged-in clients), never ORM objects: each test
    has a session of its own. A reader that adds or removes rows fails."""

    held: SharedRows | None = None  # whose rows the tables hold now (None: empty)

    def __init__(self, build):
        self.build = build
        self.value = None
        self.counts: dict[str, int] = {}

    def rows(self):
        if SharedRows.held is not self:
            if SharedRows.held is not None:
                empty_tables()
                SharedRows.held = None
            self.value = self.build()
            db.session.commit()
            self.counts = table_counts()
            SharedRows.held = self
        return self.value

    def check_unchanged(self) -> None:
        db.session.rollback()
        assert table_counts() == self.counts, "a test reading shared rows changed them"


def _reads_shared_rows(request) -> bool:
    return "shared_rows" in request.fixturenames


@pytest.fixture(autouse=True)
def clean_db(app, request):
    """Each test starts from empty tables (or its module's shared rows, see
    SharedRows), no login throttling counts, and runs inside an app context."""
    with app.app_context():
        for limiter in app.extensions.get("limiter", ()):
            limiter.reset()
        if jobs._app is not app:
            # A test made an app of its own (production settings...), which took the
            # queue over: the suite's app runs the tasks again, from its own queue.
            jobs.init_app(app)
        jobs.queue.flush()  # no task of an earlier test is left for this one's worker
        if SharedRows.held is not None and not _reads_shared_rows(request):
            empty_tables()
            SharedRows.held = None
        yield
        if _reads_shared_rows(request) and SharedRows.held is not None:
            try:
                SharedRows.held.check_unchanged()
            except AssertionError:
                SharedRows.held = None  # made again for the next reader
                empty_tables()
                raise
            db.session.remove()  # the rows stay for the module's next reader
        else:
            empty_tables()
            SharedRows.held = None


@pytest.fixture(scope="session")
def password_hash(app):
    with app.app_context():
        return hash_password(TEST_PASSWORD)


def add_users(password_hash: str) -> dict[str, AdminUser]:
    """One active admin user per role, committed."""
    made = {}
    for role in Role.values():
        user = AdminUser(email=f"{role}@example.com", name=role.title(), role=role,
                         password_hash=password_hash, language="en", active=True)
        db.session.add(user)
        made[role] = user
    db.session.commit()
    return made


@pytest.fixture
def users(password_hash):
    """One active admin user per role."""
    return add_users(password_hash)


@pytest.fixture
def client(app) -> AdminClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login(app, users):
    """login(role) -> a client logged in with that role."""

    def _login(role: str = Role.ADMIN) -> AdminClient:
        client = app.test_client()
        response = client.login(users[role])
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _login


@pytest.fixture
def admin_client(login) -> AdminClient:
    return login(Role.ADMIN)


@pytest.fixture
def manager(login) -> AdminClient:
    """A client logged in as the manager."""
    return login(Role.MANAGER)


@pytest.fixture
def operator(login) -> AdminClient:
    """A client logged in as the operator."""
    return login(Role.OPERATOR)


@pytest.fixture
def customer(make):
    """Lucía, in the loyalty programme, reading Spanish: the ledger tests' customer."""
    return make.customer("Lucía", "Moreno", loyalty_member=True, language="es")


@pytest.fixture
def wallet(make, customer):
    """Lucía's wallet, empty."""
    return make.wallet(customer)


@pytest.fixture
def drain():
    """drain() -> tasks run: commit the test's work, then do what `flask --app wsgi
    worker --drain` does (every queued and due task, in its own app context and
    session, as the worker would)."""

    def run() -> int:
        db.session.commit()
        ran = jobs.drain()
        db.session.expire_all()  # the test reads what the worker wrote
        return ran

    return run


@pytest.fixture
def smtp_server(app):
    """A real SMTP server (aiosmtpd) on a free port, which the app sends through
    while the test runs. ``.messages`` holds what it accepted, parsed
    (email.message.EmailMessage, with ``.envelope_to``); set ``.refuse_next = n`` to
    answer the next n messages with a temporary failure (451)."""
    server = MailServer()
    server.start()
    saved = {key: app.config.get(key) for key in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    yield server
    app.config.update(saved)
    server.stop()


class MailServer:
    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        self.refuse_next = 0
        self.port = _free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        from email import message_from_bytes, policy

        if self.refuse_next > 0:
            self.refuse_next -= 1
            return "451 4.3.0 Try again later"
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def clock(monkeypatch):
    """clock(datetime): set the clock itsdangerous signs and checks with (only its clock)."""

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr("itsdangerous.timed.time", SimpleNamespace(time=moment.timestamp))

    return set_to


@pytest.fixture
def make():
    """Factories for test data: make.customer(...), make.wallet(...), ..."""
    return factories


@pytest.fixture
def walks(monkeypatch):
    """What each search's walk of the list's order found (services/search_walk.py):
    a page's ids, or None when its budget ran out."""
    found: list = []
    real = search_walk.first_matches

    def recorded(*args, **kwargs):
        found.append(real(*args, **kwargs))
        return found[-1]
    monkeypatch.setattr(search_walk, "first_matches", recorded)
    return found


@pytest.fixture
def statements():
    """The SQL statements sent to the database while the test runs, one line each."""
    seen: list[str] = []

    def record(_connection, _cursor, statement, *_):
        seen.append(" ".join(statement.split()))
    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)

