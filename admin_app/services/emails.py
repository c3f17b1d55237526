"""Email addresses: checked for form, stored normalised."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from .errors import ValidationError


def normalise_email(raw: str | None) -> str | None:
    """A valid address, lower-cased so that one mailbox matches one record; empty gives None."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError(_l("This is not a valid email address.")) from None
    return result.normalized.lower()
