"""On account: sales customers pay later, their invoices, and each invoice's PDF.

Invoices are never edited or deleted: a new one is issued by the invoices
service, and an unpaid one is marked paid or voided with the list's actions.
"""
from __future__ import annotations

import io

from flask import flash, redirect, send_file, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from wtforms.validators import DataRequired, InputRequired, Optional

from ..changes import committed_or_refused
from ..extensions import db
from ..filters import DateRangeFilter
from ..forms import LocaleDateField, MoneyField
from ..models import Customer, Invoice, Order
from ..services import invoices, permissions
from ..services.errors import DomainError
from ..services.invoice_pdf import pdf_filename, render_invoice_pdf
from ..storable import record_ids
from .base import BaseModelView, needs


def _number(view, context, model, name):
    return str(model)


def _pdf_link(view, context, model, name):
    return Markup('<a href="{}" target="_blank" rel="noopener">{}</a>').format(
        url_for("invoices.pdf_view", invoice_id=model.id), _("Invoice PDF"))


class InvoiceView(BaseModelView):
    model_class = Invoice
    menu_name = _l("On account")
    view_url = "invoices"
    record_nouns = (_l("invoice"), _l("invoices"))
    success_messages = {"created": _l("Invoice %(name)s created."),
                        "saved": _l("Invoice %(name)s saved."),
                        "deleted": _l("Invoice %(name)s deleted.")}

    create_capability = edit_capability = permissions.MONEY
    allow_edit = False
    allow_delete = False  # numbers are never reused: void instead
    action_capabilities = {"mark_paid": permissions.MONEY, "void": permissions.MONEY}

    column_list = ("number", "customer", "order", "issued_on", "due_on", "amount_minor",
                   "status", "pdf")
    column_details_list = ("number", "customer", "customer.email", "order", "issued_on",
                           "due_on", "amount_minor", "status", "pdf")
    column_export_list = ("number", "customer", "customer.email", "order", "issued_on",
                          "due_on", "amount_minor", "currency", "status")
    column_sortable_list = ("number", "issued_on", "due_on", "amount_minor", "status")
    column_default_sort = ("number", True)
    # A number typed alone finds that invoice (see _search_condition).
    column_searchable_list = ("customer.first_name", "customer.surname", "customer.email")
    column_filters = (
        "status",
        sqla_filters.IntEqualFilter(Invoice.customer_id, _l("Customer ID")),
        DateRangeFilter(Invoice.issued_on, _l("Issue date")),
        DateRangeFilter(Invoice.due_on, _l("Due date")),
    )
    column_labels = {
        "number": _l("Invoice number"),
        "order": _l("Order"),
        "issued_on": _l("Issue date"),
        "due_on": _l("Due date"),
        "amount_minor": _l("Amount"),
        "pdf": _l("Invoice PDF"),
        "customer.email": _l("Customer email"),
        "customer.first_name": _l("First name"),
        "customer.surname": _l("Surname"),
    }
    column_formatters = {"number": _number, "pdf": _pdf_link}
    column_formatters_detail = {"number": _number, "pdf": _pdf_link}
    column_formatters_export = {"number": _number}

    # The "new on-account sale" form; its save goes through the invoices service.
    form_columns = ("customer", "amount", "order", "due_on")
    form_extra_fields = {
        # InputRequired, not DataRequired: that one would replace the parser's message.
        "amount": MoneyField(_l("Amount"), validators=[InputRequired()]),
        "due_on": LocaleDateField(_l("Due date"), validators=[Optional()],
                                  description=_l("Leave empty for 30 days from today.")),
    }
    form_args = {"customer": {"validators": [DataRequired()]}}
    form_ajax_refs = {
        "customer": {"fields": (Customer.surname, Customer.first_name, Customer.email),
                     "page_size": 10, "placeholder": _l("Type a name or email")},
        "order": {"fields": (Order.sale_code,), "page_size": 10,
                  "placeholder": _l("Type a sale code")},
    }

    def create_model(self, form):
        with committed_or_refused() as outcome:
            invoice = invoices.create_on_account_sale(
                form.customer.data, form.amount.data, actor=self._actor(),
                order=form.order.data, due_on=form.due_on.data)
        if not outcome.committed:
            return False
        self._name_success("created", str(invoice))
        return invoice

    # -- search: a number finds its invoice, words find customers ---------------
    def _search_condition(self, query, joins, search: str):
        number = invoices.typed_number(search)
        if number is not None:
            return query, joins, Invoice.number == number
        return super()._search_condition(query, joins, search)

    def search_placeholder(self) -> str:
        return ", ".join((str(_l("Invoice number")), super().search_placeholder() or ""))

    # -- actions ------------------------------------------------------------------
    @action("mark_paid", _l("Mark paid"), _l("Mark the selected invoices as paid?"))
    def action_mark_paid(self, ids):
        with committed_or_refused() as outcome:
            changed = invoices.mark_each_paid(record_ids(ids), actor=self._actor())
        if outcome.committed and changed:
            flash(ngettext("%(num)d invoice marked as paid.",
                           "%(num)d invoices marked as paid.", changed), "success")

    @action("void", _l("Void invoices"),
            _l("Void the selected invoices? Their numbers stay taken."))
    def action_void(self, ids):
        with committed_or_refused() as outcome:
            changed = invoices.void_each(record_ids(ids), actor=self._actor())
        if outcome.committed and changed:
            flash(ngettext("%(num)d invoice voided.", "%(num)d invoices voided.", changed),
                  "success")

    @staticmethod
    def _actor():
        return current_user._get_current_object()

    # -- the PDF --------------------------------------------------------------------
    @expose("/<int:invoice_id>/pdf")
    @needs(permissions.VIEW)
    def pdf_view(self, invoice_id: int):
        invoice = db.get_or_404(Invoice, invoice_id)
        try:
            document = render_invoice_pdf(invoice)
        except DomainError as error:  # the seller's settings are missing
            flash(str(error), "error")
            return redirect(url_for(".index_view"))
        response = send_file(io.BytesIO(document),
                             mimetype="application/pdf", download_name=pdf_filename(invoice))
        response.headers["Cache-Control"] = "private, no-store"  # personal data
        return response
