"""Language choice and locale-aware formatting shared by views and templates."""
from __future__ import annotations

import os

from flask import Flask, current_app, request
from flask_babel import format_currency, format_date, format_datetime, get_locale
from flask_login import current_user

TRANSLATIONS_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "translations"))
LANGUAGE_COOKIE = "lang"


def select_locale() -> str:
    """The admin user's saved language; before login a cookie, then the browser's."""
    languages = current_app.config["LANGUAGES"]
    user = current_user if _has_request() else None
    if user is not None and user.is_authenticated and user.language in languages:
        return user.language
    if not _has_request():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or languages[0]


def _has_request() -> bool:
    from flask import has_request_context

    return has_request_context()


def money(amount_minor: int | None, currency: str | None = None) -> str:
    """Minor units shown as the user's locale writes money, e.g. €12.50 / 12,50 €."""
    if amount_minor is None:
        return ""
    currency = currency or current_app.config["CURRENCY"]
    # Decimal arithmetic keeps cents exact; never a float.
    from decimal import Decimal

    return format_currency(Decimal(amount_minor).scaleb(-2), currency)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    # Templates show stored choice values by their labels: choices.WalletTxKind.label(v).
    from . import choices

    app.jinja_env.globals["choices"] = choices

    @app.context_processor
    def language_context():
        return {"current_locale": str(get_locale() or "en"), "LANGUAGES": app.config["LANGUAGES"]}
