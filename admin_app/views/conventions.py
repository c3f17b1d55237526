"""What a view gets from its model without declaring it: labels, choice labels
and filters, money and phone formatting, and form fields that normalise and
check what is typed. A view's own declarations always win."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from ..filters import ChoiceFilter
from ..forms import EmailAddressField, LocaleDateField, PhoneField, strip_text
from ..storable import python_type
from .formatting import choice_badge, formatter_by_name

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


def _is_text(column) -> bool:
    return python_type(column) is str


class ModelConventions:
    """Mixed into the base view: defaults derived from the model's columns."""

    def _apply_model_conventions(self, model) -> None:
        """Labels, choice labels, money and phone formatting, normalising fields.

        Declared values in the view always win over these defaults.
        """
        columns = model.__table__.columns
        choices = {c.key: c.info["choices"] for c in columns if "choices" in c.info}
        formatters = {}
        # The model's columns and related ones the view lists ("wallet.customer.phone").
        names = {c.key for c in columns} | {
            n for n in (*(self.column_list or ()), *(self.column_details_list or ()))
            if isinstance(n, str)}
        for key, choices_cls in choices.items():
            if choices_cls.BADGES:
                formatters[key] = choice_badge(choices_cls)
        for name in names:
            if formatter_by_name(name) is not None:
                formatters[name] = formatter_by_name(name)
        self.column_labels = {**COMMON_LABELS, **(self.column_labels or {})}
        self.column_choices = {
            **{key: cls.choices() for key, cls in choices.items()},
            **(self.column_choices or {}),
        }
        self.form_choices = {
            **{key: cls.choices() for key, cls in choices.items()},
            **(self.form_choices or {}),
        }
        self.column_formatters = {**formatters, **(self.column_formatters or {})}
        # Details pages get the type conventions plus their own declarations only.
        self.column_formatters_detail = {**formatters, **(self.column_formatters_detail or {})}
        self.column_formatters_export = dict(self.column_formatters_export or {})
        args = {key: dict(value) for key, value in (self.form_args or {}).items()}
        for column in columns:
            # Choices are selects; phone and email fields normalise and explain themselves.
            if _is_text(column) and "choices" not in column.info and column.key not in (
                "phone", "email"
            ):
                # "  Ana " is saved as "Ana", and a required name of only spaces is refused.
                field_args = args.setdefault(column.key, {})
                field_args.setdefault("filters", [strip_text])
                if not column.nullable:
                    field_args.setdefault("validators", [DataRequired()])
        # Days are picked in the calendar or typed the user's way (22/11/2026).
        overrides = {c.key: LocaleDateField for c in columns if python_type(c) is date}
        # Long free text (models.long_text) is a text area, with the Length(max=n) check
        # (and maxlength attribute) Flask-Admin gives String(n) fields it builds itself.
        for column in columns:
            length = getattr(column.type, "length", None) if _is_text(column) else None
            if length and length > 255 and "choices" not in column.info:
                overrides[column.key] = TextAreaField
                field_args = args.setdefault(column.key, {})
                field_args["validators"] = [*field_args.get("validators", ()), Length(max=length)]
        if "phone" in columns:
            overrides["phone"] = PhoneField
            args["phone"] = {"description": PHONE_HINT, **args.get("phone", {})}
        self.form_args = args
        if "email" in columns:
            overrides["email"] = EmailAddressField
        self.form_overrides = {**overrides, **(self.form_overrides or {})}
        self._choice_classes = choices

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
