"""Blacklist: phone numbers that staff must not serve."""
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..filters import DateRangeFilter
from ..models import BlacklistEntry
from ..services import permissions
from .base import BaseModelView


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

    column_list = ("phone", "reason", "note", "added_by", "created_at")
    column_sortable_list = ("phone", "reason", "created_at")
    column_default_sort = ("created_at", True)
    column_searchable_list = ("phone", "note")
    column_filters = ("reason", DateRangeFilter(BlacklistEntry.created_at, _l("Date")))
    column_labels = {
        "reason": _l("Reason"),
        "added_by": _l("Added by"),
        "created_at": _l("Date"),
        "phone": _l("Phone (with country code)"),
    }
    form_columns = ("phone", "reason", "note")

    def on_model_change(self, form, model, is_created):
        if is_created:
            model.added_by_id = current_user.id
