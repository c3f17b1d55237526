"""Discount codes: what a value means for each kind, and what keeps them consistent."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.numbers import NumberFormatError, format_percent, parse_decimal
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..choices import DiscountKind
from ..extensions import db
from ..i18n import money
from ..models import DiscountCode, Wallet
from .errors import DomainError, ValidationError
from .money import parse_money


def parse_value(kind: str, text: str | None) -> int:
    """The stored value of what was typed: a whole percent from 1 to 100 for a
    percent code ("15", "15 %"), minor units for a fixed amount ("5,50 €")."""
    text = (text or "").strip()
    if kind == DiscountKind.FIXED:
        amount = parse_money(text, get_locale())
        if amount <= 0:
            raise ValidationError(_("A fixed discount must be more than zero."))
        return amount
    try:
        percent = parse_decimal(text.replace("%", "").strip(), locale=get_locale())
    except NumberFormatError:
        raise ValidationError(_("Enter a whole percent from 1 to 100, e.g. 15.")) from None
    if percent != percent.to_integral_value() or not 1 <= percent <= 100:
        raise ValidationError(_("Enter a whole percent from 1 to 100, e.g. 15."))
    return int(percent)


def value_text(code: DiscountCode) -> str:
    """The value as the user's locale writes it: 15 % / 15%, or 5,50 € / €5.50."""
    if code.value is None:
        return ""
    if code.kind == DiscountKind.FIXED:
        return money(code.value, code.currency)
    return format_percent(Decimal(code.value) / 100, locale=get_locale())


def check_validity(valid_from: date | None, valid_until: date | None) -> None:
    if valid_from and valid_until and valid_until < valid_from:
        raise ValidationError(_("The code cannot end before it starts."))


def linked_wallets(code: DiscountCode) -> int:
    return db.session.scalar(
        select(func.count(Wallet.id)).where(Wallet.discount_code_id == code.id)) or 0


def check_wallet_links(code: DiscountCode) -> None:
    """Only codes available in wallet may be linked to one: a code that wallets
    hold keeps that availability until they are unlinked."""
    if code.id is not None and not code.available_in_wallet:
        linked = linked_wallets(code)
        if linked:
            raise ValidationError(ngettext(
                "%(num)s wallet holds the code %(code)s: unlink it from it before "
                "making it unavailable in wallets.",
                "%(num)s wallets hold the code %(code)s: unlink it from them before "
                "making it unavailable in wallets.", linked, code=code.code))


def ensure_deletable(code: DiscountCode) -> None:
    linked = linked_wallets(code)
    if linked:
        raise DomainError(ngettext(
            "%(num)s wallet holds the code %(code)s: it cannot be deleted; "
            "mark it inactive instead.",
            "%(num)s wallets hold the code %(code)s: it cannot be deleted; "
            "mark it inactive instead.", linked, code=code.code))
