"""Many rows into one table in the session's transaction, past SQLAlchemy's
per-row work: PostgreSQL COPY, SQLite one executemany on the driver's cursor.

For the rows an import writes by the hundred thousand (records, what each change
was, the audit trail): SQLAlchemy's executemany spent more time preparing each
row's parameters than the database spent storing them. The rows are stored as
SQLAlchemy would store them: its column defaults for the keys a row leaves out,
JSON columns serialised (None as JSON null), SQLite's dates as its text.
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, Table

from ..extensions import db


def insert_rows(table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts by column name) into ``table``. Rows that name
    different columns are inserted group by group (a column a row leaves out
    takes its default, as in an INSERT that does not name it)."""
    by_columns: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        by_columns.setdefault(tuple(row), []).append(row)
    for names, same in by_columns.items():
        _insert(table, names, same)


def _insert(table: Table, names: tuple[str, ...], rows: list[dict]) -> None:
    connection = db.session.connection()
    dialect = connection.dialect
    # Python-side defaults of the columns the rows leave out, worked out once for
    # the statement (one timestamp for all its rows: they are one transaction).
    defaults = {column.name: column.default.arg(None) if column.default.is_callable
                else column.default.arg
                for column in table.columns
                if column.name not in names and column.default is not None
                and (getattr(column.default, "is_scalar", False)
                     or getattr(column.default, "is_callable", False))}
    columns = [table.columns[name] for name in names] + \
              [table.columns[name] for name in defaults]
    convert = [_converter(column, dialect) for column in columns]
    extra = tuple(defaults.values())
    values = [tuple(f(v) if f else v
                    for f, v in zip(convert, (*(row[n] for n in names), *extra), strict=True))
              for row in rows]
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        listed = ", ".join(f'"{column.name}"' for column in columns)
        if dialect.name == "postgresql":
            with cursor.copy(f'COPY "{table.name}" ({listed}) FROM STDIN') as copy:
                for value in values:
                    copy.write_row(value)
        else:
            marks = ", ".join("?" for _column in columns)
            cursor.executemany(f'INSERT INTO "{table.name}" ({listed}) VALUES ({marks})',
                               values)
    finally:
        cursor.close()


def _converter(column, dialect):
    """How a Python value of ``column`` goes to the driver (None: as it is)."""
    if isinstance(column.type, JSON):
        return json.dumps  # None too: JSON null, as SQLAlchemy's JSON type stores it
    if dialect.name == "postgresql":
        return None  # COPY takes Python's dates, numbers and text as they are
    return column.type.bind_processor(dialect)
