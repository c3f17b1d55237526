"""Merging customers: a preview of exactly what happens, then the merge.

/admin/customers/merge/?ids=A finds the customers to add (the customers' own fast
search); ?ids=A,B[,C...] previews the merge into the customer to keep (``survivor``,
the oldest unless another is chosen); the confirmation posts the preview's
fingerprint, so a change in between refuses the merge and shows the new preview.
"""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..changes import committed_or_refused
from ..choices import Channel, Language
from ..database import dialect
from ..extensions import db
from ..forms import SecureForm
from ..i18n import day
from ..models import Customer, CustomerGroup, current_customers
from ..services import merging, permissions
from ..services import search as search_service
from ..services.countries import country_name
from ..storable import whole_number
from .base import needs
from .searching import typed_phone

TEMPLATE = "admin/customer_merge.html"
# Matches the search offers to add to the merge.
MATCHES = 10

FIELD_LABELS = {
    "first_name": _l("First name"), "surname": _l("Surname"), "email": _l("Email"),
    "phone": _l("Phone"), "postcode": _l("Postcode"), "country": _l("Country"),
    "birthday": _l("Birthday"), "card_number": _l("Card number"),
    "tax_id": _l("Tax ID (NIF/CIF)"), "group_id": _l("Group"),
    "marketing_opt_in": _l("Marketing opt-in"), "loyalty_member": _l("Loyalty member"),
    "language": _l("Language"), "channel": _l("Channel"), "notes": _l("Notes"),
}
# What moves, in the order the preview lists it.
MOVED_LABELS = {
    "orders": _l("Orders"), "invoices": _l("On-account invoices"),
    "addresses": _l("Addresses"), "wishlist": _l("Wishlist items"),
    "offer_events": _l("Offers"), "messages": _l("Messages"),
    "import_changes": _l("Import records"), "consent_changes": _l("Consent log entries"),
    "guests": _l("Guests linked"), "tombstones": _l("Customers merged into them before"),
}


def shown_value(name: str, value) -> str:
    """A field's value as the customer's page shows it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name == "group_id":
        group = db.session.get(CustomerGroup, value)
        return group.name if group else _("None")
    if name == "country":
        return country_name(value)
    if name == "birthday":
        return day(value)
    if name == "language":
        return Language.label(value)
    if name == "channel":
        return Channel.label(value)
    return str(value)


def _ids_text(ids: list[int]) -> str:
    return ",".join(str(i) for i in ids)


def search_matches(typed: str, chosen: list[int]) -> list[Customer]:
    """Up to MATCHES customers the search finds, the chosen ones, tombstones and
    erased customers left out, by name."""
    words = search_service.words(typed)
    if not words or len(words) > search_service.MAX_WORDS:
        return []
    query = (select(Customer)
             .where(search_service.matches(Customer, " ".join(words), typed_phone(typed),
                                           dialect()),
                    *current_customers(),
                    Customer.id.not_in(chosen or [0]))
             .order_by(Customer.sort_name, Customer.id).limit(MATCHES))
    return list(db.session.scalars(query))


def chosen_values(form_data) -> dict[str, int]:
    """field -> customer id, from the preview's radio buttons (``value-<field>``)."""
    chosen = {}
    for name in merging.FIELDS:
        typed = form_data.get(f"value-{name}")
        customer_id = whole_number(typed)
        if customer_id is not None:
            chosen[name] = customer_id
        elif typed:  # not a customer's number: refused, never read as "the default"
            chosen[name] = 0
    return chosen


class MergePages:
    """Mixed into the customers' view: /admin/customers/merge/?ids=A,B[,C...]."""

    @expose("/merge/", methods=("GET", "POST"))
    @needs(permissions.CUSTOMER_DATA)
    def merge_view(self):
        try:
            ids = merging.parse_ids(request.args.get("ids"))
            customers = merging.customers_for(ids)
        except merging.MergeError as refusal:
            flash(str(refusal), "error")
            return self.render(TEMPLATE, plan=None, customers=[], ids="", matches=None,
                               typed="", **self._merge_texts()), 400
        ids_text = _ids_text([c.id for c in customers])
        # Another customer may be added at any step: the matches link to ids + theirs.
        typed = (request.args.get("q") or "").strip()[:200]
        matches = search_matches(typed, [c.id for c in customers]) if typed else None
        if len(customers) < 2:
            return self.render(TEMPLATE, plan=None, customers=customers, ids=ids_text,
                               matches=matches, typed=typed, **self._merge_texts())
        form = SecureForm()
        status = 200
        survivor_id = whole_number(request.values.get("survivor"))
        if request.method == "POST":
            status = 400
            if not form.validate():
                flash(_("This form has expired; check the preview and confirm again."),
                      "error")
            else:
                survivor = next((c for c in customers if c.id == survivor_id), None)
                others = [c for c in customers if c is not survivor]
                with committed_or_refused() as outcome:
                    if survivor is None:
                        raise merging.MergeError(_(
                            "The customer to keep must be one of the customers merged."))
                    merged = merging.merge(survivor, others, chosen_values(request.form),
                                           actor=current_user,
                                           expected=request.form.get("fingerprint", ""))
                    message = merging.merged_message(merged)
                if outcome.committed:
                    flash(message, "success")
                    return redirect(url_for(".details_view", id=survivor_id))
                status = 409
                # The refusal is shown over a new preview, read as things are now.
                try:
                    customers = merging.customers_for(ids)
                except merging.MergeError as refusal:
                    flash(str(refusal), "error")
                    return self.render(TEMPLATE, plan=None, customers=[], ids="",
                                       matches=None, typed="", **self._merge_texts()), 400
        if survivor_id not in {c.id for c in customers}:
            survivor_id = None
        plan = merging.plan(customers, survivor_id)
        # A refused confirmation shows the new preview with the values the operator
        # chose still chosen (under whichever customer now shows each): confirming
        # again must not quietly keep the proposed ones instead.
        picked = chosen_values(request.form) if request.method == "POST" else {}
        return self.render(TEMPLATE, plan=plan, customers=customers, ids=ids_text,
                           form=form, matches=matches, typed=typed, picked=picked,
                           **self._merge_texts()), status

    def _merge_texts(self) -> dict:
        return {"field_labels": FIELD_LABELS, "moved_labels": MOVED_LABELS,
                "shown_value": shown_value, "add_ids": _ids_text,
                "cancel_url": url_for(".index_view")}
