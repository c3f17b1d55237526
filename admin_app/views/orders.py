"""Orders: every sale, by a customer or a guest, tracked from placed to delivered.

Sales arrive from the tills and the web shop; here staff find them and move
their status on. An order is never created or deleted by hand.
"""
from flask import flash, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..choices import OrderStatus
from ..extensions import db
from ..filters import DateRangeFilter, IntegerEqualFilter, LiveMultiChoiceFilter
from ..i18n import money, number
from ..models import Customer, Order
from ..services import orders
from ..services.errors import DomainError
from ..services.outlets import outlet_choices
from .base import BaseModelView
from .formatting import name_with_blacklist_marker
from .searching import typed_phone


def buyer_link(view, context, model, name):
    """The customer, or the guest marked as such, linked to their page."""
    buyer = model.buyer
    if buyer is None:
        return ""
    endpoint = "customers" if isinstance(buyer, Customer) else "guests"
    shown = name_with_blacklist_marker(view, context, buyer, name)
    link = Markup('<a href="{}">{}</a>').format(
        url_for(f"{endpoint}.details_view", id=buyer.id), shown)
    if endpoint == "guests":
        link += Markup(' <span class="badge badge-light">{}</span>').format(_("Guest"))
    return link


def lines_table(view, context, model, name):
    """What was sold: product, SKU, quantity, unit price and line total."""
    rows = Markup("").join(
        Markup('<tr><td>{}</td><td>{}</td><td class="text-right">{}</td>'
               '<td class="text-right">{}</td><td class="text-right">{}</td></tr>').format(
            line.product, line.sku, number(line.quantity),
            money(line.unit_price_minor, model.currency),
            money(line.line_total_minor, model.currency))
        for line in model.lines)
    head = Markup("").join(Markup("<th>{}</th>").format(label) for label in (
        _("Product"), _("SKU"), _("Quantity"), _("Unit price"), _("Line total")))
    return Markup('<table class="table table-sm mb-0"><thead><tr>{}</tr></thead>'
                  '<tbody>{}</tbody></table>').format(head, rows)


def _buyer_text(view, context, model, name):
    return str(model.buyer or "")


class OrderView(BaseModelView):
    model_class = Order
    menu_name = _l("Orders")
    view_url = "orders"
    record_nouns = (_l("order"), _l("orders"))
    success_messages = {"created": _l("Order %(name)s created."),
                        "saved": _l("Order %(name)s saved."),
                        "deleted": _l("Order %(name)s deleted.")}

    allow_create = False
    allow_delete = False

    column_list = ("sale_code", "buyer", "outlet", "order_type", "created_at", "total_minor",
                   "status")
    column_details_list = column_list + ("lines",)
    column_export_list = ("sale_code", "buyer", "outlet", "order_type", "created_at",
                          "total_minor", "status")
    column_select_related_list = (Order.customer, Order.guest, Order.outlet)
    column_sortable_list = ("sale_code", ("outlet", "outlet.name"), "order_type", "created_at",
                            "total_minor", "status")
    column_default_sort = ("created_at", True)
    column_searchable_list = ("sale_code",)
    column_filters = (
        "status",
        "order_type",
        LiveMultiChoiceFilter(Order.outlet_id, _l("Outlet"), outlet_choices),
        DateRangeFilter(Order.created_at, _l("Date")),
        # From "see all" on a customer's or guest's page.
        IntegerEqualFilter(Order.customer_id, _l("Customer number")),
        IntegerEqualFilter(Order.guest_id, _l("Guest number")),
    )
    column_labels = {
        "sale_code": _l("Sale code"),
        "buyer": _l("Customer or guest"),
        "order_type": _l("Order type"),
        "created_at": _l("Date"),
        "total_minor": _l("Total"),
        "lines": _l("Lines"),
    }
    column_formatters = {"buyer": buyer_link}
    column_formatters_detail = {"buyer": buyer_link, "lines": lines_table}
    column_formatters_export = {"buyer": _buyer_text}

    # Order tracking: the status moves on; what was sold stays as the till sent it.
    form_columns = ("status",)
    # Shows the sale (code, buyer, total, lines) above the status.
    edit_template = "admin/order_edit.html"

    def edit_form(self, obj=None):
        """The status offers the order's own and those it may move to; anything
        else posted reaches the service, which refuses it naming both statuses."""
        form = super().edit_form(obj)
        if obj is not None:
            allowed = (obj.status, *orders.next_statuses(obj.status))
            form.status.choices = [(s, OrderStatus.label(s)) for s in allowed]
            form.status.validate_choice = False
        return form

    def update_model(self, form, model) -> bool:
        # The status moves through the service, not Flask-Admin's populate_obj; the
        # named success message is kept as every other view has it.
        try:
            orders.move_status(model, form.status.data)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
            return False
        self.after_model_change(form, model, False)
        self._name_success("saved", str(model))
        return True

    def sale_summary(self, order: Order) -> list[tuple[str, Markup | str]]:
        """What the edit page shows of the sale being tracked."""
        return [
            (_("Sale code"), order.sale_code),
            (_("Customer or guest"), buyer_link(self, None, order, "buyer")),
            (_("Total"), money(order.total_minor, order.currency)),
            (_("Lines"), lines_table(self, None, order, "lines")),
        ]

    def _search_condition(self, query, joins, search_text: str):
        """A sale code or its beginning in any case, or the buyer's name, email or
        phone: each through its own index (services.orders.search_condition)."""
        dialect = db.session.get_bind().dialect.name
        return query, joins, orders.search_condition(search_text, typed_phone(search_text),
                                                     dialect)

    def search_placeholder(self) -> str:
        return str(_l("Sale code, or the buyer's name, email or phone"))
