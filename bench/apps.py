"""The two apps under test, and a client for each as staff would use it."""
from __future__ import annotations

from dataset import PASSWORD, USER_EMAIL
from plain_admin import create_plain_app

from admin_app import create_app

OURS = "ours"
PLAIN = "plain"


def our_app(url: str):
    # No instance/config.py: the figures do not depend on one machine's settings.
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                       "WTF_CSRF_ENABLED": False, "TESTING": False})


def build(kind: str, url: str):
    return our_app(url) if kind == OURS else create_plain_app(url)


def client_for(kind: str, app):
    """Ours logged in as the bench operator; the plain one needs no login."""
    client = app.test_client()
    if kind == OURS:
        response = client.post("/login", data={"email": USER_EMAIL, "password": PASSWORD})
        if response.status_code != 302:
            raise SystemExit("the bench operator could not log in to our app")
    return client
