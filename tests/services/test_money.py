"""parse_money: what people type, in their language, to exact integer cents."""
from __future__ import annotations

import pytest
from babel import Locale

from admin_app.services.errors import ValidationError
from admin_app.services.money import MAX_AMOUNT_MINOR, parse_money


@pytest.mark.parametrize(("text", "locale", "cents"), [
    # The locale's own way of writing numbers.
    ("12.50", "en", 1250),
    ("1,234.50", "en", 123450),
    ("1,234,567.89", "en", 123456789),
    ("12", "en", 1200),
    ("0.05", "en", 5),
    (".5", "en", 50),
    ("12,50", "es", 1250),
    ("1.234,50", "es", 123450),
    ("1234,5", "es", 123450),
    ("1.234.567,89", "es", 123456789),
    ("0,01", "es", 1),
    # A thousands separator in the locale's way stays one.
    ("1,234", "en", 123400),
    ("1.234", "es", 123400),
    ("12.500", "es", 1250000),
    # The other decimal separator, when it cannot be a thousands separator.
    ("12.50", "es", 1250),
    ("12.5", "es", 1250),
    ("12,50", "en", 1250),
    ("1,5", "en", 150),
    # Signs, currency symbols and codes, spaces as Babel and people write them.
    ("-12,50", "es", -1250),
    ("-5", "en", -500),
    ("+5", "en", 500),
    ("\u22125.00", "en", -500),
    ("€12.50", "en", 1250),
    ("-€12.50", "en", -1250),
    ("€-12.50", "en", -1250),
    ("12,50 €", "es", 1250),
    ("1.234,50\u00a0€", "es", 123450),
    ("-1.234,50 €", "es", -123450),
    ("12.50 EUR", "en", 1250),
    ("eur 12,50", "es", 1250),
    ("EUR3.10", "en", 310),
    ("  7  ", "es", 700),
    ("0", "en", 0),
])
def test_accepted(text, locale, cents):
    result = parse_money(text, locale)
    assert result == cents
    assert type(result) is int


def test_takes_a_babel_locale_as_well():
    assert parse_money("1.234,50", Locale.parse("es")) == 123450


@pytest.mark.parametrize(("text", "locale"), [
    ("", "en"), ("   ", "es"), (None, "en"),
])
def test_empty_is_refused(text, locale):
    with pytest.raises(ValidationError, match="Enter an amount"):
        parse_money(text, locale)


@pytest.mark.parametrize(("text", "locale"), [
    ("12.505", "en"),
    ("12,505", "es"),
    ("1,234", "es"),      # in Spanish that is 1.234: three decimals
    ("0.001", "en"),
    ("12.500", "en"),     # typed with three decimals
])
def test_more_than_two_decimals_is_refused(text, locale):
    with pytest.raises(ValidationError, match="at most two decimals"):
        parse_money(text, locale)


@pytest.mark.parametrize(("text", "locale"), [
    ("abc", "en"),
    ("12a", "en"),
    ("twelve", "es"),
    ("1e5", "en"),
    ("NaN", "en"),
    ("Infinity", "es"),
    ("1.2.3", "en"),
    ("1.234,5", "en"),    # the Spanish way, typed in English
    ("1,234.5", "es"),    # the English way, typed in Spanish
    ("12.50.", "en"),
    ("1 234,50", "es"),
    ("--5", "en"),
    ("-+5", "en"),
    ("5-", "en"),
    ("€12 EUR", "en"),    # two currency marks
    ("%12", "en"),        # not a currency symbol
    ("12 euros", "es"),
    ("(12.50)", "en"),
    ("-", "en"),
    ("€", "es"),
    ("0x10", "en"),
])
def test_not_a_number_is_refused(text, locale):
    with pytest.raises(ValidationError, match="is not an amount"):
        parse_money(text, locale)


def test_refusal_shows_how_to_write_it_in_the_users_language():
    with pytest.raises(ValidationError) as english:
        parse_money("abc", "en")
    assert "1,234.50" in str(english.value)
    with pytest.raises(ValidationError) as spanish:
        parse_money("abc", "es")
    assert "1.234,50" in str(spanish.value)


def test_huge_amounts_are_refused_and_exact_up_to_the_limit():
    largest = f"{MAX_AMOUNT_MINOR // 100}.{MAX_AMOUNT_MINOR % 100:02d}"
    assert parse_money(largest, "en") == MAX_AMOUNT_MINOR
    with pytest.raises(ValidationError, match="too large"):
        parse_money("1" + "0" * 20, "en")


def test_exact_where_a_float_would_round():
    # 0.29 * 100 is 28.999999999999996 in floating point.
    assert parse_money("0.29", "en") == 29
    assert parse_money("1.005,10", "es") == 100510
    assert parse_money("9,999,999,999,999.99", "en") == 999_999_999_999_999


@pytest.mark.parametrize(("text", "locale", "written"), [
    ("5 USD", "en", "US dollars (USD)"),
    ("$5", "en", "US dollars (USD)"),
    ("US$5", "en", "US dollars (USD)"),
    ("5 £", "en", "British pounds (GBP)"),
    ("usd 5", "es", "dólares estadounidenses (USD)"),
    ("US$5", "es", "dólares estadounidenses (USD)"),
    ("5 £", "es", "libras esterlinas (GBP)"),
    ("CA$12.50", "en", "Canadian dollars (CAD)"),
])
def test_another_currency_is_refused_naming_both(text, locale, written):
    with pytest.raises(ValidationError) as refused:
        parse_money(text, locale)
    message = str(refused.value)
    assert written in message
    assert "euros (EUR)" in message


def test_the_expected_currency_is_the_one_asked_for():
    assert parse_money("$3.10", "en", currency="USD") == 310
    assert parse_money("3,10 US$", "es", currency="usd") == 310
    with pytest.raises(ValidationError, match="US dollars"):
        parse_money("3.10 €", "en", currency="USD")


def test_three_letters_that_are_no_currency_are_not_an_amount():
    with pytest.raises(ValidationError, match="is not an amount"):
        parse_money("5 abc", "en")
