"""Add balance, adjust points and account limit, as staff use them in the browser."""
from __future__ import annotations

import html
import re
import threading
from datetime import date, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import select

from admin_app.choices import Role, WalletStatus, WalletTxKind
from admin_app.extensions import db
from admin_app.models import (
    AdminUser,
    Customer,
    LoyaltyTransaction,
    Notification,
    Wallet,
    WalletTransaction,
)
from admin_app.services import ledger

from ..pages import flashes, form_errors, fresh, get_page, hidden_value, row_count, speak, text


def add_url(wallet_id) -> str:
    return f"/admin/wallets/add-balance/?id={wallet_id}"


def post_add(client, url, **fields):
    page = get_page(client, url)
    data = {"amount": "12.50", "reason": "Goodwill",
            "idempotency_key": hidden_value(page, "idempotency_key"), **fields}
    return client.post_form(url, data)


# -- add balance on a wallet -----------------------------------------------------------

def test_manager_adds_balance_and_sees_it_on_the_wallet(manager, wallet, customer):
    response = post_add(manager, add_url(wallet.id), amount="12.50", reason="Gift card sale")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/wallets/details/?id={wallet.id}")
    page = get_page(manager, response.headers["Location"])
    assert ("success", f"Added €12.50 to wallet {wallet.wallet_code}. "
                       "Available balance: €12.50.") in flashes(page)
    assert "Gift card sale" in page  # the history row on the details page
    row = db.session.scalars(select(WalletTransaction)).one()
    manager_id = db.session.scalar(
        select(AdminUser.id).where(AdminUser.email == "manager@example.com"))
    assert (row.amount_minor, row.kind, row.actor_id) == (1250, WalletTxKind.TOP_UP, manager_id)
    assert fresh(Customer, customer.id).balance_minor == 1250


def test_adding_balance_from_a_searched_sorted_page_returns_to_that_page(manager, make):
    """The row's add-balance button, from page 2 of a searched and sorted list of
    wallets: saving and cancelling go back to that page, not to the wallet."""
    owners = [make.customer("Rosa", f"García {n}") for n in range(25)]
    for owner in owners:
        make.wallet(owner)
    listed = "/admin/wallets/?search=garc&sort=0&page=1"
    page = get_page(manager, listed)
    button = re.search(r'href="(/admin/wallets/add-balance/\?id=(\d+)[^"]*)"', page)
    assert button, "no add-balance button on the row"
    url, wallet_id = html.unescape(button.group(1)), int(button.group(2))
    back = re.search(r'href="([^"]*)"[^>]*>\s*(?:Cancel|Cancelar)', get_page(manager, url))
    assert back and _the_list(html.unescape(back.group(1))) == _the_list(listed)
    response = post_add(manager, url, amount="1.00")
    assert response.status_code == 302
    assert _the_list(response.headers["Location"]) == _the_list(listed)
    assert fresh(Wallet, wallet_id).balance_minor == 100


@pytest.mark.parametrize("target", ["//evil.example", "http:/evil.example", "/\\evil.example",
                                    "https://evil.example/admin/wallets/", "javascript:alert(1)"])
def test_adding_balance_never_returns_off_the_site(manager, wallet, target):
    response = post_add(manager, f"{add_url(wallet.id)}&url={quote(target)}", amount="1.00")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/wallets/details/?id={wallet.id}"


def _the_list(url: str) -> tuple:
    """Which list a URL shows: its path, search, sort and page."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return parts.path, query.get("search"), query.get("sort"), query.get("page")


@pytest.mark.parametrize("typed, cents", [("12,50", 1250), ("1.234,50", 123450),
                                          ("-0,75", -75), ("12.50", 1250)])
def test_amounts_typed_the_spanish_way(manager, wallet, typed, cents):
    ledger.add_balance(wallet, 1000, actor=None, reason="x", idempotency_key="seed")
    db.session.commit()
    speak(manager.user, "es")
    assert post_add(manager, add_url(wallet.id), amount=typed).status_code == 302
    newest = db.session.scalars(
        select(WalletTransaction).order_by(WalletTransaction.id.desc())).first()
    assert newest.amount_minor == cents


def test_a_negative_amount_deducts(manager, wallet):
    ledger.add_balance(wallet, 1000, actor=None, reason="x", idempotency_key="seed")
    db.session.commit()
    assert post_add(manager, add_url(wallet.id), amount="-5.00").status_code == 302
    assert fresh(Wallet, wallet.id).balance_minor == 500
    newest = db.session.scalars(
        select(WalletTransaction).order_by(WalletTransaction.id.desc())).first()
    assert newest.kind == WalletTxKind.DEDUCTION


@pytest.mark.parametrize("typed", ["", "abc", "12.345", "1e3", "0"])
def test_malformed_or_zero_amounts_are_refused_and_nothing_is_written(manager, wallet, typed):
    response = post_add(manager, add_url(wallet.id), amount=typed)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert form_errors(page).get("amount") or [c for c, _ in flashes(page) if c == "danger"]
    assert row_count(WalletTransaction) == 0


@pytest.mark.parametrize("typed", ["   ", "\t", "\u00a0"])
def test_an_amount_of_only_spaces_is_asked_for_under_its_field(manager, wallet, typed):
    response = post_add(manager, add_url(wallet.id), amount=typed)
    assert response.status_code == 400
    assert form_errors(response.get_data(as_text=True))["amount"] == ["This field is required."]
    assert row_count(WalletTransaction) == 0


@pytest.mark.parametrize("language, typed, message", [
    ("en", "5 USD", '"5 USD" is in US dollars (USD): enter the amount in euros (EUR).'),
    ("en", "$5", '"$5" is in US dollars (USD): enter the amount in euros (EUR).'),
    ("en", "US$5", '"US$5" is in US dollars (USD): enter the amount in euros (EUR).'),
    ("en", "5 £", '"5 £" is in British pounds (GBP): enter the amount in euros (EUR).'),
    ("es", "5 USD", "«5 USD» está en dólares estadounidenses (USD): escriba el importe en "
                    "euros (EUR)."),
    ("es", "$5", '«$5» está en dólares estadounidenses (USD)'),
    ("es", "5 £", '«5 £» está en libras esterlinas (GBP)'),
])
def test_another_currency_is_refused_and_nothing_is_written(manager, wallet, language, typed,
                                                             message):
    speak(manager.user, language)
    response = post_add(manager, add_url(wallet.id), amount=typed)
    assert response.status_code == 400
    assert any(message in error for error in form_errors(response.get_data(as_text=True))["amount"])
    assert row_count(WalletTransaction) == 0
    assert fresh(Wallet, wallet.id).balance_minor == 0


@pytest.mark.parametrize("language, message", [
    ("en", '"5 USD" is in US dollars (USD): enter the amount in euros (EUR).'),
    ("es", "«5 USD» está en dólares estadounidenses (USD): escriba el importe en euros (EUR)."),
])
def test_another_currency_is_said_once_on_the_amount_field(manager, wallet, language, message):
    speak(manager.user, language)
    response = post_add(manager, add_url(wallet.id), amount="5 USD")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert form_errors(page) == {"amount": [message]}
    assert flashes(page) == []
    assert page.count("(EUR)") == 1, "the wallet's currency is named once"
    assert row_count(WalletTransaction) == 0


@pytest.mark.parametrize("language, typed, cents", [
    ("es", "5 €", 500), ("es", "5 EUR", 500), ("es", "5,50", 550), ("en", "€5", 500),
])
def test_the_wallets_own_currency_is_still_credited(manager, wallet, language, typed, cents):
    speak(manager.user, language)
    assert post_add(manager, add_url(wallet.id), amount=typed).status_code == 302
    assert fresh(Wallet, wallet.id).balance_minor == cents


def test_going_below_zero_is_refused_with_a_message(manager, wallet):
    response = post_add(manager, add_url(wallet.id), amount="-0.01")
    assert response.status_code == 400
    [(category, message)] = flashes(response.get_data(as_text=True))
    assert category == "danger" and "below zero" in message
    assert row_count(WalletTransaction) == 0


def test_a_blocked_wallet_is_refused(manager, make, customer):
    blocked = make.wallet(customer, status=WalletStatus.BLOCKED)
    response = post_add(manager, add_url(blocked.id))
    assert response.status_code == 400
    assert "blocked" in " ".join(m for _, m in flashes(response.get_data(as_text=True)))
    assert row_count(WalletTransaction) == 0


def test_a_double_submit_posts_once(manager, wallet):
    page = get_page(manager, add_url(wallet.id))
    data = {"amount": "10", "reason": "Once",
            "idempotency_key": hidden_value(page, "idempotency_key")}
    assert manager.post_form(add_url(wallet.id), data).status_code == 302
    assert manager.post_form(add_url(wallet.id), data).status_code == 302
    assert row_count(WalletTransaction) == 1
    assert fresh(Wallet, wallet.id).balance_minor == 1000


def test_a_post_without_csrf_token_writes_nothing(manager, wallet):
    response = manager.post(add_url(wallet.id), data={"amount": "10", "reason": "x",
                                                       "idempotency_key": "k"})
    assert response.status_code == 400
    assert row_count(WalletTransaction) == 0


def test_credit_with_an_expiry_date_and_a_notification(manager, wallet, customer):
    expires = date.today() + timedelta(days=30)
    response = post_add(manager, add_url(wallet.id), amount="20", notify="y",
                        expires_at=expires.isoformat())
    assert response.status_code == 302
    row = db.session.scalars(select(WalletTransaction)).one()
    assert row.credit_expires_on == expires and row.customer_notified
    note = db.session.scalars(select(Notification)).one()
    assert note.customer_id == customer.id and note.language == "es"
    assert "20,00\xa0€" in note.body  # CLDR: a no-break space before the sign


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_roles_below_manager_cannot_move_money(login, wallet, role):
    client = login(role)
    assert client.get(add_url(wallet.id)).status_code == 403
    response = client.post_form(add_url(wallet.id), {"amount": "10", "reason": "x",
                                                     "idempotency_key": "forged"})
    assert response.status_code == 403
    assert row_count(WalletTransaction) == 0
    page = get_page(client, f"/admin/wallets/details/?id={wallet.id}")
    assert "/add-balance/" not in page
    assert "/add-balance/" not in get_page(client, "/admin/wallets/")


def test_unknown_wallet_is_not_found(manager):
    assert manager.get(add_url(999999)).status_code == 404


# -- bulk ---------------------------------------------------------------------------------

def test_bulk_credit_gives_each_selected_wallet_its_own_row(manager, make, customer):
    wallets = [make.wallet(customer), make.wallet(make.customer()), make.wallet(None)]
    ids = [str(w.id) for w in wallets]
    response = manager.post_form("/admin/wallets/action/",
                                 {"action": "add_balance", "rowid": ids})
    assert response.status_code == 302
    url = response.headers["Location"]
    page = get_page(manager, url)
    assert "3 wallets" in page
    data = {"amount": "5", "reason": "Campaign",
            "idempotency_key": hidden_value(page, "idempotency_key")}
    assert manager.post_form(url, data).status_code == 302
    assert manager.post_form(url, data).status_code == 302  # a double submit posts once
    assert sorted(db.session.scalars(select(WalletTransaction.wallet_id))) == sorted(
        w.id for w in wallets)
    assert ledger.verify() == []


def test_bulk_credit_is_refused_whole_when_one_wallet_is_blocked(manager, make, customer):
    good = make.wallet(customer)
    blocked = make.wallet(customer, status=WalletStatus.BLOCKED)
    url = f"/admin/wallets/add-balance/?id={good.id}&id={blocked.id}"
    assert post_add(manager, url).status_code == 400
    assert row_count(WalletTransaction) == 0


def test_the_bulk_action_is_refused_to_operators(login, wallet):
    client = login(Role.OPERATOR)
    response = client.post_form("/admin/wallets/action/",
                                {"action": "add_balance", "rowid": [str(wallet.id)]})
    assert response.status_code == 403


# -- on a customer: store credit ------------------------------------------------------------

def test_customer_add_balance_uses_one_store_credit_wallet(manager, customer):
    url = f"/admin/customers/add-balance/?id={customer.id}"
    assert post_add(manager, url, amount="10").status_code == 302
    assert post_add(manager, url, amount="2.50").status_code == 302
    wallet = db.session.scalars(select(Wallet)).one()
    assert wallet.is_store_credit and wallet.customer_id == customer.id
    assert fresh(Customer, customer.id).balance_minor == 1250


# -- points ---------------------------------------------------------------------------------

def test_adjust_points_page(manager, customer):
    url = f"/admin/customers/adjust-points/?id={customer.id}"
    page = get_page(manager, url)
    key = hidden_value(page, "idempotency_key")
    response = manager.post_form(url, {"points": "150", "reason": "Goodwill",
                                       "idempotency_key": key})
    assert response.status_code == 302
    assert fresh(Customer, customer.id).loyalty_points == 150
    response = manager.post_form(url, {"points": "-151", "reason": "Too many",
                                       "idempotency_key": "other"})
    assert response.status_code == 400
    assert "below zero" in " ".join(m for _, m in flashes(response.get_data(as_text=True)))
    response = manager.post_form(url, {"points": "1.5", "reason": "x", "idempotency_key": "k3"})
    assert response.status_code == 400 and "points" in form_errors(response.get_data(as_text=True))
    assert row_count(LoyaltyTransaction) == 1
    history = get_page(manager, "/admin/loyalty-history/", flt0_customer_number_is=customer.id)
    assert "Goodwill" in history


def test_points_for_a_non_member_are_refused(manager, make):
    outsider = make.customer(loyalty_member=False)
    url = f"/admin/customers/adjust-points/?id={outsider.id}"
    response = manager.post_form(url, {"points": "10", "reason": "x", "idempotency_key": "k"})
    assert response.status_code == 400
    assert row_count(LoyaltyTransaction) == 0


# -- account limit --------------------------------------------------------------------------

def test_manager_sets_and_removes_an_account_limit(manager, customer):
    url = f"/admin/customers/account-limit/?id={customer.id}"
    assert manager.post_form(url, {"limit": "500"}).status_code == 302
    assert fresh(Customer, customer.id).account_limit_minor == 50000
    assert "500.00" in get_page(manager, url)  # the form shows the current limit
    assert manager.post_form(url, {"limit": ""}).status_code == 302
    assert fresh(Customer, customer.id).account_limit_minor is None


def test_operator_cannot_set_an_account_limit(login, customer):
    client = login(Role.OPERATOR)
    url = f"/admin/customers/account-limit/?id={customer.id}"
    assert client.post_form(url, {"limit": "500"}).status_code == 403
    assert fresh(Customer, customer.id).account_limit_minor is None


# -- wallet edits keep the owner's balance -----------------------------------------------------

def test_blocking_a_wallet_in_its_form_takes_it_out_of_the_customer_balance(
        manager, wallet, customer):
    ledger.add_balance(wallet, 1000, actor=None, reason="x", idempotency_key="seed")
    db.session.commit()
    response = manager.post_form(f"/admin/wallets/edit/?id={wallet.id}", {
        "customer": str(customer.id), "status": WalletStatus.BLOCKED, "outlet": "__None",
        "discount_code": "__None"})
    assert response.status_code == 302
    assert fresh(Customer, customer.id).balance_minor == 0
    assert ledger.verify() == []


def test_giving_a_wallet_to_another_customer_moves_its_balance(manager, make, wallet, customer):
    ledger.add_balance(wallet, 1000, actor=None, reason="x", idempotency_key="seed")
    db.session.commit()
    other = make.customer()
    response = manager.post_form(f"/admin/wallets/edit/?id={wallet.id}", {
        "customer": str(other.id), "status": WalletStatus.ACTIVE, "outlet": "__None",
        "discount_code": "__None"})
    assert response.status_code == 302
    assert fresh(Customer, customer.id).balance_minor == 0
    assert fresh(Customer, other.id).balance_minor == 1000
    assert ledger.verify() == []


# -- details pages ------------------------------------------------------------------------------

def test_wallet_details_show_available_balance_without_expired_credit(manager, wallet):
    past = date.today() - timedelta(days=10)
    from datetime import datetime
    ledger.add_balance(wallet, 1000, actor=None, reason="Old credit", idempotency_key="a",
                       expires_on=past,
                       now=datetime.combine(past - timedelta(days=5), datetime.min.time()))
    ledger.add_balance(wallet, 250, actor=None, reason="New credit", idempotency_key="b")
    db.session.commit()
    page = get_page(manager, f"/admin/wallets/details/?id={wallet.id}")
    assert "€2.50" in text(page.split("Available balance", 1)[1][:200])
    assert "€10.00 of expired credit is not available." in text(page)


def test_customer_details_show_every_section(manager, make, customer, wallet):
    make.order(customer, sale_code="S000000042", total_minor=3995)
    ledger.add_balance(wallet, 700, actor=None, reason="Refund as credit", idempotency_key="a")
    ledger.adjust_points(customer, 40, actor=None, reason="Welcome", idempotency_key="p")
    db.session.commit()
    page = text(get_page(manager, f"/admin/customers/details/?id={customer.id}"))
    for expected in ("Orders", "S000000042", "€39.95", "Store credit and wallets",
                     wallet.wallet_code, "Refund as credit", "Loyalty points", "Welcome",
                     "On account", "Addresses", "Wishlist", "Offers", "Add balance",
                     "Adjust points", "Account limit"):
        assert expected in page, expected


def test_viewer_sees_customer_details_without_money_buttons(login, customer):
    page = get_page(login(Role.VIEWER), f"/admin/customers/details/?id={customer.id}")
    assert "/add-balance/" not in page and "/adjust-points/" not in page


# -- sharing -----------------------------------------------------------------------------------

def test_operator_shares_a_wallet_and_the_link_opens_without_login(login, app, wallet):
    client = login(Role.OPERATOR)
    response = client.post_form("/admin/wallets/share/", {"id": str(wallet.id)})
    assert response.status_code == 200
    link = hidden_link = response.get_data(as_text=True).split('id="share-link"', 1)[1]
    link = link.split('value="', 1)[1].split('"', 1)[0]
    assert "/share/wallet/" in link and hidden_link
    public = app.test_client().get(link.replace("http://localhost", ""))
    assert public.status_code == 200 and wallet.wallet_code in public.get_data(as_text=True)


def test_viewer_cannot_share(login, wallet):
    response = login(Role.VIEWER).post_form("/admin/wallets/share/", {"id": str(wallet.id)})
    assert response.status_code == 403


# -- concurrency through the real pages --------------------------------------------------------

@pytest.mark.slow
def test_concurrent_posts_to_the_add_balance_page_lose_nothing(app, users, wallet):
    ledger.add_balance(wallet, 100_000, actor=None, reason="Float", idempotency_key="seed")
    db.session.commit()
    wallet_id, manager = wallet.id, users[Role.MANAGER]
    amounts = [((n % 7) + 1) * 100 if n % 2 else -(((n % 5) + 1) * 50) for n in range(200)]
    statuses = []

    def operator(share):
        client = app.test_client()
        with app.app_context():
            client.login(manager)
            token = client.csrf_token()
            for n, amount in share:
                cents = f"{'-' if amount < 0 else ''}{abs(amount) // 100}.{abs(amount) % 100:02d}"
                response = client.post(add_url(wallet_id), data={
                    "csrf_token": token, "amount": cents, "reason": "Concurrent",
                    "idempotency_key": f"thread-post-{n}"})
                statuses.append(response.status_code)
            db.session.remove()

    work = list(enumerate(amounts))
    threads = [threading.Thread(target=operator, args=(work[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * 200
    assert fresh(Wallet, wallet_id).balance_minor == 100_000 + sum(amounts)
    assert row_count(WalletTransaction) == 201
    assert ledger.verify() == []
