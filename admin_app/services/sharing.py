"""Read-only wallet summaries, and signed, expiring links that show one outside the back office.

A share link carries the wallet's id and public code, signed with the app's
SECRET_KEY under a salt of its own (so no other signed value of the app, such
as a session, can pass for one). Nothing is stored: a link stops working when
it expires, when the wallet is deleted, or when SECRET_KEY changes. The summary
shows only what the customer may already know: no internal ids, a shortened
name and a masked email.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from ..choices import WalletStatus, WalletTxKind
from ..extensions import db
from ..models import Customer, Outlet, Wallet, WalletTransaction
from . import ledger
from .errors import DomainError

# Changing the salt invalidates every link already sent: bump the version only on purpose.
SHARE_SALT = "backoffice.wallet-share.v1"
DEFAULT_MAX_AGE = 24 * 3600
MAX_PAYMENTS = 50


class ShareLinkError(DomainError):
    """A share link that cannot be honoured; the message is safe to show to anyone."""


class ShareLinkInvalid(ShareLinkError):
    """Malformed or tampered with: it was not signed by us."""


class ShareLinkExpired(ShareLinkError):
    """Signed by us, but older than the allowed age."""


class SharedWalletGone(ShareLinkError):
    """The link is genuine but its wallet no longer exists."""


@dataclass(frozen=True)
class Payment:
    paid_at: datetime     # naive UTC, as stored
    amount_minor: int     # positive: what was spent
    outlet_name: str      # empty when the payment has no outlet


@dataclass(frozen=True)
class WalletSummary:
    wallet_code: str
    customer_name: str    # "Lucía M."; empty for an unsold gift wallet
    masked_email: str     # "l***a@example.com"; empty when there is none
    status: str           # a WalletStatus value
    available_minor: int  # never includes expired credit
    currency: str
    sale_date: date | None
    expires_on: date | None
    discount_code: str | None
    discount_description: str | None
    payments: tuple[Payment, ...]
    more_payments: bool   # older payments exist beyond the MAX_PAYMENTS shown

    @property
    def status_label(self) -> str:
        # Looked up when shown, so it is in the language of the page.
        return WalletStatus.label(self.status)


@dataclass(frozen=True)
class ShareLink:
    wallet_id: int
    wallet_code: str
    expires_at: datetime  # naive UTC, like every timestamp of the models


# -- the summary ---------------------------------------------------------------------------

def wallet_summary(wallet: Wallet, today: date | None = None) -> WalletSummary:
    """What a share page shows of ``wallet``; reads only."""
    payments = _latest_payments(wallet, MAX_PAYMENTS + 1)
    discount = wallet.discount_code
    return WalletSummary(
        wallet_code=wallet.wallet_code,
        customer_name=short_name(wallet.customer),
        masked_email=mask_email(wallet.customer.email if wallet.customer else None),
        status=wallet.status,
        available_minor=ledger.available_balance(wallet, today),
        currency=wallet.currency,
        sale_date=wallet.sale_date,
        expires_on=wallet.expires_on,
        discount_code=discount.code if discount else None,
        discount_description=(discount.description or None) if discount else None,
        payments=tuple(payments[:MAX_PAYMENTS]),
        more_payments=len(payments) > MAX_PAYMENTS,
    )


def _latest_payments(wallet: Wallet, limit: int) -> list[Payment]:
    rows = db.session.execute(
        select(WalletTransaction.created_at, WalletTransaction.amount_minor, Outlet.name)
        .outerjoin(Outlet, Outlet.id == WalletTransaction.outlet_id)
        .where(WalletTransaction.wallet_id == wallet.id,
               WalletTransaction.kind == WalletTxKind.PAYMENT)
        # id breaks ties between payments posted in the same instant.
        .order_by(WalletTransaction.created_at.desc(), WalletTransaction.id.desc())
        .limit(limit)
    )
    return [Payment(paid_at, abs(amount), outlet or "") for paid_at, amount, outlet in rows]


def short_name(customer: Customer | None) -> str:
    """First name and the surname's initial: enough to recognise, not to identify."""
    if customer is None:
        return ""
    first = (customer.first_name or "").strip()
    initial = (customer.surname or "").strip()[:1].upper()
    return f"{first} {initial}.".strip() if initial else first


def mask_email(email: str | None) -> str:
    """Keep the domain and at most the first and last letters of the local part.

    Always three stars, so the mask does not tell the length; a local part of
    three letters or fewer keeps only its first (none for a single letter),
    so that a short address is never shown almost whole.
    """
    email = (email or "").strip()
    if not email:
        return ""
    local, at, domain = email.rpartition("@")
    if not at:  # not an address at all: show nothing of it
        local, domain = email, ""
    if len(local) > 3:
        masked = f"{local[0]}***{local[-1]}"
    elif len(local) > 1:
        masked = f"{local[0]}***"
    else:
        masked = "***"
    return f"{masked}@{domain}" if domain else masked


# -- share links ---------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SHARE_SALT)


def link_max_age() -> int:
    """Seconds a link stays valid (config SHARE_LINK_MAX_AGE)."""
    return int(current_app.config.get("SHARE_LINK_MAX_AGE", DEFAULT_MAX_AGE))


def make_share_token(wallet: Wallet) -> str:
    """A signed token for ``wallet``; it expires ``SHARE_LINK_MAX_AGE`` seconds from now.

    The code rides along with the id so that a link never opens another
    wallet should an id ever be reused after a deletion.
    """
    return _serializer().dumps([wallet.id, wallet.wallet_code])


def read_share_link(token: str, *, max_age: int | None = None) -> ShareLink:
    """The link's wallet and expiry; raise ShareLinkInvalid or ShareLinkExpired."""
    allowed = link_max_age() if max_age is None else max_age
    try:
        payload, signed_at = _serializer().loads(token, max_age=allowed, return_timestamp=True)
    except SignatureExpired:
        raise ShareLinkExpired(_("This link has expired. Ask for a new one.")) from None
    except BadData:
        raise ShareLinkInvalid(_("This link is not valid. Check that it was copied whole.")) \
            from None
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)
            and isinstance(payload[1], str)):
        raise ShareLinkInvalid(_("This link is not valid. Check that it was copied whole."))
    expires_at = signed_at.astimezone(UTC).replace(tzinfo=None) + timedelta(seconds=allowed)
    return ShareLink(wallet_id=payload[0], wallet_code=payload[1], expires_at=expires_at)


def shared_wallet(link: ShareLink) -> Wallet:
    """The wallet a link names; raise SharedWalletGone if it was deleted or its
    customer's personal data erased."""
    wallet = db.session.get(Wallet, link.wallet_id)
    # An erased customer's links show nothing more, not even their wallets' use.
    erased = wallet is not None and wallet.customer is not None and wallet.customer.erased_at
    if wallet is None or wallet.wallet_code != link.wallet_code or erased:
        raise SharedWalletGone(_("This wallet is no longer available."))
    return wallet


def share_url(wallet: Wallet) -> str:
    """The absolute address of a new share link for ``wallet`` (needs a request or SERVER_NAME)."""
    return url_for("share.wallet", token=make_share_token(wallet), _external=True)
