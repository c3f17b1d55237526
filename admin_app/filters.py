"""Shared list filters: date ranges, live choices from the database, multi-select.

Flask-Admin computes filter options once, when a view is registered; filters
here marked ``live_options`` are asked again on every list page (see
``BaseModelView._get_filter_groups``), so a group added a minute ago shows.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import has_request_context, request
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, any_, func, or_, select

from .database import dialect
from .i18n import RANGE_SEPARATOR, day, month_first, parse_day
from .storable import whole_number

NONE_VALUE = "__none__"


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min)


# Between the two days of a range: the pickers' dash, or a word in either language.
RANGE_SPLIT = re.compile(r"\s+(?:to|a|–|-)\s+")


# The days shown in "write it like ..." hints.
HINT_DAYS = (date(2026, 11, 1), date(2026, 11, 30))


class ReadableValue:
    """A filter value is valid when ``clean`` can read it (it raises ValueError)."""

    def validate(self, value: str) -> bool:
        try:
            self.clean(value)
        except ValueError:
            return False
        return True


class DayInput(ReadableValue):
    """Days typed as ISO or as the user's locale writes them (22/11/2026)."""

    def value_hint(self) -> str:
        return day(HINT_DAYS[0])

    def clean(self, value: str):
        return parse_day(value)


class DateRangeFilter(sqla_filters.DateBetweenFilter):
    """Days from..to, both included, over a Date or a DateTime column."""

    def validate(self, value: str) -> bool:
        try:
            start, end = self.clean(value)
        except ValueError:
            return False
        # The day after the end bounds a time column: 31/12/9999 has none.
        return start <= end < date.max

    def value_hint(self) -> str:
        return RANGE_SEPARATOR.join(day(d) for d in HINT_DAYS)

    def clean(self, value: str):
        days = [parse_day(part) for part in RANGE_SPLIT.split(value.strip())]
        if len(days) != 2:
            raise ValueError(value)
        return days

    def apply(self, query, value, alias=None):
        start, end = value
        column = self.get_column(alias)
        if _is_datetime(column):
            return query.filter(
                and_(column >= _day_start(start), column < _day_start(end + timedelta(days=1)))
            )
        return query.filter(column.between(start, end))

    def operation(self):
        return _l("between")


class DateFromFilter(DayInput, sqla_filters.DateGreaterFilter):
    """On or after a day."""

    def apply(self, query, value, alias=None):
        column = self.get_column(alias)
        return query.filter(column >= (_day_start(value) if _is_datetime(column) else value))

    def operation(self):
        return _l("from")


class DateToFilter(DayInput, sqla_filters.DateSmallerFilter):
    """On or before a day (the whole day included)."""

    def validate(self, value: str) -> bool:
        return super().validate(value) and self.clean(value) < date.max  # as above

    def apply(self, query, value, alias=None):
        column = self.get_column(alias)
        if _is_datetime(column):
            return query.filter(column < _day_start(value + timedelta(days=1)))
        return query.filter(column <= value)

    def operation(self):
        return _l("to")


def _is_datetime(column) -> bool:
    try:
        return column.type.python_type is datetime
    except (AttributeError, NotImplementedError):
        return False


class LiveChoiceFilter(sqla_filters.BaseSQLAFilter):
    """One of the choices as they are now in the database, plus an optional "None".

    ``choices`` is a callable returning ``[(value, label), ...]``; it runs on
    every list page, never at start-up.
    """

    live_options = True

    def __init__(self, column, name, choices: Callable[[], list[tuple[Any, str]]],
                 none_label=None, coerce: Callable[[str], Any] = int):
        super().__init__(column, name)
        self.choices = choices
        self.none_label = none_label
        self.coerce = coerce

    def get_options(self, view):
        return None  # asked per request instead: see live_choices()

    def choices_now(self) -> list[tuple[Any, str]]:
        """``choices()``, asked once per request: the list's dropdown and the check
        of the value in its URL both read them."""
        if not has_request_context():
            return list(self.choices())
        # Kept with the request itself (an app context, and its g, may outlive it).
        asked = request.environ.setdefault("backoffice.live_filter_choices", {})
        if id(self) not in asked:
            asked[id(self)] = list(self.choices())
        return asked[id(self)]

    def live_choices(self) -> list[tuple[str, str]]:
        options = [(str(value), str(label)) for value, label in self.choices_now()]
        if self.none_label is not None:
            options.append((NONE_VALUE, str(self.none_label)))
        return options

    def validate(self, value: str) -> bool:
        if value == NONE_VALUE:
            return self.none_label is not None
        return self._all_known([value])

    def _all_known(self, values) -> bool:
        """Whether each of ``values`` is one of the choices as they are now: a link
        kept from before a group was deleted, or a typed id, names none, and the
        filter's box would show its first choice's name instead."""
        try:
            wanted = {self.coerce(value) for value in values}
        except (TypeError, ValueError):
            return False
        return bool(wanted) and wanted <= {choice for choice, _label in self.choices_now()}

    def clean(self, value: str):
        return None if value == NONE_VALUE else self.coerce(value)

    def apply(self, query, value, alias=None):
        column = self.get_column(alias)
        return query.filter(column.is_(None) if value is None else column == value)

    def operation(self):
        return _l("equals")


class LiveMultiChoiceFilter(LiveChoiceFilter):
    """Any of several choices at once (e.g. several outlets)."""

    def __init__(self, column, name, choices, coerce=int):
        super().__init__(column, name, choices, none_label=None, coerce=coerce)
        self.data_type = "select2-tags"

    def validate(self, value: str) -> bool:
        return self._all_known(self._parts(value))

    def clean(self, value: str):
        return [self.coerce(part) for part in self._parts(value)]

    @staticmethod
    def _parts(value: str) -> list[str]:
        """The comma-separated values of the URL's argument ("1, 2,3")."""
        return [part.strip() for part in value.split(",") if part.strip()]

    def apply(self, query, value, alias=None):
        return query.filter(self.get_column(alias).in_(value))

    def operation(self):
        return _l("any of")


class YesNoFilter(sqla_filters.BooleanEqualFilter):
    """Yes / No over a boolean column or expression, with our own labels.

    ``yes``: the same condition as ``column`` for "Yes", written so that the
    database starts from the few rows it matches (e.g. phones IN the blacklist)
    rather than testing every row."""

    def __init__(self, column, name, yes=None):
        super().__init__(column, name, options=(("1", _l("Yes")), ("0", _l("No"))))
        self.yes = yes

    def apply(self, query, value, alias=None):
        column = self.get_column(alias)
        if value and self.yes is not None:
            return query.filter(self.yes)
        return query.filter(column if value else ~column)

    def reads_its_matches_first(self, value) -> bool:
        """Whether, applied with ``value`` (as cleaned), the filter's rows come from
        another table's few rows (``yes``) rather than from an index in the list's
        order: a list then reads those rows once for its count and its page
        (views/paging.py, LargeLists._few_matches_page)."""
        return bool(value) and self.yes is not None

    def operation(self):
        return _l("is")


class ChoiceFilter(sqla_filters.FilterEqual):
    """Equals one value of a fixed ``Choices`` set, shown by its label."""

    def __init__(self, column, name, choices_cls):
        super().__init__(column, name, options=choices_cls.choices)
        self.choices_cls = choices_cls

    def validate(self, value: str) -> bool:
        return value in self.choices_cls.values()

    def operation(self):
        return _l("is")


class SignFilter(sqla_filters.BaseSQLAFilter):
    """Above or below zero: credit / debit, points added / removed."""

    def __init__(self, column, name, positive, negative):
        super().__init__(column, name, options=(("positive", positive), ("negative", negative)))

    def validate(self, value: str) -> bool:
        return value in ("positive", "negative")

    def apply(self, query, value, alias=None):
        column = self.get_column(alias)
        return query.filter(column > 0 if value == "positive" else column < 0)

    def operation(self):
        return _l("is")


class IntegerEqualFilter(sqla_filters.FilterEqual):
    """Equals a whole number (a record's number), e.g. from a link on a details page."""

    def validate(self, value: str) -> bool:
        return whole_number(value) is not None

    def clean(self, value: str) -> int:
        return int(value.strip())

    def operation(self):
        return _l("is")


class EventDateRangeFilter(DateRangeFilter):
    """Records with at least one related event on a range of days, e.g. customers
    who redeemed an offer between two dates. ``column`` is the listed record's key
    (a column of the list's own table, so the list is not joined to the events
    and no record shows twice); ``event_key`` the event's column that points to
    it, ``event_date`` the event's date, ``where`` which events count."""

    def __init__(self, column, name, *, event_key, event_date, where=None):
        super().__init__(column, name)
        self.event_key, self.event_date, self.where = event_key, event_date, where

    def apply(self, query, value, alias=None):
        start, end = value
        conditions = [self.event_date >= _day_start(start),
                      self.event_date < _day_start(end + timedelta(days=1))]
        if self.where is not None:
            conditions.append(self.where)
        # The range's events first (through the date's index), then their records by
        # key, not every listed record tested for events: SQLite does so for IN.
        # PostgreSQL, expecting the few matches early, walked the list's sort index
        # testing each record (a month's redemptions: 25,000 probes, 100-170 ms), so
        # it is handed the keys as one array, read once.
        events = select(self.event_key).where(*conditions)
        column = self.get_column(alias)
        if dialect() == "postgresql":
            return query.filter(column == any_(func.array(events.scalar_subquery())))
        return query.filter(column.in_(events))


# A day and month "20/12", "12/20", "20-12" or "20.12", in either order by locale.
DAY_MONTH = re.compile(r"(\d{1,2})[/.-](\d{1,2})")
# ISO 8601's month and day, "--12-20": what the page sends (static/js/typed-dates.js),
# so that a filter's link means the same days in every language.
ISO_DAY_MONTH = re.compile(r"--(\d{2})-(\d{2})")


def parse_day_month(text: str) -> tuple[int, int]:
    """(month, day) of a day and month as ISO writes it (--12-20), or typed as the
    user's locale orders them (20/12 in Spanish, 12/20 in English). Raises ValueError."""
    iso = ISO_DAY_MONTH.fullmatch(text.strip())
    if iso is not None:
        month, day_ = int(iso[1]), int(iso[2])
    else:
        match = DAY_MONTH.fullmatch(text.strip())
        if match is None:
            raise ValueError(text)
        first, second = int(match[1]), int(match[2])
        month, day_ = (first, second) if month_first() else (second, first)
    date(2000, month, day_)  # a leap year: 29/02 is a birthday; 31/04 is not
    return month, day_


class DayMonthRangeFilter(ReadableValue, sqla_filters.BaseSQLAFilter):
    """A date's day and month in a range, whatever the year: birthdays from
    20/12 to 10/01 run over the new year, as birthday campaigns need.

    ``column`` holds the date's month * 100 + day (models.month_day), kept on the
    row and indexed: computing it from the date would read every row."""

    def clean(self, value: str):
        parts = RANGE_SPLIT.split(value.strip())
        if len(parts) != 2:
            raise ValueError(value)
        return [parse_day_month(part) for part in parts]

    def apply(self, query, value, alias=None):
        (start_month, start_day), (end_month, end_day) = value
        month_day = self.get_column(alias)
        start, end = start_month * 100 + start_day, end_month * 100 + end_day
        if start <= end:
            return query.filter(month_day.between(start, end))
        return query.filter(or_(month_day >= start, month_day <= end))

    def operation(self):
        return _l("day and month between")

    def value_hint(self) -> str:
        """20/12 – 10/01 in Spanish, 12/20 – 01/10 in English."""
        return RANGE_SEPARATOR.join(("12/20", "01/10") if month_first() else ("20/12", "10/01"))
