"""What a view gets from its model without declaring it: labels, choice labels
and filters, money and phone formatting, and form fields that normalise and
check what is typed. A view's own declarations always win."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from ..filters import ChoiceFilter
from ..forms import EmailAddressField, LocaleDateField, MoneyField, PhoneField, strip_text
from ..services.money import holds_money
from ..storable import python_type
from .formatting import choice_badge, formatter_by_name
from .relations import lookup_fields

# Labels of columns that many models share, declared once.
COMMON_LABELS = {
    "name": _l("Name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "created_at": _l("Date added"),
    "updated_at": _l("Date updated"),
    "description": _l("Description"),
    "status": _l("Status"),
    "note": _l("Note"),
    "notes": _l("Notes"),
    "country": _l("Country"),
    "postcode": _l("Postcode"),
    "customer": _l("Customer"),
    "outlet": _l("Outlet"),
    "currency": _l("Currency"),
    "is_blacklisted": _l("Blacklisted"),
}

PHONE_HINT = _l("With the country code, for example +34 600 111 222.")

# A related record is picked by typing: this many suggestions at a time.
LOOKUP_PAGE_SIZE = 10
LOOKUP_PLACEHOLDER = _l("Type to find one")
# What a relation chosen from a list shows for "no record".
NO_RECORD = _l("None")


class ModelConventions:
    """Mixed into the base view: defaults derived from the model's columns."""

    def _apply_model_conventions(self, model) -> None:
        """Labels, choice labels, money and phone formatting, normalising fields,
        money fields and type-to-search relations in forms.

        Declared values in the view always win over these defaults.
        """
        columns = model.__table__.columns
        choices = {c.key: c.info["choices"] for c in columns if "choices" in c.info}
        self.column_labels = {**COMMON_LABELS, **(self.column_labels or {})}
        self.column_choices = {
            **{key: cls.choices() for key, cls in choices.items()},
            **(self.column_choices or {}),
        }
        self.form_choices = {
            **{key: cls.choices() for key, cls in choices.items()},
            **(self.form_choices or {}),
        }
        formatters = self._conventional_formatters(columns, choices)
        self.column_formatters = {**formatters, **(self.column_formatters or {})}
        # Details pages get the type conventions plus their own declarations only.
        self.column_formatters_detail = {**formatters, **(self.column_formatters_detail or {})}
        self.column_formatters_export = dict(self.column_formatters_export or {})
        args = {key: dict(value) for key, value in (self.form_args or {}).items()}
        overrides = self._conventional_fields(columns, args)
        for field_args in args.values():
            # A relation chosen from a list says "None" for no record (not "__None").
            if "query_factory" in field_args:
                field_args.setdefault("blank_text", NO_RECORD)
        self.form_args = args
        self.form_overrides = {**overrides, **(self.form_overrides or {})}
        self.form_ajax_refs = {**self._relation_lookups(model), **(self.form_ajax_refs or {})}
        self._choice_classes = choices

    def _conventional_formatters(self, columns, choices) -> dict:
        """Choice badges, money and phones, for the model's columns and the related
        ones the view lists ("wallet.customer.phone")."""
        formatters = {key: choice_badge(cls) for key, cls in choices.items() if cls.BADGES}
        names = {c.key for c in columns} | {
            n for n in (*(self.column_list or ()), *(self.column_details_list or ()))
            if isinstance(n, str)}
        for name in names:
            if formatter_by_name(name) is not None:
                formatters[name] = formatter_by_name(name)
        return formatters

    def _conventional_fields(self, columns, args: dict) -> dict:
        """The form field each column gets by its type and name (``args`` gains
        their arguments); the view's form_overrides then win."""
        overrides = {}
        for column in columns:
            field = self._field_by_type(column, args)
            if field is not None:
                overrides[column.key] = field
        if "phone" in columns:
            overrides["phone"] = PhoneField
            args["phone"] = {"description": PHONE_HINT, **args.get("phone", {})}
        if "email" in columns:
            overrides["email"] = EmailAddressField
        return overrides

    def _field_by_type(self, column, args: dict):
        kind = python_type(column)
        if kind is date:
            # Days are picked in the calendar or typed the user's way (22/11/2026).
            return LocaleDateField
        if kind is int and holds_money(column.key):
            # An amount typed as the user writes it ("12,50"), kept in cents.
            label = self.column_labels.get(column.key) or self._prettify_name(column.key)
            args.setdefault(column.key, {}).setdefault("label", label)
            return MoneyField
        if kind is not str or "choices" in column.info:
            return None  # choices are selects
        if column.key not in ("phone", "email"):  # these normalise and explain themselves
            # "  Ana " is saved as "Ana", and a required name of only spaces is refused.
            field_args = args.setdefault(column.key, {})
            field_args.setdefault("filters", [strip_text])
            if not column.nullable:
                field_args.setdefault("validators", [DataRequired()])
        length = getattr(column.type, "length", None)
        if length and length > 255:
            # Long free text (models.long_text) is a text area, with the Length(max=n)
            # check (and maxlength) Flask-Admin gives String(n) fields it builds itself.
            field_args = args.setdefault(column.key, {})
            field_args["validators"] = [*field_args.get("validators", ()), Length(max=length)]
            return TextAreaField
        return None

    def _relation_lookups(self, model) -> dict:
        """Each many-to-one relation the form shows, picked by typing (a million
        customers are never one <select>), unless the view chose its field itself."""
        if not (getattr(self, "allow_create", True) or getattr(self, "allow_edit", True)):
            return {}  # no form: no lookup to offer
        lookups = {}
        for relation in model.__mapper__.relationships:
            if relation.direction.name != "MANYTOONE" or relation.viewonly \
                    or not self._relation_in_form(relation.key):
                continue
            fields = lookup_fields(relation.mapper.class_)
            if fields:
                lookups[relation.key] = {"fields": fields, "page_size": LOOKUP_PAGE_SIZE,
                                         "placeholder": LOOKUP_PLACEHOLDER}
        return lookups

    def _relation_in_form(self, key: str) -> bool:
        """Whether the form shows the relation with the field Flask-Admin would build."""
        declared_elsewhere = (key in (self.form_overrides or {})
                              or key in (self.form_extra_fields or {})
                              or "query_factory" in (self.form_args or {}).get(key, {}))
        if declared_elsewhere:
            return False
        if self.form_columns is not None:
            return key in self.form_columns
        return key not in (self.form_excluded_columns or ())

    def _prettify_name(self, name):
        # An undeclared label of an amount reads "Price", not "Price Minor".
        return super()._prettify_name(name.removesuffix("_minor"))

    def scaffold_filters(self, name):
        # Choice columns filter by their translated labels.
        if isinstance(name, str) and name in getattr(self, "_choice_classes", {}):
            column = getattr(self.model, name)
            label = self.column_labels.get(name, name)
            return [ChoiceFilter(column, label, self._choice_classes[name])]
        return super().scaffold_filters(name)
