"""Browser tests: in Spanish, the filters whose choices come from the database
(a customer's group, an order's outlet) offer those choices in their dropdown,
and choosing one filters the list, as in English; a filtered list the app sends
the user back to keeps its filters; "any of" filters offer only real choices."""
from __future__ import annotations

import re

import pytest

from admin_app.choices import Role

from .conftest import expect, open_in

ROWS = "table.model-list tbody tr"


def _add_filter(page, name: str, add: str = "Añadir filtro"):
    """Añadir filtro > ``name``: the new filter's row."""
    page.get_by_role("button", name=add).click()
    page.locator(".field-filters").get_by_role("button", name=name, exact=True).click()
    return page.locator("table.filters tr").last


def test_choose_a_group_from_its_dropdown_in_spanish(logged_in, make):
    vip = make.group("Clientes VIP")
    make.group("Empresas")
    member = make.customer("Lucía", "Moreno", group=vip)
    make.customer("Bruno", "Otero")
    page = logged_in(Role.VIEWER, "es")
    open_in(page, "/admin/customers/", "es")
    expect(page.locator(ROWS)).to_have_count(2)

    group = _add_filter(page, "Grupo")
    group.locator(".filter-val").locator("..").locator(".select2-choice").click()
    page.keyboard.type("VIP")
    page.get_by_role("option", name="Clientes VIP").click()
    page.get_by_role("button", name="Aplicar").click()

    expect(page).to_have_url(re.compile(rf"flt\d+_group_equals={vip.id}"))
    expect(page.locator(".alert-danger")).to_have_count(0)
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS)).to_contain_text(member.email)
    expect(page.locator("table.filters")).to_contain_text("Clientes VIP")  # kept, by name


def test_choose_outlets_from_their_dropdown_in_spanish(logged_in, make):
    centro, norte, online = (make.outlet("Madrid Centro"), make.outlet("Madrid Norte"),
                             make.outlet("Tienda online"))
    shown = [make.order(make.customer(), outlet=centro), make.order(make.customer(), outlet=norte)]
    hidden = [make.order(make.customer(), outlet=online), make.order(make.customer())]
    page = logged_in(Role.VIEWER, "es")
    open_in(page, "/admin/orders/", "es")
    expect(page.locator(ROWS)).to_have_count(len(shown) + len(hidden))

    outlets = _add_filter(page, "Tienda").locator(".select2-container-multi input")
    for typed, name in (("Centro", "Madrid Centro"), ("Norte", "Madrid Norte")):
        outlets.click()
        page.keyboard.type(typed)
        page.get_by_role("option", name=name, exact=True).click()
    page.get_by_role("button", name="Aplicar").click()

    expect(page.locator(".alert-danger")).to_have_count(0)
    expect(page.locator(ROWS)).to_have_count(len(shown))
    for order in shown:
        expect(page.get_by_role("cell", name=order.sale_code)).to_be_visible()
    for order in hidden:
        expect(page.get_by_role("cell", name=order.sale_code)).to_have_count(0)
    expect(page.locator("table.filters")).to_contain_text("Madrid Centro")
    expect(page.locator("table.filters")).to_contain_text("Madrid Norte")


def test_assigning_a_group_in_spanish_returns_to_the_filtered_list(logged_in, make):
    vip, gold = make.group("Clientes VIP"), make.group("Gold")
    moved = make.customer("Lucía", "Moreno", group=vip)
    stays = make.customer("Marta", "Vidal", group=vip)
    make.customer("Bruno", "Otero")
    page = logged_in(Role.OPERATOR, "es")
    open_in(page, f"/admin/customers/?flt1_group_equals={vip.id}", "es")
    expect(page.locator(ROWS)).to_have_count(2)

    page.locator(ROWS).filter(has_text=moved.email).locator("input.action-checkbox").check()
    page.get_by_role("button", name="Con los seleccionados").click()
    page.locator(".dropdown-item", has_text="Asignar un grupo").click()
    page.locator("select#group").select_option(label=gold.name)
    page.locator("#assign-group button[type=submit]").click()
    page.get_by_role("button", name="Sí, moverlos").click()

    # Back on the list of the group, as it was filtered.
    expect(page).to_have_url(re.compile(rf"flt\d+_group_equals={vip.id}"))
    expect(page.locator(".alert-danger")).to_have_count(0)
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS)).to_contain_text(stays.email)


@pytest.mark.parametrize("language, add, outlet", [("en", "Add filter", "Outlet"),
                                                   ("es", "Añadir filtro", "Tienda")])
@pytest.mark.parametrize("view_url", ["orders", "wallets"])
def test_typing_an_outlets_whole_name_and_enter_picks_the_outlet(logged_in, make, language,
                                                                  add, outlet, view_url):
    centro, norte = make.outlet("Madrid Centro"), make.outlet("Madrid Norte")
    if view_url == "orders":
        make.order(make.customer(), outlet=centro)
        make.order(make.customer(), outlet=norte)
    else:
        make.wallet(make.customer(), outlet=centro)
        make.wallet(make.customer(), outlet=norte)
    page = logged_in(Role.VIEWER, language)
    open_in(page, f"/admin/{view_url}/", language)
    expect(page.locator(ROWS)).to_have_count(2)

    _add_filter(page, outlet, add).locator(".select2-container-multi input").click()
    page.keyboard.type("Madrid Centro")
    # Only the real outlet is offered, not the typed text as a value of its own.
    expect(page.locator(".select2-drop-active .select2-result-selectable")).to_have_text(
        ["Madrid Centro"])
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"flt\d+_outlet_any_of={centro.id}(&|$)"))
    expect(page.locator(".alert-danger")).to_have_count(0)
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator("table.filters")).to_contain_text("Madrid Centro")


@pytest.mark.parametrize("language", ["en", "es"])
def test_part_of_an_outlets_name_and_enter_adds_it_to_a_filter_already_on(logged_in, make,
                                                                             language):
    """The list already shows one outlet; typing "Bil" and Enter adds Bilbao, as
    its first match, not the text "Bil" (which is no outlet, and would drop the
    whole filter)."""
    madrid, bilbao, sevilla = (make.outlet("Madrid Centro"), make.outlet("Bilbao Abando"),
                               make.outlet("Sevilla"))
    for outlet in (madrid, bilbao, sevilla):
        make.wallet(make.customer(), outlet=outlet)
    page = logged_in(Role.VIEWER, language)
    open_in(page, f"/admin/wallets/?flt1_outlet_any_of={madrid.id}", language)
    expect(page.locator(ROWS)).to_have_count(1)

    page.locator("table.filters .select2-container-multi input").click()
    page.keyboard.type("Bil")
    expect(page.locator(".select2-drop-active .select2-result-selectable")).to_have_text(
        ["Bilbao Abando"])
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"_outlet_any_of={madrid.id}%2C{bilbao.id}(&|$)"))
    expect(page.locator(".alert-danger")).to_have_count(0)
    expect(page.locator(ROWS)).to_have_count(2)
