"""Many rows into one table in the session's transaction, past SQLAlchemy's
per-row work: PostgreSQL COPY, SQLite INSERTs of as many rows each as it takes.

For the rows an import writes by the hundred thousand (records, what each change
was, the audit trail): SQLAlchemy's executemany spent more time preparing each
row's parameters than the database spent storing them. On SQLite, a statement
of many rows also keeps a table's full-text index (filled by a trigger) from
writing itself out after every row, as it does at each statement's start: 100,000
customers took 7 s of CPU one row a statement, 2 s in statements of many rows.

The rows are stored as SQLAlchemy would store them: its column defaults for the
keys a row leaves out, JSON columns serialised (None as JSON null), SQLite's dates as its text.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.exc import DBAPIError

from ..extensions import db


def insert_rows(table: Table, rows: Iterable[dict[str, Any]],
                shared: dict[str, Any] | None = None) -> None:
    """Insert ``rows`` (dicts by column name) into ``table``, each with the values of
    ``shared`` too (the same for every row, such as one import's actor and time:
    converted once).

    ``rows`` may be a generator (which must not use the database): rows are made
    as they are written, so PostgreSQL stores each while the next ones are made.
    Rows that name other columns than the first are set aside and inserted after
    it, group by group (a column a row leaves out takes its default, as in an
    INSERT that does not name it)."""
    remaining = iter(rows)
    first = next(remaining, None)
    if first is None:
        return
    names = tuple(first)
    others: dict[tuple[str, ...], list[dict]] = {}

    def like_the_first() -> Iterator[dict]:
        yield first
        for row in remaining:
            key = tuple(row)
            if key == names:
                yield row
            else:
                others.setdefault(key, []).append(row)

    _insert(table, names, like_the_first(), shared or {})
    for key, same in others.items():
        _insert(table, key, iter(same), shared or {})


def _insert(table: Table, names: tuple[str, ...], rows: Iterator[dict],
            shared: dict[str, Any]) -> None:
    connection = db.session.connection()
    dialect = connection.dialect
    shared = {name: value for name, value in shared.items() if name not in names}
    given = set(names) | set(shared)
    if any(column.name not in given and column.default is not None
           and not _has_default(column.default) for column in table.columns):
        # A default SQLAlchemy works out in SQL (a sequence, an expression).
        db.session.execute(table.insert(), [{**shared, **row} for row in rows])
        return
    # The shared values, and Python-side defaults of the columns left out, worked
    # out once for the statement (one timestamp for all its rows: they are one
    # transaction).
    constant = {**shared, **{column.name: _default(column.default) for column in table.columns
                             if column.name not in given and _has_default(column.default)}}
    columns = [table.columns[name] for name in names] + \
              [table.columns[name] for name in constant]
    extra = [_converted(column, dialect, value)
             for column, value in zip(columns[len(names):], constant.values(), strict=True)]
    take = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    # Column by column, only those whose values the driver cannot take as they are.
    converters = [(index, convert) for index, column in enumerate(columns[:len(names)])
                  if (convert := _converter(column, dialect)) is not None]
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    listed = ", ".join(f'"{column.name}"' for column in columns)
    try:
        if dialect.name == "postgresql":
            with cursor.copy(f'COPY "{table.name}" ({listed}) FROM STDIN') as copy:
                for row in rows:
                    value = [*take(row), *extra]
                    for index, convert in converters:
                        value[index] = convert(value[index])
                    copy.write_row(value)
        else:
            tail = tuple(extra)
            _sqlite_insert(cursor, table.name, listed, len(columns),
                           (take(row) + tail for row in rows) if tail else map(take, rows),
                           converters)
    except dialect.loaded_dbapi.Error as error:
        # Raised as SQLAlchemy raises the driver's errors (IntegrityError, DataError...),
        # so that a caller tells a refused row from a fault whichever way it was written.
        raise DBAPIError.instance(f'INSERT INTO "{table.name}" ({listed})', None, error,
                                  dialect.loaded_dbapi.Error, dialect=dialect) from None
    finally:
        cursor.close()


def _sqlite_insert(cursor, table: str, listed: str, width: int, rows: Iterator[tuple],
                   converters: list) -> None:
    """INSERTs of as many rows each as SQLite takes parameters (32,766 since 3.32),
    their values in one flat list, converted a column at a time (a slice of it)."""
    marks = "(" + ", ".join("?" * width) + ")"
    per = max(1, cursor.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width)
    while chunk := list(islice(rows, per)):
        flat = [value for row in chunk for value in row]
        for index, convert in converters:
            flat[index::width] = map(convert, flat[index::width])
        cursor.execute(f'INSERT INTO "{table}" ({listed}) VALUES '
                       + ", ".join([marks] * len(chunk)), flat)


def _has_default(default: Any) -> bool:
    return default is not None and (default.is_scalar or default.is_callable)


def _default(default: Any) -> Any:
    # SQLAlchemy keeps a callable default wrapped to take the execution context.
    return default.arg(None) if default.is_callable else default.arg


def _converted(column, dialect, value):
    convert = _converter(column, dialect)
    return value if convert is None else convert(value)


def _converter(column, dialect):
    """How a Python value of ``column`` goes to the driver (None: as it is)."""
    if isinstance(column.type, JSON):
        return json.dumps  # None too: JSON null, as SQLAlchemy's JSON type stores it
    if dialect.name == "postgresql":
        return None  # COPY takes Python's dates, numbers and text as they are
    # The dialect's own type: SQLite's DateTime writes its text form (a generic
    # DateTime has no processor, and the driver's own text drops ".000000").
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return _iso_times(process) if process is not None and _writes_iso_times(process) else process


# A time with and without a fraction of a second, to tell SQLite's text form of
# times: the same as isoformat's, which takes a tenth of the time.
_SAMPLE_TIMES = (datetime(2024, 2, 29, 23, 59, 58, 123456), datetime(1999, 1, 2, 3, 4, 5))


def _writes_iso_times(process) -> bool:
    try:
        return all(process(sample) == sample.isoformat(" ", "microseconds")
                   for sample in _SAMPLE_TIMES)
    except (TypeError, ValueError, AttributeError):
        return False  # not a type of times


def _iso_times(process):
    """``process`` (SQLite's DateTime), with naive datetimes, by far the most
    common value, written by isoformat."""
    def convert(value):
        if type(value) is datetime and value.tzinfo is None:
            return value.isoformat(" ", "microseconds")
        return process(value)
    return convert
