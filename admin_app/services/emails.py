"""Email addresses: checked for form, stored normalised.

email-validator is the one authority on what an address is. Most of its work is
the part after the @, and a customer list repeats a few of those (gmail.com, a
company's own) thousands of times: an address of the usual shape (ASCII, a plain
part before the @) is accepted here against its domain's verdict, which the
library gives once per domain. Anything else, and every address this shortcut
does not accept, goes to the library whole, so what is refused (and what is
stored) is exactly what the library says.
"""
from __future__ import annotations

import re
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from .errors import ValidationError

# RFC 5322's dot-atom of ASCII characters: a part before the @ that the library
# takes as it is (no quotes, no Unicode, no dot at either end or twice in a row).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
PLAIN_LOCAL_PART = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*")
LOCAL_PART_MAX = 64    # longer is left to the library (its strict mode refuses it)
ADDRESS_MAX = 254      # bytes of UTF-8: the library's limit on each form of an address
DOMAIN_CACHE_SIZE = 4096


def normalise_email(raw: str | None) -> str | None:
    """A valid address, lower-cased so that one mailbox matches one record; empty gives None."""
    text = (raw or "").strip()
    if not text:
        return None
    address = _plain_address(text)
    if address is None:
        try:
            address = validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValidationError(_l("This is not a valid email address.")) from None
    return address.lower()


def _plain_address(text: str) -> str | None:
    """The library's normalised form of ``text`` when it is an ASCII address with a
    plain part before the @ and a domain the library accepts, within its length
    limits; None otherwise (the library then decides)."""
    local, at, domain = text.partition("@")
    if not (at and text.isascii() and len(local) <= LOCAL_PART_MAX
            and PLAIN_LOCAL_PART.fullmatch(local)):
        return None
    normalised = _normalised_domain(domain)
    if normalised is None:
        return None
    address = f"{local}@{normalised}"
    # The library's limit on the whole address in bytes of UTF-8, as typed and as
    # normalised (an ASCII text's domain in IDNA ASCII is as long as it is typed).
    if len(text) > ADDRESS_MAX or len(address.encode()) > ADDRESS_MAX:
        return None
    return address


@lru_cache(maxsize=DOMAIN_CACHE_SIZE)
def _normalised_domain(domain: str) -> str | None:
    """The library's verdict on ``domain``: its normalised form, or None if it
    refuses an address at that domain. Asked with a one-letter part before the @:
    a domain refused with it is refused with any other part (a longer one only
    adds to the length the library limits)."""
    try:
        result = validate_email(f"x@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.domain
