"""Phone numbers: entered with their country code, stored as E.164, shown for humans."""
from __future__ import annotations

import pytest

from admin_app.services.errors import DomainError, ValidationError
from admin_app.services.phones import display_phone, normalise_phone


@pytest.mark.parametrize("raw", [
    "+34 600 11 12 22",
    "0034600111222",
    "+34600111222",
    "+34 (600) 111-222",
    "  +34 600 111 222  ",
    "+34-600-111-222",
])
def test_spanish_number_in_any_usual_form_gives_e164(raw):
    assert normalise_phone(raw) == "+34600111222"


@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n"])
def test_empty_input_gives_none(raw):
    assert normalise_phone(raw) is None


@pytest.mark.parametrize("raw, expected", [
    ("+44 20 7946 0958", "+442079460958"),      # UK landline (London)
    ("+44 7911 123456", "+447911123456"),       # UK mobile
    ("0044 7911 123456", "+447911123456"),      # UK mobile, 00 prefix
    ("+1 202 555 0143", "+12025550143"),        # US (Washington DC)
    ("+1 (415) 555-2671", "+14155552671"),      # US (San Francisco)
])
def test_uk_and_us_numbers_work(raw, expected):
    assert normalise_phone(raw) == expected


def test_number_without_country_code_is_refused_with_a_message():
    with pytest.raises(ValidationError) as caught:
        normalise_phone("600111222")
    message = str(caught.value)
    assert "country code" in message
    assert "+34" in message  # shows an example of the expected form


def test_validation_error_is_a_domain_error_with_a_message():
    with pytest.raises(DomainError) as caught:
        normalise_phone("600111222")
    assert caught.value.message
    assert str(caught.value.message) == str(caught.value)


@pytest.mark.parametrize("raw", [
    "+34 123",               # too short for Spain
    "+34 600 111 2222",      # too long for Spain
    "+34 500 111 222",       # no Spanish number starts with 5
    "+999 600111222",        # no such country code
])
def test_invalid_number_for_its_country_is_refused(raw):
    with pytest.raises(ValidationError) as caught:
        normalise_phone(raw)
    assert str(caught.value)


@pytest.mark.parametrize("raw", ["garbage", "+", "00", "+abc", "phone: none"])
def test_garbage_is_refused(raw):
    with pytest.raises(ValidationError) as caught:
        normalise_phone(raw)
    assert str(caught.value)


def test_normalising_is_idempotent():
    once = normalise_phone("+34 600 11 12 22")
    assert normalise_phone(once) == once


@pytest.mark.parametrize("e164, shown", [
    ("+34600111222", "+34 600 11 12 22"),
    ("+447911123456", "+44 7911 123456"),
    ("+12025550143", "+1 202-555-0143"),
])
def test_display_phone_formats_e164_for_humans(e164, shown):
    assert display_phone(e164) == shown
    # What is shown can be typed back in and gives the stored number.
    assert normalise_phone(shown) == e164


@pytest.mark.parametrize("value", [None, ""])
def test_display_phone_of_nothing_is_empty(value):
    assert display_phone(value) == ""


def test_display_phone_leaves_unparseable_values_as_they_are():
    assert display_phone("garbage") == "garbage"
