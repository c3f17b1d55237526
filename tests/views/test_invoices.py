"""On account (/admin/invoices/): the list, a new on-account sale, the paid/void actions
and each invoice's PDF, read back with pypdf, in English and in Spanish."""
from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from admin_app.choices import InvoiceStatus, Role
from admin_app.extensions import db
from admin_app.models import Address, Customer, Invoice, OrderLine
from admin_app.services import invoices
from admin_app.views.list_links import filtered_list_url

from ..pages import flashes, fresh, row_count, speak

URL = "/admin/invoices/"


@pytest.fixture
def buyer(make):
    customer = make.customer("Lucía", "Núñez", email="lucia@example.com",
                             account_limit_minor=500_000)
    db.session.add(Address(customer=customer, line1="Calle Mayor 1", line2="3º izq.",
                           city="Madrid", postcode="28013", country="ES", is_default=True))
    db.session.commit()
    return customer


@pytest.fixture
def order(make, buyer):
    order = make.order(buyer, sale_code="T00000077", total_minor=123_450)
    db.session.add_all([
        OrderLine(order=order, product="Café molido", sku="CAF-250", quantity=2,
                  unit_price_minor=1_250),
        OrderLine(order=order, product="Cafetera exprés", sku="EXP-01", quantity=1,
                  unit_price_minor=120_950),
    ])
    db.session.commit()
    return order


@pytest.fixture
def invoice(buyer, order, users):
    made = invoices.create_on_account_sale(
        buyer, 123_450, actor=users[Role.MANAGER], order=order,
        issued_on=date(2026, 11, 22), due_on=date(2026, 12, 22))
    db.session.commit()
    return made


# -- the list ------------------------------------------------------------------------------

@pytest.mark.parametrize("role", Role.values())
def test_every_role_sees_the_list_with_its_columns(login, invoice, role):
    html = login(role).get(URL).get_data(as_text=True)
    for text in ("000001", "Lucía Núñez", "T00000077", "11/22/2026", "12/22/2026",
                 "€1,234.50", "Unpaid", "Invoice PDF", f"{URL}{invoice.id}/pdf"):
        assert text in html, text


def test_search_by_number_or_customer(login, invoice, make, users):
    other = make.customer("Pedro", "Ortega", email="pedro@example.com",
                          account_limit_minor=1_000)
    invoices.create_on_account_sale(other, 100, actor=users[Role.MANAGER])
    db.session.commit()
    client = login(Role.VIEWER)

    def found(search: str) -> set[str]:
        html = client.get(URL, query_string={"search": search}).get_data(as_text=True)
        return {name for name in ("Lucía Núñez", "Pedro Ortega") if name in html}

    assert found("000002") == {"Pedro Ortega"}
    assert found("A-000002") == {"Pedro Ortega"}  # as the PDF states it
    assert found("1") == {"Lucía Núñez"}       # the number exactly, not every "1" in it
    assert found("núñez") == {"Lucía Núñez"}
    assert found("pedro@example") == {"Pedro Ortega"}
    assert found("nobody") == set()


def test_filters_by_status_customer_and_issue_date(login, invoice, make, users):
    other = make.customer("Pedro", "Ortega", account_limit_minor=1_000)
    later = invoices.create_on_account_sale(other, 100, actor=users[Role.MANAGER],
                                            issued_on=date(2026, 12, 5))
    invoices.mark_paid(later, actor=users[Role.MANAGER])
    db.session.commit()
    client = login(Role.VIEWER)

    def shown(**args) -> set[str]:
        html = client.get(URL, query_string=args).get_data(as_text=True)
        return {name for name in ("Lucía Núñez", "Pedro Ortega") if name in html}

    assert shown(flt0_status_is="paid") == {"Pedro Ortega"}
    assert shown(flt0_status_is="unpaid") == {"Lucía Núñez"}
    assert shown(flt0_customer_id_equals=str(other.id)) == {"Pedro Ortega"}
    assert shown(flt0_issue_date_between="2026-11-01 to 2026-11-30") == {"Lucía Núñez"}
    assert shown(flt0_issue_date_between="2026-12-05 to 2026-12-05") == {"Pedro Ortega"}


def test_customer_list_link(app, login, invoice, buyer):
    with app.test_request_context():
        url = filtered_list_url("invoices", customer_id=buyer.id)
    assert url == f"{URL}?flt0_customer_id_equals={buyer.id}"
    html = login(Role.VIEWER).get(url).get_data(as_text=True)
    assert "000001" in html


# -- a new on-account sale -------------------------------------------------------------------

def test_customer_is_found_by_typing_on_the_sale_form(login, buyer):
    response = login(Role.MANAGER).get(f"{URL}ajax/lookup/",
                                       query_string={"name": "customer", "query": "Núñ"})
    assert response.status_code == 200
    assert [buyer.id, f"Lucía Núñez · {buyer.email}"] in response.get_json()

def new_sale(buyer, amount: str, **fields) -> dict:
    return {"customer": str(buyer.id), "amount": amount, "order": "", "due_on": "", **fields}


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_roles_below_manager_cannot_sell_on_account(login, buyer, role):
    client = login(role)
    assert client.get(f"{URL}new/").status_code == 403
    response = client.post_form(f"{URL}new/", new_sale(buyer, "10.00"))
    assert response.status_code == 403
    assert row_count(Invoice) == 0
    assert f"{URL}new/" not in client.get(URL).get_data(as_text=True)


def test_manager_sells_on_account(login, buyer, order):
    client = login(Role.MANAGER)
    assert client.get(f"{URL}new/").status_code == 200
    response = client.post_form(f"{URL}new/", new_sale(
        buyer, "1,234.50", order=str(order.id), due_on="2027-01-15"))
    assert response.status_code == 302
    invoice = db.session.scalar(select(Invoice))
    assert (invoice.number, invoice.customer_id, invoice.order_id) == (1, buyer.id, order.id)
    assert invoice.amount_minor == 123_450
    assert invoice.status == InvoiceStatus.UNPAID
    assert invoice.due_on == date(2027, 1, 15)
    assert (invoice.due_on - invoice.issued_on).days > 0


def test_amount_is_typed_the_spanish_way_by_a_spanish_speaker(login, users, buyer):
    client = login(Role.MANAGER)
    speak(users[Role.MANAGER], "es")
    assert client.post_form(f"{URL}new/", new_sale(buyer, "1.234,50")).status_code == 302
    invoice = db.session.scalar(select(Invoice))
    assert invoice.amount_minor == 123_450
    assert (invoice.due_on - invoice.issued_on).days == 30


def test_a_new_sale_names_its_invoice_in_the_readers_language(login, users, buyer):
    client = login(Role.MANAGER)
    for language, said in (("en", "Invoice {} created."), ("es", "Factura {} creada.")):
        speak(users[Role.MANAGER], language)
        page = client.post_form(f"{URL}new/", new_sale(buyer, "10"),
                                follow_redirects=True).get_data(as_text=True)
        newest = db.session.scalars(select(Invoice).order_by(Invoice.id.desc())).first()
        assert ("success", said.format(newest)) in flashes(page)


def test_sale_past_the_limit_is_refused_with_the_reason(login, buyer):
    client = login(Role.MANAGER)
    response = client.post_form(f"{URL}new/", new_sale(buyer, "5,000.01"),
                                follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "past their account limit of €5,000.00" in html
    assert row_count(Invoice) == 0


@pytest.mark.parametrize(("amount", "error"), [
    ("", "This field is required."),
    ("abc", "&#34;abc&#34; is not an amount: write it like 1,234.50."),
    ("12.345", "An amount has at most two decimals."),
])
def test_unreadable_amount_is_refused_on_the_form(login, buyer, amount, error):
    response = login(Role.MANAGER).post_form(f"{URL}new/", new_sale(buyer, amount))
    assert response.status_code == 200  # the form again, with its error
    assert error in response.get_data(as_text=True)
    assert row_count(Invoice) == 0


def test_customer_is_required(login, buyer):
    response = login(Role.MANAGER).post_form(f"{URL}new/", new_sale(buyer, "10", customer=""))
    assert response.status_code == 200
    assert row_count(Invoice) == 0


def test_invoices_are_never_edited_or_deleted(login, invoice):
    client = login(Role.ADMIN)
    assert client.get(f"{URL}edit/?id={invoice.id}").status_code == 403
    assert client.post_form(f"{URL}delete/", {"id": str(invoice.id)}).status_code == 403
    response = client.post_form(f"{URL}action/", {"action": "delete", "rowid": [invoice.id]})
    assert response.status_code == 403
    assert fresh(Invoice, invoice.id) is not None
    html = client.get(URL).get_data(as_text=True)
    assert f"{URL}delete/" not in html and f"{URL}edit/" not in html


# -- paying and voiding ----------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
@pytest.mark.parametrize("name", ["mark_paid", "void"])
def test_roles_below_manager_cannot_pay_or_void(login, invoice, role, name):
    client = login(role)
    response = client.post_form(f"{URL}action/", {"action": name, "rowid": [invoice.id]})
    assert response.status_code == 403
    assert fresh(Invoice, invoice.id).status == InvoiceStatus.UNPAID
    assert f'data-action="{name}"' not in client.get(URL).get_data(as_text=True)


def test_manager_marks_paid_and_voids(login, invoice, buyer, users):
    second = invoices.create_on_account_sale(buyer, 100, actor=users[Role.MANAGER])
    db.session.commit()
    client = login(Role.MANAGER)
    html = client.get(URL).get_data(as_text=True)
    assert 'data-action="mark_paid"' in html and 'data-action="void"' in html
    response = client.post_form(f"{URL}action/", {"action": "mark_paid", "rowid": [invoice.id]},
                                follow_redirects=True)
    assert "1 invoice marked as paid." in response.get_data(as_text=True)
    response = client.post_form(f"{URL}action/", {"action": "void", "rowid": [second.id]},
                                follow_redirects=True)
    assert "1 invoice voided." in response.get_data(as_text=True)
    assert fresh(Invoice, invoice.id).status == InvoiceStatus.PAID
    assert fresh(Invoice, second.id).status == InvoiceStatus.VOID


def test_one_refusal_changes_none_of_the_selection(login, invoice, buyer, users):
    unpaid = invoices.create_on_account_sale(buyer, 100, actor=users[Role.MANAGER])
    invoices.mark_paid(invoice, actor=users[Role.MANAGER])
    db.session.commit()
    response = login(Role.MANAGER).post_form(
        f"{URL}action/", {"action": "void", "rowid": [invoice.id, unpaid.id]},
        follow_redirects=True)
    assert "only an unpaid invoice can be paid or voided" in response.get_data(as_text=True)
    assert fresh(Invoice, unpaid.id).status == InvoiceStatus.UNPAID
    assert fresh(Invoice, invoice.id).status == InvoiceStatus.PAID


# -- the PDF -------------------------------------------------------------------------------------

def pdf_text(response) -> str:
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.data))
    # Babel writes a no-break space in "1234,50 €"; compare with plain spaces.
    return "\n".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ")


def plain(text: str) -> str:
    return text.replace("\u00a0", " ")


def test_pdf_in_english(login, invoice):
    response = login(Role.VIEWER).get(f"{URL}{invoice.id}/pdf")
    assert response.headers["Content-Disposition"] == "inline; filename=invoice-A-000001.pdf"
    assert "no-store" in response.headers["Cache-Control"]
    text = pdf_text(response)
    for expected in (
        # The seller, as the settings name it.
        "Tienda Añil, S.L.", "Tax ID (NIF/CIF): B12345678", "Gran Vía 2, 28013 Madrid",
        "Invoice A-000001", "Issue date", "11/22/2026",
        "Due date", "12/22/2026", "Unpaid", "T00000077",
        "Lucía Núñez", "lucia@example.com", "Calle Mayor 1", "3º izq.", "28013 Madrid", "Spain",
        "Product", "SKU", "Quantity", "Unit price", "Line total",
        "Café molido", "CAF-250", "€12.50", "€25.00",
        "Cafetera exprés", "EXP-01", "€1,209.50",
        "Total", "€1,234.50", "Payment due by 12/22/2026",
        # Per VAT rate: 1,234.50 / 1.21 = 1,020.2479 -> 1,020.25, and the rest is VAT.
        "VAT rate Tax base VAT Total", "21% €1,020.25 €214.25 €1,234.50",
    ):
        assert expected in text, expected


def test_pdf_in_spanish_formats_money_and_dates_the_spanish_way(login, users, invoice):
    client = login(Role.VIEWER)
    speak(users[Role.VIEWER], "es")
    text = pdf_text(client.get(f"{URL}{invoice.id}/pdf"))
    for expected in (
        # CLDR's Spanish groups thousands only from five digits: 1234,50 but 12.345,50.
        "1234,50 €", "12,50 €", "25,00 €", "1209,50 €",
        "22/11/2026", "22/12/2026",
        "España", "Lucía Núñez", "Café molido", "T00000077",
        "Factura A-000001", "NIF/CIF: B12345678", "Gran Vía 2, 28013 Madrid",
        "Tipo de IVA Base imponible IVA Total", "21 % 1020,25 € 214,25 € 1234,50 €",
    ):
        assert plain(expected) in text, expected
    assert "€1,234.50" not in text


def test_pdf_shows_the_status_and_the_seller_settings(app, login, invoice, users,
                                                    monkeypatch):
    monkeypatch.setitem(app.config, "INVOICE_SELLER_NAME", "Cafés del Sur, S.A.")
    monkeypatch.setitem(app.config, "INVOICE_SELLER_TAX_ID", "A87654321")
    monkeypatch.setitem(app.config, "INVOICE_SELLER_ADDRESS", "Calle Sierpes 5, 41004 Sevilla")
    invoices.void(invoice, actor=users[Role.MANAGER])
    db.session.commit()
    text = pdf_text(login(Role.VIEWER).get(f"{URL}{invoice.id}/pdf"))
    assert "Cafés del Sur, S.A." in text and "Calle Sierpes 5, 41004 Sevilla" in text
    assert "A87654321" in text and "Tienda Añil" not in text
    assert "Void" in text and "This invoice is void" in text


def test_pdf_file_name_is_in_the_readers_language(login, users, invoice):
    client = login(Role.VIEWER)
    speak(users[Role.VIEWER], "es")
    response = client.get(f"{URL}{invoice.id}/pdf")
    assert response.headers["Content-Disposition"] == "inline; filename=factura-A-000001.pdf"


def test_pdf_states_the_buyers_tax_id_as_issued(login, users, make, buyer, order):
    buyer.tax_id = "12345678Z"
    db.session.commit()
    made = invoices.create_on_account_sale(buyer, 10_000, actor=users[Role.MANAGER],
                                           order=order)
    db.session.commit()
    # Later changes to the customer's record do not rewrite an issued invoice.
    buyer.first_name, buyer.tax_id = "Lucía María", None
    buyer.addresses[0].line1 = "Calle Nueva 9"
    db.session.commit()
    client = login(Role.VIEWER)
    for language, label in (("en", "Tax ID (NIF/CIF)"), ("es", "NIF/CIF")):
        speak(users[Role.VIEWER], language)
        text = pdf_text(client.get(f"{URL}{made.id}/pdf"))
        assert f"{label}: 12345678Z" in text
        assert "Lucía Núñez" in text and "Calle Mayor 1" in text
        assert "Lucía María" not in text and "Calle Nueva 9" not in text
    # 100.00 at 21 %: 82.64 + 17.36.
    assert "21 % 82,64 € 17,36 € 100,00 €" in text


def test_without_the_seller_settings_no_pdf_is_made(app, login, users, invoice, monkeypatch):
    monkeypatch.setitem(app.config, "INVOICE_SELLER_TAX_ID", "")
    client = login(Role.VIEWER)
    for language, message in (
        ("en", "No invoice can be made until the seller's legal name, tax ID and address are "
               "set: an administrator sets INVOICE_SELLER_TAX_ID."),
        ("es", "No se puede emitir ninguna factura hasta que se indiquen la razón social, el "
               "NIF/CIF y la dirección del vendedor: un administrador define "
               "INVOICE_SELLER_TAX_ID."),
    ):
        speak(users[Role.VIEWER], language)
        response = client.get(f"{URL}{invoice.id}/pdf", follow_redirects=True)
        assert response.mimetype == "text/html"
        assert message in response.get_data(as_text=True).replace("&#39;", "'")


def test_pdf_without_an_order_or_address(login, make, users):
    customer = make.customer("Ana", "Ruiz", email=None, account_limit_minor=1_000)
    made = invoices.create_on_account_sale(customer, 999, actor=users[Role.MANAGER])
    db.session.commit()
    text = pdf_text(login(Role.VIEWER).get(f"{URL}{made.id}/pdf"))
    assert "Ana Ruiz" in text and "€9.99" in text and "SKU" not in text


def test_pdf_of_an_invoice_whose_customer_was_deleted(login, make):
    orphan = make.invoice(make.customer(), number=7, amount_minor=100,
                          status=InvoiceStatus.PAID)
    db.session.delete(db.session.get(Customer, orphan.customer_id))
    db.session.commit()
    assert "000007" in pdf_text(login(Role.VIEWER).get(f"{URL}{orphan.id}/pdf"))


def test_pdf_needs_a_login_and_an_existing_invoice(client, login, invoice):
    response = client.get(f"{URL}{invoice.id}/pdf")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert login(Role.VIEWER).get(f"{URL}{invoice.id + 1000}/pdf").status_code == 404


# -- the demo data's invoices, as an operator reads them ---------------------------------------

def seeded_invoice() -> Invoice:
    from admin_app.services.seed import seed
    seed(300, seed=34, today=date(2026, 3, 15))
    db.session.commit()
    return db.session.scalars(select(Invoice).order_by(Invoice.id)).first()


@pytest.mark.parametrize("language, heading, filename", [
    ("en", "Invoice A-{:06d}", "invoice-A-{:06d}.pdf"),
    ("es", "Factura A-{:06d}", "factura-A-{:06d}.pdf"),
])
def test_a_seeded_invoice_states_its_series_and_number_once(login, users, language, heading,
                                                             filename):
    made = seeded_invoice()
    client = login(Role.VIEWER)
    speak(users[Role.VIEWER], language)
    response = client.get(f"{URL}{made.id}/pdf")
    assert response.headers["Content-Disposition"] == (
        f"inline; filename={filename.format(made.number)}")
    text = pdf_text(response)
    assert heading.format(made.number) in text
    # Stated once: no "Invoice number" or "Series" row repeats it.
    assert text.count(f"A-{made.number:06d}") == 1
    assert not any(line.startswith(("Invoice number", "Número de factura", "Serie"))
                   for line in text.splitlines())


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_seeded_invoice_states_the_buyers_billing_address(login, users, language):
    made = seeded_invoice()
    assert made.billing_name and made.billing_address and made.billing_country
    client = login(Role.VIEWER)
    speak(users[Role.VIEWER], language)
    text = pdf_text(client.get(f"{URL}{made.id}/pdf"))
    for line in made.billing_address.splitlines():
        assert line in text, line


@pytest.mark.parametrize("language, note", [
    ("en", "Billing address not on file"),
    ("es", "Dirección de facturación no registrada"),
])
def test_pdf_says_when_the_billing_address_is_not_on_file(login, make, users, language, note):
    customer = make.customer("Ana", "Ruiz", email=None, account_limit_minor=1_000)
    made = invoices.create_on_account_sale(customer, 999, actor=users[Role.MANAGER])
    db.session.commit()
    client = login(Role.VIEWER)
    speak(users[Role.VIEWER], language)
    text = pdf_text(client.get(f"{URL}{made.id}/pdf"))
    assert "Ana Ruiz" in text and note in text
