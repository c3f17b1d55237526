"""Searches find what staff type: orders by the buyer's name, email or phone as
well as by sale code; a wallet ID with or without its dash, in any case; and
the blacklist shows who holds each number (in English and in Spanish)."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from admin_app.choices import Role
from admin_app.extensions import db

from ..pages import get_page, list_headers, listed_ids, speak, table_rows

ORDERS = "/admin/orders/"
WALLETS = "/admin/wallets/"
BLACKLIST = "/admin/blacklist/"


@pytest.fixture
def buyers(make):
    ana = make.customer("Ana", "García", email="ana.garcia@example.com", phone="+34600111222")
    bruno = make.customer("Bruno", "Otero", email="bruno@example.org", phone="+34699887766")
    pepe = make.guest("Pepe Ruiz", email="pepe@example.net", phone="+34611222333")
    return {
        "ana": [make.order(ana, sale_code="S000000101"), make.order(ana, sale_code="S000000102")],
        "bruno": [make.order(bruno, sale_code="S000000201")],
        "pepe": [make.order(guest=pepe, sale_code="S000000301")],
    }


@pytest.mark.parametrize("typed, buyer", [
    ("garcía", "ana"),              # surname, accent as written
    ("GARCIA", "ana"),              # any case, without the accent
    ("Ana García", "ana"),          # full name: every word must match
    ("ana.garcia@example.com", "ana"),  # email
    ("600 11 12 22", "ana"),        # phone, the way people say it
    ("+34600111222", "ana"),        # phone as stored
    ("0034 600 111 222", "ana"),    # phone with the international prefix
    ("pepe ruiz", "pepe"),          # a guest's name
    ("pepe@example.net", "pepe"),   # a guest's email
    ("611 222 333", "pepe"),        # a guest's phone
    ("s0000002", "bruno"),          # the sale code's beginning, in any case, still
])
@pytest.mark.parametrize("language", ["en", "es"])
def test_orders_are_found_by_the_buyer_or_the_sale_code(login, users, buyers, typed, buyer,
                                                        language):
    viewer = login(Role.VIEWER)
    speak(users[Role.VIEWER], language)
    found = listed_ids(get_page(viewer, ORDERS, search=typed))
    assert sorted(found) == sorted(order.id for order in buyers[buyer])


def test_an_order_search_matches_nobody_else(login, buyers):
    viewer = login(Role.VIEWER)
    assert listed_ids(get_page(viewer, ORDERS, search="Nadie")) == []
    assert listed_ids(get_page(viewer, ORDERS, search="100%")) == []


def test_the_order_search_box_says_what_it_finds(login, users, buyers):
    viewer = login(Role.VIEWER)
    assert "Sale code, or the buyer&#39;s name, email or phone" in get_page(viewer, ORDERS)
    speak(users[Role.VIEWER], "es")
    assert ("Código de venta, o nombre, correo electrónico o teléfono del comprador"
            in get_page(viewer, ORDERS))


def test_an_order_search_reads_no_order_row_by_pattern(login, buyers):
    """The buyer is looked up through the people's search index; the orders are
    reached through their own indexes, never by a LIKE over the order table."""
    viewer = login(Role.VIEWER)
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        get_page(viewer, ORDERS, search="garcía")
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    listing = [s for s in statements if "FROM orders" in s and "search_text" in s]
    assert listing, statements
    for statement in listing:
        assert "orders.sale_code LIKE" not in statement
        assert "lower(" not in statement.split("FROM orders", 1)[1].split("customers")[0]


# -- wallet IDs ---------------------------------------------------------------------------

@pytest.fixture
def two_wallets(make):
    target = make.wallet(make.customer("Lucía", "Moreno"), wallet_code="ABCD-2345")
    other = make.wallet(make.customer("Bruno", "Otero"), wallet_code="WXYZ-6789")
    return target, other


@pytest.mark.parametrize("typed", [
    "ABCD2345", "abcd2345", "AbCd2345",      # without the dash, any case
    "abcd-2345", "ABCD 2345", " abcd2345 ",  # with it, or a space, as read aloud
    "abcd23",                                # the beginning, without the dash
])
def test_a_wallet_id_is_found_with_or_without_its_dash_in_any_case(admin_client, two_wallets,
                                                                   typed):
    target, _other = two_wallets
    assert listed_ids(get_page(admin_client, WALLETS, search=typed)) == [target.id]


# -- who holds a blacklisted number --------------------------------------------------------

@pytest.mark.parametrize("language, header, nobody, guest", [
    ("en", "Held by", "Nobody", "Guest"),
    ("es", "Titulares", "Nadie", "Invitado"),
])
def test_the_blacklist_shows_who_holds_each_number(login, users, make, language, header,
                                                   nobody, guest):
    ana = make.customer("Ana", "García", phone="+34600111222")
    pepe = make.guest("Pepe Ruiz", phone="+34600111222")
    make.customer("Bruno", "Otero", phone="+34699887766")  # not blacklisted
    shared = make.blacklist("+34600111222")
    unknown = make.blacklist("+34655444333")
    viewer = login(Role.VIEWER)
    speak(users[Role.VIEWER], language)
    page = get_page(viewer, BLACKLIST)
    assert list_headers(page)[1] == header
    rows = {row["id"]: row for row in table_rows(page)}
    assert rows[shared.id]["holders"].replace(" ,", ",") == f"Ana García, Pepe Ruiz {guest}"
    assert f'href="/admin/customers/details/?id={ana.id}"' in rows[shared.id]["holders_html"]
    assert f'href="/admin/guests/details/?id={pepe.id}"' in rows[shared.id]["holders_html"]
    assert rows[unknown.id]["holders"] == nobody


def test_many_holders_are_summed_up(admin_client, make):
    for n in range(5):
        make.customer(f"Ana{n}", "Ruiz", phone="+34600111222")
    entry = make.blacklist("+34600111222")
    [row] = table_rows(get_page(admin_client, BLACKLIST))
    assert row["id"] == entry.id
    assert row["holders"].replace(" ,", ",") == "Ana0 Ruiz, Ana1 Ruiz, Ana2 Ruiz, and 2 more"
