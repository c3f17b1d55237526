"""Shared list filters: date ranges, live choices from the database, multi-select.

Flask-Admin computes filter options once, when a view is registered; filters
here marked ``live_options`` are asked again on every list page (see
``BaseModelView._get_filter_groups``), so a group added a minute ago shows.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any, Callable

from flask_admin.contrib.sqla import filters as sqla_filters
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_

from .i18n import parse_day

NONE_VALUE = "__none__"


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min)


# Between the two days of a range: the pickers' dash, or a word in either language.
RANGE_SPLIT = re.compile(r"\s+(?:to|a|–|-)\s+")


class DayInput:
    """Days typed as ISO or as the user's locale writes them (22/11/2026)."""

    def validate(self, value: str) -> bool:
        try:
            self.clean(value)
        except ValueError:
            return False
        return True

    def clean(self, value: str):
        return parse_day(value)


class DateRangeFilter(sqla_filters.DateBetweenFilter):
    """Days from..to, both included, over a Date or a DateTime column."""

    def validate(self, value: str) -> bool:
        try:
            start, end = self.clean(value)
        except ValueError:
            return False
        return start <= end

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

    def live_choices(self) -> list[tuple[str, str]]:
        options = [(str(value), str(label)) for value, label in self.choices()]
        if self.none_label is not None:
            options.append((NONE_VALUE, str(self.none_label)))
        return options

    def validate(self, value: str) -> bool:
        if value == NONE_VALUE:
            return self.none_label is not None
        try:
            self.coerce(value)
        except (TypeError, ValueError):
            return False
        return True

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
        try:
            return bool(self.clean(value))
        except (TypeError, ValueError):
            return False

    def clean(self, value: str):
        return [self.coerce(v.strip()) for v in value.split(",") if v.strip()]

    def apply(self, query, value, alias=None):
        return query.filter(self.get_column(alias).in_(value))

    def operation(self):
        return _l("any of")


class YesNoFilter(sqla_filters.BooleanEqualFilter):
    """Yes / No over a boolean column or expression, with our own labels."""

    def __init__(self, column, name):
        super().__init__(column, name, options=(("1", _l("Yes")), ("0", _l("No"))))

    def apply(self, query, value, alias=None):
        column = self.get_column(alias)
        return query.filter(column if value else ~column)

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
        return value.strip().isdigit()

    def clean(self, value: str) -> int:
        return int(value)

    def operation(self):
        return _l("is")
