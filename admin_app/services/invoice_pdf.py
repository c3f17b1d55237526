"""An invoice as a PDF, in the current user's language.

Fonts: fpdf2's built-in fonts only encode Latin-1, which has no euro sign. The
PDF embeds (a subset of) Source Sans Pro, a TrueType font with the euro sign,
every Spanish letter and most European alphabets, shipped by the
``font-source-sans-pro`` package from PyPI, so no system font is needed.
"""
from __future__ import annotations

from importlib.resources import files

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from ..choices import InvoiceStatus
from ..i18n import day, money
from ..models import Address, Customer, Invoice
from .countries import country_name

FONT = "SourceSans"
FONT_FILES = {"": "SourceSansPro-Regular.ttf", "B": "SourceSansPro-Bold.ttf"}
GREY = (110, 110, 110)


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice's PDF: business, number, dates, customer, order lines, total, status."""
    pdf = _new_document(invoice)
    _header(pdf, invoice)
    _parties(pdf, invoice)
    _lines(pdf, invoice)
    _totals(pdf, invoice)
    return bytes(pdf.output())


def business_name() -> str:
    config = current_app.config
    return config.get("BUSINESS_NAME") or config.get("ADMIN_NAME") or "Backoffice"


def pdf_filename(invoice: Invoice) -> str:
    return f"invoice-{invoice}.pdf"


# -- sections ---------------------------------------------------------------------------

def _new_document(invoice: Invoice) -> FPDF:
    pdf = FPDF(format="A4")
    font_dir = files("font_source_sans_pro") / "files"
    for style, filename in FONT_FILES.items():
        pdf.add_font(FONT, style, str(font_dir / filename))
    pdf.set_title(_("Invoice %(number)s", number=str(invoice)))
    pdf.set_author(business_name())
    pdf.set_lang(str(get_locale() or "en"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    return pdf


def _header(pdf: FPDF, invoice: Invoice) -> None:
    pdf.set_font(FONT, "B", 18)
    pdf.cell(0, 9, business_name(), new_x="LMARGIN", new_y="NEXT")
    address = current_app.config.get("BUSINESS_ADDRESS")
    if address:
        _small(pdf, address)
    pdf.ln(6)
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 8, _("Invoice %(number)s", number=str(invoice)), new_x="LMARGIN", new_y="NEXT")
    facts = [
        (_("Invoice number"), str(invoice)),
        (_("Issue date"), day(invoice.issued_on)),
        (_("Due date"), day(invoice.due_on)),
        (_("Status"), InvoiceStatus.label(invoice.status)),
    ]
    if invoice.order is not None:
        facts.append((_("Order"), invoice.order.sale_code))
    for label, value in facts:
        pdf.set_font(FONT, "", 10)
        pdf.cell(40, 6, label)
        pdf.set_font(FONT, "B", 10)
        pdf.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _parties(pdf: FPDF, invoice: Invoice) -> None:
    pdf.set_font(FONT, "B", 11)
    pdf.cell(0, 7, _("Bill to"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    customer = invoice.customer
    lines = _customer_lines(customer) if customer else [_("Customer deleted")]
    pdf.multi_cell(0, 5, "\n".join(lines), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)


def _customer_lines(customer: Customer) -> list[str]:
    lines = [customer.full_name]
    address = _billing_address(customer)
    if address is not None:
        lines += [part for part in (address.line1, address.line2) if part]
        lines.append(" ".join(p for p in (address.postcode, address.city) if p))
        if address.country:
            lines.append(country_name(address.country))
    if customer.email:
        lines.append(customer.email)
    return lines


def _billing_address(customer: Customer) -> Address | None:
    addresses = sorted(customer.addresses, key=lambda a: (not a.is_default, a.id))
    return addresses[0] if addresses else None


def _lines(pdf: FPDF, invoice: Invoice) -> None:
    order = invoice.order
    if order is None or not order.lines:
        return
    headings = (_("Product"), _("SKU"), _("Quantity"), _("Unit price"), _("Line total"))
    pdf.set_font(FONT, "", 9)
    with pdf.table(
        col_widths=(70, 30, 20, 30, 30), text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        headings_style=FontFace(emphasis="BOLD"), line_height=6, padding=(1, 2),
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        table.row(headings)
        for line in order.lines:
            table.row((line.product, line.sku, str(line.quantity),
                       money(line.unit_price_minor, order.currency),
                       money(line.line_total_minor, order.currency)))
    pdf.ln(3)


def _totals(pdf: FPDF, invoice: Invoice) -> None:
    order = invoice.order
    if order is not None and order.lines:
        lines_total = sum(line.line_total_minor for line in order.lines)
        if lines_total != invoice.amount_minor:
            # Part of an order on account: show both so nobody wonders which is owed.
            _total_row(pdf, _("Order total"), money(lines_total, order.currency), bold=False)
    _total_row(pdf, _("Total"), money(invoice.amount_minor, invoice.currency), bold=True)
    pdf.ln(6)
    notes = {
        InvoiceStatus.UNPAID: _("Payment due by %(date)s.",
                                date=day(invoice.due_on)),
        InvoiceStatus.PAID: _("This invoice has been paid."),
        InvoiceStatus.VOID: _("This invoice is void: nothing is owed."),
    }
    _small(pdf, notes.get(invoice.status, ""))


def _total_row(pdf: FPDF, label: str, value: str, *, bold: bool) -> None:
    pdf.set_font(FONT, "B" if bold else "", 12 if bold else 10)
    pdf.cell(pdf.epw - 40, 7, label, align="R")
    pdf.cell(40, 7, value, align="R", new_x="LMARGIN", new_y="NEXT")


def _small(pdf: FPDF, text: str) -> None:
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
