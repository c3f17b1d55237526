"""Countries as ISO 3166 alpha-2 codes, named in the user's language (CLDR via Babel)."""
from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType

from babel import Locale
from flask_babel import get_locale

# The same codes in every language (Spanish CLDR names no "CQ", English does):
# a filter, a form or an import accepts a country whatever the reader's language.
ENGLISH = Locale("en")
# Left out: groupings and "unknown" (EU, EZ, UN, ZZ, QO) and the territories of
# CLDR's pseudo-locales, for testing translations ("Pseudo-Accents" XA, XB).
CODES = tuple(code for code in ENGLISH.territories
              if isinstance(code, str) and len(code) == 2 and code.isalpha()
              and code not in ("EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"))


def country_names(locale: Locale | None = None) -> MappingProxyType:
    """Code -> name in ``locale`` (the reader's), read-only: shared by every request."""
    return _names_in(locale or get_locale() or ENGLISH)


def country_choices() -> list[tuple[str, str]]:
    return list(_choices_in(get_locale() or ENGLISH))


# Built once per language: every list page offers the choices, every row may
# name a country.
@lru_cache(maxsize=16)
def _names_in(locale: Locale) -> MappingProxyType:
    names = locale.territories
    return MappingProxyType({code: names.get(code) or ENGLISH.territories[code]
                             for code in CODES})


@lru_cache(maxsize=16)
def _choices_in(locale: Locale) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(_names_in(locale).items(), key=lambda item: item[1]))


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return country_names().get(code.upper(), code)
