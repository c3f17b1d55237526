"""Bulk actions on every row that matches the list's search and filters, not only
the checked rows of the page, after a confirmation stating the count."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Customer, Wallet, WalletTransaction

from ..pages import flashes, get_page, hidden_value, text

CUSTOMERS = "/admin/customers/"


@pytest.fixture
def ruizes(make):
    """25 customers named Ruiz (more than one page of 20) and 3 others."""
    matching = [make.customer(f"Ana{n:02d}", "Ruiz") for n in range(25)]
    others = [make.customer(f"Eva{n}", "Otero") for n in range(3)]
    return matching, others


def act_on_all(client, list_query: str, action: str, base: str = CUSTOMERS):
    """What the list's "select all N matching" then an action posts."""
    return client.post_form(f"{base}action/?{list_query}",
                            {"action": action, "matching": "all", "url": f"{base}?{list_query}"})


def test_the_list_offers_every_matching_row_with_its_count(admin_client, ruizes):
    page = get_page(admin_client, CUSTOMERS, search="ruiz")
    banner = page.split('id="all-matching"', 1)[1].split("</div>", 1)[0]
    assert 'data-count="25"' in banner
    assert "Select all 25 matching records" in text(banner)
    assert "all 25 records that match" in banner  # the confirmation states the count
    assert "all-matching.js" in page


def test_no_offer_when_the_page_already_holds_every_match(admin_client, ruizes):
    assert 'id="all-matching"' not in get_page(admin_client, CUSTOMERS, search="otero")


def test_assign_a_group_to_every_matching_customer(admin_client, make, ruizes):
    matching, others = ruizes
    gold = make.group("Gold")
    response = act_on_all(admin_client, "search=ruiz", "assign_group")
    assert response.status_code == 302
    page_url = response.headers["Location"]
    assert "matching=all" in page_url and "search=ruiz" in page_url
    page = get_page(admin_client, page_url)
    assert "25 customers selected." in text(page)
    response = admin_client.post_form(page_url, {"group": str(gold.id), "confirmed": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert {c.group_id for c in db.session.scalars(select(Customer).where(
        Customer.surname == "Ruiz"))} == {gold.id}
    assert {c.group_id for c in db.session.scalars(select(Customer).where(
        Customer.surname == "Otero"))} == {None}
    assert ("success", "25 customers moved to the group Gold.") in flashes(
        get_page(admin_client, CUSTOMERS))


def test_an_action_states_the_exact_count_even_past_the_lists_limit(admin_client, app,
                                                                   monkeypatch, ruizes):
    """The list may say "more than 20"; the page that acts on every match counts
    each of them, as it touches each of them."""
    monkeypatch.setitem(app.config, "SEARCH_EXACT_COUNT", 20)
    assert "(more than 20)" in text(get_page(admin_client, CUSTOMERS, search="ruiz"))
    page_url = act_on_all(admin_client, "search=ruiz", "assign_group").headers["Location"]
    assert "25 customers selected." in text(get_page(admin_client, page_url))


def test_assign_a_group_to_the_checked_customers_only(login, make, ruizes):
    operator = login(Role.OPERATOR)
    matching, _others = ruizes
    gold = make.group("Gold")
    response = operator.post_form(f"{CUSTOMERS}action/", {
        "action": "assign_group", "rowid": [str(matching[0].id), str(matching[1].id)]})
    page_url = response.headers["Location"]
    assert "2 customers selected." in text(get_page(operator, page_url))
    operator.post_form(page_url, {"group": str(gold.id), "confirmed": "1"})
    assert db.session.scalar(select(func.count()).where(Customer.group_id == gold.id)) == 2


def test_delete_every_matching_row(admin_client, ruizes):
    response = act_on_all(admin_client, "search=ruiz", "delete")
    assert response.status_code == 302
    surnames = set(db.session.scalars(select(Customer.surname)))
    assert surnames == {"Otero"}


def test_a_role_without_the_action_cannot_forge_it_for_every_row(login, ruizes):
    response = act_on_all(login(Role.OPERATOR), "search=ruiz", "delete")
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 28


def test_add_balance_to_every_wallet_of_a_filtered_campaign(login, make):
    manager = login(Role.MANAGER)
    madrid, bilbao = make.outlet("Madrid"), make.outlet("Bilbao")
    campaign = [make.wallet(make.customer(), outlet=madrid) for _ in range(22)]
    untouched = make.wallet(make.customer(), outlet=bilbao)
    query = f"flt0_outlet_any_of={madrid.id}"
    response = act_on_all(manager, query, "add_balance", base="/admin/wallets/")
    page_url = response.headers["Location"]
    page = get_page(manager, page_url)
    assert "each of 22 wallets" in text(page)
    key = hidden_value(page, "idempotency_key")
    response = manager.post_form(page_url, {"amount": "5.00", "reason": "Campaign",
                                            "idempotency_key": key})
    assert response.status_code == 302
    db.session.expire_all()
    assert {db.session.get(Wallet, w.id).balance_minor for w in campaign} == {500}
    assert db.session.get(Wallet, untouched.id).balance_minor == 0
    assert db.session.scalar(select(func.count()).select_from(WalletTransaction)) == 22


def test_the_confirmation_names_the_action(admin_client, ruizes):
    page = get_page(admin_client, CUSTOMERS, search="ruiz")
    # The script fills {action} with the label of the action chosen.
    confirm = re.search(r'data-confirm="([^"]*)"', page).group(1)
    assert "{action}" in confirm
