"""Hostile requests against every registered view: ids past 2^63, negative and
non-numeric ids, NUL bytes, a search of a thousand short words, and the same in
filters, paging, forms and actions. None may answer a server error; each gets a
clear refusal (4xx, or a page saying what was wrong) or an empty result."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.views import VIEWS

from .pages import first_id, registered_view

# Hundreds of odd requests to every page of every view.
pytestmark = pytest.mark.slow

VIEW_IDS = [view.view_url for view in VIEWS]

HUGE = "99999999999999999999"  # past 2^64
HOSTILE_IDS = (HUGE, str(2**63), "-" + HUGE, "-1", "abc", "1\x00", "1%00", "²", "1e400", "")
THOUSAND_WORDS = " ".join(f"{chr(97 + n % 26)}{n % 7}" for n in range(1000))
HOSTILE_SEARCHES = (THOUSAND_WORDS, "ana\x00garcia", "\x00", HUGE, "%_\\", "'\"; --")
HOSTILE_VALUES = (HUGE, "-" + HUGE, "abc", "1\x00", "²", "2026-13-45 – 2026-99-01",
                  HUGE + "," + HUGE)
FIELD_NAME = re.compile(r'<(?:input|select|textarea)[^>]*\sname="([^"]+)"')


@pytest.fixture
def one_of_each(make):
    """A row for every view (its details, edit and delete pages need one)."""
    make.invoice(make.customer(account_limit_minor=100_000), amount_minor=5_000)
    make.example_rows(view.model_class for view in VIEWS)


def _rules(app, view_class):
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith(view_class.view_url + ".")]


def _filter_args(view) -> list[str]:
    return [view.get_filter_arg(index, flt) for index, flt in enumerate(view._filters or [])]


def _no_server_error(response, what) -> None:
    response.get_data()  # a streamed export runs to its end
    response.close()
    assert response.status_code < 500, (what, response.status_code)


@pytest.mark.parametrize("view_class", VIEWS, ids=VIEW_IDS)
def test_every_page_of_a_view_refuses_odd_ids_without_a_server_error(
        app, admin_client, one_of_each, view_class):
    for rule in _rules(app, view_class):
        if rule.arguments:
            # Ids in the path (/admin/invoices/<id>/pdf): the int converter lets
            # any run of digits through, however long.
            values = {name: (HUGE if name != "export_type" else "csv") for name in rule.arguments}
            url = app.url_map.bind("localhost").build(rule.endpoint, values)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                response = admin_client.open(url, method=method,
                                             data={"csrf_token": admin_client.csrf_token()})
                _no_server_error(response, (method, url))
            continue
        url = app.url_map.bind("localhost").build(rule.endpoint)
        for row_id in HOSTILE_IDS:
            if "GET" in rule.methods:
                _no_server_error(admin_client.get(url, query_string={"id": row_id}), (url, row_id))
            if "POST" in rule.methods:
                response = admin_client.post_form(
                    url + "?" + "id=" + row_id.replace("\x00", "%00"),
                    {"id": row_id, "rowid": row_id, "action": "delete"})
                _no_server_error(response, ("POST", url, row_id))


@pytest.mark.parametrize("view_class", VIEWS, ids=VIEW_IDS)
def test_lists_and_exports_answer_odd_paging_search_and_filters(
        app, admin_client, one_of_each, view_class):
    view = registered_view(view_class)
    base = f"/admin/{view_class.view_url}/"
    pages = [base, f"{base}export/csv/"]
    queries = [{"page": value} for value in (HUGE, "-" + HUGE, "-1")]
    queries += [{"page_size": HUGE}, {"sort": HUGE}, {"sort": "-" + HUGE}, {"desc": HUGE}]
    queries += [{"search": search} for search in HOSTILE_SEARCHES]
    queries += [{arg: value} for arg in _filter_args(view) for value in HOSTILE_VALUES]
    for page in pages:
        for query in queries:
            response = admin_client.get(page, query_string=query)
            _no_server_error(response, (page, query))


@pytest.mark.parametrize("view_class", VIEWS, ids=VIEW_IDS)
def test_forms_refuse_huge_numbers_and_nul_bytes_as_form_errors(
        app, admin_client, one_of_each, view_class):
    view = registered_view(view_class)
    base = f"/admin/{view_class.view_url}/"
    pages = []
    if view_class.allow_create:
        pages.append(f"{base}new/")
    if view_class.allow_edit:
        pages.append(f"{base}edit/?id={first_id(view_class.model_class)}")
    for page in pages:
        form = admin_client.get(page)
        assert form.status_code == 200, page
        names = set(FIELD_NAME.findall(form.get_data(as_text=True))) - {"csrf_token"}
        for value in (HUGE, "-" + HUGE, "x\x00y"):
            before = db.session.scalar(select(db.func.count()).select_from(view.model))
            response = admin_client.post_form(page, {name: value for name in names})
            _no_server_error(response, (page, value))
            db.session.rollback()
            if "\x00" in value:  # a number may be a good name; a NUL byte is never saved
                assert db.session.scalar(
                    select(db.func.count()).select_from(view.model)) == before, page


def test_an_invoice_pdf_past_2_63_is_not_found(admin_client, one_of_each):
    assert admin_client.get(f"/admin/invoices/{HUGE}/pdf").status_code == 404


def test_a_customer_id_past_2_63_is_a_missing_record(admin_client, one_of_each):
    response = admin_client.get(f"/admin/customers/details/?id={HUGE}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/customers/")


# A thousand words are searched (and match nobody); a NUL byte is refused.
@pytest.mark.parametrize("search, status", ((THOUSAND_WORDS, 200), ("ana\x00garcia", 400)),
                         ids=("1000-words", "nul"))
@pytest.mark.parametrize("language", ("en", "es"))
def test_a_search_of_a_thousand_words_or_a_nul_byte_gets_an_answer(
        login, make, search, status, language):
    make.customer("Ana", "García")
    client = login(Role.OPERATOR)
    client.post_form("/language", {"language": language, "next": "/admin/"})
    response = client.get("/admin/customers/", query_string={"search": search})
    assert response.status_code == status
