"""Erasing a customer's personal data through its page (admin only): what goes and
what stays, or why not; the email typed to confirm; the erasure report."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from admin_app.choices import AuditAction, InvoiceStatus, Role
from admin_app.extensions import db
from admin_app.models import AuditEvent, Customer

from ..conftest import admins_by_language
from ..language import foreign_words, stored_text_values
from ..pages import get_page, text

ERASE = "/admin/customers/erase/?id={}"


def _url(customer) -> str:
    return ERASE.format(customer.id)


def _erasures() -> int:
    return db.session.scalar(select(db.func.count(AuditEvent.id)).where(
        AuditEvent.action == AuditAction.ERASURE))


@pytest.fixture
def nerea(make):
    return make.customer("Nerea", "Aguirre", email="Nerea.Aguirre@example.com",
                         phone="+34622333444", postcode="48001")


def test_step_one_says_what_goes_and_what_stays(admin_client, make, nerea):
    make.order(nerea)
    page = text(get_page(admin_client, _url(nerea)))
    assert "Erase the personal data of Nerea Aguirre? This cannot be undone." in page
    assert "Name, email, phone, postcode" in page
    assert "Invoices 0 With the billing name, tax ID and address they were issued to" in page
    assert "Ley General Tributaria, arts. 66 and 70" in page
    assert "Orders 1 Amounts and dates" in page
    assert "To confirm, type the customer’s email." in page
    assert "Nerea.Aguirre@example.com" not in page  # typed from what the admin knows


def test_the_customer_page_links_to_it_for_admins_only(admin_client, manager, nerea):
    details = f"/admin/customers/details/?id={nerea.id}"
    assert _url(nerea) in get_page(admin_client, details).replace("&amp;", "&")
    assert "/admin/customers/erase/" not in get_page(manager, details)


def test_typing_the_email_in_any_case_erases_and_reports(admin_client, nerea):
    response = admin_client.post_form(_url(nerea), {"confirmation": " nerea.aguirre@EXAMPLE.com"})
    assert response.status_code == 200
    page = text(response.get_data(as_text=True))
    assert f"The personal data of customer #{nerea.id} was erased." in page
    assert "Erasure report" in page
    assert "Invoices 0 With the billing name" in page
    customer = db.session.get(Customer, nerea.id)
    assert customer.email is None and customer.erased_at is not None
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.ERASURE)).one()
    assert (event.user_email, event.ip, event.object_id) == (
        "admin@example.com", "127.0.0.1", str(nerea.id))
    assert "nerea" not in str([event.summary, event.changes]).lower()
    # Erased once: the page then says so, and the customer page no longer offers it.
    page = text(get_page(admin_client, _url(nerea)))
    assert "This customer's personal data was already erased on" in page
    assert "Erased #" in get_page(admin_client, f"/admin/customers/details/?id={nerea.id}")


def test_a_wrong_email_refuses_and_writes_nothing(admin_client, nerea):
    response = admin_client.post_form(_url(nerea), {"confirmation": "nerea@example.com"})
    assert response.status_code == 400
    assert "This is not the customer's email: nothing was erased." in text(
        response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Customer, nerea.id).email == "Nerea.Aguirre@example.com"
    assert _erasures() == 0


def test_without_an_email_the_full_name_is_typed(admin_client, make):
    customer = make.customer("Iker", "Mendizabal", email=None)
    page = text(get_page(admin_client, _url(customer)))
    assert "This customer has no email: to confirm, type their full name." in page
    response = admin_client.post_form(_url(customer), {"confirmation": "iker mendizabal"})
    assert response.status_code == 200
    assert db.session.get(Customer, customer.id).erased_at is not None


def test_refusals_name_each_cause_and_nothing_is_erased(admin_client, make, nerea):
    make.wallet(nerea, balance_minor=1500, wallet_code="WXYZ-2345")
    nerea.loyalty_points = 75
    db.session.commit()
    make.invoice(nerea, amount_minor=4000, status=InvoiceStatus.UNPAID)
    page = text(get_page(admin_client, _url(nerea)))
    assert "The personal data of Nerea Aguirre cannot be erased now:" in page
    for cause in ("Wallet WXYZ-2345 holds a balance of €15.00.",
                  "The customer holds 75 loyalty points.", "1 unpaid invoice comes to €40.00."):
        assert cause in page
    assert 'id="erase-form"' not in page
    response = admin_client.post_form(_url(nerea), {"confirmation": "nerea.aguirre@example.com"})
    assert response.status_code == 400
    assert db.session.get(Customer, nerea.id).email == "Nerea.Aguirre@example.com"
    assert _erasures() == 0


def test_a_tombstone_points_to_the_survivor(admin_client, make, nerea):
    tombstone = make.customer("Nerea", "Aguirre", email=None, merged_into_id=nerea.id)
    page = text(get_page(admin_client, _url(tombstone)))
    assert f"merged into customer #{nerea.id}: erase that customer instead" in page


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR, Role.MANAGER])
def test_only_admins_may_erase(login, nerea, role):
    client = login(role)
    assert client.get(_url(nerea)).status_code == 403
    response = client.post_form(_url(nerea), {"confirmation": "nerea.aguirre@example.com"})
    assert response.status_code == 403
    assert db.session.get(Customer, nerea.id).email == "Nerea.Aguirre@example.com"


def test_anonymous_visitors_are_sent_to_the_login(client, nerea):
    response = client.get(_url(nerea))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_form_needs_its_csrf_token(admin_client, nerea):
    response = admin_client.post(_url(nerea), data={"confirmation": "nerea.aguirre@example.com"})
    assert response.status_code in (400, 403)
    assert db.session.get(Customer, nerea.id).erased_at is None
    assert _erasures() == 0


def test_an_unknown_customer_is_not_found(admin_client):
    assert admin_client.get(ERASE.format(999999)).status_code == 404
    assert admin_client.get("/admin/customers/erase/?id=abc").status_code == 404


def test_the_page_and_its_report_speak_spanish(app, users, password_hash, make):
    customer = make.customer("Nerea", "Aguirre", email="nerea@example.com")
    make.order(customer)
    spanish = admins_by_language(app, users, password_hash)["es"]
    page = get_page(spanish, _url(customer))
    assert "¿Borrar los datos personales de Nerea Aguirre? No se puede deshacer." in text(page)
    assert foreign_words(page, "es", stored_text_values()) == []
    response = spanish.post_form(_url(customer), {"confirmation": "otro@example.com"})
    assert "No es el correo electrónico del cliente: no se ha borrado nada." in text(
        response.get_data(as_text=True))
    response = spanish.post_form(_url(customer), {"confirmation": "nerea@example.com"})
    report = response.get_data(as_text=True)
    assert "Informe del borrado" in text(report)
    assert foreign_words(report, "es", stored_text_values()) == []


def test_nothing_typed_asks_for_it(admin_client, nerea):
    response = admin_client.post_form(_url(nerea), {"confirmation": ""})
    assert response.status_code == 400
    assert "Type the customer's email, or their full name if they have none." in text(
        response.get_data(as_text=True))
    assert db.session.get(Customer, nerea.id).erased_at is None
