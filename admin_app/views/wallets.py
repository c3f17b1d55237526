"""Wallets: stored value a customer spends at outlets. Balances change only via the ledger."""
from flask_babel import lazy_gettext as _l

from ..filters import DateFromFilter, DateToFilter, LiveMultiChoiceFilter
from ..models import Customer, DiscountCode, Wallet
from ..services import permissions, wallets
from ..services.outlets import outlet_choices
from .base import BaseModelView


class WalletView(BaseModelView):
    model_class = Wallet
    menu_name = _l("Wallets")
    view_url = "wallets"

    create_capability = edit_capability = permissions.MANAGE

    column_list = (
        "wallet_code", "balance_minor", "created_at", "status", "outlet", "customer",
        "customer.email", "discount_code", "sale_date", "expires_on",
    )
    column_details_list = column_list + ("is_store_credit", "last_used_at", "last_used_outlet")
    column_sortable_list = ("wallet_code", "balance_minor", "created_at", "status",
                            ("outlet", "outlet.name"), "sale_date", "expires_on")
    column_default_sort = ("created_at", True)
    column_searchable_list = ("wallet_code", "customer.first_name", "customer.surname",
                              "customer.email")
    column_filters = (
        DateFromFilter(Wallet.created_at, _l("Created")),
        DateToFilter(Wallet.created_at, _l("Created")),
        LiveMultiChoiceFilter(Wallet.outlet_id, _l("Outlet"), outlet_choices),
        "status",
    )
    column_labels = {
        "wallet_code": _l("Wallet ID"),
        "balance_minor": _l("Balance"),
        "created_at": _l("Created"),
        "customer": _l("Customer"),
        "customer.email": _l("Customer email"),
        "customer.first_name": _l("First name"),
        "customer.surname": _l("Surname"),
        "discount_code": _l("Discount"),
        "sale_date": _l("Sale date"),
        "expires_on": _l("Expiration date"),
        "is_store_credit": _l("Store credit"),
        "last_used_at": _l("Last used"),
        "last_used_outlet": _l("Last used at"),
    }
    form_columns = ("customer", "outlet", "status", "discount_code", "sale_date", "expires_on")
    # A million customers: pick one by typing, never from a full dropdown.
    form_ajax_refs = {
        "customer": {"fields": (Customer.surname, Customer.first_name, Customer.email),
                     "page_size": 10, "placeholder": _l("Type a name or email")},
    }
    form_args = {
        "discount_code": {
            "query_factory": lambda: DiscountCode.query.filter_by(available_in_wallet=True)
            .order_by(DiscountCode.code),
        },
    }

    def on_model_change(self, form, model, is_created):
        wallets.check_discount(model.discount_code)

    def on_model_delete(self, model):
        wallets.ensure_deletable(model)
