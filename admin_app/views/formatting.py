"""How values are shown in lists and on details pages: by type (yes/no, dates,
numbers), by name (money, phones), as badges, and the blacklist markers."""
from __future__ import annotations

from datetime import date, datetime

from flask_admin.tools import rec_getattr
from flask_babel import gettext as _
from markupsafe import Markup

from ..choices import BlacklistReason
from ..i18n import date_and_time, day, money, number
from ..services import blacklist
from ..services.phones import display_phone


def _yes_no(view, value, name):
    text = _("Yes") if value else _("No")
    css = "badge-success" if value else "badge-secondary"
    return Markup('<span class="badge {}">{}</span>').format(css, text)


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


def formatter_by_name(name: str):
    """The formatter a column gets by its name: money for "*_minor", a phone for
    "phone"; None for the others."""
    if name.endswith("_minor"):
        return _money_formatter
    if name.rsplit(".", 1)[-1] == "phone":
        return _phone_formatter
    return None


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
        return _("No")
    entry = blacklist.entry_for(getattr(model, "phone", None))
    if entry is None:
        return Markup('<span class="badge badge-danger">{}</span>').format(_("Yes"))
    return Markup('<span class="badge badge-danger">{}</span>').format(
        _("Yes: %(reason)s", reason=BlacklistReason.label(entry.reason)))
