"""Money typed by people: text in the user's language -> integer minor units (cents)."""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from babel import Locale
from babel.numbers import NumberFormatError, format_decimal, get_decimal_symbol, parse_decimal
from flask_babel import gettext as _

from .errors import ValidationError

# Far above any real amount, far below what a BIGINT column holds.
MAX_AMOUNT_MINOR = 10**15 - 1

# An optional sign and currency (symbol or ISO code, before or after), then the number.
_AMOUNT = re.compile(
    r"(?P<sign>[-+]?)\s*(?P<before>[A-Za-z]{3}|[^\w\s.,'+-])?\s*(?P<sign_after>[-+]?)\s*"
    r"(?P<number>[\d.,' ]*\d[\d.,' ]*?)\s*(?P<after>[A-Za-z]{3}|[^\w\s.,'+-])?"
)


def parse_money(text: str | None, locale: Locale | str) -> int:
    """The amount ``text`` stands for, in minor units, read the way ``locale`` writes numbers.

    "12.50" (en), "12,50" and "1.234,50" (es), "-5", "+5", "€12.50", "12,50 €"
    and "12.50 EUR" are accepted. The other decimal separator is accepted too when
    it cannot be a thousands separator: one separator followed by one or two digits
    ("12.50" in Spanish, "12,5" in English). Raises ``ValidationError`` for an empty
    text, anything that is not a number, or more than two decimals. Never a float.
    """
    locale = Locale.parse(locale)
    # NFKC turns no-break spaces (as Babel writes "12,50 €") into plain spaces and
    # the typographic minus into "-".
    raw = unicodedata.normalize("NFKC", text or "").replace("\u2212", "-").strip()
    if not raw:
        raise ValidationError(_("Enter an amount."))
    match = _AMOUNT.fullmatch(raw)
    if match is None or not _currency_ok(match) or (match["sign"] and match["sign_after"]):
        raise _not_an_amount(raw, locale)
    value = _parse_number(match["number"].strip(), locale)
    if value is None:
        raise _not_an_amount(raw, locale)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # only digits were parsed: never NaN or Infinity
    if exponent < -2:
        raise ValidationError(_("An amount has at most two decimals."))
    if abs(value) > Decimal(MAX_AMOUNT_MINOR).scaleb(-2):
        raise ValidationError(_("That amount is too large."))
    minor = int(value.scaleb(2))  # exact: at most two decimals, checked above
    return -minor if "-" in (match["sign"], match["sign_after"]) else minor


def _currency_ok(match: re.Match) -> bool:
    """At most one currency mark, and a one-character mark must be a currency symbol."""
    marks = [m for m in (match["before"], match["after"]) if m]
    if len(marks) > 1:
        return False
    return all(len(m) == 3 or unicodedata.category(m) == "Sc" for m in marks)


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
