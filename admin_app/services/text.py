"""How typed or imported text is cleaned before it is checked or stored.

One rule for forms and imports alike, so both take and refuse the same values.
"""
from __future__ import annotations

import unicodedata


def _invisible(character: str) -> bool:
    # Spaces, control characters (Cc) and format characters such as zero-width ones (Cf).
    return character.isspace() or unicodedata.category(character) in ("Cc", "Cf")


def strip_text(value):
    """Surrounding spaces and invisible characters removed (a WTForms filter too), so
    a required name of only zero-width or control characters is empty."""
    if not isinstance(value, str):
        return value
    if value[:1].isalnum() and value[-1:].isalnum():
        return value  # most values: a letter or digit at each end is never invisible
    start, end = 0, len(value)
    while start < end and _invisible(value[start]):
        start += 1
    while end > start and _invisible(value[end - 1]):
        end -= 1
    return value[start:end]
