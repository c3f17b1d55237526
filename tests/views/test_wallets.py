"""/admin/wallets/: the list (columns, search, combinable filters, sorting), details,
the create and edit forms (only wallet-available discount codes, balance read-only,
managers only), the deletion rules and the CSV export.

Each test creates only the rows it needs and checks both the database and the page
the user sees. Every request of a test shares the test's app context (and so the
database session): ``fresh(Wallet, )`` re-reads rows as they are stored now.
"""
from __future__ import annotations

import html as html_lib
import json
import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from admin_app.choices import Role, WalletStatus, WalletTxKind
from admin_app.extensions import db
from admin_app.models import WALLET_CODE_ALPHABET, Wallet, WalletTransaction

from ..pages import (
    csv_rows,
    delete_from_list,
    detail_texts,
    edit_url,
    filter_options,
    flashes,
    form_errors,
    fresh,
    get_page,
    list_headers,
    listed_ids,
    only_row,
    refused,
    row_count,
    select_options,
    sort_links,
    sorted_ids,
    table_rows,
    the_error_flashed,
)

WALLETS = "/admin/wallets/"
NEW = WALLETS + "new/"
DELETE = WALLETS + "delete/"
EXPORT = WALLETS + "export/csv/"
LOOKUP = WALLETS + "ajax/lookup/"

# The wallet, whose it is, their email and its balance first: what a narrow screen keeps.
LIST_HEADERS = [
    "Wallet ID", "Customer", "Customer email", "Balance", "Status", "Created", "Outlet",
    "Discount", "Sale date", "Expiration date",
]
# Exports keep the order spreadsheets were built on.
EXPORT_HEADERS = [
    "Wallet ID", "Balance", "Created", "Status", "Outlet", "Customer", "Customer email",
    "Discount", "Sale date", "Expiration date",
]
UNSORTABLE = {"Customer", "Customer email", "Discount"}
CODE = re.compile(rf"^[{WALLET_CODE_ALPHABET}]{{4}}-[{WALLET_CODE_ALPHABET}]{{4}}$")


# -- forms and the database -----------------------------------------------------------

def post_ledger(wallet: Wallet, *amounts: int) -> None:
    """Ledger rows for ``wallet`` with the cached balance kept equal to their sum."""
    balance = wallet.balance_minor
    for amount in amounts:
        balance += amount
        db.session.add(WalletTransaction(
            wallet=wallet, amount_minor=amount, balance_after_minor=balance,
            kind=WalletTxKind.TOP_UP if amount > 0 else WalletTxKind.DEDUCTION,
            idempotency_key=f"test-{wallet.id}-{len(wallet.transactions.all())}-{amount}",
        ))
        db.session.flush()
    wallet.balance_minor = balance
    db.session.commit()


def form(**fields) -> dict:
    """A complete create/edit form; field names are the model's attribute names."""
    data = {"customer": "", "outlet": "__None", "status": "active",
            "discount_code": "__None", "sale_date": "", "expires_on": ""}
    data.update({key: str(value) for key, value in fields.items()})
    return data


def form_of(wallet: Wallet, **changes) -> dict:
    """The edit form as the page would post it for ``wallet``, with ``changes``."""
    data = form(
        customer=wallet.customer_id or "",
        outlet=wallet.outlet_id or "__None",
        status=wallet.status,
        discount_code=wallet.discount_code_id or "__None",
        sale_date=wallet.sale_date.isoformat() if wallet.sale_date else "",
        expires_on=wallet.expires_on.isoformat() if wallet.expires_on else "",
    )
    data.update({key: str(value) for key, value in changes.items()})
    return data


# -- list: columns and values -----------------------------------------------------

def test_list_shows_the_columns_in_order_and_which_sort(admin_client, make):
    make.wallet()
    page = get_page(admin_client, WALLETS)
    assert list_headers(page) == LIST_HEADERS
    assert set(sort_links(page)) == set(LIST_HEADERS) - UNSORTABLE


def test_list_row_shows_each_column_value(admin_client, make):
    customer = make.customer("Lucía", "Moreno", email="lucia@example.com")
    wallet = make.wallet(
        customer, wallet_code="ABCD-2345", outlet=make.outlet("Madrid Centro"),
        balance_minor=123456, status=WalletStatus.BLOCKED,
        discount_code=make.discount_code("WALLET10"), sale_date=date(2026, 1, 2),
        expires_on=date(2027, 1, 2), created_at=datetime(2026, 1, 15, 10, 30),
    )
    [row] = table_rows(get_page(admin_client, WALLETS))
    assert row["id"] == wallet.id
    assert row["wallet_code"] == "ABCD-2345"
    assert row["balance_minor"] == "€1,234.56"
    assert row["created_at"] == "1/15/2026 10:30 AM"
    assert row["status"] == "Blocked"
    assert row["outlet"] == "Madrid Centro"
    assert row["customer"] == "Lucía Moreno"
    assert row["customer.email"] == "lucia@example.com"
    assert row["discount_code"] == "WALLET10"
    assert row["sale_date"] == "1/2/2026"
    assert row["expires_on"] == "1/2/2027"


def test_unsold_gift_wallet_is_listed_with_empty_customer_cells(admin_client, make):
    wallet = make.wallet(None, wallet_code="GIFT-2345", balance_minor=0)
    [row] = table_rows(get_page(admin_client, WALLETS))
    assert row["id"] == wallet.id
    assert row["wallet_code"] == "GIFT-2345"
    assert row["balance_minor"] == "€0.00"
    assert row["status"] == "Active"
    assert row["customer"] == "" and row["customer.email"] == ""
    assert row["outlet"] == "" and row["discount_code"] == ""


def test_default_order_is_newest_first(admin_client, make):
    middle = make.wallet(created_at=datetime(2026, 2, 1))
    oldest = make.wallet(created_at=datetime(2025, 6, 1))
    newest = make.wallet(created_at=datetime(2026, 3, 1))
    assert listed_ids(get_page(admin_client, WALLETS)) == [newest.id, middle.id, oldest.id]


def test_details_show_every_field(admin_client, make):
    customer = make.customer("Lucía", "Moreno", email="lucia@example.com")
    madrid, sevilla = make.outlet("Madrid Centro"), make.outlet("Sevilla")
    wallet = make.wallet(
        customer, wallet_code="ABCD-2345", outlet=madrid, balance_minor=1250,
        discount_code=make.discount_code("WALLET10"), sale_date=date(2026, 1, 2),
        expires_on=date(2027, 1, 2), created_at=datetime(2026, 1, 15, 10, 30),
        is_store_credit=True, last_used_at=datetime(2026, 2, 3, 9, 5), last_used_outlet=sevilla,
    )
    details = detail_texts(get_page(admin_client, WALLETS + "details/", id=wallet.id))
    assert details["Wallet ID"] == "ABCD-2345"
    assert details["Balance"] == "€12.50"
    assert details["Status"] == "Active"
    assert details["Outlet"] == "Madrid Centro"
    assert details["Customer"] == "Lucía Moreno"
    assert details["Customer email"] == "lucia@example.com"
    assert details["Discount"] == "WALLET10"
    assert details["Sale date"] == "1/2/2026"
    assert details["Expiration date"] == "1/2/2027"
    assert details["Store credit"] == "Yes"
    assert details["Last used at"] == "Sevilla"
    assert details["Last used"] == "2/3/2026 9:05 AM"


# -- search ----------------------------------------------------------------------------

@pytest.fixture
def two_wallets(make):
    lucia = make.customer("Lucía", "Moreno", email="lucia.m@example.com")
    bruno = make.customer("Bruno", "Otero", email="bruno@example.org")
    target = make.wallet(lucia, wallet_code="ABCD-2345")
    other = make.wallet(bruno, wallet_code="WXYZ-6789")
    return target, other


@pytest.mark.parametrize("typed", [
    "ABCD-2345",            # wallet ID
    "abcd-2345",            # wallet ID, any case
    "ABCD",                 # part of the wallet ID
    "Lucía",                # customer first name
    "moreno",               # customer surname, any case
    "Lucía Moreno",         # full name: both words must match
    "lucia.m@example.com",  # customer email
    "LUCIA.M@",             # part of the email, any case
])
def test_search_finds_the_wallet_by_id_name_or_email(admin_client, two_wallets, typed):
    target, _other = two_wallets
    assert listed_ids(get_page(admin_client, WALLETS, search=typed)) == [target.id]


def test_search_finds_a_gift_wallet_without_customer_by_its_id(admin_client, two_wallets, make):
    gift = make.wallet(None, wallet_code="GIFT-2345")
    assert listed_ids(get_page(admin_client, WALLETS, search="GIFT-2345")) == [gift.id]


def test_search_with_no_match_lists_nothing_and_keeps_the_term(admin_client, two_wallets):
    page = get_page(admin_client, WALLETS, search="Nadie")
    assert listed_ids(page) == []
    assert 'value="Nadie"' in page


def test_search_does_not_match_other_columns(admin_client, make):
    # The outlet name and the discount code are not searchable.
    make.wallet(make.customer("Ana", "Alpha"), outlet=make.outlet("Lucerna"),
                discount_code=make.discount_code("LUCIA10"))
    assert listed_ids(get_page(admin_client, WALLETS, search="Lucerna")) == []
    assert listed_ids(get_page(admin_client, WALLETS, search="LUCIA10")) == []


# -- filters ---------------------------------------------------------------------------

@pytest.fixture
def january(make):
    """Wallets created just around January 2026: before, first second, last second, after."""
    return [
        make.wallet(created_at=datetime(2025, 12, 31, 23, 59, 59)),
        make.wallet(created_at=datetime(2026, 1, 1, 0, 0, 0)),
        make.wallet(created_at=datetime(2026, 1, 31, 23, 59, 59)),
        make.wallet(created_at=datetime(2026, 2, 1, 0, 0, 0)),
    ]


def _ids(wallets) -> set[int]:
    return {w.id for w in wallets}


def test_created_from_includes_that_whole_day(admin_client, january):
    page = get_page(admin_client, WALLETS, flt0_created_from="2026-01-01")
    assert set(listed_ids(page)) == _ids(january[1:])


def test_created_to_includes_that_whole_day(admin_client, january):
    page = get_page(admin_client, WALLETS, flt0_created_to="2026-01-31")
    assert set(listed_ids(page)) == _ids(january[:3])


def test_created_from_and_to_together(admin_client, january):
    page = get_page(admin_client, WALLETS,
                    flt0_created_from="2026-01-01", flt1_created_to="2026-01-31")
    assert set(listed_ids(page)) == _ids(january[1:3])


def test_created_from_and_to_the_same_day(admin_client, january):
    page = get_page(admin_client, WALLETS,
                    flt0_created_from="2026-01-31", flt1_created_to="2026-01-31")
    assert listed_ids(page) == [january[2].id]


@pytest.fixture
def three_outlets(make):
    outlets = [make.outlet("Madrid"), make.outlet("Sevilla"), make.outlet("Online")]
    wallets = [make.wallet(outlet=outlet) for outlet in outlets]
    no_outlet = make.wallet()
    return outlets, wallets, no_outlet


def test_outlet_filter_takes_one_outlet(admin_client, three_outlets):
    (madrid, _sevilla, _online), (in_madrid, _, _), _ = three_outlets
    page = get_page(admin_client, WALLETS, flt0_outlet_any_of=madrid.id)
    assert listed_ids(page) == [in_madrid.id]


def test_outlet_filter_takes_several_outlets_at_once(admin_client, three_outlets):
    (madrid, _sevilla, online), (in_madrid, _in_sevilla, in_online), _ = three_outlets
    page = get_page(admin_client, WALLETS, flt0_outlet_any_of=f"{madrid.id},{online.id}")
    assert set(listed_ids(page)) == {in_madrid.id, in_online.id}


def test_outlet_filter_offers_the_outlets_as_they_are_now(admin_client, make):
    # The app was built before this test: these outlets are newer than its views.
    sevilla = make.outlet("Sevilla")
    madrid = make.outlet("Madrid")
    assert filter_options(get_page(admin_client, WALLETS), "Outlet") == [
        [str(madrid.id), "Madrid"], [str(sevilla.id), "Sevilla"],
    ]
    late = make.outlet("Almería")
    assert [str(late.id), "Almería"] in filter_options(get_page(admin_client, WALLETS), "Outlet")


def test_outlet_filter_with_an_invalid_value_says_so_and_filters_nothing(admin_client,
                                                                        three_outlets):
    _, wallets, no_outlet = three_outlets
    page = get_page(admin_client, WALLETS, flt0_outlet_any_of="abc")
    assert set(listed_ids(page)) == _ids(wallets) | {no_outlet.id}
    assert any(category == "danger" for category, _ in flashes(page))


@pytest.mark.parametrize("status", [WalletStatus.ACTIVE, WalletStatus.BLOCKED])
def test_status_filter(admin_client, make, status):
    active = make.wallet(status=WalletStatus.ACTIVE)
    blocked = make.wallet(status=WalletStatus.BLOCKED)
    expected = active if status == WalletStatus.ACTIVE else blocked
    assert listed_ids(get_page(admin_client, WALLETS, flt0_status_is=status)) == [expected.id]


def test_status_filter_offers_the_two_statuses(admin_client, make):
    make.wallet()
    assert filter_options(get_page(admin_client, WALLETS), "Status") == [
        ["active", "Active"], ["blocked", "Blocked"],
    ]


def test_filters_combine(admin_client, make):
    madrid, sevilla, online = make.outlet("Madrid"), make.outlet("Sevilla"), make.outlet("Online")
    jan = datetime(2026, 1, 10)
    match_madrid = make.wallet(outlet=madrid, status=WalletStatus.BLOCKED, created_at=jan)
    match_sevilla = make.wallet(outlet=sevilla, status=WalletStatus.BLOCKED, created_at=jan)
    make.wallet(outlet=madrid, status=WalletStatus.ACTIVE, created_at=jan)        # status
    make.wallet(outlet=online, status=WalletStatus.BLOCKED, created_at=jan)       # outlet
    make.wallet(outlet=madrid, status=WalletStatus.BLOCKED,
                created_at=datetime(2026, 2, 10))                                 # date
    make.wallet(outlet=sevilla, status=WalletStatus.BLOCKED,
                created_at=datetime(2025, 12, 10))                                # date
    page = get_page(admin_client, WALLETS, **{
        "flt0_created_from": "2026-01-01", "flt1_created_to": "2026-01-31",
        "flt2_outlet_any_of": f"{madrid.id},{sevilla.id}", "flt3_status_is": "blocked",
    })
    assert set(listed_ids(page)) == {match_madrid.id, match_sevilla.id}


def test_filters_combine_with_search(admin_client, make):
    madrid = make.outlet("Madrid")
    lucia = make.customer("Lucía", "Moreno")
    match = make.wallet(lucia, outlet=madrid)
    make.wallet(lucia, outlet=make.outlet("Sevilla"))
    make.wallet(make.customer("Bruno", "Otero"), outlet=madrid)
    page = get_page(admin_client, WALLETS, search="Moreno", flt0_outlet_any_of=madrid.id)
    assert listed_ids(page) == [match.id]


# -- sorting ---------------------------------------------------------------------------

@pytest.mark.parametrize("label, field, low, mid, high", [
    ("Wallet ID", "wallet_code", "AAAA-2222", "MMMM-2222", "ZZZZ-2222"),
    ("Balance", "balance_minor", 0, 999, 100000),
    ("Created", "created_at", datetime(2025, 1, 1), datetime(2025, 6, 1), datetime(2026, 1, 1)),
    ("Sale date", "sale_date", date(2025, 1, 1), date(2025, 6, 1), date(2026, 1, 1)),
    ("Expiration date", "expires_on", date(2026, 1, 1), date(2026, 6, 1), date(2027, 1, 1)),
])
def test_sortable_columns_sort_both_ways(admin_client, make, label, field, low, mid, high):
    # Created in an order that is neither sorted nor the default (newest first).
    def wallet(value, created):
        fields = {field: value}
        fields.setdefault("created_at", created)
        return make.wallet(**fields)

    b = wallet(mid, datetime(2024, 1, 3))
    a = wallet(low, datetime(2024, 1, 1))
    c = wallet(high, datetime(2024, 1, 2))
    assert sorted_ids(admin_client, WALLETS, label) == [a.id, b.id, c.id]
    assert sorted_ids(admin_client, WALLETS, label, desc=True) == [c.id, b.id, a.id]


def test_sort_by_status(admin_client, make):
    blocked = make.wallet(status=WalletStatus.BLOCKED, created_at=datetime(2026, 1, 2))
    active = make.wallet(status=WalletStatus.ACTIVE, created_at=datetime(2026, 1, 1))
    assert sorted_ids(admin_client, WALLETS, "Status") == [active.id, blocked.id]
    assert sorted_ids(admin_client, WALLETS, "Status", desc=True) == [blocked.id, active.id]


def test_sort_by_outlet_uses_the_outlet_name(admin_client, make):
    # Outlet ids run opposite to their names, so an id sort would fail.
    zaragoza, bilbao = make.outlet("Zaragoza"), make.outlet("Bilbao")
    in_zaragoza = make.wallet(outlet=zaragoza, created_at=datetime(2026, 1, 2))
    in_bilbao = make.wallet(outlet=bilbao, created_at=datetime(2026, 1, 1))
    assert sorted_ids(admin_client, WALLETS, "Outlet") == [in_bilbao.id, in_zaragoza.id]
    assert sorted_ids(admin_client, WALLETS, "Outlet", desc=True) == [in_zaragoza.id, in_bilbao.id]


# -- the customer lookup -----------------------------------------------------------------

def test_customer_lookup_finds_by_name_or_email(manager, make):
    lucia = make.customer("Lucía", "Moreno", email="lucia@example.com")
    make.customer("Bruno", "Otero", email="bruno@example.org")
    for query in ("Moren", "Lucía", "lucia@exa"):
        response = manager.get(LOOKUP, query_string={"name": "customer", "query": query})
        assert response.status_code == 200
        assert json.loads(response.get_data(as_text=True)) == [
            [lucia.id, "Lucía Moreno · lucia@example.com"]], query


def test_only_those_who_fill_the_wallet_form_may_look_customers_up(login, make):
    make.customer("Lucía", "Moreno", email="lucia@example.com")
    asked = {"name": "customer", "query": "lucia"}
    for role in (Role.VIEWER, Role.OPERATOR):
        assert login(role).get(LOOKUP, query_string=asked).status_code == 403, role
    assert login(Role.MANAGER).get(LOOKUP, query_string=asked).status_code == 200


def test_a_lookup_answers_one_page_whatever_limit_the_url_asks(manager, make):
    for number in range(15):
        make.customer("Lucía", f"Moreno{number}", email=f"lucia{number}@example.com")
    for limit in ("-1", "100000"):
        found = manager.get(LOOKUP, query_string={"name": "customer", "query": "lucia",
                                                  "limit": limit})
        assert found.status_code == 200
        assert len(json.loads(found.get_data(as_text=True))) == 10, limit


def test_a_lookup_takes_percent_and_underscore_as_typed(manager, make):
    make.outlet("Madrid")
    make.outlet("Sol_1")
    def found(query):
        response = manager.get(LOOKUP, query_string={"name": "outlet", "query": query})
        return [name for _id, name in json.loads(response.get_data(as_text=True))]
    assert found("%%%___") == []
    assert found("_") == ["Sol_1"]


# -- create ------------------------------------------------------------------------------

def test_manager_creates_a_wallet_with_every_field(manager, make):
    customer = make.customer("Lucía", "Moreno", email="lucia@example.com")
    outlet = make.outlet("Madrid")
    code = make.discount_code("WALLET10")
    response = manager.post_form(NEW, form(
        customer=customer.id, outlet=outlet.id, status="blocked", discount_code=code.id,
        sale_date="2026-01-02", expires_on="2027-01-02",
    ))
    assert response.status_code == 302
    wallet = only_row(Wallet)
    assert wallet.customer_id == customer.id
    assert wallet.outlet_id == outlet.id
    assert wallet.status == WalletStatus.BLOCKED
    assert wallet.discount_code_id == code.id
    assert wallet.sale_date == date(2026, 1, 2) and wallet.expires_on == date(2027, 1, 2)
    assert CODE.match(wallet.wallet_code), wallet.wallet_code
    assert wallet.balance_minor == 0
    assert wallet.created_at is not None
    assert wallet.transactions.count() == 0
    page = get_page(manager, response.headers["Location"])
    assert ("success", f"Wallet {wallet.wallet_code} created.") in flashes(page)
    [row] = table_rows(page)
    assert row["wallet_code"] == wallet.wallet_code and row["customer"] == "Lucía Moreno"


def test_each_new_wallet_gets_its_own_id(manager):
    for _ in range(3):
        assert manager.post_form(NEW, form()).status_code == 302
    codes = db.session.scalars(select(Wallet.wallet_code)).all()
    assert len(set(codes)) == 3 and all(CODE.match(code) for code in codes)


def test_an_unsold_gift_wallet_needs_no_customer(manager, make):
    response = manager.post_form(NEW, form(customer="", outlet=make.outlet("Madrid").id))
    assert response.status_code == 302
    assert only_row(Wallet).customer_id is None


def test_the_form_offers_only_discount_codes_available_in_wallet(manager, make):
    beta = make.discount_code("BETA5", available_in_wallet=True)
    make.discount_code("SHOPONLY", available_in_wallet=False)
    alpha = make.discount_code("ALPHA10", available_in_wallet=True)
    expected = [(str(alpha.id), "ALPHA10"), (str(beta.id), "BETA5")]
    page = get_page(manager, NEW)
    assert select_options(page, "discount_code") == expected  # besides "None"
    assert '<option selected value="__None">None</option>' in page

    wallet = make.wallet(discount_code=beta)
    offered = select_options(get_page(manager, edit_url(WALLETS, wallet)), "discount_code")
    assert offered == expected


def test_the_form_has_no_balance_and_no_wallet_id(manager, make):
    for page in (get_page(manager, NEW), get_page(manager, edit_url(WALLETS, make.wallet()))):
        assert 'name="balance_minor"' not in page
        assert 'name="wallet_code"' not in page
        assert 'name="currency"' not in page


def test_linking_an_available_code_is_accepted(manager, make):
    code = make.discount_code("WALLET10", available_in_wallet=True)
    assert manager.post_form(NEW, form(discount_code=code.id)).status_code == 302
    assert only_row(Wallet).discount_code_id == code.id


def _refusal_on_discount(response) -> str:
    """The form came back with a message about the discount code (field error or flash)."""
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    messages = form_errors(page).get("discount_code", [])
    messages += [message for category, message in flashes(page)
                 if category == "danger" and message != "Failed to create record."
                 and message != "Failed to update record."]
    assert messages, (form_errors(page), flashes(page))
    return " ".join(messages)


def test_forged_create_with_a_code_not_available_in_wallet_is_refused(manager, make):
    shop_only = make.discount_code("SHOPONLY", available_in_wallet=False)
    response = manager.post_form(NEW, form(
        customer=make.customer().id, discount_code=shop_only.id,
    ))
    _refusal_on_discount(response)
    assert row_count(Wallet) == 0


def test_forged_edit_with_a_code_not_available_in_wallet_is_refused(manager, make):
    linked = make.discount_code("WALLET10", available_in_wallet=True)
    shop_only = make.discount_code("SHOPONLY", available_in_wallet=False)
    wallet = make.wallet(discount_code=linked)
    response = manager.post_form(edit_url(WALLETS, wallet), form_of(
        wallet, discount_code=shop_only.id, status="blocked"))
    _refusal_on_discount(response)
    stored = fresh(Wallet, wallet.id)
    assert stored.discount_code_id == linked.id
    assert stored.status == WalletStatus.ACTIVE


def test_forged_create_with_a_code_that_does_not_exist_saves_no_such_link(manager):
    # Whatever the answer, nothing may point at a code that does not exist.
    manager.post_form(NEW, form(discount_code="999999"))
    db.session.expire_all()
    assert db.session.scalar(
        select(func.count(Wallet.id)).where(Wallet.discount_code_id.is_not(None))) == 0


@pytest.mark.parametrize("customer", ["999999", "abc"])
def test_a_customer_that_does_not_exist_is_a_form_error(manager, customer):
    response = manager.post_form(NEW, form(customer=customer))
    refused(response, "customer")
    assert row_count(Wallet) == 0


def test_an_unknown_status_is_refused(manager):
    refused(manager.post_form(NEW, form(status="frozen")), "status")
    assert row_count(Wallet) == 0


@pytest.mark.parametrize("field", ["sale_date", "expires_on"])
def test_a_date_that_is_not_a_date_is_refused(manager, field):
    refused(manager.post_form(NEW, form(**{field: "31/02/2026"})), field)
    assert row_count(Wallet) == 0


def test_an_outlet_that_does_not_exist_is_refused(manager):
    refused(manager.post_form(NEW, form(outlet="999999")), "outlet")
    assert row_count(Wallet) == 0


def test_balance_and_wallet_id_cannot_be_posted_on_create(manager):
    response = manager.post_form(NEW, form(
        balance_minor="500000", wallet_code="FAKE-2222", currency="USD",
        created_at="2020-01-01 00:00:00", last_used_at="2020-01-01 00:00:00",
    ))
    assert response.status_code == 302
    wallet = only_row(Wallet)
    assert wallet.balance_minor == 0
    assert wallet.wallet_code != "FAKE-2222" and CODE.match(wallet.wallet_code)
    assert wallet.currency == "EUR"
    assert wallet.created_at.year >= 2025 and wallet.last_used_at is None


def test_create_without_the_csrf_token_saves_nothing(manager):
    response = manager.post(NEW, data=form())
    assert response.status_code == 400
    assert row_count(Wallet) == 0


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_below_manager_cannot_create_even_with_a_forged_post(login, role):
    client = login(role)
    assert client.get(NEW).status_code == 403
    assert client.post_form(NEW, form()).status_code == 403
    assert row_count(Wallet) == 0
    assert f'href="{NEW}' not in get_page(client, WALLETS)


def test_admin_can_create(admin_client):
    assert admin_client.post_form(NEW, form()).status_code == 302
    assert row_count(Wallet) == 1


# -- edit --------------------------------------------------------------------------------

def test_manager_blocks_a_wallet_and_the_rest_is_kept(manager, make):
    customer = make.customer("Lucía", "Moreno")
    code = make.discount_code("WALLET10")
    wallet = make.wallet(customer, outlet=make.outlet("Madrid"), discount_code=code,
                         sale_date=date(2026, 1, 2), expires_on=date(2027, 1, 2),
                         wallet_code="ABCD-2345")
    post_ledger(wallet, 1250)
    response = manager.post_form(edit_url(WALLETS, wallet), form_of(wallet, status="blocked"))
    assert response.status_code == 302
    stored = fresh(Wallet, wallet.id)
    assert stored.status == WalletStatus.BLOCKED
    assert stored.customer_id == customer.id and stored.discount_code_id == code.id
    assert (stored.sale_date, stored.expires_on) == (date(2026, 1, 2), date(2027, 1, 2))
    assert stored.wallet_code == "ABCD-2345" and stored.balance_minor == 1250
    page = get_page(manager, response.headers["Location"])
    assert ("success", "Wallet ABCD-2345 saved.") in flashes(page)
    assert table_rows(page)[0]["status"] == "Blocked"


def test_manager_reactivates_a_blocked_wallet(manager, make):
    wallet = make.wallet(status=WalletStatus.BLOCKED)
    response = manager.post_form(edit_url(WALLETS, wallet), form_of(wallet, status="active"))
    assert response.status_code == 302
    assert fresh(Wallet, wallet.id).status == WalletStatus.ACTIVE


def test_edit_moves_the_wallet_to_another_customer_and_outlet(manager, make):
    wallet = make.wallet(make.customer("Ana", "Alpha"), outlet=make.outlet("Madrid"))
    buyer, sevilla = make.customer("Eva", "Beta"), make.outlet("Sevilla")
    response = manager.post_form(edit_url(WALLETS, wallet), form_of(
        wallet, customer=buyer.id, outlet=sevilla.id))
    assert response.status_code == 302
    stored = fresh(Wallet, wallet.id)
    assert (stored.customer_id, stored.outlet_id) == (buyer.id, sevilla.id)


def test_edit_form_shows_the_current_customer(manager, make):
    wallet = make.wallet(make.customer("Lucía", "Moreno", email="lucia@example.com"))
    page = get_page(manager, edit_url(WALLETS, wallet))
    customer_input = re.search(r'<input[^>]*name="customer"[^>]*>', page).group(0)
    assert f'value="{wallet.customer_id}"' in customer_input
    shown = re.search(r'data-json="([^"]*)"', customer_input).group(1)
    # The email tells two customers of the same name apart.
    assert json.loads(html_lib.unescape(shown)) == [
        wallet.customer_id, "Lucía Moreno · lucia@example.com"]


def test_posting_a_balance_in_the_edit_form_does_not_change_it(manager, make):
    wallet = make.wallet(make.customer())
    post_ledger(wallet, 1500, -250)
    response = manager.post_form(edit_url(WALLETS, wallet), form_of(
        wallet, balance_minor="999999", wallet_code="FAKE-2222"))
    assert response.status_code == 302
    stored = fresh(Wallet, wallet.id)
    assert stored.balance_minor == 1250
    assert stored.wallet_code == wallet.wallet_code
    # Rule 1 still holds: the balance is the sum of the ledger, which is untouched.
    ledger = db.session.scalar(select(func.sum(WalletTransaction.amount_minor))
                               .where(WalletTransaction.wallet_id == wallet.id))
    assert ledger == stored.balance_minor
    assert stored.transactions.count() == 2


def test_edit_with_an_unknown_status_keeps_the_stored_one(manager, make):
    wallet = make.wallet(status=WalletStatus.ACTIVE)
    response = manager.post_form(edit_url(WALLETS, wallet), form_of(wallet, status="frozen"))
    refused(response, "status")
    assert fresh(Wallet, wallet.id).status == WalletStatus.ACTIVE


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_below_manager_cannot_edit_even_with_a_forged_post(login, make, role):
    wallet = make.wallet(status=WalletStatus.ACTIVE)
    client = login(role)
    assert client.get(edit_url(WALLETS, wallet)).status_code == 403
    response = client.post_form(edit_url(WALLETS, wallet), form_of(wallet, status="blocked"))
    assert response.status_code == 403
    assert fresh(Wallet, wallet.id).status == WalletStatus.ACTIVE
    assert "/admin/wallets/edit/" not in get_page(client, WALLETS)


# -- delete ------------------------------------------------------------------------------

def test_manager_deletes_an_empty_wallet_without_history(manager, make):
    wallet = make.wallet(make.customer(), balance_minor=0)
    keep = make.wallet()
    code = wallet.wallet_code
    page = delete_from_list(manager, WALLETS, wallet.id)
    assert ("success", f"Wallet {code} deleted.") in flashes(page)
    assert fresh(Wallet, wallet.id) is None
    assert listed_ids(page) == [keep.id]


@pytest.mark.parametrize("status", [WalletStatus.ACTIVE, WalletStatus.BLOCKED])
def test_a_wallet_holding_a_balance_cannot_be_deleted(manager, make, status):
    wallet = make.wallet(make.customer(), wallet_code="ABCD-2345", status=status)
    post_ledger(wallet, 500)
    message = the_error_flashed(delete_from_list(manager, WALLETS, wallet.id))
    assert "ABCD-2345" in message and "balance" in message and "cannot be deleted" in message
    stored = fresh(Wallet, wallet.id)
    assert stored is not None and stored.balance_minor == 500
    assert stored.transactions.count() == 1


def test_a_wallet_with_transactions_cannot_be_deleted_even_at_zero(manager, make):
    wallet = make.wallet(make.customer(), wallet_code="ABCD-2345")
    post_ledger(wallet, 500, -500)
    assert fresh(Wallet, wallet.id).balance_minor == 0
    message = the_error_flashed(delete_from_list(manager, WALLETS, wallet.id))
    assert "ABCD-2345" in message and "transactions" in message
    assert fresh(Wallet, wallet.id) is not None
    assert db.session.scalar(select(func.count(WalletTransaction.id))) == 2


def test_bulk_delete_with_one_wallet_holding_money_deletes_none(manager, make):
    holds = make.wallet(wallet_code="ABCD-2345")
    post_ledger(holds, 100)
    empty = make.wallet()
    response = manager.post_form(WALLETS + "action/", {
        "action": "delete", "rowid": [str(holds.id), str(empty.id)], "url": WALLETS,
    })
    assert response.status_code == 302
    page = get_page(manager, response.headers["Location"])
    errors = [message for category, message in flashes(page) if category == "danger"]
    assert errors[0] == "Nothing was deleted: 1 wallet cannot be deleted."
    assert "ABCD-2345" in errors[1]
    assert fresh(Wallet, holds.id) is not None
    assert fresh(Wallet, empty.id) is not None  # all or nothing


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_below_manager_cannot_delete(login, make, role):
    wallet = make.wallet()
    client = login(role)
    assert client.post_form(DELETE, {"id": str(wallet.id)}).status_code == 403
    response = client.post_form(WALLETS + "action/", {"action": "delete", "rowid": str(wallet.id)})
    assert response.status_code == 403
    assert fresh(Wallet, wallet.id) is not None


# -- CSV export --------------------------------------------------------------------------

def test_operator_exports_with_labels_and_plain_decimal_money(login, make):
    make.wallet(
        make.customer("Lucía", "Moreno", email="lucia@example.com"), wallet_code="ABCD-2345",
        outlet=make.outlet("Madrid"), balance_minor=123456, status=WalletStatus.BLOCKED,
        discount_code=make.discount_code("WALLET10"), sale_date=date(2026, 1, 2),
        expires_on=date(2027, 1, 2), created_at=datetime(2026, 1, 15, 10, 30),
    )
    make.wallet(None, wallet_code="GIFT-2345", balance_minor=5,
                created_at=datetime(2026, 1, 1, 9, 0))
    rows = csv_rows(login(Role.OPERATOR).get(EXPORT))
    # Money is a decimal number, its currency in a column of its own.
    assert rows == [
        EXPORT_HEADERS + ["Currency"],
        ["ABCD-2345", "1234.56", "2026-01-15 10:30:00", "Blocked", "Madrid", "Lucía Moreno",
         "lucia@example.com", "WALLET10", "2026-01-02", "2027-01-02", "EUR"],
        ["GIFT-2345", "0.05", "2026-01-01 09:00:00", "Active", "", "", "", "", "", "", "EUR"],
    ]


def test_export_follows_search_and_filters(admin_client, make):
    madrid = make.outlet("Madrid")
    lucia = make.customer("Lucía", "Moreno")
    make.wallet(lucia, wallet_code="AAAA-2222", outlet=madrid, status=WalletStatus.BLOCKED)
    make.wallet(lucia, wallet_code="BBBB-2222", outlet=madrid, status=WalletStatus.ACTIVE)
    make.wallet(make.customer("Bruno", "Otero"), wallet_code="CCCC-2222", outlet=madrid,
                status=WalletStatus.BLOCKED)
    rows = csv_rows(admin_client.get(EXPORT, query_string={
        "search": "moreno", "flt0_outlet_any_of": madrid.id, "flt1_status_is": "blocked",
    }))
    assert [row[0] for row in rows] == ["Wallet ID", "AAAA-2222"]


def test_export_neutralises_a_formula_in_a_customer_name(admin_client, make):
    make.wallet(make.customer("=HYPERLINK(\"http://evil.example\")", "X"))
    [row] = csv_rows(admin_client.get(EXPORT))[1:]
    assert row[EXPORT_HEADERS.index("Customer")].startswith("'=")


def test_viewer_cannot_export(login, make):
    make.wallet()
    assert login(Role.VIEWER).get(EXPORT).status_code == 403
