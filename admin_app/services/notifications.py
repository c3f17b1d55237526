"""Messages to customers: queued in the outbox, in the customer's language, sent later
by the worker (services/mail_delivery.py); what staff may read of them; sending a
failed one again."""
from __future__ import annotations

import re
from collections.abc import Iterable
from email.utils import make_msgid, parseaddr

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..choices import AuditAction, NotificationChannel, NotificationKind, NotificationStatus
from ..database import lock_row
from ..extensions import db
from ..i18n import exact_duration, money
from ..models import Customer, Notification, Wallet
from . import audit, permissions, sms
from .errors import DomainError


class NotificationError(DomainError):
    """A message cannot be sent again (it was sent, it is on its way...)."""


def queue(customer: Customer, *, kind: str, subject: str, body: str) -> Notification:
    """Put a message for ``customer`` in the outbox (email if they have one, else SMS),
    addressed now: the address it goes to and its Message-ID are fixed when it is
    written, so that every try sends the same message to the same place. ``subject``
    and ``body`` are in the customer's language already. It is delivered once the
    caller's transaction commits (jobs/mail.py), never if it rolls back."""
    channel = NotificationChannel.EMAIL if customer.email else NotificationChannel.SMS
    notification = Notification(
        customer_id=customer.id, kind=kind, channel=channel, language=customer.language,
        recipient=customer.email if channel == NotificationChannel.EMAIL else customer.phone,
        subject=subject, body=body, status=NotificationStatus.QUEUED,
        message_id=new_message_id())
    db.session.add(notification)
    return notification


def balance_changed(customer: Customer, wallet: Wallet, amount_minor: int) -> Notification:
    """Tell the customer their wallet balance changed."""
    with force_locale(customer.language):
        change = money(amount_minor, wallet.currency)
        balance = money(wallet.balance_minor, wallet.currency)
        subject = _("Your balance changed")
        body = _("Hello %(name)s, your wallet %(code)s changed by %(change)s. "
                 "Your balance is now %(balance)s.", name=customer.first_name,
                 code=wallet.wallet_code, change=change, balance=balance)
    return queue(customer, kind=NotificationKind.BALANCE_CHANGED, subject=subject, body=body)


def password_reset(customer: Customer, link: str, valid_for: int) -> Notification:
    """The customer's link to set a new store password, working for ``valid_for``
    seconds, by email, in their language."""
    shop = current_app.config["SHOP_NAME"]
    with force_locale(customer.language):
        validity = exact_duration(valid_for)
        subject = _("Set a new password for %(shop)s", shop=shop)
        body = _("Hello %(name)s,\n\n"
                 "To choose a new password for your account at %(shop)s, open this link:\n\n"
                 "%(link)s\n\n"
                 "The link works once, for %(validity)s. If you did not ask for a new "
                 "password, ignore this message: your password stays as it is.",
                 name=customer.first_name, shop=shop, link=link,
                 validity=validity)
    return queue(customer, kind=NotificationKind.PASSWORD_RESET, subject=subject[:200],
                 body=body)


def new_message_id() -> str:
    """A Message-ID in the domain mail is sent from (MAIL_DEFAULT_SENDER's)."""
    address = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")[1]
    domain = address.rpartition("@")[2] or "localhost"
    return make_msgid(domain=domain)


# -- what staff see ----------------------------------------------------------------------

# Where a customer's password-reset link points (the public page's address). The
# link works for whoever holds it: staff never see its token.
RESET_PATH = "/account/reset/"
RESET_LINK = re.compile("(" + re.escape(RESET_PATH) + r")[^\s\"'<>)\]]+")


def text_for_staff(text: str) -> str:
    """``text`` with every password-reset link's token masked ("/account/reset/…")."""
    return RESET_LINK.sub(r"\1…", text or "")


def body_for_staff(notification: Notification) -> str:
    """The message's body as staff may read it: any reset link masked."""
    return text_for_staff(notification.body)


# What the worker writes in last_error, stored in English and shown in the reader's
# language; any other text (an SMTP server's answer) is shown as it came.
NO_SMS_PROVIDER = "No SMS provider configured"
NO_RECIPIENT = "No email address or phone number to send to"
IN_DOUBT_RESENT = "Interrupted while sending: sent again once, with the same Message-ID"
IN_DOUBT_TWICE = ("Interrupted while sending, twice: it may have arrived, so it is not "
                  "sent again")
LINK_DEAD = ("The password reset link in this message no longer works (used, replaced "
             "or expired), so it was not sent: send a new link from the customer's page")
SERVER_TIMED_OUT = "The mail server did not answer in time"
SERVER_REFUSED = "The mail server refused the connection"
SERVER_CLOSED = "The mail server closed the connection"
KNOWN_ERRORS = {
    SERVER_TIMED_OUT: _l("The mail server did not answer in time"),
    SERVER_REFUSED: _l("The mail server refused the connection"),
    SERVER_CLOSED: _l("The mail server closed the connection"),
    LINK_DEAD: _l("The password reset link in this message no longer works (used, replaced "
                  "or expired), so it was not sent: send a new link from the customer's page"),
    NO_SMS_PROVIDER: _l("No SMS provider configured"),
    NO_RECIPIENT: _l("No email address or phone number to send to"),
    IN_DOUBT_RESENT: _l("Interrupted while sending: sent again once, with the same "
                        "Message-ID"),
    IN_DOUBT_TWICE: _l("Interrupted while sending, twice: it may have arrived, so it is "
                       "not sent again"),
}


def error_for_staff(notification: Notification) -> str:
    """The last error in the reader's language where it is one of ours."""
    error = notification.last_error or ""
    return text_for_staff(str(KNOWN_ERRORS.get(error, error)))


def latest_for(customer: Customer, limit: int = 10) -> list[Notification]:
    """The customer's newest messages, newest first (the customer page)."""
    return list(db.session.scalars(
        select(Notification).where(Notification.customer_id == customer.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


# -- sending again -----------------------------------------------------------------------

def may_send_again(notification: Notification) -> bool:
    """A failed message may be sent again; so may an SMS that could not be sent
    while no SMS provider was configured, once one is."""
    if notification.status == NotificationStatus.FAILED:
        return True
    return (notification.status == NotificationStatus.NOT_SENDABLE
            and notification.channel == NotificationChannel.SMS and sms.configured())


def send_again(notification: Notification, *, actor) -> Notification:
    """Queue a failed message again with fresh tries (the same Message-ID), in the
    audit trail; it is delivered when the caller commits. ``actor`` None is the system."""
    if actor is not None and not permissions.can(actor, permissions.MANAGE):
        raise NotificationError(_("Your role does not allow sending a message again."))
    found = lock_row(Notification, notification.id)  # two clicks at once: one resend
    if found is None:
        raise NotificationError(_("This message does not exist (any more)."))
    if not may_send_again(found):
        raise NotificationError(_refusal(found))
    found.status = NotificationStatus.QUEUED
    found.attempts = 0
    found.next_attempt_at = None
    found.sending_since = None
    found.resent_in_doubt = False
    found.last_error = None
    # Addressed again when sent: to where the customer can be reached now.
    customer = db.session.get(Customer, found.customer_id)
    if customer is not None and found.kind != NotificationKind.PASSWORD_RESET:
        found.channel = NotificationChannel.EMAIL if customer.email else NotificationChannel.SMS
    found.recipient = None
    audit.record(db.session, AuditAction.RESEND, object_type="Notification",
                 object_id=found.id, summary=found.subject[:300])
    return found


def send_each_again(notification_ids: Iterable[int], *, actor) -> int:
    """Send these messages again, all or none (a refusal leaves every one as it was,
    once the caller rolls back). Returns how many there were."""
    chosen = sorted(set(notification_ids))  # in id order: overlapping clicks never deadlock
    found = db.session.scalars(select(Notification).where(Notification.id.in_(chosen))
                               .order_by(Notification.id)).all()
    for notification in found:
        send_again(notification, actor=actor)
    return len(found)


def _refusal(notification: Notification) -> str:
    subject = notification.subject
    if notification.status == NotificationStatus.SENT:
        return _("“%(subject)s” was sent already: a message is never sent twice.",
                 subject=subject)
    if notification.status == NotificationStatus.NOT_SENDABLE:
        return _("“%(subject)s” is a text message and no SMS provider is configured: "
                 "it can be sent again once one is.", subject=subject)
    return _("“%(subject)s” is still on its way: only a failed message can be sent "
             "again.", subject=subject)
