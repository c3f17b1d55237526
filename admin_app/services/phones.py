"""Phone numbers: entered with their country code, stored as E.164."""
from __future__ import annotations

import phonenumbers
from flask_babel import lazy_gettext as _l

from .errors import ValidationError


def normalise_phone(raw: str | None, region: str | None = None) -> str | None:
    """'+34 600 11 12 22', '0034600111222' and '+34600111222' all give '+34600111222'.

    Empty input gives None. A number without a country code is read as a number
    of ``region`` (ISO 3166 alpha-2; '600 111 222' in ES gives '+34600111222');
    without a region it is refused. A number that is not a valid number of its
    country raises ValidationError.
    """
    text = (raw or "").strip()
    if not text:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+") and not region:
        raise ValidationError(
            _l("Enter the phone with its country code, for example +34 600 111 222.")
        )
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        raise ValidationError(_l("This is not a phone number.")) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_l("This is not a valid phone number for its country."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None) -> str:
    """E.164 shown the international way, e.g. '+34 600 11 12 22'.

    Not remembered between requests, though it is a list row's costliest cell:
    a number kept in a worker's memory would outlive its owner's erasure."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
