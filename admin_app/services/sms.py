"""Text messages: the interface an SMS provider plugs into.

No provider ships with the back office. Set ``SMS_SENDER`` to the dotted path of a
factory (a class, usually) that takes the app's config and returns an ``SmsSender``;
until then text messages wait in the outbox as "not sendable", and are sent once a
provider is configured.
"""
from __future__ import annotations

from typing import Protocol

from flask import current_app
from werkzeug.utils import import_string


class SmsSender(Protocol):
    def send(self, to: str, text: str) -> None:
        """Send ``text`` to the E.164 number ``to``; raise any exception when the
        provider did not take it (the message is tried again later)."""


def configured() -> bool:
    return bool(current_app.config.get("SMS_SENDER"))


def sender() -> SmsSender | None:
    """The configured provider, made from the app's config; None when there is none."""
    path = current_app.config.get("SMS_SENDER")
    if not path:
        return None
    return import_string(path)(current_app.config)
