"""Language choice and locale-aware formatting shared by views and templates.

Every number, amount and date on screen goes through Babel (CLDR), so a
Spanish screen reads 12.345,50 € and 22/11/2026, an English one €12,345.50
and 11/22/2026.
"""
from __future__ import annotations

import os
import re
from datetime import date, datetime, time, timedelta
from decimal import localcontext
from functools import lru_cache

from babel import Locale
from babel.dates import (
    format_skeleton,
    format_timedelta,
    get_date_format,
    get_day_names,
    get_month_names,
    parse_date,
)
from babel.dates import format_time as format_time_of_day
from babel.numbers import (
    format_compact_currency,
    format_compact_decimal,
    format_currency,
    format_decimal,
    format_percent,
)
from babel.units import format_unit
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import (
    format_datetime,
    get_locale,
    to_user_timezone,
)
from flask_babel import gettext as _
from flask_login import current_user

from .config import default_currency
from .services.money import major_units

TRANSLATIONS_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "translations"))
LANGUAGE_COOKIE = "lang"
# Each language named in itself, as a switcher shows it.
LANGUAGE_NAMES = (("en", "English"), ("es", "Español"))
# g's key for the language a public page addresses its reader in (a customer's own).
PAGE_LANGUAGE = "page_language"


def select_locale() -> str:
    """The language a public page chose for its reader (see PAGE_LANGUAGE); else the
    admin user's saved language; before login a cookie, then the browser's."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if g.get(PAGE_LANGUAGE) in languages:
        return g.get(PAGE_LANGUAGE)
    if current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or languages[0]


def locale() -> Locale:
    return get_locale() or Locale.parse(current_app.config["BABEL_DEFAULT_LOCALE"])


# CLDR's minimumGroupingDigits, which Babel does not carry: Spanish writes
# 1234,50 but 12.345,50 (a separator only from five integer digits).
MINIMUM_GROUPING_DIGITS = {"es": 2}


def _grouped(integer_part: int, current: Locale) -> bool:
    minimum = MINIMUM_GROUPING_DIGITS.get(current.language, 1)
    return abs(integer_part) >= 10 ** (2 + minimum)


def money(amount_minor: int | None, currency: str | None = None) -> str:
    """Minor units shown as the user's locale writes money: €12,345.50 / 12.345,50 €."""
    if amount_minor is None:
        return ""
    return _money_text(locale(), currency or default_currency(), amount_minor)


def number(value: int | None) -> str:
    """A count as the locale writes it: 12,345 / 12.345 (and 1234 in Spanish)."""
    if value is None:
        return ""
    return _number_text(locale(), value)


# Lists show the same amounts, counts, days and times of day over and over:
# each is formatted by Babel once per language and remembered, the least used
# forgotten first (about 7 MB a worker when all are full). They hold what Babel's
# locale data gives, fixed while a process runs; a test that changes
# MINIMUM_GROUPING_DIGITS calls their cache_clear().
@lru_cache(maxsize=5_000)
def _money_text(current: Locale, currency: str, amount_minor: int) -> str:
    return format_currency(major_units(amount_minor), currency, locale=current,
                           group_separator=_grouped(abs(amount_minor) // 100, current))


@lru_cache(maxsize=5_000)
def _number_text(current: Locale, value: int) -> str:
    # Babel rounds in a decimal context of 28 digits: a page number typed into
    # the address may hold more.
    with localcontext() as digits:
        digits.prec = max(digits.prec, len(str(abs(value))) + 10)  # and its fraction digits
        return format_decimal(value, locale=current, group_separator=_grouped(value, current))


@lru_cache(maxsize=5_000)
def _day_text(current: Locale, value: date) -> str:
    return format_skeleton("yMd", value, locale=current)


@lru_cache(maxsize=3_000)  # every minute of the day, in two languages
def _time_text(current: Locale, hour: int, minute: int) -> str:
    return format_time_of_day(time(hour, minute), "short", locale=current)


def compact_number(value: int) -> str:
    """A count on a chart's axis: 12K / 12 mil."""
    return format_compact_decimal(value, locale=locale(), fraction_digits=1)


def compact_money(amount_minor: int, currency: str | None = None) -> str:
    """An amount on a chart's axis: €12K / 12 mil €."""
    currency = currency or default_currency()
    return format_compact_currency(major_units(amount_minor), currency,
                                   locale=locale(), fraction_digits=1)


def exact_duration(seconds: int) -> str:
    """A length of time in words, exactly: 1 hour / 1 hora, 90 minutes / 90 minutos."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            return format_unit(seconds // size, f"duration-{unit}", length="long",
                               locale=locale())
    return format_unit(seconds, "duration-second", length="long", locale=locale())


def percent(value: int) -> str:
    """A whole percentage: 45% / 45 %."""
    return format_percent(value / 100, locale=locale())


def duration(value: timedelta) -> str:
    """A length of time as people say it, rounded to its largest unit: "3 minutes",
    "3 minutos"; under a second reads as "0 seconds"."""
    return format_timedelta(value, threshold=1, locale=locale())


def day_and_month(value: date) -> str:
    """A day on a chart: Nov 2 / 2 nov."""
    return format_skeleton("MMMd", value, locale=locale())


def day(value: date | None) -> str:
    """A date as the locale writes it in numbers: 22/11/2026, 11/22/2026."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    return _day_text(locale(), value)


def month_first() -> bool:
    """Whether the user's locale writes the month before the day (12/20)."""
    pattern = get_date_format("short", locale=locale()).pattern
    return pattern.index("M") < pattern.index("d")


def parse_day(text: str) -> date:
    """A day typed as ISO (2026-11-22) or as the locale writes it (22/11/2026,
    11/22/2026). Raises ValueError for anything else."""
    text = (text or "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    if not re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}", text):
        raise ValueError(text)
    try:
        return parse_date(text, locale=locale())
    except (ValueError, IndexError) as error:
        raise ValueError(text) from error


def date_and_time(value: datetime | None, width: str | None = None) -> str:
    """A date and time of day: 22/11/2026 9:05, 11/22/2026 9:05 AM; or a CLDR
    width ("long": with the time zone) where a page needs it spelled out."""
    if value is None:
        return ""
    if width:
        return format_datetime(value, width)
    local, current = to_user_timezone(value), locale()
    return f"{_day_text(current, local.date())} {_time_text(current, local.hour, local.minute)}"


def picker_locale() -> dict:
    """What the date pickers and select widgets need to speak the user's language."""
    current = locale()
    # moment.js counts weekdays from Sunday (0); CLDR/Babel from Monday (0).
    sunday_first = [6, 0, 1, 2, 3, 4, 5]
    weekdays = get_day_names("wide", locale=current)
    short_days = get_day_names("abbreviated", locale=current)
    narrow_days = get_day_names("narrow", locale=current)
    return {
        "code": str(current),
        "moment": {
            "months": [get_month_names("wide", locale=current)[m] for m in range(1, 13)],
            "monthsShort": [get_month_names("abbreviated", locale=current)[m]
                            for m in range(1, 13)],
            "weekdays": [weekdays[d] for d in sunday_first],
            "weekdaysShort": [short_days[d] for d in sunday_first],
            "weekdaysMin": [narrow_days[d] for d in sunday_first],
            "week": {"dow": (current.first_week_day + 1) % 7, "doy": 4},
        },
        "labels": {
            "applyLabel": _("Apply"),
            "cancelLabel": _("Cancel"),
            "fromLabel": _("From"),
            "toLabel": _("To"),
            "weekLabel": _("Wk"),
            "customRangeLabel": _("Custom range"),
        },
        "rangeSeparator": RANGE_SEPARATOR,
        # Typed days are read as ISO or in this order (12/31/2026 or 31/12/2026).
        "monthFirst": month_first(),
        "select2": {
            "noMatches": _("Nothing matches."),
            "searching": _("Searching…"),
            "loadMore": _("Loading more…"),
            "loadFailed": _("Could not load the choices."),
            "typeMore": _("Type {n} more characters."),
            "commaSeparated": _("Type the values separated by commas."),
        },
    }


# Between the two days of a date range in a filter box: a dash reads the same
# in every language, so a range typed or linked in one language works in the other.
RANGE_SEPARATOR = " – "


def use_our_admin_corrections() -> None:
    """Flask-Admin's texts come from its shipped catalogue, then from our
    translations/<lang>/LC_MESSAGES/admin.po, whose entries win (Babel merges
    catalogues in order, the last one overriding)."""
    from flask_admin import babel as admin_babel
    from flask_admin import translations as shipped

    admin_babel.domain._translation_directories = [shipped.__path__[0], TRANSLATIONS_DIR]
    admin_babel.domain.cache.clear()


def init_app(app: Flask) -> None:
    use_our_admin_corrections()
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["date"] = day
    app.jinja_env.filters["datetime"] = date_and_time
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["percent"] = percent
    from .services.phones import display_phone  # the phone as every list shows it
    app.jinja_env.filters["phone"] = display_phone
    app.jinja_env.globals["picker_locale"] = picker_locale
    # Templates show stored choice values by their labels: choices.WalletTxKind.label(v).
    from . import choices

    app.jinja_env.globals["choices"] = choices

    @app.context_processor
    def language_context():
        return {"current_locale": str(get_locale() or "en"), "LANGUAGE_NAMES": LANGUAGE_NAMES}
