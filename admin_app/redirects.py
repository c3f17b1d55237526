"""Where a page may send the browser next: only to a path on this site.

Every redirect target that comes from the request (``url=`` after a save, a
delete or an action, ``next=`` after logging in or switching the language) is
checked here. Browsers read more as "another site" than a plain
``scheme://host``: ``//host`` and ``http:/host`` (scheme-relative), ``/\\host``
and ``\\\\host`` (a backslash is a slash to them), tabs and line breaks inside
(they drop them: ``/\\t/host`` is ``//host``), and the same percent-encoded.
"""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

import flask_admin.helpers
from flask import Flask, request

# Characters browsers strip out of a URL, or read as a slash.
_REFUSED = {chr(code) for code in range(0x21)} | {"\x7f", "\\"}


def is_same_site(target: str | None) -> bool:
    """``target`` is a path on this site ("/admin/customers/?page=2")."""
    if not target or not isinstance(target, str):
        return False
    for form in (target, unquote(target)):  # and decoded: "%2F%2Fhost", "%5Chost"
        if not form.startswith("/") or form.startswith("//") or _REFUSED & set(form[:2]):
            return False
    return not (_REFUSED - {" "}) & set(target)


def same_site(target: str | None) -> str | None:
    """``target`` when it is a path on this site, otherwise None."""
    return target if is_same_site(target) else None


def sent_from() -> str | None:
    """The page of this site the request came from (its Referer), as a path."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path:
        return None
    return same_site(referrer.path + (f"?{referrer.query}" if referrer.query else ""))


def this_page_again() -> str:
    """Where switching the language returns to: this page; for the answer to a
    form sent (a POST, whose URL a browser's GET would not show, as with a bulk
    action's), the page the form was sent from."""
    if request.method == "POST":
        return sent_from() or request.full_path
    return request.full_path


def init_app(app: Flask) -> None:
    """Flask-Admin checks its ``url=`` targets with ``flask_admin.helpers.is_safe_url``,
    which lets ``http:/host`` and ``/\\t/host`` through: every one of its
    ``get_redirect_target`` calls (save, delete, actions, export) uses ours instead."""
    flask_admin.helpers.is_safe_url = is_same_site
    app.jinja_env.globals["this_page_again"] = this_page_again
