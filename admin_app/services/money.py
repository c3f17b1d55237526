"""Money as it is stored and as people type it.

Amounts are integer minor units (cents) in columns named ``*_minor``; shown on a
page (i18n.money), written to a file (exports) or typed in a form (parse_money),
they go through the two rules below, never a float.
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.numbers import (
    NumberFormatError,
    format_decimal,
    get_currency_name,
    get_currency_symbol,
    get_decimal_symbol,
    is_currency,
    list_currencies,
    parse_decimal,
)
from flask_babel import gettext as _

from ..config import default_currency
from .errors import ValidationError

# Far above any real amount, far below what a BIGINT column holds.
MAX_AMOUNT_MINOR = 10**15 - 1
MONEY_COLUMN_SUFFIX = "_minor"


def holds_money(name: str) -> bool:
    """Whether the column ``name`` ("balance_minor", "wallet.balance_minor") holds money."""
    return name.endswith(MONEY_COLUMN_SUFFIX)


def major_units(amount_minor: int) -> Decimal:
    """123450 -> Decimal("1234.50"): exact to the cent."""
    return Decimal(amount_minor).scaleb(-2)


# A currency mark: an ISO code ("EUR"), or a symbol with up to three letters before
# it ("€", "$", "US$", "CA$").
_MARK = r"[A-Za-z]{3}|[A-Za-z]{0,3}[^\w\s.,'+-]"
# An optional sign and currency mark (before or after), then the number.
_AMOUNT = re.compile(
    rf"(?P<sign>[-+]?)\s*(?P<before>{_MARK})?\s*(?P<sign_after>[-+]?)\s*"
    rf"(?P<number>[\d.,' ]*\d[\d.,' ]*?)\s*(?P<after>{_MARK})?"
)


def parse_money(text: str | None, locale: Locale | str, currency: str | None = None) -> int:
    """The amount ``text`` stands for, in minor units of ``currency`` (the app's
    CURRENCY when None), read the way ``locale`` writes numbers.

    "12.50" (en), "12,50" and "1.234,50" (es), "-5", "+5", "€12.50", "12,50 €"
    and "12.50 EUR" are accepted. The other decimal separator is accepted too when
    it cannot be a thousands separator: one separator followed by one or two digits
    ("12.50" in Spanish, "12,5" in English). Raises ``ValidationError`` for an empty
    text, anything that is not a number, a currency other than ``currency`` ("$5",
    "5 USD" for euros: never read as euros), or more than two decimals. Never a float.
    """
    currency = (currency or default_currency()).upper()
    locale = Locale.parse(locale)
    # NFKC turns no-break spaces (as Babel writes "12,50 €") into plain spaces and
    # the typographic minus into "-".
    raw = unicodedata.normalize("NFKC", text or "").replace("\u2212", "-").strip()
    if not raw:
        raise ValidationError(_("Enter an amount."))
    match = _AMOUNT.fullmatch(raw)
    if match is None or not _currency_ok(match) or (match["sign"] and match["sign_after"]):
        raise _not_an_amount(raw, locale)
    _check_currency(match["before"] or match["after"], raw, currency, locale)
    value = _parse_number(match["number"].strip(), locale)
    if value is None:
        raise _not_an_amount(raw, locale)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # only digits were parsed: never NaN or Infinity
    if exponent < -2:
        raise ValidationError(_("An amount has at most two decimals."))
    if abs(value) > major_units(MAX_AMOUNT_MINOR):
        raise ValidationError(_("That amount is too large."))
    minor = int(value.scaleb(2))  # exact: at most two decimals, checked above
    return -minor if "-" in (match["sign"], match["sign_after"]) else minor


def _currency_ok(match: re.Match) -> bool:
    """At most one currency mark, and a one-character mark must be a currency symbol."""
    marks = [m for m in (match["before"], match["after"]) if m]
    if len(marks) > 1:
        return False
    return all(is_currency(m.upper()) if m.isalpha() else unicodedata.category(m[-1]) == "Sc"
               for m in marks)


def _check_currency(mark: str | None, raw: str, currency: str, locale: Locale) -> None:
    """A mark of another currency is refused, naming both, each once: never read as ours."""
    if mark is None:
        return
    written = mark.upper() if mark.isalpha() else _currency_of_symbol(mark, locale)
    if written == currency or mark in _symbols_of(currency, locale):
        return
    raise ValidationError(_(
        '"%(text)s" is in %(written)s: enter the amount in %(currency)s.', text=raw,
        written=_currency_label(written, locale) if written else mark,
        currency=_currency_label(currency, locale)))


def _symbols_of(currency: str, locale: Locale) -> set[str]:
    return {get_currency_symbol(currency, where) for where in (locale, "en", "es")}


@cache
def _symbol_table(locale: Locale) -> dict[str, str]:
    """Symbol -> ISO code, English symbols first ("$" is the US dollar), then the
    user's own, then Spanish ones ("US$")."""
    table: dict[str, str] = {}
    for where in ("en", locale, "es"):
        for code in sorted(list_currencies()):
            symbol = get_currency_symbol(code, where)
            if symbol != code:
                table.setdefault(symbol, code)
    return table


def _currency_of_symbol(symbol: str, locale: Locale) -> str | None:
    return _symbol_table(locale).get(symbol) or _symbol_table(locale).get(symbol.upper())


def _currency_label(code: str, locale: Locale) -> str:
    """"US dollars (USD)" / "dólares estadounidenses (USD)"."""
    return f"{get_currency_name(code, count=2, locale=locale)} ({code})"


def _parse_number(number: str, locale: Locale) -> Decimal | None:
    try:
        return parse_decimal(number, locale=locale, strict=True)
    except NumberFormatError:
        return _with_other_decimal_separator(number, locale)


def _with_other_decimal_separator(number: str, locale: Locale) -> Decimal | None:
    """'12.50' typed in a comma locale (or '12,5' in a point locale): a thousands
    separator is always followed by three digits, so one or two can only be decimals."""
    decimal_symbol = get_decimal_symbol(locale)
    other = {",": ".", ".": ","}.get(decimal_symbol)
    if other is None:
        return None
    match = re.fullmatch(rf"(\d+){re.escape(other)}(\d{{1,2}})", number)
    return Decimal(f"{match[1]}.{match[2]}") if match else None


def _not_an_amount(raw: str, locale: Locale) -> ValidationError:
    example = format_decimal(Decimal("1234.50"), format="#,##0.00", locale=locale)
    return ValidationError(
        _('"%(text)s" is not an amount: write it like %(example)s.', text=raw, example=example)
    )
