"""database.py: ids reserved for bulk inserts."""
from __future__ import annotations

import threading

from sqlalchemy import select

from admin_app.database import reserve_ids
from admin_app.extensions import db
from admin_app.models import CustomerGroup


def test_reserved_ids_are_new_and_later_rows_never_take_them(make):
    existing = make.group("Existing")
    ids = reserve_ids(CustomerGroup.__table__, 3)
    assert len(set(ids)) == 3 and min(ids) > existing.id
    db.session.execute(CustomerGroup.__table__.insert(),
                       [{"id": i, "name": f"Bulk {i}"} for i in ids])
    db.session.commit()
    later = make.group("Later")
    assert later.id > max(ids)
    assert sorted(db.session.scalars(select(CustomerGroup.id))) == sorted(
        [existing.id, *ids, later.id])


def test_two_transactions_reserving_at_once_get_different_ids(app):
    reserved: list[list[int]] = []
    ready = threading.Barrier(2)

    def reserve() -> None:
        with app.app_context():
            ready.wait()
            ids = reserve_ids(CustomerGroup.__table__, 50)
            db.session.execute(CustomerGroup.__table__.insert(),
                               [{"id": i, "name": f"Thread {i}"} for i in ids])
            db.session.commit()
            reserved.append(ids)

    threads = [threading.Thread(target=reserve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reserved) == 2
    assert not set(reserved[0]) & set(reserved[1])
    assert db.session.scalar(select(db.func.count(CustomerGroup.id))) == 100
