"""Blacklist: phone numbers that staff must not serve."""
from flask import g, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup

from ..filters import DateRangeFilter
from ..models import BlacklistEntry, Customer
from ..services import blacklist, permissions
from .base import BaseModelView


def _holders_of(entry: BlacklistEntry) -> list:
    # The list page reads every row's holders at once (BlacklistView.get_list).
    page = g.get("blacklist_holders") or {}
    if entry.phone in page:
        return page[entry.phone]
    return blacklist.holders([entry.phone])[entry.phone]


def holders_links(view, context, model, name):
    """Who holds the number: customers, then guests (marked), each linked to their page."""
    people = _holders_of(model)
    if not people:
        return Markup('<span class="text-muted">{}</span>').format(_("Nobody"))
    links = []
    for person in people[:blacklist.HOLDERS_SHOWN]:
        endpoint = "customers" if isinstance(person, Customer) else "guests"
        link = Markup('<a href="{}">{}</a>').format(
            url_for(f"{endpoint}.details_view", id=person.id), str(person))
        if endpoint == "guests":
            link += Markup(' <span class="badge badge-light">{}</span>').format(_("Guest"))
        links.append(link)
    more = len(people) - blacklist.HOLDERS_SHOWN
    if more > 0:
        links.append(Markup("{}").format(ngettext("and %(num)s more", "and %(num)s more", more)))
    return Markup(", ").join(links)


def holders_text(view, context, model, name):
    return ", ".join(str(person) for person in _holders_of(model))


class BlacklistView(BaseModelView):
    model_class = BlacklistEntry
    menu_name = _l("Blacklist")
    view_url = "blacklist"
    record_nouns = (_l("blacklisted number"), _l("blacklisted numbers"))
    success_messages = {"created": _l("Number %(name)s added to the blacklist."),
                        "saved": _l("Blacklisted number %(name)s saved."),
                        "deleted": _l("Number %(name)s removed from the blacklist.")}
    import_kind = "blacklist"

    create_capability = edit_capability = permissions.MANAGE

    column_list = ("phone", "holders", "reason", "note", "added_by", "created_at")
    column_sortable_list = ("phone", "reason", "created_at")
    column_default_sort = ("created_at", True)
    column_searchable_list = ("phone", "note")
    column_filters = ("reason", DateRangeFilter(BlacklistEntry.created_at, _l("Date")))
    column_labels = {
        "reason": _l("Reason"),
        "added_by": _l("Added by"),
        "created_at": _l("Date"),
        "phone": _l("Phone (with country code)"),
        "holders": _l("Held by"),
    }
    column_formatters = {"holders": holders_links}
    column_formatters_export = {"holders": holders_text}
    form_columns = ("phone", "reason", "note")

    def get_list(self, *args, **kwargs):
        count, data = super().get_list(*args, **kwargs)
        # One read of the page's holders, not two per row.
        g.blacklist_holders = (blacklist.holders([entry.phone for entry in data])
                               if kwargs.get("execute", True) and data else {})
        return count, data

    def on_model_change(self, form, model, is_created):
        if is_created:
            model.added_by_id = current_user.id
