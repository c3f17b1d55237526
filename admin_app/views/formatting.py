"""How values are shown in lists and on details pages: by type (yes/no, dates,
numbers), by name (money, phones, countries), as badges, and the blacklist markers.

The one source for showing a stored value: a record's History and the audit log
(stored_values), the import preview and the exports read these rules too.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_admin.tools import rec_getattr
from flask_babel import gettext as _
from markupsafe import Markup

from ..choices import BlacklistReason
from ..i18n import date_and_time, day, money, number
from ..services import blacklist
from ..services.countries import country_name
from ..services.money import holds_money
from ..services.phones import display_phone


def yes_no(value) -> str:
    """A yes/no value in words, in the reader's language (exports write it so too)."""
    return _("Yes") if value else _("No")


def plain_text(shown) -> str:
    """What a formatter shows, as text for a file or a one-line summary: tags dropped."""
    return Markup(shown).striptags() if isinstance(shown, Markup) else str(shown)


def _yes_no(view, value, name):
    css = "badge-success" if value else "badge-secondary"
    return Markup('<span class="badge {}">{}</span>').format(css, yes_no(value))


def _date(view, value, name):
    return day(value)


def _datetime(view, value, name):
    return date_and_time(value)


def _integer(view, value, name):
    # Identifiers are shown as typed; counts and points as the locale writes numbers.
    if name == "id" or name.endswith("number"):
        return str(value)
    return number(value)


def _empty(view, value, name):
    return ""


LIST_TYPE_FORMATTERS = {type(None): _empty, bool: _yes_no, datetime: _datetime, date: _date,
                        int: _integer}


def _money_formatter(view, context, model, name):
    return money(rec_getattr(model, name), getattr(model, "currency", None))


def _phone_formatter(view, context, model, name):
    return display_phone(rec_getattr(model, name))


def _country_formatter(view, context, model, name):
    return country_name(rec_getattr(model, name))


# Columns whose name says what they hold, wherever they are (the last part of a path).
FORMATTERS_BY_COLUMN_NAME = {"phone": _phone_formatter, "country": _country_formatter}


def formatter_by_name(name: str):
    """The formatter a column gets by its name: money for "*_minor", a phone for
    "phone", a country's name for "country"; None for the others."""
    if holds_money(name):
        return _money_formatter
    return FORMATTERS_BY_COLUMN_NAME.get(name.rsplit(".", 1)[-1])


def status_badge(choices_cls, value) -> Markup | str:
    """A choice's label, in its coloured badge where the set declares one (lists,
    and templates as ``status_badge(choices.OrderStatus, order.status)``)."""
    colour = choices_cls.badge(value)
    label = choices_cls.label(value)
    if colour is None:
        return label
    return Markup('<span class="badge badge-{}">{}</span>').format(colour, label)


def choice_badge(choices_cls):
    """A formatter showing a choice column's value as its badge."""
    def format_value(view, context, model, name):
        return status_badge(choices_cls, rec_getattr(model, name))
    return format_value


def name_with_blacklist_marker(view, context, model, name):
    """The record's name, with a visible marker when its phone is blacklisted."""
    if getattr(model, "is_blacklisted", False):
        return Markup('{} <span class="badge badge-danger" title="{}">{}</span>').format(
            str(model), _("This phone number is on the blacklist"), _("Blacklisted")
        )
    return str(model)


def blacklist_marker(view, context, model, name):
    """The value of a "Blacklisted" row: Yes with the entry's reason, or No (the
    row's label already says "Blacklisted")."""
    if not getattr(model, name):
        return yes_no(False)
    entry = blacklist.entry_for(getattr(model, "phone", None))
    if entry is None:
        return Markup('<span class="badge badge-danger">{}</span>').format(yes_no(True))
    return Markup('<span class="badge badge-danger">{}</span>').format(
        _("Yes: %(reason)s", reason=BlacklistReason.label(entry.reason)))
