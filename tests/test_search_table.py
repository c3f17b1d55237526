"""PostgreSQL's search table of the customers (models.py, search_table): a copy
that triggers keep in step with every way a customer is written, and from which
a search's page is read without the customers' wide rows."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, select, text, update

from admin_app.database import dialect, order_search_tables, table_grew
from admin_app.extensions import db
from admin_app.models import Customer
from admin_app.services import import_statistics, search_walk
from admin_app.services.bulk_rows import insert_rows

from .pages import listed_ids
from .views.test_large_lists import customers_page, get_sort_index

pytestmark = pytest.mark.usefixtures("postgresql_only")

COPIED = ("id", "sort_name", "merged_into_id", "search_text")


@pytest.fixture
def postgresql_only():
    if dialect() != "postgresql":
        pytest.skip("SQLite searches its FTS5 table: there is no search table")


def copy_in_step() -> None:
    """The search table holds each customer's copied columns, and nothing else."""
    listed = ", ".join(COPIED)
    customers = db.session.execute(text(f"SELECT {listed} FROM customers ORDER BY id")).all()
    copies = db.session.execute(text(f"SELECT {listed} FROM customers_search ORDER BY id")).all()
    assert copies == customers
    assert customers  # the test wrote some


def test_every_way_a_customer_is_written_reaches_the_search_table(make):
    ana = make.customer("Ana", "Zeta")
    eva = make.customer("Eva", "Gamma", email="eva@example.com")
    copy_in_step()
    ana.surname = "Zetaby"  # the ORM: name, sort name and search text change together
    eva.email = "eva.zeta@example.com"
    db.session.commit()
    copy_in_step()
    eva.merged_into_id = ana.id  # a merge makes a tombstone
    db.session.commit()
    copy_in_step()
    # In bulk, as imports write (COPY on PostgreSQL), and plain SQL.
    insert_rows(Customer.__table__, (
        {"first_name": "Bulk", "surname": f"Row{n}", "email": f"bulk{n}@example.com",
         **Customer.derived_fields({"first_name": "Bulk", "surname": f"Row{n}",
                                    "email": f"bulk{n}@example.com"})} for n in range(3)))
    db.session.commit()
    copy_in_step()
    db.session.execute(update(Customer).where(Customer.surname.like("Row%"))
                       .values(search_text="typed by hand"))
    db.session.commit()
    copy_in_step()
    db.session.execute(delete(Customer).where(Customer.surname == "Row1"))
    db.session.delete(db.session.get(Customer, eva.id))
    db.session.commit()
    copy_in_step()
    assert db.session.scalar(text("SELECT count(*) FROM customers_search")) == 3


def test_a_top_up_leaves_the_search_table_alone(make):
    """The copy's trigger runs only when a copied column changes: a balance does not
    (the copy's row keeps the transaction that wrote it, xmin)."""
    ana = make.customer("Ana", "Zeta")

    def copy_written_by() -> str:
        return db.session.scalar(text("SELECT xmin::text FROM customers_search WHERE id = :id"),
                                 {"id": ana.id})
    before = copy_written_by()
    ana.balance_minor = 500
    db.session.commit()
    assert copy_written_by() == before
    db.session.execute(text("UPDATE customers SET sort_name = sort_name, "
                            "search_text = search_text WHERE id = :id"), {"id": ana.id})
    db.session.commit()
    assert copy_written_by() == before  # the same values: nothing to copy
    ana.first_name = "Anabel"
    db.session.commit()
    assert copy_written_by() != before
    copy_in_step()


def test_emptying_the_customers_empties_the_search_table(make):
    make.customer("Ana", "Zeta")
    db.session.execute(text("TRUNCATE customers CASCADE"))
    db.session.commit()
    assert db.session.scalar(text("SELECT count(*) FROM customers_search")) == 0
    make.customer("Eva", "Zeta")  # its id may be one the copy held: no clash
    copy_in_step()


def matching_ids() -> list[int]:
    return list(db.session.scalars(select(Customer.id).where(
        Customer.search_text.contains("zeta"), Customer.merged_into_id.is_(None))
        .order_by(Customer.sort_name, Customer.id)))


@pytest.fixture
def late_matches(make):
    """Forty customers before the matches in name order, then five matches."""
    for n in range(40):
        make.customer("Ana", f"Abad{n:02d}")
    for n in range(5):
        make.customer("Ana", f"Zeta{n}")
    db.session.execute(text("ANALYZE customers_search"))
    db.session.commit()


def test_a_search_page_reads_only_the_search_table_then_its_own_rows(
        admin_client, app, late_matches, statements, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_EXACT_COUNT", 2)
    expected = matching_ids()
    statements.clear()
    assert listed_ids(customers_page(admin_client, search="zeta")) == expected
    reading_customers = [s for s in statements if re.search(r"\bFROM customers\b(?!_)", s)]
    # Only the page's rows, by id: no match's row is read to test or sort it.
    assert len(reading_customers) == 1
    assert "customers.id IN (" in reading_customers[0]


def test_a_searchs_sample_of_matches_is_read_through_the_trigram_index(
        admin_client, app, late_matches, statements, monkeypatch):
    """In a search table laid out in name order, a scan from its start until a
    thousand rows match would read every row before a surname's; through the
    index, the matches come in the table's order, the list's first among them."""
    monkeypatch.setitem(app.config, "SEARCH_EXACT_COUNT", 2)
    customers_page(admin_client, search="zeta")
    sample = next(i for i, s in enumerate(statements)
                  if s.startswith("SELECT count(*) AS count_1, min("))
    assert statements[sample - 1] == "SET LOCAL enable_seqscan = off"
    assert statements[sample + 1] == "SET LOCAL enable_seqscan TO DEFAULT"


def test_the_walk_is_left_out_when_many_rows_come_before_the_matches(
        admin_client, app, late_matches, walks, monkeypatch):
    """Forty rows come before the first match: a walk of twenty would read them in
    vain, so the matches are collected at once; with room for fifty, walked."""
    monkeypatch.setitem(app.config, "SEARCH_EXACT_COUNT", 2)
    monkeypatch.setitem(search_walk.MOST_ROWS, "search_table", 20)
    assert listed_ids(customers_page(admin_client, search="zeta")) == matching_ids()
    assert walks == []
    monkeypatch.setitem(search_walk.MOST_ROWS, "search_table", 50)
    assert listed_ids(customers_page(admin_client, search="zeta")) == matching_ids()
    assert walks == [matching_ids()]


def test_a_search_sorted_by_name_descending_is_the_same_rows_reversed(
        admin_client, app, late_matches, walks, monkeypatch):
    """Descending, the matches come first: the walk reads them (the first name
    sampled is the last in name order)."""
    monkeypatch.setitem(app.config, "SEARCH_EXACT_COUNT", 2)
    monkeypatch.setitem(search_walk.MOST_ROWS, "search_table", 50)
    sort = get_sort_index(admin_client, "Customer")
    page = customers_page(admin_client, search="zeta", sort=sort, desc=1)
    assert listed_ids(page) == list(reversed(matching_ids()))
    assert walks and walks[0] is not None


def test_a_large_import_refreshes_the_search_table_too(statements):
    import_statistics.refresh({"customers"})
    assert 'VACUUM ANALYZE "customers", "customers_search"' in statements


def test_a_large_insert_analyses_the_search_table_too(make, statements):
    make.customer("Ana", "Zeta")
    table_grew(Customer.__table__, 1_000)
    assert "ANALYZE customers_search" in statements


def test_pages_are_the_same_with_the_search_table_in_name_order(
        admin_client, app, make, monkeypatch):
    """Laid out in name order (as a seed or `flask search reorder` leaves it), a
    search's sample of its matches starts where the list does: the same pages,
    whichever way each is found (walked or collected)."""
    monkeypatch.setitem(app.config, "SEARCH_EXACT_COUNT", 2)
    monkeypatch.setitem(search_walk.MOST_ROWS, "search_table", 30)
    for n in reversed(range(40)):  # written against name order
        make.customer("Zeta" if n % 10 == 3 else "Ana", f"Abad{n:02d}")
    for n in range(5):
        make.customer("Ana", f"Zeta{n}")
    db.session.commit()

    def pages():
        return [listed_ids(customers_page(admin_client, search="zeta", page=page))
                for page in range(2)]
    before = pages()
    assert sum(before, []) == matching_ids() and len(matching_ids()) == 9
    order_search_tables()
    assert pages() == before

