"""Customers: find one in a million, see and edit what they are."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import HiddenField, SelectField
from wtforms.validators import InputRequired

from ..changes import committed_or_refused
from ..choices import OfferEventKind
from ..extensions import db
from ..filters import (
    DateRangeFilter,
    DayMonthRangeFilter,
    EventDateRangeFilter,
    LiveChoiceFilter,
    YesNoFilter,
)
from ..forms import CountryField, SecureForm
from ..i18n import exact_duration, money, number
from ..models import BlacklistEntry, Customer, CustomerGroup, OfferEvent, not_tombstones
from ..services import consent, customer_accounts, customers, ledger, notifications, permissions
from ..services.countries import country_choices
from ..services.groups import group_choices, groups_by_name
from ..storable import whole_number
from . import ledger_pages
from .base import BaseModelView, needs
from .customer_duplicates import DuplicatesPages
from .customer_erasure import ErasurePages
from .customer_merge import MergePages
from .customer_personal_data import PersonalDataPages
from .formatting import blacklist_marker, name_with_blacklist_marker
from .paging import KeyedSort


def _group(view, context, model, name):
    return model.group.name if model.group else _("None")


class CustomerView(DuplicatesPages, MergePages, PersonalDataPages, ErasurePages,
                   BaseModelView):
    model_class = Customer
    menu_name = _l("Customers")
    view_url = "customers"
    record_nouns = (_l("customer"), _l("customers"))
    success_messages = {"created": _l("Customer %(name)s created."),
                        "saved": _l("Customer %(name)s saved."),
                        "deleted": _l("Customer %(name)s deleted.")}
    import_kind = "customers"

    # Who, how to reach them and their balance first: what a narrow screen keeps in view.
    column_list = (
        "full_name", "email", "phone", "balance_minor", "postcode", "group",
        "sales_value_minor", "orders_count", "loyalty_points", "marketing_opt_in",
        "card_number", "created_at",
    )
    # First name and surname apart, and the import's columns first: an export
    # imports back unchanged (a "Customer" column cannot tell "María José" apart).
    column_export_list = (
        "first_name", "surname", "email", "phone", "postcode", "country", "birthday",
        "card_number", "group", "marketing_opt_in", "notes", "sales_value_minor",
        "orders_count", "loyalty_points", "balance_minor", "created_at",
    )
    column_sortable_list = (
        ("full_name", ("sort_name", "id")), "postcode", ("group", ("group.name", "sort_name")),
        "sales_value_minor", "orders_count", "loyalty_points", "balance_minor",
        # Yes or no, then by name: the order of the index the opt-in filter reads too.
        ("marketing_opt_in", ("marketing_opt_in", "sort_name")), "card_number", "created_at",
    )
    column_default_sort = [("sort_name", False), ("id", False)]
    # By group name, then name; customers without a group last. Read group by group
    # (through the group's index): a handful of groups, and no index holds the names.
    keyed_sorts = {"group": KeyedSort(Customer.group_id, groups_by_name,
                                      within=(Customer.sort_name,))}
    column_searchable_list = ("first_name", "surname", "email", "phone", "postcode", "card_number")
    column_filters = (
        LiveChoiceFilter(Customer.group_id, _l("Group"), group_choices, none_label=_l("None")),
        YesNoFilter(Customer.marketing_opt_in, _l("Marketing opt-in")),
        YesNoFilter(Customer.loyalty_member, _l("Loyalty member")),
        DateRangeFilter(Customer.created_at, _l("Date added")),
        DateRangeFilter(Customer.birthday, _l("Birthday")),
        DayMonthRangeFilter(Customer.birthday_month_day, _l("Birthday, any year")),
        EventDateRangeFilter(Customer.id, _l("Offer redeemed"), event_key=OfferEvent.customer_id,
                             event_date=OfferEvent.occurred_at,
                             where=OfferEvent.kind == OfferEventKind.REDEEMED),
        LiveChoiceFilter(Customer.country, _l("Country"), country_choices, coerce=str),
        YesNoFilter(Customer.is_blacklisted.expression, _l("Blacklisted"),
                    yes=Customer.phone.in_(select(BlacklistEntry.phone))),
    )
    column_details_list = (
        "first_name", "surname", "is_blacklisted", "email", "phone", "postcode", "country",
        "birthday", "card_number", "tax_id", "group", "marketing_opt_in", "loyalty_member",
        "language", "channel", "sales_value_minor", "orders_count", "loyalty_points",
        "balance_minor", "account_limit_minor", "notes", "created_at", "updated_at",
    )
    column_labels = {
        "full_name": _l("Customer"),
        "first_name": _l("First name"),
        "surname": _l("Surname"),
        "group": _l("Group"),
        "sales_value_minor": _l("Sales value"),
        "orders_count": _l("Orders"),
        "loyalty_points": _l("Loyalty points"),
        "balance_minor": _l("Balance"),
        "marketing_opt_in": _l("Marketing opt-in"),
        "loyalty_member": _l("Loyalty member"),
        "card_number": _l("Card number"),
        "tax_id": _l("Tax ID (NIF/CIF)"),
        "birthday": _l("Birthday"),
        "language": _l("Language"),
        "channel": _l("Channel"),
        "account_limit_minor": _l("Account limit"),
    }
    column_formatters = {"full_name": name_with_blacklist_marker, "group": _group}
    column_formatters_detail = {"is_blacklisted": blacklist_marker, "group": _group}

    form_columns = (
        "first_name", "surname", "email", "phone", "postcode", "country", "birthday",
        "card_number", "tax_id", "group", "marketing_opt_in", "loyalty_member", "language",
        "channel", "notes",
    )
    form_overrides = {"country": CountryField}
    # A handful of groups, named by staff: chosen from a list, not typed.
    form_args = {"group": {"query_factory": lambda: CustomerGroup.query.order_by(
        CustomerGroup.name)}}

    details_template = "admin/customer_details.html"
    action_capabilities = {"assign_group": permissions.EDIT}

    def get_query(self):
        # A merged-away customer is a tombstone: its page still answers (old links),
        # but lists, searches, exports and actions see only the customer it went into.
        return super().get_query().filter(*not_tombstones(Customer))

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        customers.ensure_changeable(model)

    def on_model_delete(self, model):
        customers.ensure_deletable(model)

    def details_extras(self, model) -> dict:
        return {
            "profile": customers.profile(model),
            # A tombstone or an erased customer takes no money (services/ledger.py): no buttons.
            "may_move_money": self._allowed(permissions.MONEY) and not (
                model.merged_into_id or model.erased_at),
            "messages": notifications.latest_for(model),
            "may_send_reset": self._allowed(permissions.EDIT),
            "may_handle_data": self._allowed(permissions.CUSTOMER_DATA),
            "may_erase": self._allowed(permissions.ERASE),
            "consents": consent.history(model, limit=20),
        }

    def _customer(self) -> Customer:
        return db.get_or_404(Customer, whole_number(request.args.get("id")) or 0)

    def _details_url(self, customer: Customer) -> str:
        return url_for(".details_view", id=customer.id)

    @expose("/add-balance/", methods=("GET", "POST"))
    @needs(permissions.MONEY)
    def add_balance_view(self):
        """Credit or debit the customer's store-credit wallet (created on first use)."""
        customer = self._customer()
        subject = _("Store credit of %(name)s. Balance: %(balance)s.", name=customer.full_name,
                    balance=money(customer.balance_minor))
        return ledger_pages.add_balance_page(
            self, lambda: [ledger.store_credit_wallet(customer)], subject=subject,
            return_url=self._details_url(customer))

    @expose("/adjust-points/", methods=("GET", "POST"))
    @needs(permissions.MONEY)
    def adjust_points_view(self):
        customer = self._customer()
        return ledger_pages.adjust_points_page(self, customer,
                                               return_url=self._details_url(customer))

    @expose("/account-limit/", methods=("GET", "POST"))
    @needs(permissions.MONEY)
    def account_limit_view(self):
        customer = self._customer()
        return ledger_pages.account_limit_page(self, customer,
                                               return_url=self._details_url(customer))

    @expose("/password-reset/", methods=("GET", "POST"))
    @needs(permissions.EDIT)
    def password_reset_view(self):
        """Email the customer a link to set a new online-store password (asked first)."""
        customer = self._customer()
        email = customer_accounts.masked_email(customer.email)
        form = SecureForm()
        if request.method == "POST" and form.validate():
            with committed_or_refused() as outcome:
                customer_accounts.request_password_reset(customer, actor=current_user)
            if outcome.committed:
                flash(_("A password reset link was sent to %(email)s.", email=email), "success")
                return redirect(self._details_url(customer))
        status = 400 if request.method == "POST" else 200
        return self.render("admin/password_reset.html", form=form, customer=customer,
                           email=email, validity=exact_duration(customer_accounts.max_age()),
                           cancel_url=self._details_url(customer)), status

    @action("assign_group", _l("Assign a group"))
    def action_assign_group(self, ids):
        # The list the user came from (its search and filters) is where they go back to.
        back = get_redirect_target() or url_for(".index_view")
        return redirect(self.selection_url(".assign_group_view", ids, url=back))

    @expose("/assign-group/", methods=("GET", "POST"))
    @needs(permissions.EDIT)
    def assign_group_view(self):
        """Move the checked customers, or every customer the list matches, to a group:
        the group is chosen first, then the move is confirmed with both named."""
        chosen = self.selection()
        count = chosen.count
        if not count:
            abort(404)
        form = AssignGroupForm()
        # Nothing is chosen for the user: "No group" is a choice like any group.
        form.group.choices = [("", _("Choose a group")), (NO_GROUP, _("No group"))] + [
            (str(i), n) for i, n in group_choices()]
        return_url = get_redirect_target() or url_for(".index_view")
        question = None
        if request.method == "POST" and form.validate():
            group = (None if form.group.data == NO_GROUP
                     else db.session.get(CustomerGroup, int(form.group.data)))
            if form.group.data != NO_GROUP and group is None:
                form.group.errors.append(_("This group no longer exists."))
            elif not form.confirmed.data:
                question = customers.assign_group_question(int(count), group)
            else:
                with committed_or_refused() as outcome:
                    moved = customers.assign_group(chosen.ids(), group)
                if outcome.committed:
                    flash(customers.assign_group_done(moved, group), "success")
                    return redirect(return_url)
        subject = ngettext("%(count)s customer selected.", "%(count)s customers selected.",
                           int(count), count=number(count))
        status = 400 if request.method == "POST" and question is None else 200
        return self.render("admin/assign_group.html", form=form, subject=subject,
                           question=question, cancel_url=return_url), status


# The select's value for "take them out of their group".
NO_GROUP = "none"


class AssignGroupForm(SecureForm):
    group = SelectField(_l("Group"), validate_choice=True,
                        validators=[InputRequired(_l("Choose a group, or “No group”."))])
    # Set by the confirmation step: the first submit only asks.
    confirmed = HiddenField()
