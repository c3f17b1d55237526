"""The migrations build exactly the schema the models describe, and go down and up.

The session's database was built by ``flask_migrate.upgrade()`` (see conftest), so
these tests compare that migrated schema with the models.
"""
from __future__ import annotations

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import CheckConstraint, inspect, text

from admin_app.extensions import db
from admin_app.models import SEARCH_TABLES, Searchable
from admin_app.services import search


def _differences() -> list:
    """What ``flask db migrate`` would put in a new revision (nothing is ignored)."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_object": search.include_in_migrations,
        })
        return compare_metadata(context, db.metadata)


def _head() -> str:
    config = current_app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"one line of migrations, not {heads}"
    return heads[0]


def _current() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _app_tables() -> set[str]:
    return {name for name in inspect(db.engine).get_table_names()
            if name != "alembic_version" and not search.is_index_table(name)}


def test_database_is_at_the_single_head():
    assert _current() == _head()


def test_autogenerate_finds_no_difference_between_migrations_and_models():
    assert _differences() == []


def test_every_model_table_exists():
    assert _app_tables() == set(db.metadata.tables)


def test_check_constraints_match_the_models():
    """Autogenerate does not compare CHECK constraints: compare their names here."""
    inspector = inspect(db.engine)
    checked = 0
    for table in db.metadata.sorted_tables:
        expected = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        checked += len(expected)
        found = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert found == expected, table.name
    assert checked > 20  # the choice columns and the money rules all have one


def test_foreign_key_actions_match_the_models():
    inspector = inspect(db.engine)
    for table in db.metadata.sorted_tables:
        expected = {(fk.parent.name, fk.ondelete) for fk in table.foreign_keys}
        found = {(fk["constrained_columns"][0], (fk.get("options") or {}).get("ondelete"))
                 for fk in inspector.get_foreign_keys(table.name)}
        normalise = lambda pairs: {(c, (a or "NO ACTION").upper()) for c, a in pairs}  # noqa: E731
        assert normalise(found) == normalise(expected), table.name


def test_search_migration_indexes_the_rows_a_database_already_has(runner, admin_client):
    """Upgrading a database with customers and guests (a guest with an order, so
    that the guests table is referred to) fills in their search text and indexes it."""
    search_revision = "5d1e7a9c3b80"
    db.session.remove()
    try:
        down = runner.invoke(args=["db", "downgrade", f"{search_revision}-1"])
        assert down.exit_code == 0, down.output
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO customers (id, first_name, surname, sort_name, email, language, "
                "channel, created_at, updated_at, sales_value_minor, orders_count, "
                "loyalty_points, balance_minor, marketing_opt_in, loyalty_member) VALUES "
                "(1, 'Íñigo', 'Núñez', 'nunez inigo', 'inigo@example.com', 'es', 'online', "
                "'2026-01-01 10:00:00', '2026-01-01 10:00:00', 0, 0, 0, 0, false, false)"))
            connection.execute(text(
                "INSERT INTO guests (id, name, phone, created_at) VALUES "
                "(1, 'Zoë Walker', '+34600111222', '2026-01-01 10:00:00')"))
            connection.execute(text(
                "INSERT INTO orders (id, sale_code, guest_id, order_type, status, total_minor, "
                "currency, created_at) VALUES (1, 'S1', 1, 'online', 'paid', 100, 'EUR', "
                "'2026-01-01 10:00:00')"))
        up = runner.invoke(args=["db", "upgrade"])
        assert up.exit_code == 0, up.output
        assert up.exception is None, up.exception
    finally:
        db.engine.dispose()
        flask_migrate.upgrade()
    customers = admin_client.get("/admin/customers/?search=nunez").get_data(as_text=True)
    assert "Núñez" in customers
    guests = admin_client.get("/admin/guests/?search=zoe").get_data(as_text=True)
    assert "Zoë Walker" in guests
    assert "Zoë Walker" not in admin_client.get("/admin/guests/?search=zoey").get_data(
        as_text=True)


# Last in the module: it takes the schema down and builds it again.
@pytest.mark.slow
def test_downgrade_to_base_and_upgrade_again(runner):
    db.session.remove()  # no open transaction may hold the tables
    head = _head()
    try:
        down = runner.invoke(args=["db", "downgrade", "base"])
        assert down.exit_code == 0, down.output
        assert down.exception is None, down.exception
        assert _app_tables() == set()
        assert _current() is None

        up = runner.invoke(args=["db", "upgrade"])
        assert up.exit_code == 0, up.output
        assert up.exception is None, up.exception
        assert _current() == head
        assert _app_tables() == set(db.metadata.tables)
        assert _differences() == []
    finally:
        db.engine.dispose()
        flask_migrate.upgrade()  # whatever happened, leave the schema for the other tests
    assert _current() == head


@pytest.fixture(autouse=True)
def _schema_is_back_after_each_test():
    yield
    assert _app_tables() == set(db.metadata.tables)


def test_the_search_tables_match_their_models():
    """PostgreSQL's search tables (models.py, search_table_for), which the check
    above leaves to their hand-written migrations: each one's columns, and the
    four triggers that keep it in step."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no search tables (its FTS5 tables: the test below)")
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_object": _in_search_tables})
        assert compare_metadata(context, SEARCH_TABLES) == []
        for table in SEARCH_TABLES.tables.values():
            source = table.name.removesuffix("_search")
            triggers = set(connection.scalars(text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(:source) "
                "AND NOT tgisinternal"), {"source": source}))
            assert triggers == {f"{table.name}_{event}"
                                for event in ("insert", "update", "delete", "truncate")}
    assert SEARCH_TABLES.tables  # the customers have one


def _in_search_tables(obj, name, type_, reflected, compare_to) -> bool:
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table in SEARCH_TABLES.tables


def _searchable_models() -> list:
    return [mapper.class_ for mapper in db.Model.registry.mappers
            if issubclass(mapper.class_, Searchable)]


def test_every_searchable_model_has_its_search_index():
    """A search reads an index, never every row: PostgreSQL's trigram index on the
    search text, SQLite's FTS5 table with its three triggers."""
    inspector = inspect(db.engine)
    for model in _searchable_models():
        table = model.__tablename__
        if db.engine.dialect.name == "postgresql":
            indexes = {index["name"] for index in inspector.get_indexes(table)}
            assert f"ix_{table}_search_text" in indexes, table
        else:
            with db.engine.connect() as connection:
                triggers = set(connection.scalars(text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
                    {"t": table}))
            index = search.fts_table(table)
            assert inspector.has_table(index), table
            assert {f"{index}_{event}" for event in ("insert", "update", "delete")} <= triggers
    assert len(_searchable_models()) >= 2  # customers and guests
