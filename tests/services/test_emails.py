"""Email addresses: checked for form, stored lower-cased."""
from __future__ import annotations

import pytest

from admin_app.services.emails import normalise_email
from admin_app.services.errors import DomainError, ValidationError


@pytest.mark.parametrize("raw, expected", [
    ("ana@example.com", "ana@example.com"),
    ("Ana@Example.COM", "ana@example.com"),
    ("  Bob.Smith@Example.com  ", "bob.smith@example.com"),
    ("first.last+tag@Sub.Example.ORG", "first.last+tag@sub.example.org"),
])
def test_valid_address_is_lower_cased(raw, expected):
    assert normalise_email(raw) == expected


def test_same_mailbox_in_different_case_gives_one_value():
    assert normalise_email("ANA@EXAMPLE.COM") == normalise_email("ana@example.com")


@pytest.mark.parametrize("raw", [
    "no-at-sign",
    "a@",
    "a@b",
    "@example.com",
    "a b@example.com",
    "a@@example.com",
    "a@example..com",
])
def test_invalid_address_is_refused_with_a_message(raw):
    with pytest.raises(ValidationError) as caught:
        normalise_email(raw)
    assert "not a valid email address" in str(caught.value)
    assert isinstance(caught.value, DomainError)


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_empty_gives_none(raw):
    assert normalise_email(raw) is None
