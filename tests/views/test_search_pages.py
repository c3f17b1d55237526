"""A search's pages are the same rows in the same order however they are found:
by walking the list's order (many matches), or by collecting the matches and
sorting them (few matches, or matches that come late in the list's order)."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select, text

from admin_app.database import dialect, has_statistics, table_grew
from admin_app.extensions import db
from admin_app.models import Customer
from admin_app.services import search_table_pages, search_walk
from admin_app.views import searching

from ..pages import get_page, listed_ids
from .test_large_lists import customers_page, get_sort_index, list_tab

PAGE_SIZE = 2


@pytest.fixture
def crowd(make):
    """Customers found by "zeta" in their surname, first name or email only, among
    others that sort before, between and after them; and tombstones that match."""
    for n in range(5):
        make.customer("Ana", f"Abad{n}")  # before every match, none matching
    matching = [make.customer("Zeta", f"Beta{n}") for n in range(3)]
    matching += [make.customer("Ana", f"Zetaby{n}") for n in range(4)]
    matching.append(make.customer("Eva", "Gamma", email="eva.zeta@example.com"))
    for n in range(3):
        make.customer("Ana", f"Omega{n}")  # after them
    survivor = matching[0]
    for n in range(2):  # merged away: found by nobody
        make.customer("Zeta", f"Beta{n}", merged_into_id=survivor.id)
    return matching


def expected(order=(Customer.sort_name, Customer.id), fragment: str = "zeta") -> list[int]:
    """The matches in the list's order, read without any search index."""
    return list(db.session.scalars(
        select(Customer.id).where(Customer.search_text.contains(fragment),
                                  Customer.merged_into_id.is_(None)).order_by(*order)))


def every_page(client, **params) -> list[int]:
    seen, page = [], 0
    while ids := listed_ids(customers_page(client, page=page, **params)):
        seen += ids
        page += 1
    return seen


@pytest.fixture
def short_pages(app, monkeypatch):
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "customers")
    monkeypatch.setattr(view, "page_size", PAGE_SIZE)


@pytest.fixture(params=["walk", "walk-runs-out", "collect", "collect-keys"])
def way(request, app, monkeypatch):
    """How the pages are found: walking the order (the count stops before the
    matches do), a walk whose budget ends before it finds a page (it then collects
    the matches), collecting them (a count that reaches every match), or, on
    SQLite in name order, with its statistics, collecting more matches than the
    count shows, their names read from the key-by-id index (elsewhere this walks)."""
    monkeypatch.setitem(app.config, "SEARCH_EXACT_COUNT", 1000 if request.param == "collect" else 3)
    monkeypatch.setattr(searching, "COLLECT_AT_MOST",
                        1000 if request.param == "collect-keys" else 3)
    if request.param == "collect-keys":
        request.getfixturevalue("analysed")
    if request.param == "walk-runs-out":
        monkeypatch.setattr(search_walk, "LEAST_ROWS", 1)
        monkeypatch.setattr(search_walk, "MOST_ROWS", dict.fromkeys(search_walk.MOST_ROWS, 3))
        # PostgreSQL's walk of the search table is tried, whatever the estimate says.
        monkeypatch.setattr(search_table_pages, "_within_walk", lambda *args: True)
    return request.param


def test_every_page_of_a_search_lists_its_matches_in_the_lists_order(
        admin_client, crowd, short_pages, way, walks):
    assert every_page(admin_client, search="zeta") == expected()
    assert sorted(expected()) == sorted(c.id for c in crowd)
    # Each way was taken: pages found by walking, or walks that gave up.
    assert {"walk": all(ids is not None for ids in walks) and walks,
            "walk-runs-out": None in walks, "collect": walks == [],
            "collect-keys": (walks == []) == (dialect() == "sqlite")}[way]


def test_a_later_page_alone_is_the_same_rows(admin_client, crowd, short_pages, way):
    assert listed_ids(customers_page(admin_client, search="zeta", page=2)) == expected()[4:6]


def test_a_search_sorted_by_another_column_keeps_that_order(admin_client, make, short_pages, way):
    for points in (5, 300, 5, 40, 0, 300):
        make.customer("Ana", "Zetaby", loyalty_points=points)
    make.customer("Ana", "Other", loyalty_points=1000)
    sort = get_sort_index(admin_client, "Loyalty points")
    assert every_page(admin_client, search="zeta", sort=sort, desc=1) == expected(
        (Customer.loyalty_points.desc(), Customer.id.desc()))


def test_two_words_and_a_phone_find_the_same_rows_either_way(admin_client, make, short_pages,
                                                             way):
    both = [make.customer("Ana", f"Zetaby{n}", phone=f"+3460012{n:04d}") for n in range(4)]
    make.customer("Eva", "Zetaby", phone="+34700000000")
    assert every_page(admin_client, search="ana zeta") == [c.id for c in both]
    assert every_page(admin_client, search="600 12") == [c.id for c in both]


def test_the_count_says_more_than_its_limit_or_the_exact_figure(admin_client, crowd, way):
    page = customers_page(admin_client, search="zeta")
    assert list_tab(page) == ("List (8)" if way == "collect" else "List (more than 3)")
    assert list_tab(customers_page(admin_client, search="eva.zeta")) == "List (1)"


def test_a_search_with_no_match_lists_nobody(admin_client, crowd, way):
    assert listed_ids(get_page(admin_client, "/admin/customers/", search="zzzq")) == []


def test_counts_mind_short_words_and_filters(admin_client, make, app, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_EXACT_COUNT", 1000)
    for n in range(4):
        make.customer("Ana", f"Zetaby{n}", marketing_opt_in=n < 3)
    make.customer("Zeta", "Beta", marketing_opt_in=True)
    assert list_tab(customers_page(admin_client, search="zeta ab")) == "List (4)"
    assert list_tab(customers_page(admin_client, search="ab")) == "List (4)"
    assert list_tab(customers_page(admin_client, search="zeta",
                                   flt0_marketing_optin_is="1")) == "List (4)"


def sqlite_statistics(stat_sql: str | None) -> None:
    """SQLite's statistics of the customers: analysed and then rewritten by
    ``stat_sql``, or removed (None); every pooled connection reads them anew."""
    db.session.execute(text("ANALYZE customers"))  # makes sqlite_stat1 if need be
    if stat_sql is None:
        db.session.execute(text("DELETE FROM sqlite_stat1 WHERE tbl = 'customers'"))
    else:
        db.session.execute(text(stat_sql))
    db.session.execute(text("ANALYZE sqlite_master"))
    db.session.commit()
    db.engine.dispose()  # a pooled connection keeps the statistics it read


@pytest.fixture
def analysed():
    """SQLite's statistics of the key-by-id index, as the seed, the migration and a
    large import leave them (whatever rows the test then makes); taken away after,
    so that no other test is planned on them. PostgreSQL: nothing."""
    if dialect() != "sqlite":
        yield
        return
    sqlite_statistics("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES "
                      "('customers', 'ix_customers_search_id_sort_name', '10000 1 1 1')")
    yield
    sqlite_statistics(None)


@pytest.fixture
def million_customers_statistics(crowd):
    """SQLite's statistics of the customers as if they were a million."""
    if dialect() != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL reads each match's row to check it")
    sqlite_statistics(
        "UPDATE sqlite_stat1 SET stat = '1000000' || CASE WHEN instr(stat, ' ') > 0 "
        "THEN substr(stat, instr(stat, ' ')) ELSE '' END WHERE tbl = 'customers'")
    yield
    sqlite_statistics(None)


def test_sqlite_reads_the_names_of_collected_matches_from_the_key_by_id_index(
        admin_client, crowd, app, monkeypatch, million_customers_statistics):
    """A page of a search whose matches are collected and sorted by name reads each
    match's name from the narrow (id, sort_name) index, not its whole row (a third
    of the time at twenty thousand matches): SQLite's plan of the page's query says so."""
    monkeypatch.setitem(app.config, "SEARCH_EXACT_COUNT", 3)
    monkeypatch.setattr(searching, "COLLECT_AT_MOST", 1000)
    statements = []

    def record(_connection, _cursor, statement, parameters, *_):
        statements.append((statement, parameters))
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert listed_ids(customers_page(admin_client, search="zeta")) == expected()[:20]
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    [(page, parameters)] = [(statement, parameters) for statement, parameters in statements
                            if "MATCH" in statement and "ORDER BY customers.sort_name" in statement]
    plan = " ".join(row[-1] for row in db.session.connection().exec_driver_sql(
        f"EXPLAIN QUERY PLAN {page}", tuple(parameters)))
    assert "COVERING INDEX ix_customers_search_id_sort_name" in plan, plan


def test_without_statistics_sqlite_walks_the_name_order_first(admin_client, crowd, short_pages,
                                                              app, monkeypatch, walks):
    """A database grown through the app alone has no statistics of the key-by-id
    index, so SQLite's planner would read each match's whole row: the walk comes
    first, as before, and the pages are the same."""
    if dialect() != "sqlite":
        pytest.skip("SQLite's statistics")
    monkeypatch.setitem(app.config, "SEARCH_EXACT_COUNT", 3)
    monkeypatch.setattr(searching, "COLLECT_AT_MOST", 1000)
    sqlite_statistics(None)
    assert every_page(admin_client, search="zeta") == expected()
    assert walks and all(ids is not None for ids in walks)


def test_a_large_import_leaves_sqlite_statistics_of_the_key_by_id_index(make, app):
    """table_grew, called by imports of 1,000 rows or more, analyses the key-by-id
    index on SQLite, which the search's collect path needs."""
    if dialect() != "sqlite":
        pytest.skip("SQLite's statistics")
    sqlite_statistics(None)
    try:
        make.customer("Ana", "Abad")
        table_grew(Customer.__table__, 999)
        assert not has_statistics("ix_customers_search_id_sort_name")
        table_grew(Customer.__table__, 1_000)
        assert has_statistics("ix_customers_search_id_sort_name")
    finally:
        sqlite_statistics(None)
