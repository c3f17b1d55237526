"""Delivering the outbox: each message is claimed, sent, then marked, each step
committed on its own, so that nothing is sent twice whatever runs at once.

- **Claim**: one UPDATE turns a due message "sending" (and counts the try); only
  the worker whose UPDATE changed the row sends it.
- **Send**: over SMTP (MAIL_* read now, not at start-up); without MAIL_SERVER as an
  .eml file in instance/mail/; a text message through the configured SMS provider,
  or not at all ("not sendable") while there is none.
- **Mark**: sent; or, when the server refused or could not be reached, queued again
  after the next of MAIL_RETRY_DELAYS, and failed after the last.

A message left "sending" for MAIL_IN_DOUBT_AFTER (its worker was killed during or
after the SMTP call) may or may not have left: it is sent again once, with the
same Message-ID, so that the customer's mail program shows it once; found stuck a
second time, it is failed. A message marked sent is never sent again.

The functions commit through ``commit`` (the worker's ``db.session.commit``): the
steps must be seen by every other worker as they happen.
"""
from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from flask import Flask, current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import CursorResult

from ..choices import NotificationChannel, NotificationKind, NotificationStatus
from ..extensions import db, mail
from ..models import Customer, Notification, utcnow
from . import customer_accounts, mail_files, mail_messages, notifications, sms

log = logging.getLogger(__name__)

Commit = Callable[[], None]
ERROR_LENGTH = 300  # of last_error: enough for an SMTP server's answer
BATCH = 500  # messages one retry run delivers at most


def deliver(notification_id: int, *, commit: Commit, now: datetime | None = None) -> str:
    """Deliver this message if it is due; returns its status afterwards (or "gone").
    Running it again, or at once on another worker, sends nothing more."""
    row = db.session.get(Notification, notification_id)
    if row is None:
        return "gone"
    if row.message_id is None or row.recipient is None:
        _address(row)
        commit()
    if not row.recipient:
        return _park(notification_id, NotificationStatus.FAILED, notifications.NO_RECIPIENT,
                     commit=commit)
    if row.kind == NotificationKind.PASSWORD_RESET and \
            not customer_accounts.link_in_message_works(row.body):
        return _park(notification_id, NotificationStatus.FAILED, notifications.LINK_DEAD,
                     commit=commit)
    if row.channel == NotificationChannel.SMS and not sms.configured():
        return _park(notification_id, NotificationStatus.NOT_SENDABLE,
                     notifications.NO_SMS_PROVIDER, commit=commit)
    if not _claim(notification_id, _now(now)):
        commit()
        return _status(notification_id)
    commit()  # from here on, every worker sees it is being sent
    try:
        _send(row)
    except Exception as error:  # noqa: BLE001 - whatever stopped it, it is tried again
        db.session.rollback()
        return _after_failure(notification_id, error, commit=commit, now=_now(now))
    _finish(notification_id, status=NotificationStatus.SENT, sent_at=_now(now), last_error=None,
            next_attempt_at=None)
    commit()
    log.info("message %s sent to its %s", notification_id, row.channel)
    return NotificationStatus.SENT


def deliver_due(*, commit: Commit, now: datetime | None = None) -> int:
    """Deliver every message that is due (queued and past its retry time; text
    messages left unsendable, once a provider is configured). Returns how many were sent."""
    sent = 0
    for notification_id in due_ids(_now(now)):
        if deliver(notification_id, commit=commit, now=now) == NotificationStatus.SENT:
            sent += 1
    return sent


def due_ids(now: datetime, limit: int = BATCH) -> list[int]:
    return list(db.session.scalars(
        select(Notification.id).where(_due(now)).order_by(Notification.id).limit(limit)))


def recover_in_doubt(*, commit: Commit, now: datetime | None = None) -> int:
    """Messages left "sending" past MAIL_IN_DOUBT_AFTER: queued again once (same
    Message-ID), failed the second time. Returns how many were found."""
    cutoff = _now(now) - timedelta(seconds=current_app.config["MAIL_IN_DOUBT_AFTER"])
    stuck = list(db.session.scalars(select(Notification.id).where(
        Notification.status == NotificationStatus.SENDING, Notification.sending_since < cutoff)))
    for notification_id in stuck:
        still_stuck = and_(Notification.id == notification_id,
                           Notification.status == NotificationStatus.SENDING,
                           Notification.sending_since < cutoff)
        db.session.execute(update(Notification).where(
            still_stuck, Notification.resent_in_doubt.is_(False)).values(
            status=NotificationStatus.QUEUED, resent_in_doubt=True, sending_since=None,
            next_attempt_at=None, last_error=notifications.IN_DOUBT_RESENT))
        db.session.execute(update(Notification).where(
            still_stuck, Notification.resent_in_doubt.is_(True)).values(
            status=NotificationStatus.FAILED, sending_since=None, next_attempt_at=None,
            last_error=notifications.IN_DOUBT_TWICE))
        commit()
        log.warning("message %s was left sending: %s", notification_id,
                    _status(notification_id))
    return len(stuck)


def check_configuration(app: Flask) -> None:
    """Production without MAIL_SERVER starts, but says that mail stays on this machine."""
    if app.config.get("PRODUCTION") and not app.config.get("MAIL_SERVER"):
        app.logger.warning(
            "MAIL_SERVER is not set: messages to customers will not leave this machine; "
            "they are written as .eml files in %s.",
            app.config.get("MAIL_FILE_PATH") or "the instance folder's mail/")


# -- the steps ---------------------------------------------------------------------------

def _now(now: datetime | None) -> datetime:
    return now or utcnow()


def _due(now: datetime):
    statuses = [Notification.status == NotificationStatus.QUEUED]
    if sms.configured():
        # Text messages parked while no provider was configured.
        statuses.append(and_(Notification.status == NotificationStatus.NOT_SENDABLE,
                             Notification.channel == NotificationChannel.SMS))
    return and_(or_(*statuses),
                or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))


def _claim(notification_id: int, now: datetime) -> bool:
    """Mark the message "sending" if it is due: True for the one caller that did."""
    claimed = cast(CursorResult, db.session.execute(update(Notification).where(
        Notification.id == notification_id, _due(now)).values(
        status=NotificationStatus.SENDING, sending_since=now,
        attempts=Notification.attempts + 1)))
    return claimed.rowcount == 1


def _address(row: Notification) -> None:
    """A message written without an address or a Message-ID (not through
    notifications.queue) gets them before its first try; the first worker to set
    them wins, so that every try uses the same."""
    if row.message_id is None:
        db.session.execute(update(Notification).where(
            Notification.id == row.id, Notification.message_id.is_(None)).values(
            message_id=notifications.new_message_id()))
    if row.recipient is None:
        customer = db.session.get(Customer, row.customer_id)
        address = None if customer is None else (
            customer.email if row.channel == NotificationChannel.EMAIL else customer.phone)
        db.session.execute(update(Notification).where(
            Notification.id == row.id, Notification.recipient.is_(None)).values(
            recipient=address))


def _park(notification_id: int, status: str, reason: str, *, commit: Commit) -> str:
    """A queued message that cannot be sent as it is: said why, no try counted."""
    _set(notification_id, (NotificationStatus.QUEUED,), status=status, last_error=reason)
    commit()
    return _status(notification_id)


def _send(row: Notification) -> None:
    if row.channel == NotificationChannel.SMS:
        provider = sms.sender()
        assert provider is not None and row.recipient  # both checked before
        provider.send(row.recipient, mail_messages.sms_text(row))
        return
    email = mail_messages.email_for(row)
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        mail_files.write(row, email.message().as_bytes(linesep="\r\n"))
        return
    connection = mail.get_connection(
        backend="smtp", host=config["MAIL_SERVER"], port=config["MAIL_PORT"],
        use_tls=bool(config.get("MAIL_USE_TLS")), use_ssl=bool(config.get("MAIL_USE_SSL")),
        username=config.get("MAIL_USERNAME") or "", password=config.get("MAIL_PASSWORD") or "",
        timeout=config.get("MAIL_TIMEOUT"))
    connection.open()
    try:
        connection.send_messages([email])
    finally:
        _close_quietly(connection)


def _close_quietly(connection) -> None:
    # The message was handed over (or the error is on its way up): a server that
    # drops the line at QUIT changes neither.
    try:
        connection.close()
    except Exception:  # noqa: BLE001
        log.info("the SMTP connection did not close cleanly", exc_info=True)


def _after_failure(notification_id: int, error: Exception, *, commit: Commit,
                   now: datetime) -> str:
    attempts = db.session.scalar(
        select(Notification.attempts).where(Notification.id == notification_id)) or 0
    delays = current_app.config["MAIL_RETRY_DELAYS"]
    reason = describe(error)
    if attempts <= len(delays):
        _finish(notification_id, status=NotificationStatus.QUEUED, last_error=reason,
                next_attempt_at=now + timedelta(seconds=delays[attempts - 1]))
        outcome = NotificationStatus.QUEUED
    else:
        _finish(notification_id, status=NotificationStatus.FAILED, last_error=reason)
        outcome = NotificationStatus.FAILED
    commit()
    transport = isinstance(error, (smtplib.SMTPException, OSError))
    (log.warning if transport else log.exception)(
        "message %s not sent (try %s): %s", notification_id, attempts, reason)
    return outcome


def describe(error: Exception) -> str:
    """What went wrong, short and without the settings' secrets: the SMTP server's
    answer, or the kind of network failure."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = [f"{code} {_text(message)}" for code, message in error.recipients.values()]
        text = "Recipient refused: " + "; ".join(answers)
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"SMTP {error.smtp_code} {_text(error.smtp_error)}"
    elif isinstance(error, TimeoutError) or (
            isinstance(error, smtplib.SMTPServerDisconnected) and "timed out" in str(error)):
        text = notifications.SERVER_TIMED_OUT
    elif isinstance(error, ConnectionRefusedError):
        text = notifications.SERVER_REFUSED
    elif isinstance(error, smtplib.SMTPServerDisconnected):
        text = notifications.SERVER_CLOSED
    elif isinstance(error, smtplib.SMTPException):
        text = f"SMTP: {error}"
    elif isinstance(error, OSError):
        text = f"Network error: {error.strerror or error}"
    else:
        text = f"{type(error).__name__}: {error}"
    # A server's answer may quote the message, reset link included: staff never see one.
    return notifications.text_for_staff(" ".join(text.split()))[:ERROR_LENGTH]


def _text(message) -> str:
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)


def _finish(notification_id: int, **values) -> None:
    """The end of a try: only a message still "sending" (the one this worker claimed)."""
    _set(notification_id, (NotificationStatus.SENDING,), sending_since=None, **values)


def _set(notification_id: int, current: tuple[str, ...], **values) -> None:
    db.session.execute(update(Notification).where(
        Notification.id == notification_id, Notification.status.in_(current)).values(**values))


def _status(notification_id: int) -> str:
    return db.session.scalar(select(Notification.status).where(
        Notification.id == notification_id)) or "gone"
