"""VAT included in a price: its rate, and a total split exactly into base and VAT.

Prices and order totals include VAT, as Spanish retail prices do. A total is
split as base = total / (1 + rate), rounded to the nearest cent (halves up), and
VAT = total - base, so base + VAT always equals the total, to the cent.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from .errors import ValidationError

BP_PER_UNIT = 10_000  # basis points: 2100 is 21 %


@dataclass(frozen=True)
class VatLine:
    """One VAT rate on an invoice: the tax base, the VAT and their total, in minor units."""

    rate_bp: int
    base_minor: int
    vat_minor: int
    total_minor: int


def rate_bp(percent: str | int | Decimal) -> int:
    """A VAT rate given in percent ("21", "10", "5.5") in basis points."""
    try:
        value = Decimal(str(percent).strip().replace(",", "."))
    except InvalidOperation:
        value = Decimal(-1)
    if not (0 <= value <= 100) or value.scaleb(2) != value.scaleb(2).to_integral_value():
        raise ValidationError(_("“%(rate)s” is not a VAT rate: write a percent such as 21.",
                                rate=percent))
    return int(value.scaleb(2))


def split_gross(total_minor: int, rate: int) -> VatLine:
    """``total_minor`` (VAT included) at ``rate`` basis points, split into base and VAT."""
    divisor = BP_PER_UNIT + rate
    # Nearest cent, halves up, in integers: floor((2 * total * 10000 + divisor) / (2 * divisor)).
    base = (2 * total_minor * BP_PER_UNIT + divisor) // (2 * divisor)
    return VatLine(rate, base, total_minor - base, total_minor)
