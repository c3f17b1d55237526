"""Wallet history: every movement of every wallet, read-only (the ledger is append-only)."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from ..choices import MovementReason
from ..filters import DateRangeFilter, IntegerEqualFilter, LiveMultiChoiceFilter, SignFilter
from ..models import Wallet, WalletTransaction
from ..services.outlets import outlet_choices
from .base import MARKET, BaseModelView
from .wallet_ids import WalletIdSearch


def _direction(view, context, model, name):
    return _("Credit") if model.amount_minor > 0 else _("Debit")


def movement_reason(view, context, model, name):
    """A reason the system gave, in the reader's language; one staff typed, as typed."""
    return MovementReason.label(model.reason)


class WalletHistoryView(WalletIdSearch, BaseModelView):
    model_class = WalletTransaction
    menu_name = _l("Wallet history")
    view_url = "wallet-history"
    record_nouns = (_l("wallet movement"), _l("wallet movements"))
    menu_category = MARKET
    allow_create = allow_edit = allow_delete = False

    column_list = (
        "wallet.customer", "wallet.customer.email", "wallet.customer.phone", "wallet",
        "amount_minor", "direction", "kind", "reason", "actor", "created_at",
        "balance_after_minor",
    )
    column_details_list = column_list + ("credit_expires_on", "outlet", "order",
                                         "customer_notified", "idempotency_key")
    column_sortable_list = ("amount_minor", "kind", "created_at")
    column_default_sort = [("created_at", True), ("id", True)]
    column_searchable_list = ("wallet.wallet_code", "wallet.customer.first_name",
                              "wallet.customer.surname", "wallet.customer.email")
    wallet_id_column = "wallet_id"  # "abcd2345" finds ABCD-2345
    column_filters = (
        DateRangeFilter(WalletTransaction.created_at, _l("Date")),
        "kind",
        SignFilter(WalletTransaction.amount_minor, _l("Direction"),
                   positive=_l("Credit"), negative=_l("Debit")),
        LiveMultiChoiceFilter(WalletTransaction.outlet_id, _l("Outlet"), outlet_choices),
        IntegerEqualFilter(Wallet.customer_id, _l("Customer number")),
    )
    column_labels = {
        "wallet.customer": _l("Customer"),
        "wallet.customer.email": _l("Email"),
        "wallet.customer.phone": _l("Phone"),
        "wallet.customer.first_name": _l("First name"),
        "wallet.customer.surname": _l("Surname"),
        "wallet.wallet_code": _l("Wallet ID"),
        "wallet": _l("Wallet ID"),
        "amount_minor": _l("Amount"),
        "direction": _l("Credit or debit"),
        "kind": _l("Kind"),
        "reason": _l("Reason"),
        "actor": _l("By"),
        "created_at": _l("When"),
        "balance_after_minor": _l("Balance after"),
        "credit_expires_on": _l("Credit expires on"),
        "order": _l("Order"),
        "customer_notified": _l("Customer notified"),
        "idempotency_key": _l("Submission key"),
    }
    column_formatters = {"direction": _direction, "reason": movement_reason}
    column_formatters_detail = {"reason": movement_reason}
    column_formatters_export = {"direction": _direction, "reason": movement_reason}

    def get_query(self):
        # The customer behind each row's wallet comes with the page, not one query a row.
        return super().get_query().options(
            joinedload(WalletTransaction.wallet).joinedload(Wallet.customer),
            joinedload(WalletTransaction.actor),
        )
