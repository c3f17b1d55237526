"""Browser test: a Spanish-speaking viewer downloads a factura, read back with pypdf."""
from __future__ import annotations

import re
from datetime import date

from pypdf import PdfReader

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Address
from admin_app.services import invoices

from .conftest import expect, open_in


def test_a_factura_in_spanish(logged_in, make, users, tmp_path):
    buyer = make.customer("Lucía", "Núñez", account_limit_minor=500_000, tax_id="12345678Z")
    db.session.add(Address(customer=buyer, line1="Calle Mayor 1", city="Madrid",
                           postcode="28013", country="ES", is_default=True))
    invoice = invoices.create_on_account_sale(
        buyer, 10_000, actor=users[Role.MANAGER], issued_on=date(2026, 11, 22),
        due_on=date(2026, 12, 22))
    db.session.commit()
    page = logged_in(Role.VIEWER, "es")
    open_in(page, "/admin/invoices/", "es")
    row = page.get_by_role("row").filter(has_text=str(invoice))
    with page.context.expect_page() as new_tab:
        row.get_by_role("link", name="PDF de la factura").click()
    tab = new_tab.value
    expect(tab).to_have_url(re.compile(rf"/admin/invoices/{invoice.id}/pdf$"))
    response = tab.request.get(tab.url)
    assert response.ok
    assert "filename=factura-A-000001.pdf" in response.headers["content-disposition"]
    saved = tmp_path / "factura.pdf"
    saved.write_bytes(response.body())
    text = "\n".join(p.extract_text() for p in PdfReader(saved).pages).replace("\xa0", " ")
    for expected in (
        "Tienda Añil, S.L.", "NIF/CIF: B12345678", "Gran Vía 2, 28013 Madrid",  # seller
        "Lucía Núñez", "Calle Mayor 1", "28013 Madrid", "España", "NIF/CIF: 12345678Z",
        "Factura A-000001", "Fecha de emisión 22/11/2026",
        "Tipo de IVA Base imponible IVA Total", "21 % 82,64 € 17,36 € 100,00 €",
    ):
        assert expected in text, expected
