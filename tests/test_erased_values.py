"""After an erasure, the whole database is searched for the erased values: every
text column of every table (on SQLite every column of every table, the search
index's FTS5 tables included; on PostgreSQL every text, JSON and binary column).
They are found nowhere but in the invoices kept for the tax authority."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import JSON, LargeBinary, String, inspect, text

from admin_app.choices import Role
from admin_app.database import dialect
from admin_app.extensions import db
from admin_app.services import erasure, search
from tests.erasure_people import (
    CARD,
    EMAIL,
    ERASED_VALUES,
    OLD_SURNAME,
    PHONE,
    SURNAME,
    customer_with_everything,
)

# What the law keeps: the invoices as issued (see services/erasure.py).
KEPT = {("invoices", "billing_name"), ("invoices", "billing_tax_id"),
        ("invoices", "billing_address")}


def _forms(value: str) -> set[str]:
    """A value as any column may hold it: as typed, lower case, folded, and as JSON
    writes it (accents escaped)."""
    forms = {value, value.lower(), search.fold(value)}
    return forms | {json.dumps(form)[1:-1] for form in forms}


def _columns() -> list[tuple[str, str, str]]:
    """(table, column, how to read it) for every column the search reads."""
    inspector = inspect(db.session.connection())
    found = []
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            kind = column["type"]
            if dialect() == "sqlite":
                found.append((table, column["name"], "any"))  # SQLite keeps any value anywhere
            elif isinstance(kind, LargeBinary):
                found.append((table, column["name"], "bytes"))
            elif isinstance(kind, JSON):
                found.append((table, column["name"], "json"))
            elif isinstance(kind, String):
                found.append((table, column["name"], "text"))
    return found


def _condition(column: str, how: str) -> str:
    quoted = f'"{column}"'
    if how == "bytes":
        return f"position(convert_to(:needle, 'UTF8') in {quoted}) > 0"
    if how == "any":
        return f"instr(lower(CAST({quoted} AS TEXT)), :needle) > 0"
    read = f"CAST({quoted} AS TEXT)" if how == "json" else quoted
    return f"strpos(lower({read}), :needle) > 0"


def where_found(values) -> set[tuple[str, str, str]]:
    """{(table, column, value)} wherever one of ``values`` is held, in any form."""
    found = set()
    for table, column, how in _columns():
        for value in values:
            for form in _forms(value):
                needle = form if how == "bytes" else form.lower()
                if db.session.scalar(text(
                        f'SELECT count(*) FROM "{table}" WHERE {_condition(column, how)}'),
                        {"needle": needle}):
                    found.add((table, column, value))
                    break
    return found


def _search_index_finds(value: str) -> list[str]:
    """SQLite: the FTS5 tables whose index still holds ``value`` (folded)."""
    tables = db.session.scalars(text(
        "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%fts5%'")).all()
    assert "customers_search" in tables and "guests_search" in tables
    phrase = '"' + search.fold(value).replace('"', '""') + '"'
    return [table for table in tables if db.session.scalar(
        text(f"SELECT count(*) FROM {table} WHERE {table} MATCH :phrase"), {"phrase": phrase})]


def test_the_search_reads_every_kind_of_column():
    columns = {(table, column) for table, column, _how in _columns()}
    for expected in (("customers", "email"), ("customers", "search_text"),
                     ("audit_events", "changes"), ("audit_events", "summary"),
                     ("import_batches", "content"), ("import_batches", "read_rows"),
                     ("import_changes", "after"), ("notifications", "body"),
                     ("guests", "email"), ("invoices", "billing_name")):
        assert expected in columns
    if dialect() == "sqlite":
        for table in ("customers_search", "customers_search_data", "customers_search_idx",
                      "customers_search_docsize", "guests_search_data"):
            assert any(name == table for name, _column in columns), table
        tables = set(inspect(db.session.connection()).get_table_names())
        assert tables <= {table for table, _column in columns}


def test_the_erased_values_are_found_nowhere_but_in_the_kept_invoices(users):
    everything = customer_with_everything(users[Role.ADMIN])
    before = where_found(ERASED_VALUES)
    # The search sees them where they are: it would see them if they stayed.
    for place in (("customers", "email"), ("customers", "search_text"), ("guests", "email"),
                  ("audit_events", "changes"), ("audit_events", "summary"),
                  ("notifications", "body"), ("import_batches", "rejected_rows"),
                  ("import_batches", "read_rows"), ("import_batches", "content"),
                  ("import_changes", "after"), ("blacklist", "phone"),
                  ("customers", "notes")):
        assert any((table, column) == place for table, column, _value in before), place
    if dialect() == "sqlite":
        assert _search_index_finds(SURNAME) == ["customers_search", "guests_search"]

    erasure.erase(everything.customer, users[Role.ADMIN])
    db.session.commit()

    left = {(table, column) for table, column, _value in where_found(ERASED_VALUES)}
    assert left <= KEPT, sorted(left - KEPT)
    assert ("invoices", "billing_name") in left  # as issued
    if dialect() == "sqlite":
        for value in ERASED_VALUES:
            assert _search_index_finds(value) == [], value
        for table in ("customers_search", "guests_search"):
            # The index holds exactly what the rows hold now, nothing older.
            db.session.execute(text(
                f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)"))


@pytest.mark.parametrize("value", ["zubiaurre", "611222333"])
def test_the_lists_search_finds_them_no_more(admin_client, users, value):
    everything = customer_with_everything(users[Role.ADMIN])
    assert f"/admin/customers/details/?id={everything.customer.id}" in admin_client.get(
        f"/admin/customers/?search={value}").get_data(as_text=True)
    erasure.erase(everything.customer, users[Role.ADMIN])
    db.session.commit()
    page = admin_client.get(f"/admin/customers/?search={value}").get_data(as_text=True)
    assert f"/admin/customers/details/?id={everything.customer.id}" not in page
    page = admin_client.get(f"/admin/guests/?search={value}").get_data(as_text=True)
    assert f"/admin/guests/details/?id={everything.guest.id}" not in page


def test_the_sqlite_file_keeps_no_copy_in_its_free_space(users):
    if dialect() != "sqlite":
        pytest.skip("SQLite's file; PostgreSQL's old row versions go at VACUUM")
    everything = customer_with_everything(users[Role.ADMIN])
    connection = db.session.connection()
    # Whatever this build's default, the erasure asks for overwriting and puts it back.
    connection.execute(text("PRAGMA secure_delete = 0"))
    erasure.erase(everything.customer, users[Role.ADMIN])
    # Read on the erasure's own connection: pooled ones keep this build's default.
    assert connection.execute(text("PRAGMA secure_delete")).scalar() == 0
    db.session.commit()
    db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    with open(db.engine.url.database, "rb") as file:
        data = file.read()
    # Not in the kept invoice: the email, the phone, the card, the old surname.
    for value in (EMAIL, EMAIL.lower(), PHONE.lstrip("+"), CARD, OLD_SURNAME, "Echeverr"):
        assert value.encode() not in data, value
