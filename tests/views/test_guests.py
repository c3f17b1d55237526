"""/admin/guests/: people who bought without registering. The list (columns, number
of orders, search by name/email/phone, date-added filter, sorting), the blacklist
marker in list and details, the create and edit forms (email and phone checks,
operator and up), deletion (manager and up) and the CSV export.

Each test creates only the rows it needs and checks both the database and the page
the user sees. Every request of a test shares the test's app context (and so the
database session): ``fresh(Guest, )`` re-reads rows as they are stored now.
"""
from __future__ import annotations

from datetime import datetime

import pytest

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Guest, Order

from ..pages import (
    csv_rows,
    detail_rows,
    edit_url,
    flashes,
    fresh,
    get_page,
    list_headers,
    listed_ids,
    only_row,
    refused,
    row_count,
    sort_links,
    sorted_ids,
    table_rows,
    text,
)

GUESTS = "/admin/guests/"
NEW = GUESTS + "new/"
DELETE = GUESTS + "delete/"
EXPORT = GUESTS + "export/csv/"

LIST_HEADERS = ["Name", "Email", "Phone", "Date added", "Orders"]
UNSORTABLE = {"Email", "Phone"}


# -- forms and the database -----------------------------------------------------------

def form(**fields) -> dict:
    data = {"name": "Pepe Ruiz", "email": "", "phone": ""}
    data.update(fields)
    return data


# -- list: columns, values, order ------------------------------------------------------

def test_list_shows_the_columns_in_order_and_which_sort(admin_client, make):
    make.guest()
    page = get_page(admin_client, GUESTS)
    assert list_headers(page) == LIST_HEADERS
    assert set(sort_links(page)) == set(LIST_HEADERS) - UNSORTABLE


def test_list_row_shows_each_column_value(login, make):
    guest = make.guest("Pepe Ruiz", email="pepe@example.com", phone="+34600111222",
                       created_at=datetime(2026, 1, 15, 10, 30))
    make.order(guest=guest)
    make.order(guest=guest)
    [row] = table_rows(get_page(login(Role.VIEWER), GUESTS))
    assert row["id"] == guest.id
    assert row["name"] == "Pepe Ruiz"
    assert row["email"] == "pepe@example.com"
    assert row["phone"] == "+34 600 11 12 22"
    assert row["created_at"] == "1/15/2026 10:30 AM"
    assert row["orders_count"] == "2"


def test_details_show_every_field(login, make):
    guest = make.guest("Pepe Ruiz", email="pepe@example.com", phone="+34600111222",
                       created_at=datetime(2026, 1, 15, 10, 30))
    make.order(guest=guest)
    details = detail_rows(get_page(login(Role.VIEWER), GUESTS + "details/", id=guest.id))
    assert text(details["Name"]) == "Pepe Ruiz"
    assert text(details["Email"]) == "pepe@example.com"
    assert text(details["Phone"]) == "+34 600 11 12 22"
    added = text(details["Date added"])
    assert "1/15/2026 10:30 AM" in added
    assert text(details["Orders"]) == "1"
    assert text(details["Blacklisted"]) == "No"


def test_a_guest_without_email_or_phone_shows_empty_cells(admin_client, make):
    make.guest("Pepe Ruiz")
    [row] = table_rows(get_page(admin_client, GUESTS))
    assert row["email"] == "" and row["phone"] == ""
    assert row["orders_count"] == "0"
    assert "Blacklisted" not in row["name"]


def test_default_order_is_newest_first(admin_client, make):
    middle = make.guest(created_at=datetime(2026, 2, 1))
    oldest = make.guest(created_at=datetime(2025, 6, 1))
    newest = make.guest(created_at=datetime(2026, 3, 1))
    assert listed_ids(get_page(admin_client, GUESTS)) == [newest.id, middle.id, oldest.id]


# -- number of orders ---------------------------------------------------------------------

def test_orders_count_counts_only_that_guests_orders(admin_client, make):
    three = make.guest("Ana Three", created_at=datetime(2026, 1, 3))
    one = make.guest("Bea One", created_at=datetime(2026, 1, 2))
    none = make.guest("Cai None", created_at=datetime(2026, 1, 1))
    for _ in range(3):
        make.order(guest=three)
    make.order(guest=one)
    make.order(customer=make.customer())   # a customer's order is no guest's
    make.order()                            # nor is an order without buyer
    rows = {row["id"]: row["orders_count"] for row in table_rows(get_page(admin_client, GUESTS))}
    assert rows == {three.id: "3", one.id: "1", none.id: "0"}
    details = detail_rows(get_page(admin_client, GUESTS + "details/", id=three.id))
    assert text(details["Orders"]) == "3"


def test_orders_count_follows_new_orders(admin_client, make):
    guest = make.guest()
    assert table_rows(get_page(admin_client, GUESTS))[0]["orders_count"] == "0"
    make.order(guest=guest)
    assert table_rows(get_page(admin_client, GUESTS))[0]["orders_count"] == "1"


def test_orders_count_is_right_alongside_search_and_filter(admin_client, make):
    # The count is a subquery per row: joins of search/filter must not multiply it.
    guest = make.guest("Pepe Ruiz", email="pepe@example.com", created_at=datetime(2026, 1, 5))
    for _ in range(2):
        make.order(guest=guest)
    page = get_page(admin_client, GUESTS, search="pepe",
                    flt0_date_added_between="2026-01-01 to 2026-01-31")
    assert [(row["id"], row["orders_count"]) for row in table_rows(page)] == [(guest.id, "2")]


# -- sorting ------------------------------------------------------------------------------

def test_sort_by_number_of_orders(admin_client, make):
    two = make.guest(created_at=datetime(2026, 1, 3))
    none = make.guest(created_at=datetime(2026, 1, 1))
    five = make.guest(created_at=datetime(2026, 1, 2))
    for guest, count in ((two, 2), (five, 5)):
        for _ in range(count):
            make.order(guest=guest)
    assert sorted_ids(admin_client, GUESTS, "Orders") == [none.id, two.id, five.id]
    assert sorted_ids(admin_client, GUESTS, "Orders", desc=True) == [five.id, two.id, none.id]


def test_sort_by_name(admin_client, make):
    b = make.guest("Marta", created_at=datetime(2026, 1, 1))
    c = make.guest("Zoe", created_at=datetime(2026, 1, 3))
    a = make.guest("Ana", created_at=datetime(2026, 1, 2))
    assert sorted_ids(admin_client, GUESTS, "Name") == [a.id, b.id, c.id]
    assert sorted_ids(admin_client, GUESTS, "Name", desc=True) == [c.id, b.id, a.id]


def test_sort_by_date_added(admin_client, make):
    b = make.guest(created_at=datetime(2026, 1, 2))
    a = make.guest(created_at=datetime(2026, 1, 1))
    c = make.guest(created_at=datetime(2026, 1, 3))
    assert sorted_ids(admin_client, GUESTS, "Date added") == [a.id, b.id, c.id]
    assert sorted_ids(admin_client, GUESTS, "Date added", desc=True) == [c.id, b.id, a.id]


# -- search -------------------------------------------------------------------------------

@pytest.fixture
def two_guests(make):
    target = make.guest("Pepe Ruiz", email="pepe.r@example.com", phone="+34600111222")
    other = make.guest("Bruno Otero", email="bruno@example.org", phone="+34699887766")
    return target, other


@pytest.mark.parametrize("typed", [
    "Pepe",                 # name
    "ruiz",                 # name, any case
    "Pepe Ruiz",            # two words: both must match
    "pepe.r@example.com",   # email
    "PEPE.R@",              # part of the email, any case
    "+34600111222",         # phone as stored
    "+34 600 11 12 22",     # phone as written
    "600 11 12",            # part of the phone, with spaces
    "600111222",            # national number
    "0034 600 11 12 22",    # 00 international prefix
    "+34-600-111-222",      # with dashes
])
def test_search_finds_the_guest_by_name_email_or_phone(admin_client, two_guests, typed):
    target, _other = two_guests
    assert listed_ids(get_page(admin_client, GUESTS, search=typed)) == [target.id]


def test_search_with_no_match_lists_nobody_and_keeps_the_term(admin_client, two_guests):
    page = get_page(admin_client, GUESTS, search="Nadie")
    assert listed_ids(page) == []
    assert 'value="Nadie"' in page


# -- filter by date added -------------------------------------------------------------------

def test_date_added_range_includes_both_whole_days(admin_client, make):
    make.guest(created_at=datetime(2025, 12, 31, 23, 59, 59))
    first = make.guest(created_at=datetime(2026, 1, 1, 0, 0, 0))
    last = make.guest(created_at=datetime(2026, 1, 31, 23, 59, 59))
    make.guest(created_at=datetime(2026, 2, 1, 0, 0, 0))
    page = get_page(admin_client, GUESTS, flt0_date_added_between="2026-01-01 to 2026-01-31")
    assert set(listed_ids(page)) == {first.id, last.id}


def test_date_added_range_of_one_day(admin_client, make):
    make.guest(created_at=datetime(2026, 3, 9, 23, 0))
    that_day = make.guest(created_at=datetime(2026, 3, 10, 12, 0))
    make.guest(created_at=datetime(2026, 3, 11, 0, 0))
    page = get_page(admin_client, GUESTS, flt0_date_added_between="2026-03-10 to 2026-03-10")
    assert listed_ids(page) == [that_day.id]


def test_date_added_filter_combines_with_search(admin_client, make):
    match = make.guest("Pepe Ruiz", created_at=datetime(2026, 1, 10))
    make.guest("Pepe Ruiz", created_at=datetime(2026, 2, 10))
    make.guest("Bruno Otero", created_at=datetime(2026, 1, 10))
    page = get_page(admin_client, GUESTS, search="Ruiz",
                    flt0_date_added_between="2026-01-01 to 2026-01-31")
    assert listed_ids(page) == [match.id]


def test_an_invalid_date_range_says_so_and_filters_nothing(admin_client, make):
    guests = {make.guest().id, make.guest().id}
    page = get_page(admin_client, GUESTS, flt0_date_added_between="last week")
    assert set(listed_ids(page)) == guests
    assert any(category == "danger" for category, _ in flashes(page))


# -- blacklist marker -------------------------------------------------------------------------

def test_blacklisted_guest_is_marked_in_list_and_details(login, make):
    listed = make.guest("Ana Listed", phone="+34600111222")
    clean = make.guest("Bea Clean", phone="+34611222333")
    no_phone = make.guest("Cai Nophone")
    make.blacklist("+34600111222")
    client = login(Role.VIEWER)

    rows = {row["id"]: row for row in table_rows(get_page(client, GUESTS))}
    assert rows[listed.id]["name"] == "Ana Listed Blacklisted"
    assert "badge-danger" in rows[listed.id]["name_html"]
    assert rows[clean.id]["name"] == "Bea Clean"
    assert rows[no_phone.id]["name"] == "Cai Nophone"

    details = detail_rows(get_page(client, GUESTS + "details/", id=listed.id))
    assert text(details["Blacklisted"]) == "Yes: Fake orders"
    assert "badge-danger" in details["Blacklisted"]
    for guest in (clean, no_phone):
        details = detail_rows(get_page(client, GUESTS + "details/", id=guest.id))
        assert text(details["Blacklisted"]) == "No"


def test_marker_follows_the_blacklist(admin_client, make):
    guest = make.guest("Ana Listed", phone="+34600111222")
    assert "Blacklisted" not in table_rows(get_page(admin_client, GUESTS))[0]["name"]
    entry = make.blacklist("+34600111222")
    assert "Blacklisted" in table_rows(get_page(admin_client, GUESTS))[0]["name"]
    db.session.delete(entry)
    db.session.commit()
    [row] = table_rows(get_page(admin_client, GUESTS))
    assert row["id"] == guest.id and row["name"] == "Ana Listed"


def test_a_phone_typed_another_way_is_still_recognised_as_blacklisted(operator, make):
    make.blacklist("+34600111222")
    response = operator.post_form(NEW, form(name="Ana Listed", phone="0034 600 11 12 22"))
    assert response.status_code == 302
    guest = only_row(Guest)
    assert guest.phone == "+34600111222"
    [row] = table_rows(get_page(operator, GUESTS))
    assert row["id"] == guest.id and "Blacklisted" in row["name"]


def test_the_marker_is_not_exported_into_the_name(admin_client, make):
    make.guest("Ana Listed", phone="+34600111222")
    make.blacklist("+34600111222")
    [row] = csv_rows(admin_client.get(EXPORT))[1:]
    assert row[0] == "Ana Listed"


# -- create ---------------------------------------------------------------------------------

def test_operator_creates_a_guest_with_email_and_phone_normalised(operator):
    response = operator.post_form(NEW, form(
        name="Pepe Ruiz", email="Pepe.Ruiz@Example.COM", phone="+34 600 11 12 22",
    ))
    assert response.status_code == 302
    guest = only_row(Guest)
    assert guest.name == "Pepe Ruiz"
    assert guest.email == "pepe.ruiz@example.com"
    assert guest.phone == "+34600111222"
    assert guest.created_at is not None
    page = get_page(operator, response.headers["Location"])
    assert ("success", "Guest Pepe Ruiz created.") in flashes(page)
    [row] = table_rows(page)
    assert (row["name"], row["phone"], row["orders_count"]) == (
        "Pepe Ruiz", "+34 600 11 12 22", "0")


def test_email_and_phone_are_optional(operator):
    assert operator.post_form(NEW, form(email="", phone="")).status_code == 302
    guest = only_row(Guest)
    assert guest.email is None and guest.phone is None


@pytest.mark.parametrize("typed", ["+34 600 11 12 22", "0034600111222", "+34600111222",
                                   "+34 (600) 111-222"])
def test_every_common_writing_of_a_phone_is_stored_as_e164(operator, typed):
    assert operator.post_form(NEW, form(phone=typed)).status_code == 302
    assert only_row(Guest).phone == "+34600111222"


def test_phone_without_country_code_is_a_clear_form_error(operator):
    [message] = refused(operator.post_form(NEW, form(phone="600111222")), "phone")
    assert "country code" in message
    assert row_count(Guest) == 0


@pytest.mark.parametrize("phone", ["+34 123", "+34 600 11 12 22 99 88", "+0 600111222",
                                   "phone", "+34 6OO 111 222"])
def test_invalid_phone_is_a_form_error_and_nothing_is_saved(operator, phone):
    refused(operator.post_form(NEW, form(phone=phone)), "phone")
    assert row_count(Guest) == 0


@pytest.mark.parametrize("email", ["not-an-email", "pepe@", "@example.com",
                                   "pepe @example.com", "pepe@@example.com"])
def test_invalid_email_is_a_form_error_and_nothing_is_saved(operator, email):
    [message] = refused(operator.post_form(NEW, form(email=email)), "email")
    assert "email" in message.lower()
    assert row_count(Guest) == 0


def test_name_is_required(operator):
    refused(operator.post_form(NEW, form(name="")), "name")
    assert row_count(Guest) == 0


def test_a_name_of_only_spaces_is_refused(operator):
    refused(operator.post_form(NEW, form(name="   ")), "name")
    assert row_count(Guest) == 0


def test_a_name_longer_than_the_column_is_refused(operator):
    refused(operator.post_form(NEW, form(name="x" * 161)), "name")
    assert row_count(Guest) == 0


def test_derived_figures_cannot_be_posted(operator):
    response = operator.post_form(NEW, form(
        orders_count="9", is_blacklisted="y", created_at="2020-01-01 00:00:00",
    ))
    assert response.status_code == 302
    guest = only_row(Guest)
    assert guest.orders_count == 0 and guest.is_blacklisted is False
    assert guest.created_at.year >= 2025


def test_viewer_cannot_create_even_with_a_forged_post(login):
    client = login(Role.VIEWER)
    assert client.get(NEW).status_code == 403
    assert client.post_form(NEW, form()).status_code == 403
    assert row_count(Guest) == 0
    assert f'href="{NEW}' not in get_page(client, GUESTS)


def test_create_without_the_csrf_token_saves_nothing(operator):
    response = operator.post(NEW, data=form())
    assert response.status_code == 400
    assert row_count(Guest) == 0


# -- edit -----------------------------------------------------------------------------------

def test_operator_edits_a_guest(operator, make):
    guest = make.guest("Pepe Ruiz", email="pepe@example.com", phone="+34611222333",
                       created_at=datetime(2026, 1, 1))
    response = operator.post_form(edit_url(GUESTS, guest), form(
        name="Pepe Ruiz Gil", email="PEPE@example.com", phone="0034 600 11 12 22",
    ))
    assert response.status_code == 302
    stored = fresh(Guest, guest.id)
    assert stored.name == "Pepe Ruiz Gil"
    assert stored.email == "pepe@example.com"
    assert stored.phone == "+34600111222"
    assert stored.created_at == datetime(2026, 1, 1)


def test_edit_can_clear_email_and_phone(operator, make):
    guest = make.guest(email="pepe@example.com", phone="+34611222333")
    assert operator.post_form(edit_url(GUESTS, guest), form(email="", phone="")).status_code == 302
    stored = fresh(Guest, guest.id)
    assert stored.email is None and stored.phone is None


@pytest.mark.parametrize("field, value", [("phone", "600111222"), ("email", "pepe@")])
def test_edit_with_bad_input_keeps_what_is_stored(operator, make, field, value):
    guest = make.guest("Pepe Ruiz", email="pepe@example.com", phone="+34611222333")
    data = form(name="Changed", email="pepe@example.com", phone="+34611222333")
    data[field] = value
    refused(operator.post_form(edit_url(GUESTS, guest), data), field)
    stored = fresh(Guest, guest.id)
    assert (stored.name, stored.email, stored.phone) == (
        "Pepe Ruiz", "pepe@example.com", "+34611222333")


def test_viewer_cannot_edit_even_with_a_forged_post(login, make):
    guest = make.guest("Pepe Ruiz")
    client = login(Role.VIEWER)
    assert client.get(edit_url(GUESTS, guest)).status_code == 403
    assert client.post_form(edit_url(GUESTS, guest), form(name="Hacked")).status_code == 403
    assert fresh(Guest, guest.id).name == "Pepe Ruiz"


# -- delete ---------------------------------------------------------------------------------

def test_operator_cannot_delete(operator, make):
    guest = make.guest()
    assert operator.post_form(DELETE, {"id": str(guest.id)}).status_code == 403
    assert fresh(Guest, guest.id) is not None
    assert DELETE not in get_page(operator, GUESTS)


def test_manager_deletes_a_guest_and_the_orders_stay(login, make):
    guest = make.guest("Pepe Ruiz")
    keep = make.guest("Bruno Otero")
    order = make.order(guest=guest)
    other = make.order(guest=keep)
    client = login(Role.MANAGER)
    response = client.post_form(DELETE, {"id": str(guest.id), "url": GUESTS})
    assert response.status_code == 302
    page = get_page(client, response.headers["Location"])
    assert ("success", "Guest Pepe Ruiz deleted.") in flashes(page)
    assert listed_ids(page) == [keep.id]
    assert fresh(Guest, guest.id) is None
    # A sale is never deleted with its buyer.
    assert db.session.get(Order, order.id) is not None
    assert db.session.get(Order, other.id).guest_id == keep.id


# -- CSV export -------------------------------------------------------------------------------

def test_operator_exports_with_labels(operator, make):
    guest = make.guest("Pepe Ruiz", email="pepe@example.com", phone="+34600111222",
                       created_at=datetime(2026, 1, 15, 10, 30))
    make.order(guest=guest)
    make.order(guest=guest)
    rows = csv_rows(operator.get(EXPORT))
    assert rows[0] == LIST_HEADERS
    [row] = rows[1:]
    assert row[0] == "Pepe Ruiz"
    assert row[1] == "pepe@example.com"
    # The number survives, and the cell cannot run as a formula in a spreadsheet.
    assert row[2].lstrip("'").replace(" ", "") == "+34600111222"
    assert not row[2].startswith(("+", "="))
    assert row[3] == "2026-01-15 10:30:00"
    assert row[4] == "2"


def test_export_follows_search_and_filter(admin_client, make):
    make.guest("Pepe Ruiz", phone="+34600111222", created_at=datetime(2026, 1, 10))
    make.guest("Pepe Ruiz", phone="+34600111222", created_at=datetime(2026, 2, 10))
    make.guest("Bruno Otero", created_at=datetime(2026, 1, 10))
    rows = csv_rows(admin_client.get(EXPORT, query_string={
        "search": "600 11 12", "flt0_date_added_between": "2026-01-01 to 2026-01-31",
    }))
    assert [(row[0], row[3]) for row in rows[1:]] == [("Pepe Ruiz", "2026-01-10 00:00:00")]


def test_export_neutralises_a_formula_in_the_name(admin_client, make):
    make.guest('=HYPERLINK("http://evil.example","click")')
    [row] = csv_rows(admin_client.get(EXPORT))[1:]
    assert row[0] == '\'=HYPERLINK("http://evil.example","click")'


def test_viewer_cannot_export(login, make):
    make.guest()
    client = login(Role.VIEWER)
    assert client.get(EXPORT).status_code == 403
    assert EXPORT not in get_page(client, GUESTS)
