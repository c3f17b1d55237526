"""Security that every response and every session gets, whatever the view:
headers and a content security policy, session timeouts, throttling of the login
and of customers' password reset page, and a refusal to start in production with
a missing or default secret key or a cheap password hash."""
from __future__ import annotations

import secrets
import time

from flask import Flask, Request, abort, current_app, flash, g, request, session
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import DEFAULT_SECRET_KEY
from .passwords import is_strong

LOGIN_FAILED = lambda response: response.status_code != 302  # noqa: E731 - only failures count


SESSION_STARTED = "started_at"
SESSION_SEEN = "seen_at"


MIN_SECRET_KEY_LENGTH = 32
# Room for an import form's other fields and the multipart boundaries around its file.
IMPORT_FORM_OVERHEAD = 64 * 1024


class InsecureConfiguration(RuntimeError):
    """The app must not start like this."""


def check_configuration(app: Flask) -> None:
    if not app.config.get("PRODUCTION"):
        return
    if app.config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET_KEY):
        raise InsecureConfiguration(
            "SECRET_KEY is missing or is the development default: set a long random "
            "SECRET_KEY (environment or instance/config.py) before starting in production.")
    if len(app.config["SECRET_KEY"]) < MIN_SECRET_KEY_LENGTH:
        # Sessions are signed with it: a short key can be guessed offline from one cookie.
        raise InsecureConfiguration(
            f"SECRET_KEY has {len(app.config['SECRET_KEY'])} characters: production needs "
            f"at least {MIN_SECRET_KEY_LENGTH} random ones (python -c \"import secrets; "
            "print(secrets.token_hex(32))\").")
    if not is_strong(app.config.get("PASSWORD_HASH_METHOD", "")):
        # A cheap hash is for the test suite: a stolen database would give up its passwords.
        raise InsecureConfiguration(
            f"PASSWORD_HASH_METHOD is {app.config.get('PASSWORD_HASH_METHOD')!r}: production "
            "stores passwords with scrypt at its default cost or more (\"scrypt\", the "
            "default).")
    if app.config.get("RATELIMIT_STORAGE_URI", "memory://").startswith("memory://"):
        # In memory, each worker process counts failed logins on its own.
        raise InsecureConfiguration(
            "RATELIMIT_STORAGE_URI keeps login attempts in one process's memory: set it "
            "to a store every app server shares (redis://host:6379/0) in production.")


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT reverse proxies, read the client's address and scheme from
    their X-Forwarded headers (throttling per address, the audit log, https links)."""
    hops = app.config.get("PROXY_COUNT", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def csp_nonce() -> str:
    """One nonce per response: the page's own scripts carry it, injected ones cannot."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _content_security_policy() -> str:
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' 'nonce-{csp_nonce()}'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", _content_security_policy())
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("PRODUCTION"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def start_session() -> None:
    """At login: a brand new session (nothing planted before it survives)."""
    session.clear()
    now = int(time.time())
    session[SESSION_STARTED] = session[SESSION_SEEN] = now


def _is_static_file() -> bool:
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def _expire_idle_or_old_sessions():
    # Static files are the same for everyone: reading the user for each of a page's
    # twenty-odd scripts and styles cost as many queries (and, when the database
    # stalled, pages without their scripts).
    if _is_static_file() or not current_user.is_authenticated:
        return None
    now = int(time.time())
    config = current_app.config
    started = session.get(SESSION_STARTED, 0)
    seen = session.get(SESSION_SEEN, 0)
    if now - seen > config["SESSION_IDLE_TIMEOUT"] or now - started > config["SESSION_MAX_AGE"]:
        logout_user()
        session.clear()
        flash(_("Your session has expired. Please log in again."), "info")
        return None
    session[SESSION_SEEN] = now
    return None


def _refuse_nul_in_the_address():
    # Never typed by a person; PostgreSQL refuses text with NUL (a 500 otherwise).
    # Forms refuse it with a message on the field (forms.SecureForm).
    if "\x00" in request.path or any("\x00" in v for v in request.args.values()):
        abort(400)


class SizeLimitedRequest(Request):
    """Requests are at most MAX_CONTENT_LENGTH bytes (413 past it, before anything is
    read), except imports, which take their file up to IMPORT_MAX_BYTES."""

    @property
    def max_content_length(self) -> int | None:
        endpoint = self.endpoint or ""
        if current_app and endpoint.endswith(".import_view"):
            return current_app.config["IMPORT_MAX_BYTES"] + IMPORT_FORM_OVERHEAD
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def login_account_key() -> str:
    """The account a login attempt names, however its email is typed."""
    return "login:" + (request.form.get("email") or "").strip().lower()


def password_change_key() -> str:
    """The user whose current password a password change puts to the test."""
    return f"password:{current_user.get_id()}"


def throttle_login(app: Flask) -> Limiter:
    """Failed logins are limited per account and per address, and failed password
    changes per user (429 when over).

    One limiter per app (Flask-Limiter keeps its storage on the limiter): counts
    live in memory, or in Redis shared by several app servers when
    RATELIMIT_STORAGE_URI = "redis://host:6379/0".
    """
    limiter = Limiter(get_remote_address, app=app, default_limits=[],
                      strategy="moving-window")
    per_account = limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
                                key_func=login_account_key, methods=["POST"],
                                deduct_when=LOGIN_FAILED)
    per_address = limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"],
                                methods=["POST"], deduct_when=LOGIN_FAILED)
    app.view_functions["auth.login"] = per_address(per_account(app.view_functions["auth.login"]))
    # The password page asks for the current password: a stolen session may not
    # guess it any faster than the login form lets anyone guess.
    per_user = limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
                             key_func=password_change_key, methods=["POST"],
                             deduct_when=LOGIN_FAILED)
    app.view_functions["auth.change_password"] = per_user(
        app.view_functions["auth.change_password"])
    return limiter


def throttle_password_reset(app: Flask, limiter: Limiter) -> None:
    """A customer's reset page limits, per address, the links it is given that do
    not work (as many as failed logins; 429 when over): guessing links is the attack.
    A customer who types weak passwords on a real link is never held back (the
    link is the secret; counting those locked real customers out)."""
    per_address = limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"],
                                methods=["POST"], deduct_when=_dead_link)
    endpoint = "account_reset.reset"
    app.view_functions[endpoint] = per_address(app.view_functions[endpoint])


def _dead_link(response) -> bool:
    return response.status_code == 404


def init_app(app: Flask) -> None:
    """After the blueprints: the login and reset views are wrapped here."""
    check_configuration(app)
    trust_proxies(app)
    throttle_password_reset(app, throttle_login(app))
    app.after_request(_security_headers)
    app.before_request(_expire_idle_or_old_sessions)
    app.before_request(_refuse_nul_in_the_address)
    app.request_class = SizeLimitedRequest
