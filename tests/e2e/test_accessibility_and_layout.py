"""Browser tests: the back office for someone who reads it with low contrast, moves
through it with the keyboard, or works on a tablet (820 px) or a laptop (1366 px), in
English and in Spanish.

Every page any browser test loads is also checked by axe-core (WCAG 2 A/AA) through
the ``page`` fixture (accessibility.py); the tests here call the check by hand too, on
the pages and states an operator meets first.
"""
from __future__ import annotations

from datetime import date

import pytest

from admin_app.choices import InvoiceStatus, OrderStatus, Role, WalletStatus
from admin_app.extensions import db
from admin_app.services import ledger

from .accessibility import check_accessibility
from .conftest import expect

LANGUAGES = {"en": "English", "es": "Español"}
# The lists an operator works in, with the columns a narrow screen must keep in view:
# who, how to reach them, and the money.
KEY_COLUMNS = {
    "/admin/customers/": ("full_name", "email", "phone", "balance_minor"),
    "/admin/wallets/": ("wallet_code", "customer", "customer.email", "balance_minor"),
    "/admin/orders/": ("sale_code", "buyer", "total_minor"),
}


def _some_of_everything(make):
    """Records that put every badge, marker and muted text of the main pages on screen."""
    vip, madrid = make.group("Clientes preferentes"), make.outlet("Madrid Centro")
    lucia = make.customer("María José", "Fernández-Castellanos", group=vip,
                          email="maria.jose.fernandez.castellanos@correo-ejemplo.es",
                          phone="+34600111222", postcode="28013", card_number="7001234567",
                          marketing_opt_in=True, account_limit_minor=100_000)
    bruno = make.customer("Bruno", "Otero Vázquez", email="bruno.otero@example.com",
                          phone="+34611222333")
    make.blacklist("+34611222333", note="Pedidos falsos")
    active = make.wallet(lucia, outlet=madrid)
    ledger.add_balance(active, 12_345, actor=None, reason="Regalo", idempotency_key="a",
                       expires_on=date(2027, 12, 31))
    make.wallet(bruno, outlet=madrid, status=WalletStatus.BLOCKED)
    db.session.commit()
    for status in OrderStatus.LABELS:
        make.order(lucia, outlet=madrid, status=status, total_minor=4_550)
    make.order(guest=make.guest("Pedro Invitado", phone="+34622333444"), outlet=madrid)
    for status in InvoiceStatus.LABELS:
        make.invoice(lucia, status=status)
    make.discount_code("VERANO25", description="Verano")
    return lucia, active


def _in_language(page, code: str) -> None:
    """Switch with the language button, as a person does (nothing when already there)."""
    if page.locator("html").get_attribute("lang") != code:
        page.get_by_role("button", name=LANGUAGES[code]).click()
        expect(page.locator("html")).to_have_attribute("lang", code)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_main_pages_pass_axe_in_each_language(logged_in, make, language):
    customer, wallet = _some_of_everything(make)
    page = logged_in(Role.ADMIN)
    page.goto("/admin/")
    _in_language(page, language)
    pages = ["/admin/", "/admin/customers/", "/admin/groups/", "/admin/orders/",
             "/admin/guests/", "/admin/wallets/", "/admin/wallet-history/",
             "/admin/discount-codes/", "/admin/loyalty-history/", "/admin/invoices/",
             "/admin/blacklist/", "/admin/users/", "/admin/audit/",
             f"/admin/customers/details/?id={customer.id}",
             f"/admin/wallets/details/?id={wallet.id}",
             f"/admin/customers/edit/?id={customer.id}", "/admin/customers/new/",
             "/admin/customers/import/"]
    for url in pages:
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", language)
        check_accessibility(page, url)

    # The states a person opens on a list: a filter added, a menu dropped down.
    page.goto("/admin/wallets/")
    add_filter = {"en": "Add Filter", "es": "Añadir filtro"}[language]
    page.locator("[data-toggle=dropdown]", has_text=add_filter).click()
    expect(page.locator(".field-filters")).to_be_visible()
    check_accessibility(page, "filters menu open")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_login_page_passes_axe(page, language):
    page.goto("/login")
    _in_language(page, language)
    check_accessibility(page, "login")
