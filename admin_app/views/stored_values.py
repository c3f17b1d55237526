"""A value a record once held, shown as the record's own list and details pages
show it: money in the reader's locale, a related record by its name with a link
to its page, a choice by its label, days and times the reader's way.

The audit trail keeps values as JSON (days and times as ISO text, related
records as their ids); a record's History and the audit log read them here, so
both say "1.234,50 €" and "Lucía Moreno" where the trail holds 123450 and 7.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from ..choices import Choices
from ..extensions import db
from ..services import audit
from ..services.countries import country_name
from ..storable import python_type
from .formatting import LIST_TYPE_FORMATTERS, formatter_by_name

EMPTY = "—"


def model_named(object_type: str | None):
    """The model class an audit event names ("Wallet"), or None."""
    return next((m.class_ for m in db.Model.registry.mappers
                 if m.class_.__name__ == object_type), None)


def view_of(admin, model) -> Any:
    """The registered view that lists ``model``'s records, or None."""
    return next((v for v in admin._views
                 if model is not None and getattr(v, "model_class", None) is model), None)


def current_record(model, object_id):
    """The record as it is now, or None when it is gone (or the id is not a number)."""
    if model is None or not str(object_id or "").isdigit():
        return None
    return db.session.get(model, int(object_id))


class _AsStored:
    """The record as a formatter reads it: the stored values given, the rest from
    the record as it is now (None where there is no record); named by its model."""

    def __init__(self, model, values: dict, record=None):
        self.__dict__.update(_model=model, _values=values, _record=record)

    def __getattr__(self, name: str):
        if name in self._values:
            return self._values[name]
        return getattr(self._record, name, None) if self._record is not None else None

    def __str__(self) -> str:
        return self._model.__str__(self)


def _python_value(column, value):
    """JSON's text back to what the column holds: ISO text to a day or a time, and
    whole numbers kept as text (PostgreSQL sums bigints as exact decimals) to int."""
    kind = python_type(column)
    if kind is None or not isinstance(value, str):
        return value
    try:
        if kind in (date, datetime):
            return kind.fromisoformat(value)
        if kind is int:
            return int(value)
    except ValueError:
        pass
    return value


def _related_model(model, column):
    """The model a foreign-key column points to, by the relationship that uses it."""
    for relation in model.__mapper__.relationships:
        if relation.direction.name == "MANYTOONE" and column in relation.local_columns:
            return relation.mapper.class_
    return None


def record_link(admin, model, record_id) -> Markup | str:
    """A related record by its name, linked to its details page where it has one."""
    record = current_record(model, record_id)
    if record is None:
        name = audit.last_known_name(model.__name__, record_id) if model is not None else None
        if name:
            return _("%(name)s (deleted)", name=name)
        return _("%(id)s, deleted", id=record_id)
    view = view_of(admin, model)
    if view is None:
        return str(record)
    return Markup('<a href="{}">{}</a>').format(
        url_for(f"{view.endpoint}.details_view", id=record.id), str(record))


def _plain(column, value, stored: _AsStored):
    """For a record without a view of its own: the base view's formatters, by the
    column's name (money, phone), its choices, then the value's type."""
    by_name = formatter_by_name(column.key)
    if by_name is not None:
        return by_name(None, None, stored, column.key)
    if column.key == "country":
        return country_name(value)
    choices = column.info.get("choices")
    if isinstance(choices, type) and issubclass(choices, Choices):
        return choices.label(value)
    by_type = LIST_TYPE_FORMATTERS.get(type(value))
    return by_type(None, value, column.key) if by_type is not None else str(value)


def shown(admin, object_type: str | None, field: str, value, *, currency: str | None = None,
          record=None) -> Markup | str:
    """``value``, once stored in ``field`` of an ``object_type`` record, as that
    record's details page shows it. ``record`` is the record as it is now, if any."""
    if value is None or value == "":
        return EMPTY
    model = model_named(object_type)
    column = model.__table__.columns.get(field) if model is not None else None
    if column is None:
        return str(value)
    value = _python_value(column, value)
    related = _related_model(model, column)
    if related is not None:
        return record_link(admin, related, value)
    view = view_of(admin, model)
    values = {field: value, **({"currency": currency} if currency else {})}
    stored = _AsStored(model, values, record)
    if view is None:
        return _plain(column, value, stored)
    result = view.get_detail_value(None, stored, field)
    return EMPTY if result is None or result == "" else result
