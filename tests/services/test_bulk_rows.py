"""bulk_rows: many rows into a table past SQLAlchemy's per-row work (imports, seed)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

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
