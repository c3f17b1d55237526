"""/admin/blacklist/: phone numbers staff must not serve. The list (columns, search by
a phone typed any common way, reason and date filters, sorting), the create and edit
forms (phone with country code stored as E.164 and listed once, reasons from the list
only, "added by" set to the logged-in user), managers only, deletion and the export.

Each test creates only the rows it needs and checks both the database and the page
the user sees. Every request of a test shares the test's app context (and so the
database session): ``fresh(BlacklistEntry, )`` re-reads rows as they are stored now.
"""
from __future__ import annotations

from datetime import datetime

import pytest

from admin_app.choices import BlacklistReason, Role
from admin_app.extensions import db
from admin_app.models import BlacklistEntry

from ..pages import (
    csv_rows,
    detail_rows,
    edit_url,
    filter_options,
    flashes,
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
    text,
)

BLACKLIST = "/admin/blacklist/"
NEW = BLACKLIST + "new/"
DELETE = BLACKLIST + "delete/"
EXPORT = BLACKLIST + "export/csv/"

LIST_HEADERS = ["Phone (with country code)", "Held by", "Reason", "Note", "Added by", "Date"]
UNSORTABLE = {"Held by", "Note", "Added by"}
REASON_LABELS = {
    "refused_orders": "Frequent refusal to accept orders",
    "returns_fraud": "Misuse of returns or fraud",
    "staff_abuse": "Inappropriate behaviour towards staff",
    "fake_orders": "Fake orders",
    "other": "Other",
}
SAME_NUMBER = ["+34 600 11 12 22", "0034600111222", "+34600111222"]


# -- forms and the database -----------------------------------------------------------

def form(**fields) -> dict:
    data = {"phone": "+34 600 11 12 22", "reason": "fake_orders", "note": ""}
    data.update(fields)
    return data


# -- list: columns, values, order ------------------------------------------------------

def test_list_shows_the_columns_in_order_and_which_sort(admin_client, make):
    make.blacklist("+34600111222")
    page = get_page(admin_client, BLACKLIST)
    assert list_headers(page) == LIST_HEADERS
    assert set(sort_links(page)) == set(LIST_HEADERS) - UNSORTABLE


def test_list_row_shows_each_column_value(login, users, make):
    entry = make.blacklist("+34600111222", reason=BlacklistReason.STAFF_ABUSE,
                           note="Shouted at the cashier", added_by=users[Role.MANAGER],
                           created_at=datetime(2026, 1, 15, 10, 30))
    [row] = table_rows(get_page(login(Role.VIEWER), BLACKLIST))
    assert row["id"] == entry.id
    assert row["phone"] == "+34 600 11 12 22"
    assert row["reason"] == "Inappropriate behaviour towards staff"
    assert row["note"] == "Shouted at the cashier"
    assert row["added_by"] == "Manager"
    assert row["created_at"] == "1/15/2026 10:30 AM"


def test_details_show_every_field(login, users, make):
    entry = make.blacklist("+34600111222", reason=BlacklistReason.RETURNS_FRAUD,
                           note="Returned worn shoes", added_by=users[Role.ADMIN],
                           created_at=datetime(2026, 1, 15, 10, 30))
    details = detail_rows(get_page(login(Role.VIEWER), BLACKLIST + "details/", id=entry.id))
    shown = {label: text(value) for label, value in details.items()}
    assert shown["Phone (with country code)"] == "+34 600 11 12 22"
    assert shown["Reason"] == "Misuse of returns or fraud"
    assert shown["Note"] == "Returned worn shoes"
    assert shown["Added by"] == "Admin"
    assert "1/15/2026 10:30 AM" in shown["Date"]


def test_default_order_is_newest_first(admin_client, make):
    middle = make.blacklist("+34600000002", created_at=datetime(2026, 2, 1))
    oldest = make.blacklist("+34600000001", created_at=datetime(2025, 6, 1))
    newest = make.blacklist("+34600000003", created_at=datetime(2026, 3, 1))
    assert listed_ids(get_page(admin_client, BLACKLIST)) == [newest.id, middle.id, oldest.id]


def test_sort_by_phone(admin_client, make):
    b = make.blacklist("+34611222333", created_at=datetime(2026, 1, 1))
    c = make.blacklist("+34699887766", created_at=datetime(2026, 1, 3))
    a = make.blacklist("+34600111222", created_at=datetime(2026, 1, 2))
    label = "Phone (with country code)"
    assert sorted_ids(admin_client, BLACKLIST, label) == [a.id, b.id, c.id]
    assert sorted_ids(admin_client, BLACKLIST, label, desc=True) == [c.id, b.id, a.id]


def test_sort_by_date(admin_client, make):
    b = make.blacklist("+34600000001", created_at=datetime(2026, 1, 2))
    a = make.blacklist("+34600000002", created_at=datetime(2026, 1, 1))
    c = make.blacklist("+34600000003", created_at=datetime(2026, 1, 3))
    assert sorted_ids(admin_client, BLACKLIST, "Date") == [a.id, b.id, c.id]
    assert sorted_ids(admin_client, BLACKLIST, "Date", desc=True) == [c.id, b.id, a.id]


# -- search ------------------------------------------------------------------------------

@pytest.fixture
def two_entries(make):
    target = make.blacklist("+34600111222", note="Fake orders every weekend")
    other = make.blacklist("+34699887766", note="Refused three deliveries")
    return target, other


@pytest.mark.parametrize("typed", [
    "+34600111222",         # as stored
    "+34 600 11 12 22",     # as written, with spaces
    "+34 600 111 222",      # grouped another way
    "600 11 12 22",         # national number with spaces
    "600111222",            # national number
    "600 11 12",            # part of it, with spaces
    "0034 600 11 12 22",    # 00 international prefix
    "0034600111222",
    "+34-600-111-222",      # with dashes
    "weekend",              # the note
])
def test_search_finds_the_entry_by_phone_written_any_way_or_by_note(admin_client, two_entries,
                                                                     typed):
    target, _other = two_entries
    assert listed_ids(get_page(admin_client, BLACKLIST, search=typed)) == [target.id]


def test_search_with_no_match_lists_nothing_and_keeps_the_term(admin_client, two_entries):
    page = get_page(admin_client, BLACKLIST, search="+44 20 7946 0000")
    assert listed_ids(page) == []
    assert 'value="+44 20 7946 0000"' in page


# -- filters -----------------------------------------------------------------------------

def test_reason_filter_offers_every_reason(admin_client, make):
    make.blacklist("+34600111222")
    assert filter_options(get_page(admin_client, BLACKLIST), "Reason") == [
        [value, label] for value, label in REASON_LABELS.items()
    ]


@pytest.mark.parametrize("reason", list(REASON_LABELS))
def test_reason_filter(admin_client, make, reason):
    entries = {value: make.blacklist(f"+3460011122{n}", reason=value)
               for n, value in enumerate(REASON_LABELS)}
    page = get_page(admin_client, BLACKLIST, flt0_reason_is=reason)
    assert listed_ids(page) == [entries[reason].id]


def test_a_reason_that_is_not_listed_says_so_and_filters_nothing(admin_client, make):
    entries = {make.blacklist("+34600111222").id, make.blacklist("+34611222333").id}
    page = get_page(admin_client, BLACKLIST, flt0_reason_is="bogus")
    assert set(listed_ids(page)) == entries
    assert any(category == "danger" for category, _ in flashes(page))


def test_date_range_includes_both_whole_days(admin_client, make):
    make.blacklist("+34600000001", created_at=datetime(2025, 12, 31, 23, 59, 59))
    first = make.blacklist("+34600000002", created_at=datetime(2026, 1, 1, 0, 0, 0))
    last = make.blacklist("+34600000003", created_at=datetime(2026, 1, 31, 23, 59, 59))
    make.blacklist("+34600000004", created_at=datetime(2026, 2, 1, 0, 0, 0))
    page = get_page(admin_client, BLACKLIST, flt0_date_between="2026-01-01 to 2026-01-31")
    assert set(listed_ids(page)) == {first.id, last.id}


def test_reason_and_date_filters_and_search_combine(admin_client, make):
    jan, feb = datetime(2026, 1, 10), datetime(2026, 2, 10)
    match = make.blacklist("+34600111222", reason="fake_orders", created_at=jan)
    make.blacklist("+34600111223", reason="other", created_at=jan)
    make.blacklist("+34600111224", reason="fake_orders", created_at=feb)
    make.blacklist("+34699887766", reason="fake_orders", created_at=jan)
    page = get_page(admin_client, BLACKLIST, search="600 111", flt0_reason_is="fake_orders",
                    flt1_date_between="2026-01-01 to 2026-01-31")
    assert listed_ids(page) == [match.id]


# -- create ------------------------------------------------------------------------------

def test_manager_adds_a_number_and_is_recorded_as_who_added_it(manager, users):
    response = manager.post_form(NEW, form(
        phone="+34 600 11 12 22", reason="returns_fraud", note="Returned worn shoes",
    ))
    assert response.status_code == 302
    entry = only_row(BlacklistEntry)
    assert entry.phone == "+34600111222"
    assert entry.reason == "returns_fraud"
    assert entry.note == "Returned worn shoes"
    assert entry.added_by_id == users[Role.MANAGER].id
    assert entry.created_at is not None
    page = get_page(manager, response.headers["Location"])
    assert ("success", "Number +34600111222 added to the blacklist.") in flashes(page)
    [row] = table_rows(page)
    assert (row["phone"], row["reason"], row["added_by"]) == (
        "+34 600 11 12 22", "Misuse of returns or fraud", "Manager")


def test_added_by_is_whoever_is_logged_in(admin_client, users):
    assert admin_client.post_form(NEW, form()).status_code == 302
    assert only_row(BlacklistEntry).added_by_id == users[Role.ADMIN].id


@pytest.mark.parametrize("typed", SAME_NUMBER + ["+34 (600) 111-222", " +34 600 111 222 "])
def test_every_common_writing_is_stored_as_e164(manager, typed):
    assert manager.post_form(NEW, form(phone=typed)).status_code == 302
    assert only_row(BlacklistEntry).phone == "+34600111222"


def test_other_countries_are_stored_with_their_own_code(manager):
    assert manager.post_form(NEW, form(phone="+44 20 7946 0958")).status_code == 302
    assert only_row(BlacklistEntry).phone == "+442079460958"


def test_the_note_is_optional(manager):
    assert manager.post_form(NEW, form(note="")).status_code == 302
    assert not only_row(BlacklistEntry).note


@pytest.mark.parametrize("first", SAME_NUMBER)
@pytest.mark.parametrize("second", SAME_NUMBER)
def test_the_same_number_written_another_way_cannot_be_listed_twice(manager, users, make,
                                                                    first, second):
    response = manager.post_form(NEW, form(phone=first, reason="fake_orders", note="First"))
    assert response.status_code == 302
    original = only_row(BlacklistEntry)
    response = manager.post_form(NEW, form(phone=second, reason="other", note="Second"))
    assert refused(response, "phone") == ["Already exists."]
    stored = only_row(BlacklistEntry)
    assert stored.id == original.id
    assert (stored.phone, stored.reason, stored.note) == ("+34600111222", "fake_orders", "First")


def test_phone_without_country_code_is_a_clear_form_error(manager):
    [message] = refused(manager.post_form(NEW, form(phone="600111222")), "phone")
    assert "country code" in message
    assert row_count(BlacklistEntry) == 0


@pytest.mark.parametrize("phone", ["+34 123", "+34 600 11 12 22 99 88", "+0 600111222",
                                   "phone", "+34 6OO 111 222", "+1 555 0100"])
def test_invalid_phone_is_a_form_error_and_nothing_is_saved(manager, phone):
    refused(manager.post_form(NEW, form(phone=phone)), "phone")
    assert row_count(BlacklistEntry) == 0


def test_phone_is_required(manager):
    refused(manager.post_form(NEW, form(phone="")), "phone")
    assert row_count(BlacklistEntry) == 0


def test_the_form_offers_exactly_the_listed_reasons(manager):
    assert select_options(get_page(manager, NEW), "reason") == list(REASON_LABELS.items())


@pytest.mark.parametrize("reason", ["bogus", "", "Fake orders", "FAKE_ORDERS"])
def test_a_reason_that_is_not_listed_is_refused(manager, reason):
    refused(manager.post_form(NEW, form(reason=reason)), "reason")
    assert row_count(BlacklistEntry) == 0


def test_added_by_and_date_cannot_be_forged(manager, users):
    response = manager.post_form(NEW, form(
        added_by=str(users[Role.ADMIN].id), added_by_id=str(users[Role.ADMIN].id),
        created_at="2020-01-01 00:00:00",
    ))
    assert response.status_code == 302
    entry = only_row(BlacklistEntry)
    assert entry.added_by_id == users[Role.MANAGER].id
    assert entry.created_at.year >= 2025


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_below_manager_cannot_add_even_with_a_forged_post(login, role):
    client = login(role)
    assert client.get(NEW).status_code == 403
    assert client.post_form(NEW, form()).status_code == 403
    assert row_count(BlacklistEntry) == 0
    assert f'href="{NEW}' not in get_page(client, BLACKLIST)


def test_create_without_the_csrf_token_saves_nothing(manager):
    response = manager.post(NEW, data=form())
    assert response.status_code == 400
    assert row_count(BlacklistEntry) == 0


def test_a_new_entry_marks_the_guest_with_that_number(manager, make):
    guest = make.guest("Pepe Ruiz", phone="+34600111222")
    assert manager.post_form(NEW, form(phone="0034 600 11 12 22")).status_code == 302
    page = get_page(manager, "/admin/guests/")
    assert "Blacklisted" in table_rows(page)[0]["name"]
    db.session.expire_all()
    assert db.session.get(type(guest), guest.id).is_blacklisted is True


# -- edit --------------------------------------------------------------------------------

def test_edit_keeps_who_added_it_and_when(login, users, make):
    entry = make.blacklist("+34600111222", reason="fake_orders", note="First",
                           added_by=users[Role.MANAGER], created_at=datetime(2026, 1, 1))
    admin = login(Role.ADMIN)
    response = admin.post_form(edit_url(BLACKLIST, entry), form(
        phone="+34 611 22 23 33", reason="other", note="Corrected"))
    assert response.status_code == 302
    stored = fresh(BlacklistEntry, entry.id)
    assert (stored.phone, stored.reason, stored.note) == ("+34611222333", "other", "Corrected")
    assert stored.added_by_id == users[Role.MANAGER].id
    assert stored.created_at == datetime(2026, 1, 1)


def test_edit_may_keep_its_own_number_written_another_way(manager, make):
    entry = make.blacklist("+34600111222", note="First")
    response = manager.post_form(edit_url(BLACKLIST, entry),
                                 form(phone="0034 600 11 12 22", note="Second"))
    assert response.status_code == 302
    stored = fresh(BlacklistEntry, entry.id)
    assert (stored.phone, stored.note) == ("+34600111222", "Second")


@pytest.mark.parametrize("typed", SAME_NUMBER)
def test_edit_to_a_number_already_listed_is_refused(manager, make, typed):
    make.blacklist("+34600111222")
    entry = make.blacklist("+34611222333", note="Keep")
    assert refused(manager.post_form(edit_url(BLACKLIST, entry), form(phone=typed, note="Changed")),
                   "phone") == ["Already exists."]
    stored = fresh(BlacklistEntry, entry.id)
    assert (stored.phone, stored.note) == ("+34611222333", "Keep")


@pytest.mark.parametrize("field, value", [("phone", "600111222"), ("reason", "bogus")])
def test_edit_with_bad_input_keeps_what_is_stored(manager, make, field, value):
    entry = make.blacklist("+34600111222", reason="fake_orders", note="Keep")
    data = form(phone="+34600111222", reason="fake_orders", note="Changed")
    data[field] = value
    refused(manager.post_form(edit_url(BLACKLIST, entry), data), field)
    stored = fresh(BlacklistEntry, entry.id)
    assert (stored.phone, stored.reason, stored.note) == ("+34600111222", "fake_orders", "Keep")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_below_manager_cannot_edit_even_with_a_forged_post(login, make, role):
    entry = make.blacklist("+34600111222", note="Keep")
    client = login(role)
    assert client.get(edit_url(BLACKLIST, entry)).status_code == 403
    assert client.post_form(edit_url(BLACKLIST, entry), form(note="Hacked")).status_code == 403
    assert fresh(BlacklistEntry, entry.id).note == "Keep"


# -- delete ------------------------------------------------------------------------------

def test_manager_removes_a_number_and_the_guest_marker_goes(manager, make):
    make.guest("Pepe Ruiz", phone="+34600111222")
    entry = make.blacklist("+34600111222")
    keep = make.blacklist("+34611222333")
    response = manager.post_form(DELETE, {"id": str(entry.id), "url": BLACKLIST})
    assert response.status_code == 302
    page = get_page(manager, response.headers["Location"])
    assert ("success", "Number +34600111222 removed from the blacklist.") in flashes(page)
    assert listed_ids(page) == [keep.id]
    assert fresh(BlacklistEntry, entry.id) is None
    assert "Blacklisted" not in table_rows(get_page(manager, "/admin/guests/"))[0]["name"]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_below_manager_cannot_remove_a_number(login, make, role):
    entry = make.blacklist("+34600111222")
    client = login(role)
    assert client.post_form(DELETE, {"id": str(entry.id)}).status_code == 403
    assert fresh(BlacklistEntry, entry.id) is not None


# -- CSV export --------------------------------------------------------------------------

def test_operator_exports_with_labels(login, users, make):
    make.blacklist("+34600111222", reason=BlacklistReason.STAFF_ABUSE, note="Shouted",
                   added_by=users[Role.MANAGER], created_at=datetime(2026, 1, 15, 10, 30))
    rows = csv_rows(login(Role.OPERATOR).get(EXPORT))
    assert rows[0] == LIST_HEADERS
    [row] = rows[1:]
    # The number survives, and the cell cannot run as a formula in a spreadsheet.
    assert row[0].lstrip("'").replace(" ", "") == "+34600111222"
    assert not row[0].startswith(("+", "="))
    assert row[1:] == ["", "Inappropriate behaviour towards staff", "Shouted", "Manager",
                       "2026-01-15 10:30:00"]


def test_export_follows_search_and_filter(admin_client, make):
    make.blacklist("+34600111222", reason="fake_orders", note="Keep me")
    make.blacklist("+34600111223", reason="other", note="Wrong reason")
    make.blacklist("+34699887766", reason="fake_orders", note="Wrong number")
    rows = csv_rows(admin_client.get(EXPORT, query_string={
        "search": "600 111", "flt0_reason_is": "fake_orders"}))
    assert [row[3] for row in rows[1:]] == ["Keep me"]


def test_export_neutralises_a_formula_in_the_note(admin_client, make):
    make.blacklist("+34600111222", note="=cmd|' /C calc'!A0")
    [row] = csv_rows(admin_client.get(EXPORT))[1:]
    assert row[3] == "'=cmd|' /C calc'!A0"


def test_viewer_cannot_export(login, make):
    make.blacklist("+34600111222")
    client = login(Role.VIEWER)
    assert client.get(EXPORT).status_code == 403
    assert EXPORT not in get_page(client, BLACKLIST)
