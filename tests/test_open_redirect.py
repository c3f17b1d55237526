"""Hostile redirect targets: whatever ``url=`` or ``next=`` a link carries, the
browser is only ever sent to a path on this site, after a details page of a
missing record, a create, an edit, a delete, a bulk action (checked rows or
every matching one), a login and a change of language; and no page offers a
link (Cancel) to the off-site target."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import CustomerGroup

from .conftest import TEST_PASSWORD

OFF_SITE = (
    "http:/evil.example/x",  # what was met: browsers read it as http://evil.example/x
    "https:evil.example",
    "http://evil.example/x",
    "//evil.example/x",
    "///evil.example/x",
    "/\\evil.example/x",
    "\\\\evil.example/x",
    "/\t/evil.example/x",
    "/\n/evil.example/x",
    " //evil.example/x",
    "%2F%2Fevil.example/x",
    "/%2F/evil.example/x".replace("/%2F/", "%2F%2F"),
    "/%5Cevil.example/x",
    "/%09/evil.example/x",
    "javascript:alert(1)",
)
IDS = [repr(target) for target in OFF_SITE]


def stays_on_site(response) -> None:
    """The redirect a browser follows stays here: a path, not '//host' or '/\\host',
    with no character a browser drops or reads as a slash."""
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    assert location.startswith("/") and location[1:2] not in ("/", "\\"), location
    assert not any(c in location for c in "\\\t\r\n"), location
    assert "evil.example" not in location, location


@pytest.fixture
def group(make):
    return make.group("Gold")


@pytest.mark.parametrize("target", OFF_SITE, ids=IDS)
def test_details_of_a_missing_record(admin_client, target):
    stays_on_site(admin_client.get("/admin/customers/details/",
                                   query_string={"id": "999999", "url": target}))


@pytest.mark.parametrize("target", OFF_SITE, ids=IDS)
def test_create_edit_and_delete(admin_client, group, target):
    stays_on_site(admin_client.post_form("/admin/groups/new/", {"name": "Silver"},
                                         query_string={"url": target}))
    stays_on_site(admin_client.post_form("/admin/groups/edit/", {"name": "Gold 2"},
                                         query_string={"id": group.id, "url": target}))
    stays_on_site(admin_client.post_form("/admin/groups/delete/",
                                         {"id": str(group.id), "url": target}))
    db.session.expire_all()
    assert [g.name for g in db.session.scalars(select(CustomerGroup))] == ["Silver"]


@pytest.mark.parametrize("target", OFF_SITE, ids=IDS)
def test_bulk_actions_on_checked_rows_and_on_every_match(admin_client, make, target):
    first, second = make.group("A"), make.group("B")
    stays_on_site(admin_client.post_form("/admin/groups/action/", {
        "action": "delete", "rowid": [str(first.id)], "url": target}))
    stays_on_site(admin_client.post_form("/admin/groups/action/?search=B", {
        "action": "delete", "matching": "all", "url": target}))
    db.session.expire_all()
    assert db.session.get(CustomerGroup, second.id) is None


@pytest.mark.parametrize("target", OFF_SITE, ids=IDS)
def test_no_cancel_link_points_off_site(admin_client, group, target):
    for page in ("/admin/groups/new/", "/admin/groups/edit/"):
        response = admin_client.get(page, query_string={"id": group.id, "url": target})
        assert response.status_code == 200
        # The target may appear inside this page's own address (the language
        # switcher returns here), never as where a link or form leads.
        for link in re.findall(r'(?:href|value)="([^"]*evil\.example[^"]*)"',
                               html.unescape(response.get_data(as_text=True))):
            assert link.startswith("/") and link[1:2] not in ("/", "\\"), (page, link)
            assert "url=" in link, (page, link)


@pytest.mark.parametrize("target", OFF_SITE, ids=IDS)
def test_login_and_language_switch(client, users, target):
    stays_on_site(client.post_form("/login", {
        "email": users[Role.VIEWER].email, "password": TEST_PASSWORD, "next": target}))
    stays_on_site(client.post_form("/language", {"language": "es", "next": target}))
