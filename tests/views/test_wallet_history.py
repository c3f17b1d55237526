"""Wallet and loyalty history: read-only lists of every ledger row, searchable and exportable."""
from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.services import ledger

from ..pages import get_page, table_rows

HISTORY = "/admin/wallet-history/"


@pytest.fixture
def movements(make):
    """Two customers' wallets with credits and debits at two outlets, on known days."""
    north, south = make.outlet("North"), make.outlet("South")
    ana = make.customer("Ana", "Alpha", email="ana@example.com", phone="+34600111222")
    bob = make.customer("Bob", "Beta", email="bob@example.com")
    ana_wallet, bob_wallet = make.wallet(ana), make.wallet(bob)
    rows = {
        "ana_credit": ledger.add_balance(ana_wallet, 5000, actor=None, reason="Gift card sale",
                                         idempotency_key="h1", now=datetime(2026, 1, 10, 10)),
        "ana_payment": ledger.pay(ana_wallet, 1500, idempotency_key="h2", outlet_id=north.id),
        "bob_credit": ledger.add_balance(bob_wallet, 800, actor=None, reason="Goodwill",
                                         idempotency_key="h3", now=datetime(2026, 2, 20, 10)),
        "bob_refund": ledger.refund(bob_wallet, 200, idempotency_key="h4", outlet_id=south.id),
    }
    db.session.commit()
    return {"north": north, "south": south, "ana": ana, "bob": bob, "ana_wallet": ana_wallet,
            "bob_wallet": bob_wallet, **{k: v.id for k, v in rows.items()}}


def ids(client, **params) -> set[int]:
    return {row["id"] for row in table_rows(get_page(client, HISTORY, **params))}


def test_every_movement_is_listed_with_who_what_and_balance_after(admin_client, movements):
    rows = {row["id"]: row for row in table_rows(get_page(admin_client, HISTORY))}
    credit = rows[movements["ana_credit"]]
    assert credit["wallet.customer"] == "Ana Alpha"
    assert credit["wallet.customer.email"] == "ana@example.com"
    assert credit["wallet.customer.phone"] == "+34 600 11 12 22"
    assert credit["wallet"] == movements["ana_wallet"].wallet_code
    assert (credit["amount_minor"], credit["direction"], credit["kind"]) == (
        "€50.00", "Credit", "Top-up")
    assert credit["balance_after_minor"] == "€50.00"
    assert rows[movements["ana_payment"]]["direction"] == "Debit"


def test_search_by_wallet_id_or_customer(admin_client, movements):
    assert ids(admin_client, search=movements["bob_wallet"].wallet_code) == {
        movements["bob_credit"], movements["bob_refund"]}
    assert ids(admin_client, search="ana@example") == {
        movements["ana_credit"], movements["ana_payment"]}


def test_filters_combine(admin_client, movements):
    assert ids(admin_client, flt0_direction_is="negative") == {movements["ana_payment"]}
    assert ids(admin_client, flt0_kind_is="refund") == {movements["bob_refund"]}
    assert ids(admin_client, flt0_date_between="2026-02-01 to 2026-02-28") == {
        movements["bob_credit"]}
    assert ids(admin_client, flt0_outlet_any_of=f"{movements['north'].id},{movements['south'].id}",
               flt1_direction_is="positive") == {movements["bob_refund"]}
    assert ids(admin_client, flt0_customer_number_is=movements["bob"].id) == {
        movements["bob_credit"], movements["bob_refund"]}


def test_the_history_is_read_only_for_every_role(login, movements):
    client = login(Role.ADMIN)
    row = movements["ana_credit"]
    assert client.get(f"{HISTORY}new/").status_code == 403
    assert client.get(f"{HISTORY}edit/?id={row}").status_code == 403
    assert client.post_form(f"{HISTORY}delete/", {"id": str(row)}).status_code == 403


def test_export_is_what_the_list_shows(login, movements):
    response = login(Role.OPERATOR).get(f"{HISTORY}export/csv/", query_string={
        "flt0_direction_is": "positive"})
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 3
    assert {row["Amount"] for row in rows} == {"50.00", "8.00", "2.00"}
    assert {row["Credit or debit"] for row in rows} == {"Credit"}


def test_loyalty_history_lists_points_movements(admin_client, make):
    member = make.customer("Eva", "Points", loyalty_member=True)
    ledger.adjust_points(member, 90, actor=None, reason="Welcome", idempotency_key="l1")
    ledger.adjust_points(member, -30, actor=None, reason="Reward", idempotency_key="l2")
    db.session.commit()
    page = get_page(admin_client, "/admin/loyalty-history/", flt0_direction_is="negative")
    [row] = table_rows(page)
    assert (row["points"], row["reason"], row["balance_after"]) == ("-30", "Reward", "60")


def _queries_for(client, url: str) -> int:
    from sqlalchemy import event

    seen = []

    def count(*_args, **_kwargs):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_a_history_page_costs_the_same_queries_for_2_rows_or_20(admin_client, make, users):
    def movements_of_new_customers(n):
        for _ in range(n):
            wallet = make.wallet(make.customer())
            ledger.add_balance(wallet, 100, actor=users[Role.ADMIN], reason="x",
                               idempotency_key=f"q-{wallet.id}")
        db.session.commit()

    movements_of_new_customers(2)
    few = _queries_for(admin_client, HISTORY)
    movements_of_new_customers(18)
    assert _queries_for(admin_client, HISTORY) == few


def _speaking(login, language: str):
    client = login(Role.OPERATOR)
    client.post_form("/language", {"language": language})
    return client


def test_reasons_the_system_gave_are_shown_in_the_readers_language(login, make, movements):
    member = make.customer("Eva", "Points", loyalty_member=True)
    ledger.adjust_points(member, 90, actor=None, reason="Reward", idempotency_key="l1")
    # Written in Spanish before reasons were stored in English: read in English too.
    ledger.add_balance(movements["bob_wallet"], 100, actor=None, reason="Compra",
                       idempotency_key="h5")
    db.session.commit()
    for language, gift, purchase, refund, reward in (
        ("en", "Gift card sale", "Purchase", "Refund", "Reward"),
        ("es", "Venta de tarjeta regalo", "Compra", "Reembolso", "Recompensa"),
    ):
        client = _speaking(login, language)
        reasons = {row["id"]: row["reason"] for row in table_rows(get_page(client, HISTORY))}
        assert reasons[movements["ana_credit"]] == gift
        assert reasons[movements["ana_payment"]] == purchase
        assert reasons[movements["bob_refund"]] == refund
        assert reasons[movements["bob_credit"]] == "Goodwill"  # typed by staff: as typed
        assert sorted(reasons.values()).count(purchase) == 2
        [points] = table_rows(get_page(client, "/admin/loyalty-history/"))
        assert points["reason"] == reward
        wallet_page = get_page(client, f"/admin/wallets/details/?id={movements['ana_wallet'].id}")
        assert f"<td>{gift}</td>" in wallet_page and f"<td>{purchase}</td>" in wallet_page
        exported = client.get(f"{HISTORY}export/csv/").get_data(as_text=True)
        assert gift in exported and purchase in exported
