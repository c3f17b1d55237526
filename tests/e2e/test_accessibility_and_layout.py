"""Browser tests: the back office for someone who reads it with low contrast, moves
through it with the keyboard, or works on a tablet (820 px) or a laptop (1366 px), in
English and in Spanish.

Every page any browser test loads is also checked by axe-core (WCAG 2 A/AA) through
the ``page`` fixture (accessibility.py); the tests here call the check by hand too, on
the pages and states an operator meets first.
"""
from __future__ import annotations

import re
from datetime import date

import pytest

from admin_app.choices import InvoiceStatus, OrderStatus, Role, WalletStatus
from admin_app.extensions import db
from admin_app.services import ledger

from .accessibility import check_accessibility
from .conftest import expect, open_in

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
    page = logged_in(Role.ADMIN, language)
    pages = ["/admin/", "/admin/customers/", "/admin/groups/", "/admin/orders/",
             "/admin/guests/", "/admin/wallets/", "/admin/wallet-history/",
             "/admin/discount-codes/", "/admin/loyalty-history/", "/admin/invoices/",
             "/admin/blacklist/", "/admin/users/", "/admin/audit/",
             f"/admin/customers/details/?id={customer.id}",
             f"/admin/wallets/details/?id={wallet.id}",
             f"/admin/customers/edit/?id={customer.id}", "/admin/customers/new/",
             "/admin/customers/import/"]
    for url in pages:
        open_in(page, url, language)
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


FOCUSED = """() => {
  const element = document.activeElement, style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  const place = element.closest("nav") ? "menu"
    : element.closest(".language-switcher") ? "language"
    : element.closest("td.list-buttons-column") ? "row actions" : "page";
  return {place, tag: element.tagName.toLowerCase(),
          text: (element.innerText || element.getAttribute("aria-label")
                 || element.getAttribute("title") || element.value || "").trim(),
          language: element.closest(".language-switcher") !== null,
          outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
          onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
                    && box.left < innerWidth};
}"""


def _tab_through(page, presses: int = 120) -> list[dict]:
    """Press Tab from the top of the page until the focus has passed the last control
    (it is then on the page's body: the next press starts the same round again), at
    most ``presses`` times; where it went each time."""
    stops = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
        if stops[-1]["tag"] == "body":
            break
    return stops


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_keyboard_reaches_menu_filters_row_actions_and_language_with_visible_focus(
        logged_in, make, language):
    _some_of_everything(make)
    page = logged_in(Role.MANAGER, language)
    open_in(page, "/admin/customers/", language)  # the keyboard starts from the top of the page
    words = {"en": ("Customers", "Add Filter", "English"),
             "es": ("Clientes", "Añadir filtro", "Español")}[language]
    menu_item, add_filter, other_language = words[0], words[1], LANGUAGES[
        "es" if language == "en" else "en"]

    stops = _tab_through(page)

    texts = [(stop["place"], stop["text"]) for stop in stops]
    assert ("menu", menu_item) in texts, texts
    assert any(stop["text"] == add_filter for stop in stops), texts
    assert any(stop["place"] == "row actions" for stop in stops), texts
    assert any(stop["language"] and stop["text"] == other_language for stop in stops), texts
    for stop in stops:  # wherever the focus is, it shows: on screen, a clear outline
        if stop["tag"] == "body":  # past the last control, before the round starts again
            continue
        assert stop["onScreen"], stop
        assert stop["outline"] == "solid" and stop["outlineWidth"] >= 2, stop

    # The filters open from the keyboard too: Enter on "Add Filter", then the arrows.
    page.reload()
    presses = 1 + next(n for n, stop in enumerate(stops) if stop["text"] == add_filter)
    for _ in range(presses):
        page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["text"] == add_filter
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    focused = page.locator(":focus")
    expect(focused).to_have_class(re.compile(r"dropdown-item"))
    expect(page.locator(".field-filters :focus")).to_have_count(1)


def _inside(inner: dict, outer: dict) -> bool:
    return (inner["x"] >= outer["x"] - 1 and inner["width"] > 0
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1)


def _column(page, name: str, part: str = "th"):
    """A list's column header (th) or its first row's cell (td), by the column's name."""
    if part == "th":  # Flask-Admin writes a dot in the header's class as a dash
        name = name.replace(".", "-")
    return page.locator(f'table.model-list {part}[class~="col-{name}"]').first


def _more_customers(make):
    for n, (first, surname) in enumerate([("Ana Belén", "Rodríguez de la Fuente"),
                                           ("Jorge", "Martínez-Almeida Navarro")]):
        make.customer(first, surname, phone=f"+3460099900{n}",
                      email=f"{first.split()[0].lower()}.{n}@ayuntamiento-ejemplo.es")


@pytest.mark.parametrize("language", LANGUAGES)
def test_on_a_tablet_the_lists_keep_who_contact_and_balance_in_view(logged_in, make, language):
    _some_of_everything(make)
    _more_customers(make)
    page = logged_in(Role.MANAGER, language)
    page.set_viewport_size({"width": 820, "height": 1180})
    for url, key_columns in KEY_COLUMNS.items():
        open_in(page, url, language)
        # The other language is one click away, without opening the menu.
        switch = page.locator(".language-switcher button")
        expect(switch).to_be_visible()
        assert _inside(switch.bounding_box(), {"x": 0, "width": 820})
        # The page never scrolls sideways; the list does, inside its box.
        assert page.evaluate("document.documentElement.scrollWidth") <= 820
        box = page.locator(".table-responsive").bounding_box()
        for name in key_columns:
            for part in ("th", "td"):
                assert _inside(_column(page, name, part).bounding_box(), box), (url, name, part)
        # The rest is reachable: a sideways swipe over the list brings the last column in.
        last = page.locator("table.model-list thead th").last
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 40)
        for _ in range(10):
            if _inside(last.bounding_box(), box):
                break
            page.mouse.wheel(400, 0)
            page.wait_for_timeout(100)
        assert _inside(last.bounding_box(), box), url


@pytest.mark.parametrize("language", LANGUAGES)
def test_on_a_laptop_the_menu_is_one_row_and_no_column_is_cut(logged_in, make, language):
    _some_of_everything(make)
    _more_customers(make)
    page = logged_in(Role.ADMIN, language)  # the longest menu
    page.set_viewport_size({"width": 1366, "height": 768})
    for url in KEY_COLUMNS:
        open_in(page, url, language)
        entries = page.locator("nav .navbar-brand, nav .nav-link, nav button:visible").all()
        rows = {round(entry.bounding_box()["y"] / 10) for entry in entries}
        assert len(rows) == 1, (url, [(e.inner_text(), e.bounding_box()["y"]) for e in entries])
        box = page.locator(".table-responsive").bounding_box()
        for header in page.locator("table.model-list thead th").all():
            assert _inside(header.bounding_box(), box), (url, header.inner_text())
