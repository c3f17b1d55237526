"""Bulk actions on every row that matches the list's search and filters, not only
the checked rows of the page, after a confirmation stating the count."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import BlacklistEntry, Customer, Wallet, WalletTransaction
from admin_app.services import ledger

from ..pages import flashes, get_page, hidden_value, text

HUGE = "99999999999999999999"

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


# -- an unreadable filter never widens an action to every record -------------------

REFUSED = {
    "en": "Nothing was changed: a filter or the search of this list could not be read, "
          "so the action would have reached every record.",
    "es": "No se ha cambiado nada: un filtro o la búsqueda de esta lista no se pudo leer, "
          "así que la acción habría llegado a todos los registros.",
}


def _in_language(client, language):
    client.post_form("/language", {"language": language, "next": "/admin/"})
    return client


@pytest.mark.parametrize("language", ("en", "es"))
@pytest.mark.parametrize("query", ("flt0_reason_is=othr", "flt0_reason_iz=other",
                                   "flt0_date_between=2026-13-01+to+2026-01-01",
                                   "search=" + "+".join(f"w{n}" for n in range(40))))
def test_an_unreadable_filter_stops_a_delete_of_every_match(login, make, language, query):
    for n in range(3):
        make.blacklist(f"+3460011122{n}", reason="other")
    client = _in_language(login(Role.MANAGER), language)
    response = act_on_all(client, query, "delete", base="/admin/blacklist/")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(BlacklistEntry)) == 3
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ("danger", REFUSED[language]) in flashes(page)


@pytest.mark.parametrize("language", ("en", "es"))
def test_an_unreadable_filter_stops_adding_balance_to_every_match(login, make, language):
    madrid = make.outlet("Madrid")
    wallets = [make.wallet(make.customer(), outlet=madrid) for _ in range(3)]
    manager = _in_language(login(Role.MANAGER), language)
    page_url = f"/admin/wallets/add-balance/?matching=all&flt0_outlet_any_of={HUGE}"
    assert manager.get(page_url).status_code == 302  # the form is not offered
    response = manager.post_form(page_url, {"amount": "5.00", "reason": "Campaign",
                                            "idempotency_key": "k1"})
    assert response.status_code == 302
    page = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert ("danger", REFUSED[language]) in flashes(page)
    db.session.expire_all()
    assert {db.session.get(Wallet, w.id).balance_minor for w in wallets} == {0}
    assert db.session.scalar(select(func.count()).select_from(WalletTransaction)) == 0


# -- a bulk delete is all or nothing ---------------------------------------------

@pytest.fixture
def one_holds_points(make, users):
    """Three customers; the middle one (by id) still has loyalty points."""
    first, held, last = (make.customer("Ana", "Ruiz"), make.customer("Bea", "Ruiz"),
                         make.customer("Eva", "Ruiz"))
    held.loyalty_member = True
    ledger.adjust_points(held, 40, actor=None, reason="Welcome", idempotency_key="p1")
    db.session.commit()
    return first, held, last


def _ruiz_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Customer)
                             .where(Customer.surname == "Ruiz"))


@pytest.mark.parametrize("how", ("checked", "all-matching"))
def test_a_bulk_delete_deletes_none_when_one_customer_may_not_go(
        admin_client, one_holds_points, how):
    first, held, last = one_holds_points
    if how == "checked":
        response = admin_client.post_form(CUSTOMERS + "action/", {
            "action": "delete", "rowid": [str(c.id) for c in one_holds_points]})
    else:
        response = act_on_all(admin_client, "search=ruiz", "delete")
    db.session.expire_all()
    assert _ruiz_count() == 3  # the customer before the refused one is still there
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert ("danger", "Nothing was deleted: 1 customer cannot be deleted.") in flashes(page)
    assert any("Bea Ruiz cannot be deleted: they still have 40 loyalty points" in message
               for _category, message in flashes(page))


def test_the_refusals_are_named_in_spanish(login, one_holds_points):
    client = _in_language(login(Role.MANAGER), "es")
    response = act_on_all(client, "search=ruiz", "delete")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    messages = [message for _category, message in flashes(page)]
    assert "No se ha eliminado nada: 1 cliente no se puede eliminar." in messages
    assert any(m.startswith("No se puede eliminar a Bea Ruiz: ") for m in messages), messages
    assert _ruiz_count() == 3


def test_a_bulk_delete_of_deletable_customers_deletes_them_all(admin_client, make):
    ruizes = [make.customer(f"Ana{n}", "Ruiz") for n in range(3)]
    response = act_on_all(admin_client, "search=ruiz", "delete")
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert ("success", "Deleted 3 customers.") in flashes(page)
    assert _ruiz_count() == 0 and len(ruizes) == 3


# url_for's own words, and Python's, among a list's query arguments.
URL_FOR_WORDS = "_method=POST&endpoint=x&self=x&_anchor=x&_external=1&_scheme=javascript"


@pytest.mark.parametrize("page", ["", "&page=1", "&page=90"])
def test_a_list_keeps_any_query_argument_as_a_plain_argument(admin_client, ruizes, page):
    response = admin_client.get(f"{CUSTOMERS}?search=ruiz&{URL_FOR_WORDS}{page}")
    assert response.status_code == 200
    links = re.findall(r'href="([^"]*)"', response.get_data(as_text=True))
    assert not [link for link in links if "#x" in link or link.startswith(
        ("http:", "https:", "//", "javascript:alert"))]
    # Pager, sort and export links carry them on as they came.
    assert [link for link in links if "/export/csv/?" in link and "_scheme=javascript" in link]


@pytest.mark.parametrize("query, action", [("search=ruiz", "assign_group"),
                                           ("flt0_group_equals=2147483648", "assign_group"),
                                           ("flt0_group_equals=2147483648", "delete")])
def test_every_matching_record_with_url_for_words_in_the_query(admin_client, ruizes, query,
                                                               action):
    """Readable or not, the list's query goes on to the bulk page, or back to the
    list with the refusal, as plain arguments: never a server error."""
    response = act_on_all(admin_client, f"{query}&{URL_FOR_WORDS}", action)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(CUSTOMERS) and "#" not in location
    assert "endpoint=x" in location
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 28


def test_an_export_refused_with_url_for_words_in_the_query_goes_back_to_the_list(
        admin_client, ruizes):
    response = admin_client.get(
        f"{CUSTOMERS}export/csv/?matching=all&flt0_group_equals=2147483648&{URL_FOR_WORDS}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(CUSTOMERS)
