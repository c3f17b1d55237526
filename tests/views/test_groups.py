"""/admin/groups/: the list (name, description, customer count), search, the
details link to the group's customers, create/edit with a unique name, and
deletion that moves the group's customers to no group and never deletes one.

One logged-in client per test: the app context (and so ``g``) is shared by
every request of a test, see conftest.
"""
from __future__ import annotations

import html as html_lib
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Customer, CustomerGroup

from ..pages import (
    csv_rows,
    detail_rows,
    flashes,
    get_page,
    list_headers,
    listed_ids,
    refused,
    sort_links,
    table_rows,
    text,
)

GROUPS = "/admin/groups/"
NEW = GROUPS + "new/"
DELETE = GROUPS + "delete/"
CUSTOMERS = "/admin/customers/"


# -- the database ------------------------------------------------------------------

def group_names() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(CustomerGroup.name).order_by(CustomerGroup.name)))


def customer_ids() -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(select(Customer.id)))


def group_of(customer) -> int | None:
    db.session.expire_all()
    return db.session.get(Customer, customer.id).group_id


# -- list, search, sort -------------------------------------------------------------

def test_list_shows_name_description_and_customer_count(admin_client, make):
    gold = make.group("Gold", description="Best customers")
    empty = make.group("Empty")
    for _ in range(3):
        make.customer(group=gold)
    make.customer()  # in no group: counted nowhere
    page = get_page(admin_client, GROUPS)
    assert list_headers(page) == ["Name", "Description", "Customers"]
    rows = {row["id"]: row for row in table_rows(page)}
    assert rows[gold.id]["name"] == "Gold"
    assert rows[gold.id]["description"] == "Best customers"
    assert rows[gold.id]["customers_count"] == "3"
    assert rows[empty.id]["customers_count"] == "0"
    assert rows[empty.id]["description"] == ""


def test_list_is_in_name_order(admin_client, make):
    silver, bronze, gold = make.group("Silver"), make.group("Bronze"), make.group("Gold")
    assert listed_ids(get_page(admin_client, GROUPS)) == [bronze.id, gold.id, silver.id]


def test_sort_by_customer_count(admin_client, make):
    big, small, none = make.group("A big"), make.group("B small"), make.group("C none")
    for _ in range(2):
        make.customer(group=big)
    make.customer(group=small)
    page = get_page(admin_client, GROUPS)
    index = sort_links(page)["Customers"]
    assert listed_ids(get_page(admin_client, GROUPS, sort=index)) == [none.id, small.id, big.id]
    assert listed_ids(get_page(admin_client, GROUPS, sort=index, desc=1)) == [
        big.id, small.id, none.id]


@pytest.mark.parametrize("typed, expected", [
    ("Gold", ["Gold", "Gold Plus"]),
    ("plus", ["Gold Plus"]),
    ("Silver", ["Silver"]),
    ("Platinum", []),
])
def test_search_by_name(admin_client, make, typed, expected):
    for name in ("Gold", "Gold Plus", "Silver"):
        make.group(name)
    rows = table_rows(get_page(admin_client, GROUPS, search=typed))
    assert [row["name"] for row in rows] == expected


def test_search_does_not_look_at_the_description(admin_client, make):
    make.group("Gold", description="Silver-tier upgrade")
    silver = make.group("Silver")
    assert listed_ids(get_page(admin_client, GROUPS, search="Silver")) == [silver.id]


# -- details -------------------------------------------------------------------------

def test_details_links_the_count_to_the_customers_of_that_group(login, make):
    gold, other = make.group("Gold"), make.group("Silver")
    members = [make.customer("Ana", "Alpha", group=gold), make.customer("Eva", "Beta", group=gold)]
    make.customer("Pia", "Gamma", group=other)
    make.customer("Leo", "Delta")
    client = login(Role.VIEWER)  # seeing lists and details is every role's

    details = detail_rows(get_page(client, GROUPS + "details/", id=gold.id))
    cell = details["Customers"]
    assert text(cell).startswith("2 ")
    link = re.search(r'<a href="([^"]+)"', cell)
    assert link, cell
    url = html_lib.unescape(link.group(1))
    assert url.startswith(CUSTOMERS)
    # Following the link lists exactly the group's customers.
    customer_page = get_page(client, url)
    assert sorted(listed_ids(customer_page)) == sorted(c.id for c in members)


def test_details_of_an_empty_group_links_to_an_empty_list(admin_client, make):
    empty = make.group("Empty")
    make.customer("Leo", "Delta")
    cell = detail_rows(get_page(admin_client, GROUPS + "details/", id=empty.id))["Customers"]
    assert text(cell).startswith("0 ")
    url = html_lib.unescape(re.search(r'<a href="([^"]+)"', cell).group(1))
    assert listed_ids(get_page(admin_client, url)) == []


def test_details_count_of_one_customer_is_singular(admin_client, make):
    gold = make.group("Gold")
    make.customer(group=gold)
    cell = detail_rows(get_page(admin_client, GROUPS + "details/", id=gold.id))["Customers"]
    assert text(cell) == "1 customer"


# -- create and edit -----------------------------------------------------------------

def test_operator_creates_a_group(login):
    client = login(Role.OPERATOR)
    response = client.post_form(NEW, {"name": "Students", "description": "Student card holders"})
    assert response.status_code == 302
    group = db.session.scalars(select(CustomerGroup)).one()
    assert (group.name, group.description) == ("Students", "Student card holders")
    page = get_page(client, response.headers["Location"])
    assert ("success", "Group Students created.") in flashes(page)
    assert [row["name"] for row in table_rows(page)] == ["Students"]


def test_a_new_group_is_offered_at_once_in_the_customer_form(admin_client):
    assert admin_client.post_form(NEW, {"name": "Brand new"}).status_code == 302
    group = db.session.scalars(select(CustomerGroup)).one()
    page = get_page(admin_client, CUSTOMERS + "new/")
    select_html = re.search(r'<select[^>]*name="group"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert f'<option value="{group.id}">Brand new</option>' in select_html
    filter_data = html_lib.unescape(
        re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>',
                  get_page(admin_client, CUSTOMERS), re.S).group(1)
    )
    assert f'["{group.id}", "Brand new"]' in filter_data


def test_duplicate_group_name_is_refused_with_a_message(admin_client, make):
    make.group("Gold", description="first")
    response = admin_client.post_form(NEW, {"name": "Gold", "description": "second"})
    assert refused(response, "name") == ["Already exists."]
    db.session.expire_all()
    assert db.session.scalars(select(CustomerGroup.description)).all() == ["first"]


def test_renaming_to_an_existing_name_is_refused(admin_client, make):
    make.group("Gold")
    silver = make.group("Silver")
    response = admin_client.post_form(f"{GROUPS}edit/?id={silver.id}", {"name": "Gold"})
    assert refused(response, "name") == ["Already exists."]
    assert group_names() == ["Gold", "Silver"]


def test_name_is_required(admin_client):
    refused(admin_client.post_form(NEW, {"name": "", "description": "no name"}), "name")
    assert group_names() == []


def test_edit_keeps_the_customers(admin_client, make):
    gold = make.group("Gold")
    member = make.customer(group=gold)
    response = admin_client.post_form(f"{GROUPS}edit/?id={gold.id}",
                                      {"name": "Gold 2026", "description": "renamed"})
    assert response.status_code == 302
    assert group_names() == ["Gold 2026"]
    assert group_of(member) == gold.id


def test_viewer_cannot_create_or_edit_even_with_a_forged_post(login, make):
    gold = make.group("Gold")
    client = login(Role.VIEWER)
    assert client.post_form(NEW, {"name": "Forged"}).status_code == 403
    assert client.post_form(f"{GROUPS}edit/?id={gold.id}", {"name": "Hacked"}).status_code == 403
    assert group_names() == ["Gold"]


# -- delete --------------------------------------------------------------------------

def test_deleting_a_group_moves_its_customers_to_no_group(login, make):
    gold, silver = make.group("Gold"), make.group("Silver")
    members = [
        make.customer("Ana", "Alpha", group=gold, balance_minor=1250, loyalty_points=40,
                      updated_at=datetime(2026, 1, 1)),
        make.customer("Eva", "Beta", group=gold, updated_at=datetime(2026, 1, 1)),
    ]
    other = make.customer("Pia", "Gamma", group=silver)
    everyone = customer_ids()

    client = login(Role.MANAGER)
    response = client.post_form(DELETE, {"id": str(gold.id), "url": GROUPS})
    assert response.status_code == 302
    page = get_page(client, response.headers["Location"])
    assert ("success", "Group Gold deleted.") in flashes(page)
    assert listed_ids(page) == [silver.id]

    assert group_names() == ["Silver"]
    assert customer_ids() == everyone  # not one customer deleted
    for member in members:
        stored = db.session.get(Customer, member.id)
        assert stored.group_id is None
        assert stored.updated_at > datetime(2026, 1, 1)
    stored = db.session.get(Customer, members[0].id)
    assert (stored.balance_minor, stored.loyalty_points) == (1250, 40)
    assert group_of(other) == silver.id

    # And the customers list now shows them under "None".
    page = get_page(client, CUSTOMERS, flt0_group_equals="__none__")
    assert sorted(listed_ids(page)) == sorted(m.id for m in members)


def test_deleted_group_leaves_the_customer_filter(admin_client, make):
    gold = make.group("Gold")
    admin_client.post_form(DELETE, {"id": str(gold.id)})
    filter_data = html_lib.unescape(
        re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>',
                  get_page(admin_client, CUSTOMERS), re.S).group(1)
    )
    assert '"Gold"' not in filter_data


def test_bulk_delete_of_groups_keeps_every_customer(admin_client, make):
    gold, silver = make.group("Gold"), make.group("Silver")
    a, b = make.customer(group=gold), make.customer(group=silver)
    response = admin_client.post_form(GROUPS + "action/", {
        "action": "delete", "rowid": [str(gold.id), str(silver.id)], "url": GROUPS,
    })
    assert response.status_code == 302
    assert group_names() == []
    assert customer_ids() == {a.id, b.id}
    assert group_of(a) is None and group_of(b) is None


def test_operator_cannot_delete_a_group(login, make):
    gold = make.group("Gold")
    member = make.customer(group=gold)
    client = login(Role.OPERATOR)
    assert client.post_form(DELETE, {"id": str(gold.id)}).status_code == 403
    assert group_names() == ["Gold"]
    assert group_of(member) == gold.id


# -- export --------------------------------------------------------------------------

def test_export_has_labels_counts_and_follows_the_search(login, make):
    gold = make.group("Gold", description="Best")
    make.group("Silver")
    make.customer(group=gold)
    make.customer(group=gold)
    client = login(Role.OPERATOR)
    response = client.get(GROUPS + "export/csv/", query_string={"search": "Gold"})
    assert response.status_code == 200
    rows = csv_rows(response)
    assert rows == [["Name", "Description", "Customers"], ["Gold", "Best", "2"]]


def test_export_neutralises_a_formula_in_the_name(admin_client, make):
    make.group("=HYPERLINK(\"http://evil.example\")", description="@cmd")
    response = admin_client.get(GROUPS + "export/csv/")
    rows = csv_rows(response)
    assert rows[1] == ["'=HYPERLINK(\"http://evil.example\")", "'@cmd", "0"]

