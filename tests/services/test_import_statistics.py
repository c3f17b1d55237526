"""A large import, and its undo, leave PostgreSQL's tables vacuumed and analysed:
straight after it, lists read deep pages from the index alone (the visibility map
a vacuum writes) and the planner knows the table's new size."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.services import imports

FILE = b"First name,Surname,Email\nAna,Ruiz,ana@example.com\nLuis,Gil,luis@example.com\n"


@pytest.fixture
def postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's vacuum and statistics")


def _refreshed_since(started) -> bool:
    db.session.commit()
    db.session.execute(text("SELECT pg_stat_clear_snapshot()"))
    vacuumed, analysed = db.session.execute(text(
        "SELECT last_vacuum, last_analyze FROM pg_stat_user_tables "
        "WHERE relname = 'customers'")).one()
    db.session.commit()
    return all(at is not None and at >= started for at in (vacuumed, analysed))


def _now():
    started = db.session.scalar(text("SELECT clock_timestamp()"))
    db.session.commit()
    return started


def test_a_large_import_and_its_undo_leave_the_customers_vacuumed_and_analysed(
        postgresql, app, users, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_REFRESH_MIN_ROWS", 2)
    admin = users[Role.ADMIN]
    batch, _plan = imports.preview("customers", "list.csv", FILE, actor=admin)
    db.session.commit()
    started = _now()
    imports.apply(batch, actor=admin)
    db.session.commit()
    assert _refreshed_since(started)
    started = _now()
    imports.undo(batch)
    db.session.commit()
    assert _refreshed_since(started)


def test_an_import_below_the_threshold_leaves_the_vacuum_to_autovacuum(
        postgresql, app, users, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_REFRESH_MIN_ROWS", 3)
    admin = users[Role.ADMIN]
    batch, _plan = imports.preview("customers", "list.csv", FILE, actor=admin)
    db.session.commit()
    started = _now()
    imports.apply(batch, actor=admin)
    db.session.commit()
    assert not _refreshed_since(started)
