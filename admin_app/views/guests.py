"""Guests: people who bought without registering."""
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..filters import DateRangeFilter, YesNoFilter
from ..models import Guest, Order
from ..services import permissions
from ..services.customers import PROFILE_ROWS
from ..services.orders import recent_orders
from .base import BaseModelView
from .formatting import blacklist_marker, name_with_blacklist_marker
from .guest_conversion import GuestConversionPages


def _name(view, context, model, name):
    """The name with its markers: blacklisted, and made a customer (a link to them)."""
    shown = name_with_blacklist_marker(view, context, model, name)
    if model.customer_id is None:
        return shown
    return Markup('{} <a class="badge badge-info" href="{}">{}</a>').format(
        shown, url_for("customers.details_view", id=model.customer_id), _("Made a customer"))


class GuestView(GuestConversionPages, BaseModelView):
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
    column_filters = (DateRangeFilter(Guest.created_at, _l("Date added")),
                      YesNoFilter(Guest.customer_id.is_not(None), _l("Made a customer")))
    column_labels = {"orders_count": _l("Orders")}
    column_formatters = {"name": _name}
    column_formatters_detail = {"is_blacklisted": blacklist_marker}
    form_columns = ("name", "email", "phone")
    list_template = "admin/guest_list.html"
    details_template = "admin/guest_details.html"

    def details_extras(self, model) -> dict:
        orders, total = recent_orders(Order.guest_id, model.id, PROFILE_ROWS)
        return {"orders": orders, "orders_total": total,
                "may_make_customer": self._allowed(permissions.EDIT)}

    @property
    def may_attach_by_email(self) -> bool:
        return self._allowed(permissions.CUSTOMER_DATA)
