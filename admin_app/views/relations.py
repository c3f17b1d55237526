"""Relation fields that refuse a record which does not exist.

Flask-Admin's select fields treat an id they cannot find as "nothing chosen"
when the relation is optional, so a group deleted while the form was open, or
a forged id, would silently save as "no group". These helpers make it an error.
"""
from __future__ import annotations

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_admin.model.fields import AjaxSelectField
from flask_babel import gettext as _

from ..storable import whole_number

BLANK_CHOICES = ("", "__None")


class ExistingRecordLoader(QueryAjaxModelLoader):
    """An ajax loader that answers None for an id that is not a whole number."""

    def get_one(self, pk):
        key = whole_number(pk)
        return None if key is None else super().get_one(key)


def refuse_missing_records(form) -> bool:
    """Add an error to each relation field whose chosen id matches no record."""
    valid = True
    for field in form:
        if not isinstance(field, (QuerySelectField, AjaxSelectField)):
            continue
        chosen = (field.raw_data or [""])[0]
        if chosen not in BLANK_CHOICES and field.data is None:
            field.errors = [*field.errors,
                            _("This record does not exist (any more): choose again.")]
            valid = False
    return valid
