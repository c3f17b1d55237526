"""Form building blocks shared by every view: CSRF base form, normalising fields."""
from __future__ import annotations

from babel.numbers import NumberFormatError, parse_number
from flask_admin.form import DatePickerWidget
from flask_babel import format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import ValidationError as FormError

from .i18n import parse_day
from .services.countries import country_choices
from .services.emails import normalise_email
from .services.errors import ValidationError
from .services.money import major_units, parse_money
from .services.phones import normalise_phone
from .services.text import strip_text  # noqa: F401 (the views' text filter)
from .storable import refuse_unstorable


class SecureForm(FlaskForm):
    """Flask-WTF's CSRF-checked form, keeping the edited object where Flask-Admin looks.

    Flask-Admin's unique-value validator reads ``form._obj``.
    """

    def __init__(self, formdata=None, obj=None, prefix="", **kwargs):
        self._obj = obj
        if formdata is None:
            super().__init__(obj=obj, prefix=prefix, **kwargs)
        else:
            super().__init__(formdata=formdata, obj=obj, prefix=prefix, **kwargs)

    def validate(self, extra_validators=None) -> bool:
        # A number past the database's range, or a NUL byte, is a form error, not a
        # 500: checked first, as a validator (a unique value's) may ask the database.
        return refuse_unstorable(self) and super().validate(extra_validators)


class NormalisingField(StringField):
    """A text field whose value is normalised by a service as it is read.

    A value the service refuses becomes a form error with the service's message.
    """

    normalise = staticmethod(lambda value: value)

    def process_formdata(self, valuelist):
        if valuelist and not str(valuelist[0]).strip():
            # Only spaces (a tab, a no-break space) is nothing typed, also for a
            # required field: "This field is required." under it.
            valuelist = self.raw_data = [""]
        super().process_formdata(valuelist)
        if not valuelist:
            return  # not in the posted form: the value stays as stored (or the default)
        try:
            self.data = self.normalise(self.data)
        except ValidationError as error:
            self.data = None
            raise ValueError(str(error)) from None


class PhoneField(NormalisingField):
    """Entered with country code in any common writing; E.164 when stored."""

    normalise = staticmethod(normalise_phone)


class EmailAddressField(NormalisingField):
    normalise = staticmethod(normalise_email)


class CountryField(SelectField):
    """ISO country code, chosen by its name in the user's language."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.pop("choices", None)
        kwargs.pop("coerce", None)
        kwargs.pop("allow_blank", None)
        super().__init__(label, validators, **kwargs)
        self.choices = [("", "—")] + country_choices()

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = self.data or None

    def pre_validate(self, form):
        if self.data and self.data not in dict(self.choices):
            # A plain str: Flask-Admin's template drops lazy error messages.
            raise FormError(str(_l("Choose a country from the list.")))


def _parse_amount(text: str | None) -> int | None:
    text = (text or "").strip()
    return parse_money(text, get_locale()) if text else None


def _parse_points(text: str | None) -> int | None:
    """A whole number as the locale writes it: 1,500 (en), 1.500 (es), -20, +20."""
    text = (text or "").strip().replace(" ", "").removeprefix("+")
    if not text:
        return None
    try:
        return parse_number(text, locale=get_locale())
    except NumberFormatError:
        raise ValidationError(_l("Enter a whole number of points, e.g. 150 or -20.")) from None


class MoneyField(NormalisingField):
    """Money typed as the user writes it ("12.50", "12,50", "1.234,50"), kept in cents."""

    normalise = staticmethod(_parse_amount)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format_decimal(major_units(self.data), format="#,##0.00")


class PointsField(NormalisingField):
    normalise = staticmethod(_parse_points)


# WTForms' own message, so its shipped catalogues translate it (not ours).
WTFORMS_NOT_A_DATE = "Not a valid date value."


class LocaleDateField(DateField):
    """A day picked in the calendar (ISO) or typed as the user's locale writes it."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("widget", DatePickerWidget())
        super().__init__(label, validators, format="%Y-%m-%d", **kwargs)

    def process_formdata(self, valuelist):
        text = " ".join(valuelist).strip() if valuelist else ""
        if not text:
            self.data = None
            return
        try:
            self.data = parse_day(text)
        except ValueError:
            self.data = None
            raise ValueError(self.gettext(WTFORMS_NOT_A_DATE)) from None
