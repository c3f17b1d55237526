"""Customers' online-store passwords: the reset link staff send, and its one use.

A link carries the customer's id and the secret of their latest link (the
customer's ``password_reset_nonce``), signed with SECRET_KEY under a salt of its
own. It works for CUSTOMER_RESET_MAX_AGE seconds and once: using it clears the
secret, and sending a newer link replaces it, so every older link dies. Whatever
stops a link, the refusal says the same, so a page never tells which links were
real. The password follows the staff policy (services/users.py) and is stored
only as a hash; the audit trail records that a link was sent and used, never the
link or the password.
"""
from __future__ import annotations

import hmac
import secrets

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import event, update

from ..choices import AuditAction
from ..extensions import db
from ..models import Customer, Notification
from ..passwords import hash_password
from . import audit, notifications
from .errors import DomainError, ValidationError
from .users import check_password_policy

# Changing the salt kills every link already sent.
RESET_SALT = "customer-password-reset"
RESET_PATH = notifications.RESET_PATH
MASK = "•••"


class ResetLinkInvalid(DomainError):
    """A link that no longer works (expired, used, replaced) or never did."""


@event.listens_for(Customer.email, "set")
def _new_email_kills_the_link(customer: Customer, value, previous, initiator) -> None:
    """A link went to the address the customer had then: once it changes (a typo put
    right, an account taken over), that link must not set the password any more."""
    if previous is not value and previous != value and customer.password_reset_nonce:
        customer.password_reset_nonce = None


def _link_refused() -> ResetLinkInvalid:
    return ResetLinkInvalid(_("This link no longer works: it has expired, it was already "
                              "used, or a newer one was sent. Ask the shop for a new link."))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def max_age() -> int:
    """Seconds a link works (CUSTOMER_RESET_MAX_AGE)."""
    return int(current_app.config["CUSTOMER_RESET_MAX_AGE"])


def reset_link(customer: Customer) -> str:
    """The absolute address of the customer's current link (PUBLIC_URL: the worker
    that mails it has no request to take the host from)."""
    token = _serializer().dumps({"c": customer.id, "n": customer.password_reset_nonce})
    return current_app.config["PUBLIC_URL"].rstrip("/") + RESET_PATH + token


def request_password_reset(customer: Customer, *, actor) -> Notification:
    """Queue a new reset link for ``customer`` in their language; every older link
    dies. Refused for a customer without an email address."""
    if not customer.email:
        raise ValidationError(_("%(name)s has no email address: add one before sending a "
                                "password reset link.", name=customer.full_name))
    customer.password_reset_nonce = secrets.token_urlsafe(32)
    if customer.id is None:
        db.session.flush()  # the link names the customer by id
    message = notifications.password_reset(customer, reset_link(customer), max_age())
    audit.record_for(actor, AuditAction.RESET_SENT, object_type="Customer",
                     object_id=customer.id, summary=customer.full_name[:200])
    return message


def _read(token: str) -> tuple[Customer, str]:
    """The customer a working link names, and the secret it carries."""
    try:
        payload = _serializer().loads(token, max_age=max_age())
    except BadData:
        raise _link_refused() from None
    if not (isinstance(payload, dict) and isinstance(payload.get("c"), int)
            and isinstance(payload.get("n"), str)):
        raise _link_refused()
    customer = db.session.get(Customer, payload["c"])
    if (customer is None or customer.password_reset_nonce is None or not hmac.compare_digest(
            customer.password_reset_nonce.encode(), payload["n"].encode())):
        raise _link_refused()
    return customer, payload["n"]


def link_in_message_works(body: str) -> bool:
    """Whether the reset link a queued message carries would still work: a retry or
    a "Send again" must not deliver a dead link (used, replaced by a newer one,
    expired, or sent to an address the customer has since changed)."""
    found = notifications.RESET_LINK.search(body or "")
    if found is None:
        return False
    try:
        _read(found.group(0)[len(found.group(1)):])
    except ResetLinkInvalid:
        return False
    return True


def customer_for_reset(token: str) -> Customer:
    """The customer whose working link ``token`` is; ResetLinkInvalid otherwise."""
    return _read(token)[0]


def reset_password(token: str, new_password: str, confirm: str) -> Customer:
    """Set the customer's store password through their link, which then dies.
    A refused password leaves the link working."""
    customer, secret = _read(token)
    if (new_password or "") != (confirm or ""):
        raise ValidationError(_("The two new passwords differ."))
    check_password_policy(new_password, (customer.email, customer.first_name, customer.surname))
    # Claimed in one statement, on the secret the link carries: of two submissions
    # at once, only one finds it.
    claimed = db.session.scalar(
        update(Customer)
        .where(Customer.id == customer.id, Customer.password_reset_nonce == secret)
        .values(password_hash=hash_password(new_password), password_reset_nonce=None)
        .returning(Customer.id))
    if claimed is None:
        raise _link_refused()
    audit.record_for(None, AuditAction.RESET_USED, object_type="Customer",
                     object_id=customer.id, summary=customer.full_name[:200])
    return customer


def masked_email(email: str | None) -> str:
    """Enough of an address for its owner to know it, too little to learn it:
    lucia.moreno@example.com -> l•••@e•••.com (the masks hide every length)."""
    local, at, domain = (email or "").strip().rpartition("@")
    if not at or not local or not domain:
        return MASK
    name, dot, top = domain.rpartition(".")
    if not dot or not name:
        return f"{local[0]}{MASK}@{domain[0]}{MASK}"
    return f"{local[0]}{MASK}@{name[0]}{MASK}.{top}"
