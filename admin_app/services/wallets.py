"""Wallets: what may be linked to one, and when one may be deleted."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import exists, or_, select

from ..extensions import db
from ..models import DiscountCode, Wallet, WalletTransaction
from . import search
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


# Wallet IDs are read aloud and typed as "ABCD-2345", "abcd 2345" or "abcd2345".
_CODE_SEPARATORS = re.compile(r"[\s-]")
CODE_HALF = 4  # characters before the dash


def code_search(typed: str):
    """Wallets whose ID begins with what was typed, with or without its dash and
    in any case: a range on the ID's unique index; None when it cannot be an ID."""
    raw = _CODE_SEPARATORS.sub("", typed).upper()
    if not raw.isalnum() or len(raw) > 2 * CODE_HALF:
        return None
    dashed = raw[:CODE_HALF] + ("-" + raw[CODE_HALF:] if len(raw) > CODE_HALF else "")
    as_typed = typed.strip().upper()
    prefixes = dict.fromkeys((dashed, as_typed))  # the same twice when typed with its dash
    return or_(*(search.starts_with(Wallet.wallet_code, prefix) for prefix in prefixes))


def wallet_ids_by_code(typed: str):
    """The ids of the wallets ``code_search`` finds, for lists of other records
    (a wallet's movements); None when what was typed cannot be an ID."""
    by_code = code_search(typed)
    return None if by_code is None else select(Wallet.id).where(by_code)
