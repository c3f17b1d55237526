"""Every sort of the customer list puts rows in the same order over its pages, ties
and empty values included; the filters read from indexed values match what the
plain condition would (the birthday's month and day kept on the row however the
birthday was written, blacklisted phones, offers)."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from admin_app.choices import BlacklistReason, Role
from admin_app.extensions import db
from admin_app.models import BlacklistEntry, Customer, month_day
from admin_app.services import erasure
from admin_app.services.seed import seed

from ..pages import apply_import, batch_id, csv_rows, flashes, get_page, listed_ids, upload

CUSTOMERS = "/admin/customers/"
BIRTHDAY = "flt0_birthday_any_year_day_and_month_between"


@pytest.fixture
def short_pages(app, monkeypatch):
    """Pages of two rows, counted exactly only up to three (paged by next)."""
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "customers")
    monkeypatch.setattr(view, "page_size", 2)
    monkeypatch.setitem(app.config, "LIST_EXACT_COUNT", 3)
    return view


def every_page(client, **params) -> list[int]:
    ids: list[int] = []
    for page in range(50):
        found = listed_ids(get_page(client, CUSTOMERS, page=page, **params))
        if not found:
            return ids
        ids += found
    raise AssertionError("more pages than expected")


def sort_index(view, column: str) -> int:
    return [name for name, _label in view._list_columns].index(column)


@pytest.fixture
def mixed(make):
    """Customers sharing values, and some without one, in every sorted column."""
    vip, basic = make.group("VIP"), make.group("Basic")
    rows = [
        dict(first_name="Ana", surname="Ruiz", postcode="28001", group=vip, card_number="C2",
             sales_value_minor=500, orders_count=2, loyalty_points=10, balance_minor=0,
             marketing_opt_in=True, created_at=datetime(2026, 1, 2)),
        dict(first_name="Ana", surname="Ruiz", postcode=None, group=None, card_number=None,
             sales_value_minor=500, orders_count=1, loyalty_points=0, balance_minor=700,
             marketing_opt_in=False, created_at=datetime(2026, 1, 1)),
        dict(first_name="Bea", surname="Álvarez", postcode="08002", group=basic,
             card_number="C1", sales_value_minor=0, orders_count=2, loyalty_points=10,
             balance_minor=700, marketing_opt_in=True, created_at=datetime(2026, 1, 2)),
        dict(first_name="Eva", surname="Castro", postcode="28001", group=vip, card_number=None,
             sales_value_minor=900, orders_count=0, loyalty_points=3, balance_minor=0,
             marketing_opt_in=False, created_at=datetime(2026, 1, 3)),
        dict(first_name="Luis", surname="Díaz", postcode=None, group=None, card_number="C3",
             sales_value_minor=0, orders_count=0, loyalty_points=0, balance_minor=50,
             marketing_opt_in=True, created_at=datetime(2026, 1, 1)),
    ]
    customers = [make.customer(**row) for row in rows]
    db.session.commit()
    return customers


def _with_nulls(customers, value, descending: bool) -> list[int]:
    """By (value, id), empty values where the database puts them (SQLite: first when
    ascending; PostgreSQL: last), and exactly reversed when descending."""
    present = sorted((c for c in customers if value(c) is not None),
                     key=lambda c: (value(c), c.id))
    empty = sorted((c for c in customers if value(c) is None), key=lambda c: c.id)
    ascending = (empty + present) if db.engine.dialect.name == "sqlite" else (present + empty)
    ids = [c.id for c in ascending]
    return ids[::-1] if descending else ids


SORTS = {
    "full_name": lambda c: (c.sort_name,),
    "postcode": lambda c: c.postcode,
    "sales_value_minor": lambda c: c.sales_value_minor,
    "orders_count": lambda c: c.orders_count,
    "loyalty_points": lambda c: c.loyalty_points,
    "balance_minor": lambda c: c.balance_minor,
    "marketing_opt_in": lambda c: (c.marketing_opt_in, c.sort_name),
    "card_number": lambda c: c.card_number,
    "created_at": lambda c: c.created_at,
}


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("column", sorted(SORTS))
def test_each_sort_orders_ties_and_empty_values_the_same_over_pages(
        admin_client, short_pages, mixed, column, descending):
    found = every_page(admin_client, sort=sort_index(short_pages, column), desc=int(descending))
    assert found == _with_nulls(mixed, SORTS[column], descending)


@pytest.mark.parametrize("descending", [False, True])
def test_the_group_sort_goes_by_group_name_then_name_with_no_group_last(
        admin_client, short_pages, mixed, descending):
    # Basic before VIP; within a group by name then record; no group last on both
    # databases (first when descending).
    ascending = sorted(mixed, key=lambda c: (c.group is None, c.group.name if c.group else "",
                                             c.sort_name, c.id))
    expected = [c.id for c in ascending]
    found = every_page(admin_client, sort=sort_index(short_pages, "group"),
                       desc=int(descending))
    assert found == (expected[::-1] if descending else expected)


def test_the_group_sort_keeps_to_the_filters_and_search(admin_client, short_pages, mixed):
    sort = sort_index(short_pages, "group")
    opted_in = [c.id for c in sorted((c for c in mixed if c.marketing_opt_in), key=lambda c: (
        c.group is None, c.group.name if c.group else "", c.sort_name, c.id))]
    assert every_page(admin_client, sort=sort, flt0_marketing_optin_is="1") == opted_in
    assert every_page(admin_client, sort=sort, search="ruiz") == [mixed[0].id, mixed[1].id]


def test_a_group_sort_page_past_the_end_is_empty(admin_client, mixed, short_pages):
    assert listed_ids(get_page(admin_client, CUSTOMERS, sort=sort_index(short_pages, "group"),
                               page=100)) == []


# -- the birthday's month and day -------------------------------------------------------

def test_month_day_of_a_date():
    assert month_day(date(1996, 2, 29)) == 229
    assert month_day(date(1980, 12, 31)) == 1231
    assert month_day("2001-01-02") == 102
    assert month_day(None) is None


def _any_year(client, typed: str) -> list[int]:
    return sorted(listed_ids(get_page(client, CUSTOMERS, **{BIRTHDAY: typed})))


def test_a_birthday_changed_in_the_form_is_found_by_day_and_month(manager, make):
    customer = make.customer("Ana", "Form", birthday=date(1990, 6, 1))
    db.session.commit()
    response = manager.post_form(f"{CUSTOMERS}edit/?id={customer.id}", {
        "first_name": "Ana", "surname": "Form", "email": customer.email,
        "birthday": "1996-02-29", "language": "en", "channel": "in_store"})
    assert response.status_code == 302
    assert _any_year(manager, "02/28 to 03/01") == [customer.id]
    assert _any_year(manager, "06/01 to 06/01") == []


def test_imported_birthdays_are_found_by_day_and_month_new_and_updated(manager, make):
    kept = make.customer("Ana", "Kept", email="kept@example.com", birthday=date(1990, 6, 1))
    db.session.commit()
    content = ("First name,Surname,Email,Birthday\r\n"
               "Ana,Kept,kept@example.com,1980-12-31\r\n"
               "Eva,New,new@example.com,1996-02-29\r\n")
    apply_import(manager, "/admin/customers/import/",
                 batch_id(upload(manager, "/admin/customers/import/", content)))
    new = db.session.scalar(select(Customer).where(Customer.email == "new@example.com"))
    assert _any_year(manager, "12/20 to 01/10") == [kept.id]  # over the new year
    assert _any_year(manager, "02/29 to 02/29") == [new.id]
    assert _any_year(manager, "06/01 to 06/01") == []


def test_seeded_birthdays_come_with_their_day_and_month(app):
    seed(30, seed=5, today=date(2026, 11, 20))
    customers = db.session.scalars(select(Customer)).all()
    assert customers and all(c.birthday_month_day == month_day(c.birthday) for c in customers)


def test_an_erased_birthday_takes_its_day_and_month_with_it(make):
    customer = make.customer("Ana", "Erased", birthday=date(1990, 6, 1))
    db.session.commit()
    erasure.erase(customer, actor=None)
    db.session.commit()
    assert db.session.get(Customer, customer.id).birthday_month_day is None


# -- filters that start from the few rows they match ---------------------------------------

def test_blacklisted_yes_and_no_split_the_customers(login, make):
    listed = make.customer("Ana", "Listed", phone="+34600111222")
    clear = make.customer("Eva", "Clear", phone="+34600333444")
    no_phone = make.customer("Luis", "NoPhone", phone=None)
    db.session.add(BlacklistEntry(phone="+34600111222", reason=BlacklistReason.OTHER))
    db.session.commit()
    client = login(Role.VIEWER)
    assert listed_ids(get_page(client, CUSTOMERS, flt0_blacklisted_is="1")) == [listed.id]
    assert sorted(listed_ids(get_page(client, CUSTOMERS, flt0_blacklisted_is="0"))) == sorted(
        [clear.id, no_phone.id])


def test_a_day_and_month_written_as_iso_means_the_same_days_in_both_languages(manager, make):
    """The link the page sends (--MM-DD) is read alike in English and Spanish, where
    "03/01" is 1 March in one and 3 January in the other."""
    march = make.customer("Ana", "March", birthday=date(1990, 3, 2))
    make.customer("Ana", "January", birthday=date(1990, 1, 20))
    db.session.commit()
    assert _any_year(manager, "--03-01 to --03-05") == [march.id]
    manager.post_form("/language", {"language": "es", "next": "/admin/"})
    assert _any_year(manager, "--03-01 to --03-05") == [march.id]


@pytest.mark.parametrize("descending", [False, True])
def test_an_export_sorted_by_group_has_the_lists_order(admin_client, short_pages, mixed,
                                                       descending):
    """The file lists the customers as the list's pages do: no group last (first
    when descending), by name within a group."""
    sort = sort_index(short_pages, "group")
    shown = every_page(admin_client, sort=sort, desc=int(descending))
    email = {c.id: c.email for c in mixed}
    rows = csv_rows(admin_client.get(f"{CUSTOMERS}export/csv/?sort={sort}&desc={int(descending)}"))
    column = rows[0].index("Email")
    assert [row[column] for row in rows[1:]] == [email[i] for i in shown]


@pytest.mark.parametrize("argument", ["flt0_date_added_between", "flt0_offer_redeemed_between"])
def test_a_range_ending_on_the_last_day_there_is_is_explained_not_a_bad_request(
        admin_client, make, argument):
    make.customer("Ana", "Kept")
    response = admin_client.get(CUSTOMERS, query_string={argument: "2020-01-01 to 9999-12-31"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert any("is not a valid value for the filter" in message
               for _category, message in flashes(page))


@pytest.mark.parametrize("url", ["/admin/wallets/?flt0_outlet_any_of=1,3000000000",
                                 "/admin/customers/?flt0_group_equals=3000000000",
                                 "/admin/orders/?flt0_customer_number_is=3000000000"])
def test_a_filter_number_past_its_columns_range_gets_the_filters_own_message(
        admin_client, url):
    """An id of 3,000,000,000 fits SQLite but not PostgreSQL's INTEGER: refused on
    both as the filter's value, the list shown unfiltered, not a bare 400."""
    response = admin_client.get(url)
    assert response.status_code == 200
    assert any("is not a valid value for the filter" in message
               for _category, message in flashes(response.get_data(as_text=True)))


@pytest.mark.parametrize("language, says", [
    ("en", "is not a valid value for the filter"), ("es", "no es un valor válido para el filtro")])
def test_a_choice_that_does_not_exist_is_refused_not_shown_as_the_first_one(
        login, make, language, says):
    """A kept link to a deleted group, a typed id, an unknown country or outlet: the
    filter's box would show its first choice's name, and the list nothing."""
    make.group("Corporate")
    listed = make.customer("Ana", "Listada")
    madrid = make.outlet("Madrid Centro")
    client = login("operator")
    client.post_form("/language", {"language": language, "next": "/admin/"})
    for url in ("/admin/customers/?flt0_group_equals=99",
                "/admin/customers/?flt0_country_equals=QQ",
                f"/admin/wallets/?flt0_outlet_any_of={madrid.id},99999"):
        page = client.get(url).get_data(as_text=True)
        assert any(says in message for _category, message in flashes(page)), url
    page = client.get("/admin/customers/?flt0_group_equals=99").get_data(as_text=True)
    assert listed_ids(page) == [listed.id]  # the list unfiltered, as it says
