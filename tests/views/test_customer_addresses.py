"""A customer's page lists their delivery addresses, the default one first and
marked, and says so when there are none."""
from __future__ import annotations

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Address

from ..pages import get_page, text


def addresses_section(page: str) -> str:
    return text(page.split('id="addresses">', 1)[1].split('id="wishlist">', 1)[0])


def test_the_default_address_comes_first_and_is_marked(login, make):
    customer = make.customer("Ana", "García")
    db.session.add_all([
        Address(customer=customer, line1="Calle Mayor 1", city="Madrid", postcode="28013"),
        Address(customer=customer, line1="Rúa Nova 7", city="Lugo", postcode="27001",
                is_default=True),
    ])
    db.session.commit()
    page = get_page(login(Role.VIEWER), f"/admin/customers/details/?id={customer.id}")
    assert addresses_section(page).startswith(
        "Addresses Rúa Nova 7, 27001, Lugo Default Calle Mayor 1, 28013, Madrid")


def test_no_address_says_so(login, make):
    customer = make.customer("Luis", "Pérez")
    db.session.commit()
    page = get_page(login(Role.VIEWER), f"/admin/customers/details/?id={customer.id}")
    assert addresses_section(page).startswith("Addresses No addresses.")
