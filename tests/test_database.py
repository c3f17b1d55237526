"""database.py: ids reserved for bulk inserts, long lists of keys, and bulk loads."""
from __future__ import annotations

import contextlib
import signal
import threading

import pytest
from sqlalchemy import select, text

from admin_app.database import among, bulk_load, reserve_ids, table_grew
from admin_app.extensions import db
from admin_app.models import Customer, CustomerGroup


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


def test_a_long_list_of_keys_finds_exactly_the_records_it_names(make):
    ana = make.customer("Ana", "Ruiz", email="ana@example.com", card_number="C" * 32)
    luis = make.customer("Luis", "Gil", email="luis@example.com")
    make.customer("Eva", "Sanz", email="eva@example.com")
    emails = [f"nobody{n}@example.com" for n in range(6000)] + ["ana@example.com",
                                                                 "luis@example.com"]
    assert sorted(db.session.scalars(select(Customer.id).where(
        among(Customer.email, emails)))) == [ana.id, luis.id]
    # Longer than the column holds (never cut to its length), or nothing at all: no
    # match, and no error.
    assert db.session.scalars(select(Customer.id).where(
        among(Customer.card_number, ["C" * 32 + "X"]))).all() == []
    assert db.session.scalars(select(Customer.id).where(among(Customer.id, []))).all() == []


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


def _schema_entries(table: str) -> set:
    return set(db.session.execute(text(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = :t"), {"t": table}).all())


@pytest.mark.parametrize("fails", [False, True])
def test_a_bulk_load_puts_every_index_and_trigger_back_and_indexes_the_rows(admin_client, fails):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL loads with its indexes in place")
    before = _schema_entries("customers")
    with contextlib.suppress(RuntimeError):
        with bulk_load(["customers"]):
            assert _schema_entries("customers") < before  # set aside while loading
            db.session.execute(Customer.__table__.insert(), [
                {"id": 7, "first_name": "Bulk", "surname": "Loaded",
                 **Customer.derived_fields({"first_name": "Bulk", "surname": "Loaded"})}])
            db.session.commit()
            if fails:
                raise RuntimeError("the load stops half way")
    assert _schema_entries("customers") == before
    page = admin_client.get("/admin/customers/?search=loaded").get_data(as_text=True)
    assert "Bulk Loaded" in page


def test_after_a_large_insert_the_planner_knows_the_tables_new_size(make):
    """PostgreSQL plans lookups by the table's statistics: a thousand rows
    imported into an empty table must not leave it planned as empty."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's lookup plans do not depend on statistics")
    db.session.execute(CustomerGroup.__table__.insert(),
                       [{"name": f"Imported {n}"} for n in range(1_000)])
    table_grew(CustomerGroup.__table__, 1_000)
    db.session.commit()
    assert db.session.scalar(text(
        "SELECT reltuples FROM pg_class WHERE relname = 'customer_groups'")) == 1_000



def _page_cache_kib() -> int:
    return -db.session.execute(text("PRAGMA cache_size")).scalar_one()


def test_a_bulk_load_has_its_own_page_cache_and_the_usual_one_comes_back(app, monkeypatch):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's page cache")
    usual = app.config["SQLITE_CACHE_MB"] * 1024
    assert _page_cache_kib() == usual
    built_with = []
    real_execute = db.session.execute

    def noting_the_cache(statement, *args, **kwargs):
        if str(statement).startswith("CREATE INDEX"):
            built_with.append(-real_execute(text("PRAGMA cache_size")).scalar_one())
        return real_execute(statement, *args, **kwargs)

    with bulk_load(["customers"]):
        assert _page_cache_kib() == app.config["SQLITE_BULK_LOAD_CACHE_MB"] * 1024
        db.session.commit()
        assert _page_cache_kib() == app.config["SQLITE_BULK_LOAD_CACHE_MB"] * 1024
        monkeypatch.setattr(db.session, "execute", noting_the_cache)
    monkeypatch.undo()
    # The indexes set aside were built again with SQLite's small cache, then the
    # usual cache is back for whatever comes next.
    assert built_with and set(built_with) == {2000}
    assert _page_cache_kib() == usual


def test_a_term_signal_stops_a_bulk_load_as_ctrl_c_does_and_puts_its_indexes_back(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL loads with its indexes in place")
    before = _schema_entries("customers")
    with pytest.raises(KeyboardInterrupt):
        with bulk_load(["customers"]):
            signal.raise_signal(signal.SIGTERM)  # as a service manager stops a command
    assert _schema_entries("customers") == before


def test_ctrl_c_while_indexes_are_built_again_waits_for_the_build(app, monkeypatch):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL loads with its indexes in place")
    # As in a terminal: a run started in the background by a shell ignores Ctrl-C.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _interrupt_the_index_build(monkeypatch)
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupt_the_index_build(monkeypatch) -> None:
    before = _schema_entries("customers")
    real_execute = db.session.execute

    def interrupted_while_building(statement, *args, **kwargs):
        if str(statement).startswith("CREATE INDEX"):
            signal.raise_signal(signal.SIGINT)  # the operator presses Ctrl-C again
        return real_execute(statement, *args, **kwargs)

    with pytest.raises(KeyboardInterrupt):
        with bulk_load(["customers"]):
            monkeypatch.setattr(db.session, "execute", interrupted_while_building)
    monkeypatch.undo()
    assert _schema_entries("customers") == before
