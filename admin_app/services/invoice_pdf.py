"""An invoice as a PDF, in the current user's language.

What a Spanish invoice (factura) must state: the seller's legal name, tax ID
(NIF/CIF) and address (settings INVOICE_SELLER_*), the buyer's name, billing
address and tax ID when given (as copied onto the invoice when it was issued),
the series and number, the issue date, and per VAT rate the rate, the tax base,
the VAT and the total (services/vat.py says how a total is split).

Fonts: fpdf2's built-in fonts only encode Latin-1, which has no euro sign. The
PDF embeds (a subset of) Source Sans Pro, a TrueType font with the euro sign,
every Spanish letter and most European alphabets, shipped by the
``font-source-sans-pro`` package from PyPI, so no system font is needed.
"""
from __future__ import annotations

from importlib.resources import files

from babel.numbers import format_percent
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from ..choices import InvoiceStatus
from ..i18n import day, money
from ..models import Invoice
from .countries import country_name
from .invoices import InvoiceError, address_text, billing_address, vat_lines
from .vat import BP_PER_UNIT

FONT = "SourceSans"
FONT_FILES = {"": "SourceSansPro-Regular.ttf", "B": "SourceSansPro-Bold.ttf"}
GREY = (110, 110, 110)


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice's PDF: seller, number, dates, buyer, order lines, VAT, total, status.

    Raises ``InvoiceError`` while the seller's settings are missing: without them
    it would not be a valid invoice."""
    seller = seller_details()
    pdf = _new_document(invoice, seller[0])
    _header(pdf, invoice, seller)
    _parties(pdf, invoice)
    _lines(pdf, invoice)
    _taxes(pdf, invoice)
    _totals(pdf, invoice)
    return bytes(pdf.output())


SELLER_SETTINGS = ("INVOICE_SELLER_NAME", "INVOICE_SELLER_TAX_ID", "INVOICE_SELLER_ADDRESS")


def seller_details() -> tuple[str, str, str]:
    """The seller's legal name, tax ID and address, from the settings."""
    values = tuple((current_app.config.get(name) or "").strip() for name in SELLER_SETTINGS)
    missing = [name for name, value in zip(SELLER_SETTINGS, values, strict=True) if not value]
    if missing:
        raise InvoiceError(_("No invoice can be made until the seller's legal name, tax ID "
                             "and address are set: an administrator sets %(settings)s.",
                             settings=", ".join(missing)))
    name, tax_id, address = values
    return name, tax_id, address


def pdf_filename(invoice: Invoice) -> str:
    """invoice-A-000020.pdf, factura-A-000020.pdf: in the reader's language."""
    return _("invoice-%(number)s.pdf", number=str(invoice))


def tax_id_label() -> str:
    return _("Tax ID (NIF/CIF)")


def percent(rate_bp: int) -> str:
    """21 % as the reader's language writes it ("21%", "21 %", "5,5 %")."""
    return format_percent(rate_bp / BP_PER_UNIT, locale=get_locale(),
                          decimal_quantization=False)


# -- sections ---------------------------------------------------------------------------

def _new_document(invoice: Invoice, seller_name: str) -> FPDF:
    pdf = FPDF(format="A4")
    font_dir = files("font_source_sans_pro") / "files"
    for style, filename in FONT_FILES.items():
        pdf.add_font(FONT, style, str(font_dir / filename))
    pdf.set_title(_("Invoice %(number)s", number=str(invoice)))
    pdf.set_author(seller_name)
    pdf.set_lang(str(get_locale() or "en"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    return pdf


def _header(pdf: FPDF, invoice: Invoice, seller: tuple[str, str, str]) -> None:
    name, tax_id, address = seller
    pdf.set_font(FONT, "B", 18)
    pdf.cell(0, 9, name, new_x="LMARGIN", new_y="NEXT")
    _small(pdf, f"{tax_id_label()}: {tax_id}\n{address}")
    pdf.ln(6)
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 8, _("Invoice %(number)s", number=str(invoice)), new_x="LMARGIN", new_y="NEXT")
    # The heading states the series and number; no row repeats them.
    facts = [
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
    pdf.multi_cell(0, 5, "\n".join(_buyer_lines(invoice)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)


def _buyer_lines(invoice: Invoice) -> list[str]:
    """As copied when the invoice was issued; older invoices read the customer's record."""
    customer = invoice.customer
    name = invoice.billing_name or (customer.full_name if customer else None)
    if name is None:
        return [_("Customer deleted")]
    lines = [name]
    address, country = invoice.billing_address, invoice.billing_country
    if invoice.billing_name is None and customer is not None:
        found = billing_address(customer)
        if found is not None:
            address, country = address_text(found), found.country
    if address:
        lines.append(address)
    else:
        lines.append(_("Billing address not on file"))
    if country:
        lines.append(country_name(country))
    if invoice.billing_tax_id:
        lines.append(f"{tax_id_label()}: {invoice.billing_tax_id}")
    if customer is not None and customer.email:
        lines.append(customer.email)
    return lines


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


def _taxes(pdf: FPDF, invoice: Invoice) -> None:
    """Per VAT rate: the rate, the tax base, the VAT and the total."""
    pdf.set_font(FONT, "", 9)
    with pdf.table(
        col_widths=(45, 45, 45, 45), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
        headings_style=FontFace(emphasis="BOLD"), line_height=6, padding=(1, 2),
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        table.row((_("VAT rate"), _("Tax base"), _("VAT"), _("Total")))
        for line in vat_lines(invoice):
            table.row((percent(line.rate_bp), money(line.base_minor, invoice.currency),
                       money(line.vat_minor, invoice.currency),
                       money(line.total_minor, invoice.currency)))
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
