"""Guests: people who bought without registering."""
from flask_babel import lazy_gettext as _l

from ..filters import DateRangeFilter
from ..models import Guest, Order
from ..services.customers import PROFILE_ROWS
from ..services.orders import recent_orders
from .base import BaseModelView
from .formatting import blacklist_marker, name_with_blacklist_marker


class GuestView(BaseModelView):
    model_class = Guest
    menu_name = _l("Guests")
    view_url = "guests"
    record_nouns = (_l("guest"), _l("guests"))
    success_messages = {"created": _l("Guest %(name)s created."),
                        "saved": _l("Guest %(name)s saved."),
                        "deleted": _l("Guest %(name)s deleted.")}
    import_kind = "guests"

    column_list = ("name", "email", "phone", "created_at", "orders_count")
    column_details_list = ("name", "is_blacklisted", "email", "phone", "created_at", "orders_count")
    column_sortable_list = ("name", "created_at", "orders_count")
    column_default_sort = ("created_at", True)
    column_searchable_list = ("name", "email", "phone")
    column_filters = (DateRangeFilter(Guest.created_at, _l("Date added")),)
    column_labels = {"orders_count": _l("Orders")}
    column_formatters = {"name": name_with_blacklist_marker}
    column_formatters_detail = {"is_blacklisted": blacklist_marker}
    form_columns = ("name", "email", "phone")
    details_template = "admin/guest_details.html"

    def details_extras(self, model) -> dict:
        orders, total = recent_orders(Order.guest_id, model.id, PROFILE_ROWS)
        return {"orders": orders, "orders_total": total}
