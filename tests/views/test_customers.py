"""/admin/customers/: the list (columns, order, sorting, search, filters), the
create and edit forms (required names, email and phone checks, uniqueness),
money and blacklist display, deletion rules and the CSV export.

Each test creates only the rows it needs and checks both the database and the
page the user sees. One logged-in client per test: the app context (and so
``g``) is shared by every request of a test, see conftest.
"""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from admin_app.choices import InvoiceStatus, Role, WalletStatus
from admin_app.extensions import db
from admin_app.models import Customer, Invoice, Order, Wallet

from ..conftest import admins_by_language
from ..pages import (
    csv_rows,
    delete_from_list,
    detail_rows,
    edit_url,
    filter_options,
    flashes,
    fresh,
    get_page,
    list_headers,
    listed_ids,
    refused,
    row_count,
    sort_links,
    sorted_ids,
    speak,
    table_rows,
    text,
    the_error_flashed,
)

CUSTOMERS = "/admin/customers/"
NEW = CUSTOMERS + "new/"
DELETE = CUSTOMERS + "delete/"
EXPORT = CUSTOMERS + "export/csv/"

# Who, contact and balance first: what a narrow screen keeps in view.
LIST_HEADERS = [
    "Customer", "Email", "Phone", "Balance", "Postcode", "Group", "Sales value", "Orders",
    "Loyalty points", "Marketing opt-in", "Card number", "Date added",
]
# Exports keep the order spreadsheets were built on.
EXPORT_HEADERS = [
    "Customer", "Email", "Phone", "Postcode", "Group", "Sales value", "Orders",
    "Loyalty points", "Balance", "Marketing opt-in", "Card number", "Date added",
]
UNSORTABLE = {"Email", "Phone"}
# An export's columns: the import's first (names apart), so that it imports back.
EXPORT_HEADERS = [
    "First name", "Surname", "Email", "Phone", "Postcode", "Country", "Birthday",
    "Card number", "Group", "Marketing opt-in", "Notes", "Sales value", "Orders",
    "Loyalty points", "Balance", "Date added",
]


# -- forms -------------------------------------------------------------------------

def form(**fields) -> dict:
    """A complete create/edit form; field names are the model's attribute names."""
    data = {
        "first_name": "Lucía", "surname": "Moreno", "email": "", "phone": "",
        "postcode": "", "country": "", "birthday": "", "card_number": "",
        "group": "__None", "language": "en", "channel": "in_store", "notes": "",
    }
    data.update(fields)
    return data


# -- list: columns, order, sorting ------------------------------------------------

def test_list_shows_the_columns_in_order_and_all_but_email_and_phone_sort(admin_client, make):
    make.customer()
    page = get_page(admin_client, CUSTOMERS)
    assert list_headers(page) == LIST_HEADERS
    assert set(sort_links(page)) == set(LIST_HEADERS) - UNSORTABLE


def test_list_row_shows_each_column_value(admin_client, make):
    group = make.group("Gold")
    customer = make.customer(
        "Lucía", "Moreno", email="lucia@example.com", phone="+34600111222", postcode="28013",
        group=group, sales_value_minor=123456, orders_count=7, loyalty_points=320,
        balance_minor=1250, marketing_opt_in=True, card_number="LC0000000042",
        created_at=datetime(2026, 1, 15, 10, 30),
    )
    [row] = table_rows(get_page(admin_client, CUSTOMERS))
    assert row["id"] == customer.id
    assert row["full_name"] == "Lucía Moreno"
    assert row["email"] == "lucia@example.com"
    assert row["phone"] == "+34 600 11 12 22"
    assert row["postcode"] == "28013"
    assert row["group"] == "Gold"
    assert row["sales_value_minor"] == "€1,234.56"
    assert row["orders_count"] == "7"
    assert row["loyalty_points"] == "320"
    assert row["balance_minor"] == "€12.50"
    assert row["marketing_opt_in"] == "Yes"
    assert row["card_number"] == "LC0000000042"
    assert row["created_at"] == "1/15/2026 10:30 AM"


def test_default_order_is_surname_a_to_z_then_first_name(admin_client, make):
    zeta = make.customer("Ana", "Zeta")
    garcia_luis = make.customer("Luis", "Garcia")
    alonso = make.customer("Eva", "Alonso")
    garcia_ana = make.customer("Ana", "Garcia")
    moreno = make.customer("Pia", "Moreno")
    page = get_page(admin_client, CUSTOMERS)
    assert listed_ids(page) == [alonso.id, garcia_ana.id, garcia_luis.id, moreno.id, zeta.id]


def test_default_order_ignores_case_and_accents(admin_client, make):
    zeta = make.customer("Ana", "Zeta")
    fuente = make.customer("Ana", "de la Fuente")
    castro = make.customer("Ana", "Castro")
    alvarez = make.customer("Ana", "Álvarez")
    assert listed_ids(get_page(admin_client, CUSTOMERS)) == [
        alvarez.id, castro.id, fuente.id, zeta.id]


@pytest.mark.parametrize("label, field, low, mid, high", [
    ("Postcode", "postcode", "08001", "28013", "41001"),
    ("Sales value", "sales_value_minor", -500, 999, 100000),
    ("Orders", "orders_count", 0, 3, 12),
    ("Loyalty points", "loyalty_points", 5, 50, 500),
    ("Balance", "balance_minor", 0, 1250, 9000),
    ("Card number", "card_number", "LC0000000001", "LC0000000002", "LC0000000010"),
    ("Date added", "created_at", datetime(2025, 1, 1), datetime(2025, 6, 1), datetime(2026, 1, 1)),
])
def test_sortable_columns_sort_both_ways(admin_client, make, label, field, low, mid, high):
    # Created in an order that is neither sorted nor the default surname order.
    b = make.customer("Ana", "Alpha", **{field: mid})
    c = make.customer("Ana", "Beta", **{field: high})
    a = make.customer("Ana", "Gamma", **{field: low})
    assert sorted_ids(admin_client, CUSTOMERS, label) == [a.id, b.id, c.id]
    assert sorted_ids(admin_client, CUSTOMERS, label, desc=True) == [c.id, b.id, a.id]


def test_sort_by_customer_name_uses_surname_then_first_name(admin_client, make):
    b = make.customer("Zoe", "Garcia")
    c = make.customer("Ana", "Ruiz")
    a = make.customer("Ana", "Garcia")
    assert sorted_ids(admin_client, CUSTOMERS, "Customer") == [a.id, b.id, c.id]
    assert sorted_ids(admin_client, CUSTOMERS, "Customer", desc=True) == [c.id, b.id, a.id]


def test_sort_by_group_uses_the_group_name(admin_client, make):
    # Group ids run opposite to their names, so an id sort would fail.
    zeta = make.group("Zeta club")
    alpha = make.group("Alpha club")
    in_zeta = make.customer("Ana", "Alpha", group=zeta)
    in_alpha = make.customer("Ana", "Beta", group=alpha)
    assert sorted_ids(admin_client, CUSTOMERS, "Group") == [in_alpha.id, in_zeta.id]
    assert sorted_ids(admin_client, CUSTOMERS, "Group", desc=True) == [in_zeta.id, in_alpha.id]


def test_sort_by_marketing_opt_in(admin_client, make):
    yes = make.customer("Ana", "Alpha", marketing_opt_in=True)
    no = make.customer("Ana", "Beta", marketing_opt_in=False)
    assert sorted_ids(admin_client, CUSTOMERS, "Marketing opt-in") == [no.id, yes.id]
    assert sorted_ids(admin_client, CUSTOMERS, "Marketing opt-in", desc=True) == [yes.id, no.id]


# -- list: money, blacklist, no group -------------------------------------------------

def test_money_is_shown_as_money_in_list_and_details(admin_client, make):
    customer = make.customer(balance_minor=1250, sales_value_minor=5, account_limit_minor=100000)
    [row] = table_rows(get_page(admin_client, CUSTOMERS))
    assert row["balance_minor"] == "€12.50"
    assert row["sales_value_minor"] == "€0.05"
    details = detail_rows(get_page(admin_client, CUSTOMERS + "details/", id=customer.id))
    assert text(details["Balance"]) == "€12.50"
    assert text(details["Sales value"]) == "€0.05"
    assert text(details["Account limit"]) == "€1,000.00"


def test_money_follows_the_users_language(login, users, make):
    make.customer(balance_minor=123456)
    client = login(Role.OPERATOR)
    speak(users[Role.OPERATOR], "es")
    [row] = table_rows(get_page(client, CUSTOMERS))
    assert row["balance_minor"] == "1234,56 €"  # CLDR: Spanish groups from 5 digits


def test_details_show_the_customer_as_people_read_it(login, make):
    customer = make.customer(
        "Lucía", "Moreno", phone="+34600111222", country="ES", birthday=date(1990, 5, 17),
        language="es", channel="online", group=make.group("Gold"), loyalty_member=True,
    )
    details = detail_rows(get_page(login(Role.VIEWER), CUSTOMERS + "details/", id=customer.id))
    shown = {label: text(value) for label, value in details.items()}
    assert shown["First name"] == "Lucía" and shown["Surname"] == "Moreno"
    assert shown["Phone"] == "+34 600 11 12 22"
    assert shown["Country"] == "Spain"
    assert shown["Birthday"] == "5/17/1990"
    assert shown["Language"] == "Español" and shown["Channel"] == "Online"
    assert shown["Group"] == "Gold" and shown["Loyalty member"] == "Yes"
    assert shown["Blacklisted"] == "No"


def test_blacklisted_customer_is_marked_in_list_and_details(admin_client, make):
    listed = make.customer("Ana", "Alpha", phone="+34600111222")
    clean = make.customer("Ana", "Beta", phone="+34611222333")
    no_phone = make.customer("Ana", "Gamma")
    make.blacklist("+34600111222")

    rows = {row["id"]: row for row in table_rows(get_page(admin_client, CUSTOMERS))}
    assert "Blacklisted" in rows[listed.id]["full_name"]
    assert "badge-danger" in rows[listed.id]["full_name_html"]
    assert "Blacklisted" not in rows[clean.id]["full_name"]
    assert "Blacklisted" not in rows[no_phone.id]["full_name"]

    details = detail_rows(get_page(admin_client, CUSTOMERS + "details/", id=listed.id))
    assert text(details["Blacklisted"]) == "Yes: Fake orders"
    assert "badge-danger" in details["Blacklisted"]
    details = detail_rows(get_page(admin_client, CUSTOMERS + "details/", id=clean.id))
    assert text(details["Blacklisted"]) == "No"


def test_blacklist_marker_goes_when_the_entry_is_removed(admin_client, make):
    customer = make.customer("Ana", "Alpha", phone="+34600111222")
    entry = make.blacklist("+34600111222")
    assert "Blacklisted" in table_rows(get_page(admin_client, CUSTOMERS))[0]["full_name"]
    db.session.delete(entry)
    db.session.commit()
    [row] = table_rows(get_page(admin_client, CUSTOMERS))
    assert row["id"] == customer.id and "Blacklisted" not in row["full_name"]


def test_customer_without_group_shows_none(admin_client, make):
    customer = make.customer()
    [row] = table_rows(get_page(admin_client, CUSTOMERS))
    assert row["group"] == "None"
    details = detail_rows(get_page(admin_client, CUSTOMERS + "details/", id=customer.id))
    assert text(details["Group"]) == "None"


# -- search ---------------------------------------------------------------------------

@pytest.fixture
def two_customers(make):
    target = make.customer(
        "Lucía", "Moreno", email="lucia.m@example.com", phone="+34600111222",
        postcode="28013", card_number="LC0000000042",
    )
    other = make.customer(
        "Bruno", "Otero", email="bruno@example.org", phone="+34699887766",
        postcode="08001", card_number="LC0000000099",
    )
    return target, other


@pytest.mark.parametrize("typed", [
    "Lucía",                # first name
    "moreno",               # surname, any case
    "lucia.m@example",      # email
    "28013",                # postcode
    "LC0000000042",         # card number
    "+34600111222",         # phone as stored
    "+34 600 11 12 22",     # phone as written
    "600 11 12",            # part of the phone, with spaces
    "600111222",            # national number
    "0034 600 11 12 22",    # 00 international prefix
    "Lucía Moreno",         # two words: both must match
])
def test_search_finds_the_customer_by_each_searchable_field(admin_client, two_customers, typed):
    target, _other = two_customers
    assert listed_ids(get_page(admin_client, CUSTOMERS, search=typed)) == [target.id]


def test_search_with_no_match_lists_nobody_and_keeps_the_term(admin_client, two_customers):
    page = get_page(admin_client, CUSTOMERS, search="Nadie")
    assert listed_ids(page) == []
    assert 'value="Nadie"' in page


@pytest.mark.parametrize("field, value", [
    ("postcode", "1000-001"),     # Lisbon: digits and a dash
    ("postcode", "00184"),        # Rome: starts with 00
    ("card_number", "1234 5678"),
])
def test_search_finds_postcodes_and_cards_that_look_like_phone_numbers(admin_client, make,
                                                                      field, value):
    target = make.customer("Ana", "Alpha", **{field: value})
    make.customer("Ana", "Beta")
    assert listed_ids(get_page(admin_client, CUSTOMERS, search=value)) == [target.id]


# -- filters --------------------------------------------------------------------------

def test_group_filter_offers_the_groups_as_they_are_now_plus_none(admin_client, make):
    # The app was built before this test: these groups are newer than its views.
    gold = make.group("Gold")
    page = get_page(admin_client, CUSTOMERS)
    assert filter_options(page, "Group") == [[str(gold.id), "Gold"], ["__none__", "None"]]

    silver = make.group("Silver")
    gold.name = "Platinum"
    db.session.commit()
    page = get_page(admin_client, CUSTOMERS)
    assert filter_options(page, "Group") == [
        [str(gold.id), "Platinum"], [str(silver.id), "Silver"], ["__none__", "None"],
    ]

    db.session.delete(silver)
    db.session.commit()
    assert filter_options(get_page(admin_client, CUSTOMERS), "Group") == [
        [str(gold.id), "Platinum"], ["__none__", "None"],
    ]


def test_group_filter_lists_that_groups_customers_or_those_with_none(admin_client, make):
    gold, silver = make.group("Gold"), make.group("Silver")
    in_gold = make.customer("Ana", "Alpha", group=gold)
    in_silver = make.customer("Ana", "Beta", group=silver)
    in_none = make.customer("Ana", "Gamma")
    def in_group(value) -> list[int]:
        return listed_ids(get_page(admin_client, CUSTOMERS, flt0_group_equals=value))

    assert in_group(gold.id) == [in_gold.id]
    assert in_group(silver.id) == [in_silver.id]
    assert in_group("__none__") == [in_none.id]


def test_group_filter_with_a_group_made_after_the_page_was_first_shown(admin_client, make):
    get_page(admin_client, CUSTOMERS)  # the list has been shown once already
    late = make.group("Late")
    member = make.customer("Ana", "Alpha", group=late)
    make.customer("Ana", "Beta")
    assert listed_ids(get_page(admin_client, CUSTOMERS, flt0_group_equals=late.id)) == [member.id]


@pytest.mark.parametrize("arg, field", [
    ("flt0_marketing_optin_is", "marketing_opt_in"),
    ("flt0_loyalty_member_is", "loyalty_member"),
])
def test_yes_no_filters(admin_client, make, arg, field):
    yes = make.customer("Ana", "Alpha", **{field: True})
    no = make.customer("Ana", "Beta", **{field: False})
    assert listed_ids(get_page(admin_client, CUSTOMERS, **{arg: "1"})) == [yes.id]
    assert listed_ids(get_page(admin_client, CUSTOMERS, **{arg: "0"})) == [no.id]


def test_date_added_range_includes_both_whole_days(admin_client, make):
    make.customer("Ana", "Before", created_at=datetime(2025, 12, 31, 23, 59, 59))
    first = make.customer("Ana", "First", created_at=datetime(2026, 1, 1, 0, 0, 0))
    last = make.customer("Ana", "Last", created_at=datetime(2026, 1, 31, 23, 59, 59))
    make.customer("Ana", "xAfter", created_at=datetime(2026, 2, 1, 0, 0, 0))
    page = get_page(admin_client, CUSTOMERS, flt0_date_added_between="2026-01-01 to 2026-01-31")
    assert listed_ids(page) == [first.id, last.id]


def test_date_added_range_of_one_day(admin_client, make):
    make.customer("Ana", "Alpha", created_at=datetime(2026, 3, 9, 23, 0))
    that_day = make.customer("Ana", "Beta", created_at=datetime(2026, 3, 10, 12, 0))
    page = get_page(admin_client, CUSTOMERS, flt0_date_added_between="2026-03-10 to 2026-03-10")
    assert listed_ids(page) == [that_day.id]


def test_birthday_range(admin_client, make):
    make.customer("Ana", "Alpha", birthday=date(1990, 4, 30))
    first = make.customer("Ana", "Beta", birthday=date(1990, 5, 1))
    last = make.customer("Ana", "Gamma", birthday=date(1990, 5, 31))
    make.customer("Ana", "Delta", birthday=date(1990, 6, 1))
    make.customer("Ana", "Epsilon")  # no birthday
    page = get_page(admin_client, CUSTOMERS, flt0_birthday_between="1990-05-01 to 1990-05-31")
    assert listed_ids(page) == [first.id, last.id]


def test_country_filter(admin_client, make):
    spain = make.customer("Ana", "Alpha", country="ES")
    make.customer("Ana", "Beta", country="PT")
    make.customer("Ana", "Gamma")
    assert listed_ids(get_page(admin_client, CUSTOMERS, flt0_country_equals="ES")) == [spain.id]
    assert ["ES", "Spain"] in filter_options(get_page(admin_client, CUSTOMERS), "Country")


def test_blacklisted_filter(admin_client, make):
    listed = make.customer("Ana", "Alpha", phone="+34600111222")
    clean = make.customer("Ana", "Beta", phone="+34611222333")
    no_phone = make.customer("Ana", "Gamma")
    make.blacklist("+34600111222")
    assert listed_ids(get_page(admin_client, CUSTOMERS, flt0_blacklisted_is="1")) == [listed.id]
    assert listed_ids(get_page(admin_client, CUSTOMERS, flt0_blacklisted_is="0")) == [
        clean.id, no_phone.id]


def test_filters_combine_with_each_other_and_with_search(admin_client, make):
    gold = make.group("Gold")
    both = make.customer("Ana", "Alpha", group=gold, marketing_opt_in=True)
    make.customer("Ana", "Beta", group=gold, marketing_opt_in=False)
    make.customer("Ana", "Gamma", marketing_opt_in=True)
    also_both = make.customer("Eva", "Delta", group=gold, marketing_opt_in=True)
    params = {"flt0_group_equals": gold.id, "flt1_marketing_optin_is": "1"}
    assert listed_ids(get_page(admin_client, CUSTOMERS, **params)) == [both.id, also_both.id]
    assert listed_ids(get_page(admin_client, CUSTOMERS, search="Eva", **params)) == [also_both.id]


def test_a_malformed_filter_value_does_not_break_the_list(admin_client, make):
    customer = make.customer()
    response = admin_client.get(CUSTOMERS, query_string={
        "flt0_group_equals": "abc", "flt1_date_added_between": "not a date",
    })
    assert response.status_code == 200
    assert listed_ids(response.get_data(as_text=True)) == [customer.id]


# -- create -----------------------------------------------------------------------------

def test_operator_creates_a_customer_with_every_field(login, make):
    gold = make.group("Gold")
    client = login(Role.OPERATOR)
    response = client.post_form(NEW, form(
        first_name="Lucía", surname="Moreno", email="Lucia.Moreno@Example.COM",
        phone="+34 600 11 12 22", postcode="28013", country="ES", birthday="1990-05-17",
        card_number="LC0000000042", group=str(gold.id), marketing_opt_in="y",
        loyalty_member="y", language="es", channel="online", notes="Prefers mornings",
    ))
    assert response.status_code == 302
    customer = db.session.scalars(select(Customer)).one()
    assert (customer.first_name, customer.surname) == ("Lucía", "Moreno")
    assert customer.email == "lucia.moreno@example.com"  # one mailbox, one spelling
    assert customer.phone == "+34600111222"
    assert customer.postcode == "28013"
    assert customer.country == "ES"
    assert customer.birthday == date(1990, 5, 17)
    assert customer.card_number == "LC0000000042"
    assert customer.group_id == gold.id
    assert customer.marketing_opt_in is True and customer.loyalty_member is True
    assert customer.language == "es" and customer.channel == "online"
    assert customer.notes == "Prefers mornings"
    assert customer.balance_minor == 0 and customer.loyalty_points == 0
    page = get_page(client, response.headers["Location"])
    assert ("success", "Customer Lucía Moreno created.") in flashes(page)
    assert "Lucía Moreno" in [row["full_name"] for row in table_rows(page)]


def test_optional_fields_left_blank_are_stored_as_empty(admin_client):
    for first_name in ("Ana", "Eva"):  # two blank emails and cards do not collide
        response = admin_client.post_form(NEW, form(first_name=first_name))
        assert response.status_code == 302
    stored = db.session.scalars(select(Customer).order_by(Customer.first_name)).all()
    assert [c.first_name for c in stored] == ["Ana", "Eva"]
    for customer in stored:
        assert customer.email is None and customer.phone is None
        assert customer.card_number is None and customer.group_id is None
        assert customer.country is None and customer.marketing_opt_in is False


@pytest.mark.parametrize("phone", [
    "+34 600 11 12 22", "0034600111222", "+34600111222", "0034 600-11-12-22", " +34 (600) 111 222 ",
])
def test_phone_is_stored_as_e164(admin_client, phone):
    response = admin_client.post_form(NEW, form(phone=phone))
    assert response.status_code == 302
    assert db.session.scalars(select(Customer.phone)).one() == "+34600111222"


def test_foreign_phone_is_stored_as_e164(admin_client):
    response = admin_client.post_form(NEW, form(phone="+44 20 7946 0958"))
    assert response.status_code == 302
    assert db.session.scalars(select(Customer.phone)).one() == "+442079460958"


def test_phone_without_country_code_is_a_clear_form_error(admin_client):
    response = admin_client.post_form(NEW, form(phone="600111222"))
    [message] = refused(response, "phone")
    assert "country code" in message
    assert row_count(Customer) == 0


@pytest.mark.parametrize("phone", [
    "+34 123", "+34 600 11 12 22 99 88", "+0 600111222", "phone", "+34 6OO 111 222",
])
def test_invalid_phone_is_a_form_error_and_nothing_is_saved(admin_client, phone):
    refused(admin_client.post_form(NEW, form(phone=phone)), "phone")
    assert row_count(Customer) == 0


@pytest.mark.parametrize("email", [
    "not-an-email", "ana@", "@example.com", "ana @example.com", "ana@@example.com",
])
def test_invalid_email_is_a_form_error_and_nothing_is_saved(admin_client, email):
    [message] = refused(admin_client.post_form(NEW, form(email=email)), "email")
    assert "email" in message.lower()
    assert row_count(Customer) == 0


@pytest.mark.parametrize("field", ["first_name", "surname"])
def test_first_name_and_surname_are_required(admin_client, field):
    refused(admin_client.post_form(NEW, form(**{field: ""})), field)
    assert row_count(Customer) == 0


@pytest.mark.parametrize("field", ["first_name", "surname"])
def test_a_name_of_only_spaces_is_refused(admin_client, field):
    refused(admin_client.post_form(NEW, form(**{field: "   "})), field)
    assert row_count(Customer) == 0


@pytest.mark.parametrize("typed", ["ana@example.com", "ANA@Example.com", " ana@example.com "])
def test_duplicate_email_is_refused_with_a_message(admin_client, make, typed):
    existing = make.customer("Ana", "Alpha", email="ana@example.com")
    response = admin_client.post_form(NEW, form(email=typed))
    assert refused(response, "email") == ["Already exists."]
    assert row_count(Customer) == 1
    assert fresh(Customer, existing.id).email == "ana@example.com"


def test_duplicate_card_number_is_refused(admin_client, make):
    make.customer(card_number="LC0000000042")
    refused(admin_client.post_form(NEW, form(card_number="LC0000000042")), "card_number")
    assert row_count(Customer) == 1


def test_unknown_country_is_refused(admin_client):
    refused(admin_client.post_form(NEW, form(country="XX")), "country")
    assert row_count(Customer) == 0


def test_a_nonexistent_group_is_refused(admin_client):
    refused(admin_client.post_form(NEW, form(group="999999")), "group")
    assert row_count(Customer) == 0


def test_invalid_birthday_is_a_form_error(admin_client):
    refused(admin_client.post_form(NEW, form(birthday="1990-13-45")), "birthday")
    assert row_count(Customer) == 0


def test_figures_kept_by_the_code_cannot_be_posted_in_the_form(login):
    client = login(Role.OPERATOR)
    response = client.post_form(NEW, form(
        balance_minor="999999", loyalty_points="5000", sales_value_minor="1",
        account_limit_minor="1000000", orders_count="9",
    ))
    assert response.status_code == 302
    customer = db.session.scalars(select(Customer)).one()
    assert customer.balance_minor == 0 and customer.loyalty_points == 0
    assert customer.sales_value_minor == 0 and customer.orders_count == 0
    assert customer.account_limit_minor is None


def test_viewer_cannot_create_even_with_a_forged_post(login):
    client = login(Role.VIEWER)
    assert client.get(NEW).status_code == 403
    assert client.post_form(NEW, form()).status_code == 403
    assert row_count(Customer) == 0


def test_create_without_the_csrf_token_saves_nothing(admin_client):
    response = admin_client.post(NEW, data=form())
    assert response.status_code == 400
    assert row_count(Customer) == 0


# -- edit -----------------------------------------------------------------------------

def test_operator_edits_a_customer_and_phone_is_normalised(login, make):
    customer = make.customer("Ana", "Alpha", email="ana@example.com",
                             created_at=datetime(2026, 1, 1), updated_at=datetime(2026, 1, 1))
    client = login(Role.OPERATOR)
    response = client.post_form(edit_url(CUSTOMERS, customer), form(
        first_name="Ana María", surname="Alpha", email="ana@example.com", phone="0034600111222",
    ))
    assert response.status_code == 302
    stored = fresh(Customer, customer.id)
    assert stored.first_name == "Ana María"
    assert stored.phone == "+34600111222"
    assert stored.email == "ana@example.com"  # its own email is not a duplicate
    assert stored.updated_at > datetime(2026, 1, 1)


def test_edit_with_an_invalid_phone_keeps_the_stored_one(admin_client, make):
    customer = make.customer("Ana", "Alpha", phone="+34600111222")
    response = admin_client.post_form(edit_url(CUSTOMERS, customer),
                                      form(first_name="Changed", phone="600111222"))
    refused(response, "phone")
    stored = fresh(Customer, customer.id)
    assert stored.phone == "+34600111222" and stored.first_name == "Ana"


def test_edit_to_another_customers_email_is_refused(admin_client, make):
    make.customer("Ana", "Alpha", email="taken@example.com")
    customer = make.customer("Eva", "Beta", email="eva@example.com")
    response = admin_client.post_form(edit_url(CUSTOMERS, customer),
                                      form(email="Taken@example.com"))
    assert refused(response, "email") == ["Already exists."]
    assert fresh(Customer, customer.id).email == "eva@example.com"


def test_edit_cannot_blank_the_surname(admin_client, make):
    customer = make.customer("Ana", "Alpha")
    refused(admin_client.post_form(edit_url(CUSTOMERS, customer), form(surname="")), "surname")
    assert fresh(Customer, customer.id).surname == "Alpha"


def test_edit_moves_the_customer_to_no_group(admin_client, make):
    customer = make.customer(group=make.group("Gold"))
    response = admin_client.post_form(edit_url(CUSTOMERS, customer), form(group="__None"))
    assert response.status_code == 302
    assert fresh(Customer, customer.id).group_id is None


def test_edit_keeps_money_and_points_untouched(admin_client, make):
    customer = make.customer(balance_minor=1250, loyalty_points=40, sales_value_minor=9000)
    response = admin_client.post_form(edit_url(CUSTOMERS, customer),
                                      form(balance_minor="0", loyalty_points="0"))
    assert response.status_code == 302
    stored = fresh(Customer, customer.id)
    figures = (stored.balance_minor, stored.loyalty_points, stored.sales_value_minor)
    assert figures == (1250, 40, 9000)


def test_viewer_cannot_edit_even_with_a_forged_post(login, make):
    customer = make.customer("Ana", "Alpha")
    client = login(Role.VIEWER)
    response = client.post_form(edit_url(CUSTOMERS, customer), form(first_name="Hacked"))
    assert response.status_code == 403
    assert fresh(Customer, customer.id).first_name == "Ana"


# -- delete ---------------------------------------------------------------------------

def test_deleting_a_customer_who_holds_a_balance_is_refused(login, make):
    customer = make.customer("Ana", "Alpha", balance_minor=1250)
    message = the_error_flashed(delete_from_list(login(Role.MANAGER), CUSTOMERS, customer.id))
    assert "Ana Alpha cannot be deleted" in message
    assert "balance" in message
    assert fresh(Customer, customer.id) is not None


@pytest.mark.parametrize("status", [WalletStatus.ACTIVE, WalletStatus.BLOCKED])
def test_deleting_a_customer_whose_wallet_holds_money_is_refused(admin_client, make, status):
    # The cached figure on the row says 0; the wallet still holds money.
    customer = make.customer("Ana", "Alpha", balance_minor=0)
    wallet = make.wallet(customer, balance_minor=500, status=status)
    message = the_error_flashed(delete_from_list(admin_client, CUSTOMERS, customer.id))
    assert "cannot be deleted" in message and "wallet balance" in message
    assert fresh(Customer, customer.id) is not None
    db.session.expire_all()
    assert db.session.get(Wallet, wallet.id).customer_id == customer.id


def test_deleting_a_customer_with_loyalty_points_is_refused(admin_client, make):
    customer = make.customer("Ana", "Alpha", loyalty_points=40)
    message = the_error_flashed(delete_from_list(admin_client, CUSTOMERS, customer.id))
    assert "cannot be deleted" in message and "40 loyalty points" in message
    assert fresh(Customer, customer.id) is not None


def test_deleting_a_customer_with_unpaid_invoices_is_refused(admin_client, make):
    customer = make.customer("Ana", "Alpha")
    make.invoice(customer)
    make.invoice(customer)
    message = the_error_flashed(delete_from_list(admin_client, CUSTOMERS, customer.id))
    assert "cannot be deleted" in message and "2 unpaid" in message
    assert fresh(Customer, customer.id) is not None


def test_a_refusal_gives_every_reason(admin_client, make):
    customer = make.customer("Ana", "Alpha", balance_minor=100, loyalty_points=3)
    make.invoice(customer)
    message = the_error_flashed(delete_from_list(admin_client, CUSTOMERS, customer.id))
    assert "balance" in message and "3 loyalty points" in message and "1 unpaid" in message


def test_deleting_a_customer_who_holds_nothing_keeps_their_orders_unlinked(login, make):
    customer = make.customer("Ana", "Alpha")
    keep = make.customer("Eva", "Beta")
    orders = [make.order(customer), make.order(customer)]
    other_order = make.order(keep)
    empty_wallet = make.wallet(customer, balance_minor=0)
    paid = make.invoice(customer, status=InvoiceStatus.PAID)
    void = make.invoice(customer, status=InvoiceStatus.VOID)

    page = delete_from_list(login(Role.MANAGER), CUSTOMERS, customer.id)
    assert ("success", "Customer Ana Alpha deleted.") in flashes(page)
    assert listed_ids(page) == [keep.id]
    assert fresh(Customer, customer.id) is None
    for order in orders:
        stored = db.session.get(Order, order.id)
        assert stored is not None and stored.customer_id is None
    assert db.session.get(Order, other_order.id).customer_id == keep.id
    assert db.session.get(Wallet, empty_wallet.id).customer_id is None
    assert {db.session.get(Invoice, i.id).customer_id for i in (paid, void)} == {None}


def test_operator_cannot_delete(login, make):
    customer = make.customer()
    client = login(Role.OPERATOR)
    response = client.post_form(DELETE, {"id": str(customer.id)})
    assert response.status_code == 403
    assert fresh(Customer, customer.id) is not None


def test_bulk_delete_refuses_all_when_one_holds_something(admin_client, make):
    holds = make.customer("Ana", "Alpha", loyalty_points=10)
    empty = make.customer("Eva", "Beta")
    response = admin_client.post_form(CUSTOMERS + "action/", {
        "action": "delete", "rowid": [str(holds.id), str(empty.id)], "url": CUSTOMERS,
    })
    assert response.status_code == 302
    page = get_page(admin_client, response.headers["Location"])
    errors = [message for category, message in flashes(page) if category == "danger"]
    assert errors[0] == "Nothing was deleted: 1 customer cannot be deleted."
    assert "Ana Alpha cannot be deleted" in errors[1]
    assert fresh(Customer, holds.id) is not None
    assert fresh(Customer, empty.id) is not None  # all or nothing


def test_bulk_delete_is_refused_to_an_operator(login, make):
    customer = make.customer()
    client = login(Role.OPERATOR)
    response = client.post_form(CUSTOMERS + "action/",
                                {"action": "delete", "rowid": str(customer.id)})
    assert response.status_code == 403
    assert fresh(Customer, customer.id) is not None


# -- CSV export -----------------------------------------------------------------------

def test_export_header_uses_the_labels_and_money_is_plain_decimal(login, make):
    gold = make.group("Gold")
    make.customer(
        "Lucía", "Moreno", email="lucia@example.com", postcode="28013", group=gold,
        sales_value_minor=123456, orders_count=7, loyalty_points=320, balance_minor=1250,
        marketing_opt_in=True, card_number="LC0000000042", created_at=datetime(2026, 1, 15, 10, 30),
    )
    rows = csv_rows(login(Role.OPERATOR).get(EXPORT))
    # Money is a decimal number, its currency in a column of its own.
    assert rows[0] == EXPORT_HEADERS + ["Currency"]
    assert rows[1] == [
        "Lucía", "Moreno", "lucia@example.com", "", "28013", "", "", "LC0000000042", "Gold",
        "Yes", "", "1234.56", "7", "320", "12.50", "2026-01-15 10:30:00", "EUR",
    ]


def test_export_money_keeps_cents_and_sign(admin_client, make):
    make.customer("Ana", "Alpha", sales_value_minor=-1250, balance_minor=5)
    make.customer("Ana", "Beta", sales_value_minor=100, balance_minor=0)
    rows = csv_rows(admin_client.get(EXPORT))
    sales, balance = EXPORT_HEADERS.index("Sales value"), EXPORT_HEADERS.index("Balance")
    assert [(r[sales], r[balance]) for r in rows[1:]] == [("-12.50", "0.05"), ("1.00", "0.00")]


def test_export_contains_every_matching_row_not_just_one_page(admin_client):
    db.session.add_all(Customer(first_name="Ana", surname=f"S{n:02d}") for n in range(25))
    db.session.commit()
    rows = csv_rows(admin_client.get(EXPORT))
    assert [r[1] for r in rows[1:]] == [f"S{n:02d}" for n in range(25)]


def test_export_follows_the_current_search(admin_client, two_customers):
    rows = csv_rows(admin_client.get(EXPORT, query_string={"search": "600 11 12"}))
    assert [r[:2] for r in rows] == [["First name", "Surname"], ["Lucía", "Moreno"]]


def test_export_follows_the_current_filters(admin_client, make):
    gold = make.group("Gold")
    make.customer("Ana", "Alpha", group=gold, marketing_opt_in=True)
    make.customer("Ana", "Beta", group=gold, marketing_opt_in=False)
    make.customer("Ana", "Gamma", marketing_opt_in=True)
    rows = csv_rows(admin_client.get(EXPORT, query_string={
        "flt0_group_equals": gold.id, "flt1_marketing_optin_is": "1",
    }))
    assert [r[1] for r in rows] == ["Surname", "Alpha"]
    rows = csv_rows(admin_client.get(EXPORT, query_string={"flt0_group_equals": "__none__"}))
    assert [r[1] for r in rows] == ["Surname", "Gamma"]


def test_export_of_an_empty_result_is_just_the_header(admin_client, make):
    make.customer()
    response = admin_client.get(EXPORT, query_string={"search": "nobody"})
    assert csv_rows(response) == [EXPORT_HEADERS + ["Currency"]]


@pytest.mark.parametrize("field, value, column", [
    ("first_name", '=HYPERLINK("http://evil.example","click")', "First name"),
    ("first_name", "+1+cmd", "First name"),
    ("first_name", "@SUM(A1:A9)", "First name"),
    ("first_name", "-2+3", "First name"),
    ("surname", "＝1+1", "Surname"),
    ("card_number", "=1+1", "Card number"),
    ("postcode", "@A1", "Postcode"),
])
def test_export_neutralises_spreadsheet_formulas(admin_client, make, field, value, column):
    fields = {"first_name": "Ana", "surname": "Alpha", field: value}
    make.customer(**fields)
    rows = csv_rows(admin_client.get(EXPORT))
    assert rows[1][EXPORT_HEADERS.index(column)] == "'" + value


def test_export_neutralises_a_formula_in_the_group_name(admin_client, make):
    make.customer(group=make.group("=cmd|' /C calc'!A0"))
    rows = csv_rows(admin_client.get(EXPORT))
    assert rows[1][EXPORT_HEADERS.index("Group")] == "'=cmd|' /C calc'!A0"


def test_export_leaves_ordinary_values_and_negative_numbers_alone(admin_client, make):
    make.customer("Ana", "O'Brien", card_number="-42", sales_value_minor=-5,
                  orders_count=-1, email="ana@example.com")
    [row] = csv_rows(admin_client.get(EXPORT))[1:]
    assert row[EXPORT_HEADERS.index("Surname")] == "O'Brien"
    assert row[EXPORT_HEADERS.index("Email")] == "ana@example.com"
    assert row[EXPORT_HEADERS.index("Card number")] == "-42"
    assert row[EXPORT_HEADERS.index("Sales value")] == "-0.05"
    assert row[EXPORT_HEADERS.index("Orders")] == "-1"


def test_viewer_cannot_export(login, make):
    make.customer()
    assert login(Role.VIEWER).get(EXPORT).status_code == 403


def test_no_group_reads_none_in_the_form_in_both_languages(app, users, password_hash, make):
    make.group("Empleados")
    for language, client in admins_by_language(app, users, password_hash).items():
        page = client.get("/admin/customers/new/").get_data(as_text=True)
        select = re.search(r'<select[^>]*name="group"[^>]*>(.*?)</select>', page, re.S).group(1)
        first = re.search(r'<option[^>]*value="__None"[^>]*>(.*?)</option>', select).group(1)
        assert first == {"en": "None", "es": "Ninguno"}[language]
