"""Wallets: what may be linked to one, and when one may be deleted."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import exists, select

from ..extensions import db
from ..models import DiscountCode, Wallet, WalletTransaction
from .errors import DomainError, ValidationError


def check_discount(code: DiscountCode | None) -> None:
    """Only discount codes marked "available in wallet" can be linked to a wallet."""
    if code is not None and not code.available_in_wallet:
        raise ValidationError(
            _("The discount code %(code)s is not available in wallets.", code=code.code)
        )


def ensure_deletable(wallet: Wallet) -> None:
    """A wallet with money or with history is kept: its ledger is never dropped."""
    if wallet.balance_minor:
        raise DomainError(_("Wallet %(code)s still holds a balance and cannot be deleted.",
                            code=wallet.wallet_code))
    has_history = db.session.scalar(
        select(exists().where(WalletTransaction.wallet_id == wallet.id))
    )
    if has_history:
        raise DomainError(_("Wallet %(code)s has transactions and cannot be deleted; "
                            "block it instead.", code=wallet.wallet_code))
