"""Links built once and reused (each row's details, edit and delete links, a
wallet's extra buttons, static files): they must be exactly the links url_for
builds, on every kind of list, for every role, under any application root."""
from __future__ import annotations

import re

import pytest
from flask import url_for

from admin_app.choices import Role
from admin_app.views import page_urls

from ..pages import get_page, listed_ids


def _without_tokens(page: str) -> str:
    # CSRF tokens and script nonces are made afresh for each request; nothing
    # else may differ.
    page = re.sub(r'(name="csrf_token"[^>]*value=")[^"]*', r"\1", page)
    return re.sub(r'nonce="[^"]*"', 'nonce=""', page)


def _as_url_for_builds_them(monkeypatch):
    monkeypatch.setattr("admin_app.views.base.page_url",
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
    assert page_urls._STAND_IN not in fast
    _as_url_for_builds_them(monkeypatch)
    assert _without_tokens(fast) == _without_tokens(get_page(client, url))


def test_a_record_link_is_the_one_url_for_builds_whatever_its_id_and_arguments(app):
    with app.test_request_context("/admin/customers/"):
        assert page_urls.record_url("customers.details_view", id=7, url="/a?b=7") == \
            url_for("customers.details_view", id=7, url="/a?b=7")
        assert page_urls.record_url("customers.details_view", id="7x") == \
            url_for("customers.details_view", id="7x")
        assert page_urls.record_url("customers.details_view", id=8, url="/a?b=7") == \
            url_for("customers.details_view", id=8, url="/a?b=7")


def test_static_files_are_linked_under_each_application_root(operator):
    """One process may serve the back office at / and, behind a proxy, at /office:
    each page links the static files under its own root."""
    plain = get_page(operator, "/admin/customers/")
    rooted = operator.get("/admin/customers/", environ_overrides={"SCRIPT_NAME": "/office"})
    assert rooted.status_code == 200
    rooted = rooted.get_data(as_text=True)
    static = re.compile(r'(?:href|src)="([^"]*/static/[^"]*)"')
    assert static.findall(plain) and all(url.startswith("/admin/static/") or
                                         url.startswith("/static/")
                                         for url in static.findall(plain))
    assert static.findall(rooted) and all(url.startswith("/office/")
                                          for url in static.findall(rooted))
