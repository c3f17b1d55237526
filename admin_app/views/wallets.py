"""Wallets: stored value a customer spends at outlets. Balances change only via the ledger."""
from flask import abort, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect

from ..choices import AuditAction
from ..extensions import db
from ..filters import DateFromFilter, DateToFilter, LiveMultiChoiceFilter
from ..i18n import money, number
from ..models import Customer, DiscountCode, Wallet
from ..services import audit, ledger, permissions, sharing, wallets
from ..services.outlets import outlet_choices
from ..storable import whole_number
from . import ledger_pages
from .base import MARKET, BaseModelView, needs
from .page_urls import ReturningRowAction
from .wallet_ids import WalletIdSearch

# The add-balance page names this many of the wallets it moves money in.
NAMED_WALLETS = 20


class WalletView(WalletIdSearch, BaseModelView):
    model_class = Wallet
    menu_name = _l("Wallets")
    view_url = "wallets"
    record_nouns = (_l("wallet"), _l("wallets"))
    success_messages = {"created": _l("Wallet %(name)s created."),
                        "saved": _l("Wallet %(name)s saved."),
                        "deleted": _l("Wallet %(name)s deleted.")}
    menu_category = MARKET

    create_capability = edit_capability = permissions.MANAGE

    # The wallet, whose it is, how to reach them and its balance first: what a narrow
    # screen keeps in view.
    column_list = (
        "wallet_code", "customer", "customer.email", "balance_minor", "status", "created_at",
        "outlet", "discount_code", "sale_date", "expires_on",
    )
    # Exports keep the order spreadsheets were built on.
    column_export_list = (
        "wallet_code", "balance_minor", "created_at", "status", "outlet", "customer",
        "customer.email", "discount_code", "sale_date", "expires_on",
    )
    column_details_list = column_list + ("is_store_credit", "last_used_at", "last_used_outlet")
    column_sortable_list = ("wallet_code", "balance_minor", "created_at", "status",
                            ("outlet", "outlet.name"), "sale_date", "expires_on")
    column_default_sort = ("created_at", True)
    column_searchable_list = ("wallet_code", "customer.first_name", "customer.surname",
                              "customer.email")
    wallet_id_column = "id"  # "abcd2345" finds ABCD-2345, as in the wallet history
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

    details_template = "admin/wallet_details.html"
    action_capabilities = {"add_balance": permissions.MONEY}
    capability_row_actions = (
        (permissions.MONEY, ReturningRowAction("fa fa-plus-circle", ".add_balance_view",
                                               title=_l("Add balance"))),
    )

    def on_model_change(self, form, model, is_created):
        wallets.check_discount(model.discount_code)
        previous = inspect(model).attrs.customer.history.deleted
        ledger.wallet_changed_hands(model, previous[0].id if previous and previous[0] else None)

    def details_extras(self, model) -> dict:
        state = ledger.credit_state(model)
        return {
            "available_minor": state.available_minor,
            "expired_minor": state.expired_unspent_minor,
            "history": ledger.recent_movements(wallet=model),
            "history_url": url_for("wallet-history.index_view", search=f"={model.wallet_code}"),
            "may_move_money": self._allowed(permissions.MONEY),
            "may_share": self._allowed(permissions.EXPORT),
        }

    @expose("/add-balance/", methods=("GET", "POST"))
    @needs(permissions.MONEY)
    def add_balance_view(self):
        """One wallet, the checked ones (?id=..&id=..), or every wallet the list
        matches (?matching=all and the list's search and filters)."""
        chosen = self.selection()
        count = chosen.count
        if not count:
            abort(404)
        first = chosen.first(NAMED_WALLETS)
        if count == 1:
            wallet = first[0]
            subject = _("Wallet %(code)s of %(owner)s. Available balance: %(balance)s.",
                        code=wallet.wallet_code, owner=wallet.customer or _("no customer"),
                        balance=money(ledger.available_balance(wallet), wallet.currency))
            own_page = url_for(".details_view", id=wallet.id)
        else:
            codes = ", ".join(w.wallet_code for w in first)
            subject = _("The same movement for each of %(n)s wallets: %(codes)s.",
                        n=number(count), codes=codes + (", …" if count > len(first) else ""))
            own_page = url_for(".index_view")
        # Back where it was opened from (a row of a searched list), else its own page.
        return ledger_pages.add_balance_page(self, chosen.records, subject=subject,
                                             return_url=get_redirect_target() or own_page)

    @action("add_balance", _l("Add balance"))
    def action_add_balance(self, ids):
        return redirect(self.selection_url(".add_balance_view", ids))

    @expose("/share/", methods=("POST",))
    @needs(permissions.EXPORT)
    def share_view(self):
        """A read-only link to the wallet's summary, signed and expiring."""
        wallet = db.get_or_404(Wallet, whole_number(request.form.get("id")) or 0)
        audit.record(db.session, AuditAction.SHARE, object_type="Wallet", object_id=wallet.id,
                     summary=wallet.wallet_code)
        db.session.commit()
        return self.render("admin/share_link.html", wallet=wallet,
                           link=sharing.share_url(wallet),
                           hours=max(1, sharing.link_max_age() // 3600),
                           return_url=url_for(".details_view", id=wallet.id))

    def on_model_delete(self, model):
        wallets.ensure_deletable(model)
