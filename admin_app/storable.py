"""Input the database cannot take, refused where it comes in.

A whole number past the range of the integer column it meets (SQLite's driver
raises OverflowError past 2^63, PostgreSQL refuses 2^31 in an INTEGER column)
and text with a NUL byte (PostgreSQL refuses it) would otherwise reach the
database and come back as a server error. Ids, paging, filters and forms check
their values here first.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Integer, SmallInteger
from werkzeug.routing import IntegerConverter

BIGINT_MAX = 2**63 - 1
LIMITS = ((SmallInteger, 2**15 - 1), (BigInteger, BIGINT_MAX), (Integer, 2**31 - 1))

TOO_LARGE = _l("This number is too large.")
NUL_BYTE = _l("This text contains a character that cannot be saved.")


def whole_number(value, limit: int = BIGINT_MAX) -> int | None:
    """``value`` (an int, or digits with an optional minus) as an int within
    ``-limit - 1 .. limit``; None for anything else ("abc", "²", "1e5", 2^64)."""
    if isinstance(value, str):
        text = value.strip()
        digits = text.removeprefix("-")
        # Past 40 digits it is out of any range: and Python refuses to read more than
        # 4,300 digits as a number at all.
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 40:
            return None
        value = int(text)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value if -limit - 1 <= value <= limit else None


def record_ids(values: Iterable) -> list[int]:
    """The values that can be record ids (positive, in range); the rest are dropped."""
    ids = (whole_number(value) for value in values)
    return [value for value in ids if value is not None and value > 0]


def python_type(column) -> type | None:
    """The Python type ``column`` stores (str, int, date...), or None for a type
    that does not say (a JSON column)."""
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def column_limit(column) -> int:
    """The largest whole number ``column`` holds on both databases."""
    for kind, limit in LIMITS:
        if isinstance(column.type, kind):
            return limit
    return BIGINT_MAX


def text_length(column) -> int | None:
    """The most characters a text ``column`` holds (its declared length), or None.

    Forms, imports and the check before every flush (models) all read it here."""
    return getattr(column.type, "length", None)


def problem(value, limit: int = BIGINT_MAX):
    """Why ``value`` (or an item of it) cannot be stored, or None."""
    if isinstance(value, (list, tuple, set)):
        return next(filter(None, (problem(item, limit) for item in value)), None)
    if isinstance(value, str):
        return NUL_BYTE if "\x00" in value else None
    if isinstance(value, int) and not isinstance(value, bool):
        return TOO_LARGE if whole_number(value, limit) is None else None
    return None


def refuse_unstorable(form, limits: dict[str, int] | None = None) -> bool:
    """Add an error to each field whose value cannot be stored; False if any."""
    valid = True
    for field in form:
        limit = (limits or {}).get(field.name, BIGINT_MAX)
        raw = [value for value in (field.raw_data or []) if isinstance(value, str)]
        reason = problem(field.data, limit) or problem(raw)
        if reason is not None:
            if str(reason) not in field.errors:
                field.errors = [*field.errors, str(reason)]
            valid = False
    return valid


class DatabaseIntConverter(IntegerConverter):
    """``<int:...>`` in URLs: a number past the database's range matches no page (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", BIGINT_MAX)
        super().__init__(map, *args, **kwargs)
