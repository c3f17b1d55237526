"""Security on by default: response headers and the content security policy, a
new session at login, idle and absolute session timeouts, login throttling per
account and per address (in memory, or shared through Redis), and no start in
production with the default secret key."""
from __future__ import annotations

import re
import time
import uuid

import pytest
import redis

from admin_app import create_app
from admin_app.choices import AuditAction, Role
from admin_app.config import DEFAULT_SECRET_KEY
from admin_app.extensions import db
from admin_app.models import AdminUser, AuditEvent
from admin_app.security import SESSION_SEEN, SESSION_STARTED, InsecureConfiguration

from .conftest import CHEAP_PASSWORD_HASH, TEST_PASSWORD, AdminClient

REDIS_URL = "redis://127.0.0.1:6379/15"
PRODUCTION_KEY = "a-long-random-production-key-" + "0123456789" * 3


def test_every_page_gets_the_security_headers(admin_client, client):
    for response in (admin_client.get("/admin/customers/"), client.get("/login")):
        headers = response.headers
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert "script-src 'self' 'nonce-" in policy


def test_each_script_on_an_admin_page_carries_this_responses_nonce(admin_client, make):
    make.customer()
    for url in ("/admin/customers/", "/admin/customers/new/", "/admin/wallets/"):
        response = admin_client.get(url)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])[1]
        scripts = re.findall(r"<script\b[^>]*>", response.get_data(as_text=True))
        assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts), url
    # A new nonce for every response.
    second = admin_client.get("/admin/customers/").headers["Content-Security-Policy"]
    assert nonce not in second


def test_production_refuses_the_default_or_a_missing_secret_key():
    for key in (DEFAULT_SECRET_KEY, ""):
        with pytest.raises(InsecureConfiguration):
            create_app({"PRODUCTION": True, "SECRET_KEY": key,
                        "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app = create_app({"PRODUCTION": True, "SECRET_KEY": PRODUCTION_KEY,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://", "SESSION_COOKIE_SECURE": True,
                      "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]


def test_production_stores_passwords_with_scrypt_and_refuses_a_cheap_hash():
    production = {"PRODUCTION": True, "SECRET_KEY": PRODUCTION_KEY,
                  "SQLALCHEMY_DATABASE_URI": "sqlite://",
                  "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}
    with create_app(production).app_context():
        user = AdminUser(email="someone@example.com", name="Someone")
        user.set_password("a long enough passphrase")
        assert user.password_hash.startswith("scrypt:32768:8:1$")
        assert user.check_password("a long enough passphrase")
    for cheap in (CHEAP_PASSWORD_HASH, "scrypt:1024:8:1", "scrypt:32768:1:1", "scrypt:65536",
                  "scrypt:1048576000:8:1", "SCRYPT"):
        with pytest.raises(InsecureConfiguration, match="PASSWORD_HASH_METHOD"):
            create_app({**production, "PASSWORD_HASH_METHOD": cheap})
    create_app({**production, "PASSWORD_HASH_METHOD": "scrypt:65536:8:1"})  # costlier: fine


def test_production_refuses_login_counts_kept_in_one_process():
    with pytest.raises(InsecureConfiguration, match="RATELIMIT_STORAGE_URI"):
        create_app({"PRODUCTION": True, "SECRET_KEY": PRODUCTION_KEY,
                    "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "RATELIMIT_STORAGE_URI": "memory://"})


def test_behind_a_proxy_the_clients_address_is_the_forwarded_one(app):
    """Throttling per address and the audit log see the client, not the proxy."""
    proxied = create_app({"TESTING": True, "SECRET_KEY": "tests-only", "PROXY_COUNT": 1,
                          "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})

    @proxied.get("/whoami-for-test")
    def whoami():
        from flask import request
        return f"{request.remote_addr} {request.scheme}"

    answer = proxied.test_client().get("/whoami-for-test", headers={
        "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert answer.get_data(as_text=True) == "203.0.113.7 https"


def test_a_new_session_at_login(client, users):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    assert client.login(users[Role.VIEWER]).status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == users[Role.VIEWER].get_id()


@pytest.mark.parametrize("stamp, seconds", [(SESSION_SEEN, 61 * 60),
                                            (SESSION_STARTED, 13 * 3600)])
def test_an_idle_or_too_old_session_ends(login, stamp, seconds):
    client = login(Role.VIEWER)
    assert client.get("/admin/").status_code == 200
    with client.session_transaction() as session:
        session[stamp] = int(time.time()) - seconds
    response = client.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/admin/").status_code == 302  # and stays ended


def test_an_active_session_goes_on(login):
    client = login(Role.VIEWER)
    with client.session_transaction() as session:
        session[SESSION_SEEN] = int(time.time()) - 59 * 60
    assert client.get("/admin/").status_code == 200


def test_static_files_are_served_without_reading_the_database(login, statements):
    """A page pulls twenty-odd scripts and styles: each once read the user, and when
    the database stalled, pages came without their scripts (no filters, no menus)."""
    client = login(Role.VIEWER)
    statements.clear()
    for url in ("/static/css/backoffice.css", "/admin/static/vendor/jquery.min.js"):
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()
    assert statements == []
    assert client.get("/admin/").status_code == 200  # the session itself goes on


def _fail(client, email: str, password: str = "not-the-password"):
    return client.post_form("/login", {"email": email, "password": password})


def test_failed_logins_are_throttled_per_account(client, users):
    email = users[Role.ADMIN].email
    for _attempt in range(5):
        assert _fail(client, email).status_code == 400
    blocked = _fail(client, email.upper(), TEST_PASSWORD)  # even the right password waits
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.get_data(as_text=True)
    # Another account from the same address is not held back by this one.
    assert client.login(users[Role.VIEWER]).status_code == 302


def test_failed_logins_are_throttled_per_address(client, users):
    for attempt in range(20):
        _fail(client, f"nobody{attempt}@example.com")
    assert client.login(users[Role.VIEWER]).status_code == 429


def test_successful_logins_do_not_count(client, users):
    for _attempt in range(8):
        assert client.login(users[Role.VIEWER]).status_code == 302
        client.post_form("/logout")


def test_the_throttle_is_shared_through_redis_by_several_app_servers(app, users):
    store = redis.Redis.from_url(REDIS_URL)
    try:
        store.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    # Keys of this run only: another run on the same Redis never mixes in.
    prefix = f"test-{uuid.uuid4().hex}"
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY")}
    servers = [create_app({**config, "TESTING": True, "RATELIMIT_STORAGE_URI": REDIS_URL,
                           "RATELIMIT_KEY_PREFIX": prefix})
               for _ in range(2)]
    email = users[Role.ADMIN].email
    clients = []
    for server in servers:
        server.test_client_class = AdminClient
        clients.append(server.test_client())
    try:
        for attempt in range(5):
            with servers[attempt % 2].app_context():
                assert _fail(clients[attempt % 2], email).status_code == 400
        with servers[1].app_context():
            assert _fail(clients[1], email, TEST_PASSWORD).status_code == 429
    finally:
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)
        for server in servers:
            with server.app_context():
                db.engine.dispose()


def test_failed_logins_are_in_the_audit_log_without_saying_which_part_was_wrong(client, users):
    unknown = _fail(client, "nobody@example.com").get_data(as_text=True)
    known = _fail(client, users[Role.ADMIN].email).get_data(as_text=True)
    message = "Invalid email or password."
    assert message in unknown and message in known
    assert db.session.query(AuditEvent).filter_by(action=AuditAction.LOGIN_FAILED).count() == 2


def test_production_refuses_a_secret_key_shorter_than_32_characters():
    with pytest.raises(InsecureConfiguration, match="at least 32"):
        create_app({"PRODUCTION": True, "SECRET_KEY": "k" * 31,
                    "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"})
    create_app({"PRODUCTION": True, "SECRET_KEY": "k" * 32, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"})


def test_a_forged_cross_site_form_is_refused_and_audited(login, client):
    operator = login(Role.OPERATOR)
    response = operator.post("/admin/customers/new/",
                             data={"first_name": "Eve", "surname": "Forged"})
    assert response.status_code == 400
    anonymous = client.post("/login", data={"email": "x@example.com", "password": "y"})
    assert anonymous.status_code == 400
    events = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == AuditAction.REFUSED).order_by(AuditEvent.id)).all()
    assert [(e.user_email, e.object_type, e.summary.split(":")[0]) for e in events] == [
        ("operator@example.com", "CSRF", "POST /admin/customers/new/"),
        (None, "CSRF", "POST /login"),
    ]


INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def test_no_page_carries_an_inline_event_handler_and_the_policy_refuses_them(admin_client,
                                                                             make):
    """script-src-attr is left to script-src: onclick="..." would not run, so none is sent."""
    from admin_app.views import VIEWS

    make.customer()
    checked = 0
    for view_class in VIEWS:
        url = getattr(view_class, "view_url", None)
        if not url:
            continue
        for page in (f"/admin/{url}/", f"/admin/{url}/new/"):
            response = admin_client.get(page)
            if response.status_code != 200:
                continue
            assert "script-src-attr" not in response.headers["Content-Security-Policy"]
            assert not INLINE_HANDLER.search(response.get_data(as_text=True)), page
            checked += 1
    assert checked >= len(VIEWS)
