"""bulk_rows: many rows into a table past SQLAlchemy's per-row work (imports, seed)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from admin_app.extensions import db
from admin_app.models import Customer
from admin_app.services.bulk_rows import insert_rows


def test_rows_inserted_through_the_driver_read_back_as_the_orm_wrote_them(make):
    """insert_rows (imports and the seed) converts values as SQLAlchemy would: times,
    days and yes/no read back equal and comparable to the ORM's own, empty stays
    empty, and a column left out gets its default."""
    written = datetime(2026, 3, 4, 5, 6, 7)
    orm = make.customer(first_name="Orm", surname="Row", created_at=written)
    insert_rows(Customer.__table__, [
        {"id": orm.id + 1, "first_name": "Bulk", "surname": "Row", "birthday": date(1990, 2, 3),
         "created_at": written, "updated_at": written, "marketing_opt_in": True,
         "email": None, **Customer.derived_fields({"first_name": "Bulk", "surname": "Row"})}])
    db.session.commit()
    db.session.expire_all()
    bulk = db.session.get(Customer, orm.id + 1)
    assert (bulk.created_at, bulk.birthday, bulk.marketing_opt_in, bulk.email) == (
        written, date(1990, 2, 3), True, None)
    assert bulk.loyalty_points == 0 and bulk.balance_minor == 0  # left out: defaults
    same_time = select(Customer.id).where(Customer.created_at == written).order_by(Customer.id)
    assert list(db.session.scalars(same_time)) == [orm.id, orm.id + 1]


def test_rows_past_one_statement_keep_their_own_values(make):
    """The seed and imports write thousands of rows: SQLite takes them in several
    statements, each row with its own values, times to the microsecond or to the
    second, and the column defaults."""
    first = make.customer(first_name="Orm", surname="Row").id + 1
    count = 5_000  # more than one statement's worth of parameters on SQLite
    times = [datetime(2025, 1, 1) + timedelta(seconds=n, microseconds=n * 7919 if n % 3 else 0)
             for n in range(count)]
    insert_rows(Customer.__table__, [
        {"id": first + n, "first_name": f"Bulk{n}", "surname": "Row", "created_at": times[n],
         "updated_at": times[n], "birthday": date(1990, 1, 1 + n % 28),
         **Customer.derived_fields({"first_name": f"Bulk{n}", "surname": "Row"})}
        for n in range(count)])
    db.session.commit()
    db.session.expire_all()
    rows = db.session.execute(select(Customer.first_name, Customer.created_at, Customer.birthday)
                              .where(Customer.id >= first).order_by(Customer.id)).all()
    assert rows == [(f"Bulk{n}", times[n], date(1990, 1, 1 + n % 28)) for n in range(count)]
    for n in (0, 1, count - 1):  # found by the time, as the ORM compares it
        assert db.session.scalar(select(Customer.first_name)
                                 .where(Customer.created_at == times[n])) == f"Bulk{n}"


def test_rows_made_as_they_are_written_with_shared_values_all_go_in(make):
    """Rows may come from a generator, name different columns (each left-out column
    takes its default) and share values given once; a row's own value wins."""
    written = datetime(2026, 3, 4, 5, 6, 7)
    first = make.customer(first_name="Orm", surname="Row").id

    def rows():
        for n in range(1, 7):
            row = {"id": first + n, "first_name": f"Bulk{n}", "surname": "Row",
                   **Customer.derived_fields({"first_name": f"Bulk{n}", "surname": "Row"})}
            if n % 2:
                row["postcode"] = f"2800{n}"
            if n == 6:
                row["created_at"] = datetime(2020, 1, 1)
            yield row

    insert_rows(Customer.__table__, rows(), shared={"created_at": written, "updated_at": written,
                                                   "marketing_opt_in": True})
    db.session.commit()
    db.session.expire_all()
    stored = db.session.execute(select(
        Customer.id, Customer.first_name, Customer.postcode, Customer.created_at,
        Customer.marketing_opt_in, Customer.loyalty_points).where(Customer.id > first)
        .order_by(Customer.id)).all()
    assert [tuple(row) for row in stored] == [
        (first + n, f"Bulk{n}", f"2800{n}" if n % 2 else None,
         datetime(2020, 1, 1) if n == 6 else written, True, 0) for n in range(1, 7)]


def test_no_rows_write_nothing():
    insert_rows(Customer.__table__, iter([]))
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 0


def test_a_row_the_database_refuses_raises_as_sqlalchemy_statements_do(make):
    """An import tells a refused row (left out and listed) from a fault by
    SQLAlchemy's IntegrityError and DataError, whichever way the row was written."""
    taken = make.customer("Ana", "Ruiz", email="ana@example.com")
    row = {"id": taken.id + 1, "first_name": "Eva", "surname": "Sanz", "email": "ana@example.com",
           **Customer.derived_fields({"first_name": "Eva", "surname": "Sanz"})}
    with pytest.raises(IntegrityError), db.session.begin_nested():
        insert_rows(Customer.__table__, [row])
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 1
