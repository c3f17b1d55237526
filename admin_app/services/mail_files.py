"""Mail that stays on this machine: without MAIL_SERVER each message is written as an
.eml file (the whole message, as it would have been sent) in MAIL_FILE_PATH, by
default instance/mail/, where the outbox page reads it back for staff."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

from ..models import Notification
from .notifications import text_for_staff

UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def folder() -> Path:
    return Path(current_app.config.get("MAIL_FILE_PATH")
                or os.path.join(current_app.instance_path, "mail"))


def eml_path(notification: Notification) -> Path:
    """instance/mail/<id>-<message id, letters, digits, dots and dashes only>.eml"""
    safe = UNSAFE.sub("_", (notification.message_id or "").strip("<>"))
    return folder() / f"{notification.id}-{safe}.eml"


def remove(notifications: list[Notification]) -> int:
    """Delete the files written for these messages (an erasure); the number deleted."""
    removed = 0
    for notification in notifications:
        path = eml_path(notification)
        if path.is_file():
            path.unlink()
            removed += 1
    return removed


def write(notification: Notification, message: bytes) -> Path:
    """Write the message whole: a reader never finds half a file."""
    path = eml_path(notification)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".eml.part")
    partial.write_bytes(message)
    os.replace(partial, path)
    return path


@dataclass(frozen=True)
class StoredMail:
    """An .eml file as staff may read it: its headers and its plain text."""

    headers: list[tuple[str, str]]
    text: str


SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID")


def _parsed(notification: Notification) -> EmailMessage | None:
    path = eml_path(notification)
    if not path.is_file():
        return None
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def read_for_staff(notification: Notification) -> StoredMail | None:
    """The message's file, if there is one, with any password-reset link masked."""
    message = _parsed(notification)
    if message is None:
        return None
    part = message.get_body(preferencelist=("plain",))
    text = part.get_content() if part is not None else ""
    headers = [(name, str(message[name])) for name in SHOWN_HEADERS if message[name]]
    return StoredMail(headers=headers, text=text_for_staff(text))


def bytes_for_staff(notification: Notification) -> bytes | None:
    """The .eml file to download, each text part with its reset links masked."""
    message = _parsed(notification)
    if message is None:
        return None
    for part in message.walk():
        if part.get_content_maintype() == "text" and not part.is_multipart():
            assert isinstance(part, EmailMessage)
            masked = text_for_staff(part.get_content())
            part.set_content(masked, subtype=part.get_content_subtype(), charset="utf-8")
    return message.as_bytes()
