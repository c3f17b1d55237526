"""Browser tests: a customer's page headed by the customer, and assigning a group
from a filtered list (choose, confirm, back on the same list), in English and
in Spanish, typing as a person does."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from admin_app.choices import BlacklistReason, Role
from admin_app.extensions import db
from admin_app.models import Customer

from .conftest import expect, open_in

ROWS = "table.model-list tbody tr"


def search_for(page, words: str) -> None:
    box = page.get_by_role("search").get_by_role("textbox")
    box.click()
    page.keyboard.type(words)
    page.keyboard.press("Enter")


@pytest.mark.parametrize("language, facts, badge", [
    ("en", ["Group", "Gold", "Balance", "€12.50", "Loyalty points", "Not a member"],
     "On the blacklist: Fake orders"),
    ("es", ["Grupo", "Gold", "Saldo", "12,50", "Puntos de fidelidad", "No es socio"],
     "En lista negra: Pedidos falsos"),
])
def test_the_customer_page_is_headed_by_the_customer(logged_in, make, language, facts, badge):
    make.customer("Ana", "García", group=make.group("Gold"), balance_minor=1250,
                  loyalty_member=False, phone="+34600111222")
    make.customer("Bruno", "Otero")
    entry = make.blacklist("+34600111222", reason=BlacklistReason.FAKE_ORDERS)
    page = logged_in(Role.MANAGER, language)
    open_in(page, "/admin/customers/", language)
    search_for(page, "garcía")
    expect(page.locator(ROWS)).to_have_count(1)
    page.locator(ROWS).first.locator('a[href*="/details/"]').first.click()

    head = page.locator("#customer-head")
    expect(head.get_by_role("heading", level=2)).to_contain_text("Ana García")
    in_order = re.compile(r"[\s\S]*".join(map(re.escape, facts)))
    expect(head.locator("#key-facts")).to_contain_text(in_order)
    # Not a loyalty member: no points button to press and be refused.
    points = re.compile("Adjust points|Ajustar puntos")
    expect(head.get_by_role("link", name=points)).to_have_count(0)
    # The badge says why, and leads to the entry.
    head.get_by_role("link", name=badge).click()
    expect(page).to_have_url(re.compile(rf"/admin/blacklist/details/\?id={entry.id}"))


@pytest.mark.parametrize("language, choose, question, done, yes", [
    ("en", "Choose a group", "Move 2 customers to the group Gold?",
     "2 customers moved to the group Gold.", "Yes, move them"),
    ("es", "Elija un grupo", "¿Mover 2 clientes al grupo Gold?",
     "2 clientes movidos al grupo Gold.", "Sí, moverlos"),
])
def test_assign_a_group_from_a_filtered_list(logged_in, make, language, choose, question, done,
                                             yes):
    make.group("Gold")
    for first in ("Ana", "Eva"):
        make.customer(first, "Ruiz")
    make.customer("Ana", "Otero")
    page = logged_in(Role.OPERATOR, language)
    open_in(page, "/admin/customers/", language)
    search_for(page, "ruiz")
    expect(page.locator(ROWS)).to_have_count(2)
    for box in page.locator("input.action-checkbox").all():
        box.check()
    page.get_by_role("button", name=re.compile("With selected|Con los seleccionados")).click()
    page.locator(".dropdown-item", has_text=re.compile("Assign a group|Asignar un grupo")).click()

    group = page.locator("select#group")
    # Nothing is chosen for the user, not even "No group".
    expect(group.locator("option:checked")).to_have_text(choose)
    group.select_option(label="Gold")
    page.locator("#assign-group button[type=submit]").click()
    expect(page.locator("#assign-group-question")).to_have_text(question)
    assert db.session.scalars(select(Customer.group_id)).all() == [None, None, None]

    page.get_by_role("button", name=yes).click()
    # Back on the list as it was filtered (the list's own return address adds its page size).
    expect(page).to_have_url(re.compile(r"/admin/customers/\?search=ruiz(&page_size=20)?$"))
    expect(page.locator(".alert-dismissable").first).to_contain_text(done)
    expect(page.locator(ROWS)).to_have_count(2)
    db.session.expire_all()
    groups = {c.full_name: c.group.name if c.group else None
              for c in db.session.scalars(select(Customer))}
    assert groups == {"Ana Ruiz": "Gold", "Eva Ruiz": "Gold", "Ana Otero": None}
