"""Erasing a customer's personal data on request: checked, confirmed, reported.

Step 1 shows what goes and what stays, or why it cannot be done now; step 2 the
admin types the customer's email (their full name when they have none) and
submits; the answer is the erasure report.
"""
from flask import request
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import InputRequired

from ..changes import committed_or_refused
from ..forms import SecureForm
from ..services import erasure, permissions
from .base import needs

TEMPLATE = "admin/customer_erasure.html"

# What the erasure removes or replaces, as the report names it.
REMOVED = {
    "merged_customers": _l("Customers merged into this one, erased with it"),
    "addresses": _l("Addresses deleted"),
    "wishlist_items": _l("Wishlist items deleted"),
    "messages": _l("Messages: recipient, subject and text replaced by “erased”"),
    "guests": _l("Guest records of the same person: name, email and phone erased"),
    "blacklist_entries": _l("Blacklist entries for their phone deleted"),
    "duplicate_entries": _l("Entries in the duplicates list deleted"),
    "import_rows": _l("Rows kept by imports deleted"),
    "import_files": _l("Imported files that named them deleted"),
    "import_changes": _l("Import records of their changes: values replaced by “erased”"),
    "audit_events": _l("Audit trail events: before/after values replaced by “erased”"),
}
# What stays, and why.
KEPT = {
    "orders": (_l("Orders"), _l("Amounts and dates, for the accounts.")),
    "wallet_movements": (_l("Wallet movements"), _l(
        "Amounts and dates: the ledger is never rewritten, every balance is the sum of its "
        "movements. Reasons typed by staff are kept as typed.")),
    "loyalty_movements": (_l("Loyalty points movements"), _l(
        "Points and dates: the ledger is never rewritten. Reasons typed by staff are kept "
        "as typed.")),
    "invoices": (_l("Invoices"), _l(
        "With the billing name, tax ID and address they were issued to: invoices are kept "
        "for the tax authority for at least 4 years (Ley General Tributaria, arts. 66 and "
        "70) and the accounting records for 6 (Código de Comercio, art. 30).")),
    "offer_events": (_l("Offer events"), _l("An offer and a date: nothing personal.")),
}


class ErasureForm(SecureForm):
    confirmation = StringField(validators=[InputRequired(_l(
        "Type the customer's email, or their full name if they have none."))])


class ErasurePages:
    """Mixed into the customers' view: /admin/customers/erase/?id=N."""

    @expose("/erase/", methods=("GET", "POST"))
    @needs(permissions.ERASE)
    def erase_view(self):
        customer = self._customer()
        back = self._details_url(customer)
        form = ErasureForm()
        refusals = erasure.refusals(customer)
        status = 200
        if request.method == "POST" and not refusals and form.validate():
            if not erasure.confirms(customer, form.confirmation.data):
                form.confirmation.errors.append(
                    _("This is not the customer's email: nothing was erased.") if customer.email
                    else _("This is not the customer's full name: nothing was erased."))
            else:
                with committed_or_refused() as outcome:
                    report = erasure.erase(customer, current_user)
                if outcome.committed:
                    erasure.write_out()
                    return self.render(TEMPLATE, customer=customer, report=report,
                                       removed=REMOVED, kept=KEPT, back=back)
                refusals = erasure.refusals(customer)
        if request.method == "POST":
            status = 400
        preview = None if refusals else erasure.preview(customer)
        return self.render(TEMPLATE, customer=customer, refusals=refusals, preview=preview,
                           form=form, removed=REMOVED, kept=KEPT,
                           back=back), status
