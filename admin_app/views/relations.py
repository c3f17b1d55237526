"""Relation fields that refuse a record which does not exist.

Flask-Admin's select fields treat an id they cannot find as "nothing chosen"
when the relation is optional, so a group deleted while the form was open, or
a forged id, would silently save as "no group". These helpers make it an error.
"""
from __future__ import annotations

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_admin.model.ajax import DEFAULT_PAGE_SIZE
from flask_admin.model.fields import AjaxSelectField
from flask_babel import gettext as _
from sqlalchemy import String, and_, cast, or_, text

from ..database import dialect
from ..models import Searchable, not_tombstones
from ..services import search
from ..services.phones import display_phone
from ..storable import python_type, whole_number
from .searching import typed_phone

BLANK_CHOICES = ("", "__None")


# What people call a record by, when they type to pick one: these of its text
# columns, in this order, where it has them.
NAMING_COLUMNS = ("name", "first_name", "surname", "title", "code", "sale_code", "wallet_code",
                  "email", "phone", "card_number", "sku", "product")
# Internal text (search copies, hashes, keys): never what anyone types.
NOT_TYPED = {"search_text", "sort_name", "password_hash", "idempotency_key"}
# Shorter text columns hold codes (a country, a currency), not names.
SHORTEST_NAME = 4


def lookup_fields(model) -> tuple[str, ...]:
    """The text columns a ``model`` record is found by when typed into a relation's
    box: its search fields if it has an index for them; else the ones that name it
    (name, email, phone, code...); else every short text column. Empty when it has none."""
    if issubclass(model, Searchable):
        return model.search_fields
    text_columns = [c for c in model.__table__.columns
                    if python_type(c) is str and "choices" not in c.info
                    and c.key not in NOT_TYPED and not c.foreign_keys]
    names = {c.key for c in text_columns}
    naming = tuple(key for key in NAMING_COLUMNS if key in names)
    if naming:
        return naming
    return tuple(c.key for c in text_columns
                 if SHORTEST_NAME <= (getattr(c.type, "length", None) or 0) <= 255)


class ExistingRecordLoader(QueryAjaxModelLoader):
    """An ajax loader that answers None for an id that is not a whole number, and
    finds records with a search index through it (fast at a million customers)."""

    def get_one(self, pk):
        key = whole_number(pk)
        return None if key is None else super().get_one(key)

    def format(self, model):
        """The record's name, and what tells namesakes apart (an email, else a phone):
        "Paula Domínguez · paula@example.com"."""
        found = super().format(model)
        if found is None:
            return None
        told_apart = getattr(model, "email", None) or display_phone(getattr(model, "phone", None))
        return (found[0], f"{found[1]} · {told_apart}") if told_apart else found

    def get_list(self, term: str, offset: int | None = 0,
                 limit: int | None = DEFAULT_PAGE_SIZE):
        # One page of answers at most, whatever the URL asks: a lookup is no export.
        offset = max(offset or 0, 0)
        limit = DEFAULT_PAGE_SIZE if not limit or limit < 1 else min(limit, DEFAULT_PAGE_SIZE)
        # Control characters (a NUL byte) are in no record; a thousand words make no search.
        term = " ".join(search.words(term)[:search.MAX_WORDS])
        if issubclass(self.model, Searchable):
            phone = typed_phone(term) if "phone" in self.model.search_fields else None
            condition = search.matches(self.model, term, phone, dialect())
        else:
            condition = or_(*(search.contains(cast(field, String), term, ignore_case=True)
                              for field in self._cached_fields))
        query = self.get_query().filter(condition, *not_tombstones(self.model))
        if self.filters:
            table = self.model.__tablename__.lower()
            query = query.filter(and_(*(text(f"{table}.{value}") for value in self.filters)))
        if self.order_by is not None:
            query = query.order_by(self.order_by)
        return query.offset(offset).limit(limit).all()


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
