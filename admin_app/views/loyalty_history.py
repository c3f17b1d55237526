"""Loyalty history: every points movement of every customer, read-only."""
from flask_babel import lazy_gettext as _l

from ..filters import DateRangeFilter, IntegerEqualFilter, SignFilter
from ..models import LoyaltyTransaction
from .base import BaseModelView
from .wallet_history import movement_reason


class LoyaltyHistoryView(BaseModelView):
    model_class = LoyaltyTransaction
    menu_name = _l("Loyalty history")
    view_url = "loyalty-history"
    record_nouns = (_l("points movement"), _l("points movements"))
    allow_create = allow_edit = allow_delete = False

    column_list = ("customer", "customer.email", "points", "kind", "reason", "actor",
                   "created_at", "balance_after")
    column_details_list = column_list + ("idempotency_key",)
    column_sortable_list = ("points", "kind", "created_at")
    column_default_sort = [("created_at", True), ("id", True)]
    column_searchable_list = ("customer.first_name", "customer.surname", "customer.email",
                              "customer.card_number")
    column_filters = (
        DateRangeFilter(LoyaltyTransaction.created_at, _l("Date")),
        "kind",
        SignFilter(LoyaltyTransaction.points, _l("Direction"),
                   positive=_l("Added"), negative=_l("Removed")),
        IntegerEqualFilter(LoyaltyTransaction.customer_id, _l("Customer number")),
    )
    column_labels = {
        "customer.email": _l("Email"),
        "customer.first_name": _l("First name"),
        "customer.surname": _l("Surname"),
        "customer.card_number": _l("Card number"),
        "points": _l("Points"),
        "kind": _l("Kind"),
        "reason": _l("Reason"),
        "actor": _l("By"),
        "created_at": _l("When"),
        "balance_after": _l("Points after"),
        "idempotency_key": _l("Submission key"),
    }
    column_formatters = column_formatters_detail = column_formatters_export = {
        "reason": movement_reason}
