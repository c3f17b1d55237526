"""VAT included in a price: a total splits into base and VAT exactly, to the cent."""
from __future__ import annotations

import pytest

from admin_app.services.errors import ValidationError
from admin_app.services.vat import rate_bp, split_gross


@pytest.mark.parametrize(("total", "rate", "base", "vat"), [
    (123_450, 2100, 102_025, 21_425),  # 1,020.2479 -> 1,020.25
    (10_000, 2100, 8_264, 1_736),      # 82.6446 -> 82.64
    (1, 2100, 1, 0),                   # 0.826 -> 0.01
    (1_050, 500, 1_000, 50),           # exactly 10.00
    (121, 2100, 100, 21),
    (105, 1000, 95, 10),               # 95.45 -> 95
    (1_000, 400, 962, 38),             # 9.615 -> 9.62
    (999, 0, 999, 0),
    (10**15 - 1, 2100, 826_446_280_991_735, 173_553_719_008_264),
])
def test_the_total_splits_exactly(total, rate, base, vat):
    line = split_gross(total, rate)
    assert (line.base_minor, line.vat_minor, line.total_minor) == (base, vat, total)
    assert line.base_minor + line.vat_minor == total


@pytest.mark.parametrize(("text", "bp"), [("21", 2100), ("10", 1000), ("4", 400),
                                          ("5,5", 550), ("0", 0)])
def test_rates_are_read_in_percent(text, bp):
    assert rate_bp(text) == bp


@pytest.mark.parametrize("text", ["", "abc", "-1", "101", "21.005"])
def test_a_rate_that_is_not_a_percent_is_refused(text):
    with pytest.raises(ValidationError, match="is not a VAT rate"):
        rate_bp(text)
