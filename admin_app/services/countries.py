"""Countries as ISO 3166 alpha-2 codes, named in the user's language (CLDR via Babel)."""
from __future__ import annotations

from babel import Locale
from flask_babel import get_locale

# The same codes in every language (Spanish CLDR names no "CQ", English does):
# a filter, a form or an import accepts a country whatever the reader's language.
ENGLISH = Locale("en")
CODES = tuple(code for code in ENGLISH.territories
              if isinstance(code, str) and len(code) == 2 and code.isalpha()
              and code not in ("EU", "EZ", "UN", "ZZ", "QO"))


def country_names(locale: Locale | None = None) -> dict[str, str]:
    names = (locale or get_locale() or ENGLISH).territories
    return {code: names.get(code) or ENGLISH.territories[code] for code in CODES}


def country_choices() -> list[tuple[str, str]]:
    names = country_names()
    return sorted(names.items(), key=lambda item: item[1])


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return country_names().get(code.upper(), code)
