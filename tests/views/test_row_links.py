"""Each row's links in a list (details, edit, delete, a wallet's extra buttons):
built once per page with the row's id put in, they must be exactly the links
url_for builds for that row, on every kind of list and for every role."""
from __future__ import annotations

import re

import pytest
from flask import url_for

from admin_app.choices import Role
from admin_app.views import row_links

from ..pages import get_page, listed_ids


def _without_tokens(page: str) -> str:
    # CSRF tokens and script nonces are made afresh for each request; nothing
    # else may differ.
    page = re.sub(r'(name="csrf_token"[^>]*value=")[^"]*', r"\1", page)
    return re.sub(r'nonce="[^"]*"', 'nonce=""', page)


def _as_url_for_builds_them(monkeypatch):
    monkeypatch.setattr("admin_app.views.base.record_url",
                        lambda endpoint, **kwargs: url_for(endpoint, **kwargs))


@pytest.mark.parametrize("role, url", [
    (Role.OPERATOR, "/admin/customers/?search=Row"),
    (Role.MANAGER, "/admin/customers/?search=Row&sort=2&desc=1&page_size=50"),
    (Role.ADMIN, "/admin/wallets/"),
    (Role.VIEWER, "/admin/customers/?flt0_marketing_opt_in_equals=1&search=ana%20ROW&page_size=20"),
])
def test_each_rows_links_are_the_links_url_for_builds(login, make, monkeypatch, role, url):
    people = [make.customer("Ana", f"Row {n}", marketing_opt_in=True) for n in range(4)]
    for person in people:
        make.wallet(person)
    client = login(role)
    fast = get_page(client, url)
    assert listed_ids(fast)
    assert row_links._STAND_IN not in fast
    _as_url_for_builds_them(monkeypatch)
    assert _without_tokens(fast) == _without_tokens(get_page(client, url))


def test_a_link_with_an_id_that_is_not_a_whole_number_is_built_as_asked(app):
    with app.test_request_context("/admin/customers/"):
        assert row_links.record_url("customers.details_view", id=7, url="/a?b=7") == \
            url_for("customers.details_view", id=7, url="/a?b=7")
        assert row_links.record_url("customers.details_view", id="7x") == \
            url_for("customers.details_view", id="7x")
        assert row_links.record_url("customers.details_view", id=8, url="/a?b=7") == \
            url_for("customers.details_view", id=8, url="/a?b=7")
