"""The fast path of a list's CSV and xlsx exports: the list's own query (search,
filters, sort) reads just the exported columns as tuples, and each column gets
one converter chosen from its type, giving the same file as the generic path
(for CSV, the database writes whole lines: line_texts).

It applies when every exported column is a plain column of the model (text,
number, money, day, time, yes/no, choice) or a many-to-one relation to a small
table (groups, outlets), shown by its name; otherwise ``plan`` answers None and
the export takes the generic path (ORM objects and export formatters).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, inspect, literal, select
from sqlalchemy.orm import MANYTOONE, ColumnProperty, RelationshipProperty

from ..config import default_currency
from ..services import fast_csv, xlsx_sheet
from ..services.money import holds_money, major_units
from . import copy_out, export_lines, sqlite_lines
from .formatting import yes_no

# A relation is resolved from one dict of its table's names, read up front, only
# when that table is this small (a customer's group, yes; an invoice's customer, no):
# the names become one CASE in each line's SQL, and 20,000 of them made each line
# forty times slower than the general path's lookups.
MAX_LOOKUP_ROWS = 1_000
YIELD_ROWS = 5_000  # rows fetched from the database cursor at a time


@dataclass
class Plan:
    columns: list          # SQL expressions, in the file's column order
    converters: list       # one fast_csv converter per column


def plan(view, session) -> Plan | None:
    """How to export ``view``'s columns from tuples, or None when one of them
    needs the generic path."""
    mapper = inspect(view.model)
    formatters = view.column_formatters_export or {}
    columns, converters = [], []
    for name, _label in view._export_columns:
        if not isinstance(name, str) or name in formatters or "." in name:
            return None
        prop = mapper.attrs.get(name)
        if isinstance(prop, ColumnProperty) and len(prop.columns) == 1:
            column = prop.columns[0]
            convert = _column_converter(view, name, column)
        elif isinstance(prop, RelationshipProperty):
            column, convert = _relation(prop, session)
        else:
            return None
        if convert is None:
            return None
        columns.append(column)
        converters.append(convert)
    if view._currency_appended():
        own = mapper.columns.get("currency")
        currency = literal(default_currency())
        columns.append(currency if own is None else func.coalesce(func.nullif(own, ""), currency))
        converters.append(fast_csv.texts)
    return Plan(columns, converters)


def batches(plan_: Plan, query):
    """The list's query (its filters, joins and order) reading plain rows in
    batches, through the database's cursor (server-side on PostgreSQL), with no
    ORM work per row."""
    statement = query.with_entities(*plan_.columns).enable_eagerloads(False).statement
    return _stream(query.session.connection(), statement)


def line_texts(plan_: Plan, query):
    """The same rows as whole CSV lines written by the database, in texts of many
    lines each, or None when the columns or the database have no SQL form for that.
    PostgreSQL streams them with COPY; SQLite reads the list's ids first and
    writes the lines a chunk of ids at a time (sqlite_lines)."""
    connection = query.session.connection()
    dialect = connection.dialect.name
    # COPY writes its own line ends (undone into CR LF by copy_out).
    line = export_lines.line(plan_.columns, plan_.converters, dialect,
                             terminator="" if dialect == "postgresql" else "\r\n")
    if line is None:
        return None
    if dialect == "postgresql":
        return copy_out.lines(connection, query.with_entities(line)
                              .enable_eagerloads(False).statement)
    key = inspect(query.column_descriptions[0]["entity"]).primary_key
    if len(key) == 1 and key[0].type.python_type is int:
        return sqlite_lines.lines(query.session, query, key[0], line)
    statement = query.with_entities(line).enable_eagerloads(False).statement
    return ("".join([row[0] for row in batch]) for batch in _stream(connection, statement))


def xlsx_rows(plan_: Plan, query) -> tuple[list[str], Iterator[list]]:
    """The same rows for exports.xlsx_chunks: each column's kind, and rows of the
    cells the generic path gives (money as Decimal, choices and yes/no as words,
    never neutralised: an xlsx text never runs), converted a column at a time."""
    kinds, cells = [], []
    for column, convert in zip(plan_.columns, plan_.converters, strict=True):
        kind, cell = _xlsx_column(column, convert)
        kinds.append(kind)
        cells.append(cell)
    return kinds, _xlsx_rows(batches(plan_, query), cells)


def _xlsx_rows(batches_, cells) -> Iterator[list]:
    for batch in batches_:
        columns = [cell(values) for cell, values in zip(cells, zip(*batch, strict=True),
                                                       strict=True)]
        yield from zip(*columns, strict=True)


def _xlsx_column(column, convert):
    labels = getattr(convert, "labels", None)
    if labels is not None:
        return xlsx_sheet.TEXT, lambda values: [
            value if value is None else labels[value] if value in labels else str(value)
            for value in values]
    if convert is fast_csv.amounts:
        return xlsx_sheet.DECIMAL, lambda values: [
            value if value is None else major_units(value) for value in values]
    if convert is fast_csv.as_is:
        whole = column.type.python_type is int
        return xlsx_sheet.NUMBER if whole else xlsx_sheet.DECIMAL, _same
    kinds = {fast_csv.texts: xlsx_sheet.TEXT, fast_csv.days: xlsx_sheet.DAY,
             fast_csv.moments: xlsx_sheet.TIME}
    return kinds[convert], _same


def _same(values):
    return values


def _stream(connection, statement):
    result = connection.execution_options(stream_results=True).execute(statement)
    yield from result.partitions(YIELD_ROWS)


def _column_converter(view, name: str, column):
    if name in view.column_choices:
        return fast_csv.words(dict(view.column_choices[name]))
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return None
    if kind is bool:
        return fast_csv.words({True: yes_no(True), False: yes_no(False)})
    if kind is int:
        return fast_csv.amounts if holds_money(name) else fast_csv.as_is
    if kind is Decimal:
        return fast_csv.as_is
    if kind is datetime:
        return fast_csv.moments
    if kind is date:
        return fast_csv.days
    if kind is str:
        return fast_csv.texts
    return None


def _relation(prop: RelationshipProperty, session):
    """A many-to-one relation: its key column, and its table's names by key."""
    target = prop.mapper
    if (prop.direction is not MANYTOONE or len(prop.local_columns) != 1
            or len(target.primary_key) != 1
            or set(prop.remote_side) != set(target.primary_key)):
        return None, None
    count = session.scalar(select(func.count()).select_from(target.local_table))
    if count > MAX_LOOKUP_ROWS:
        return None, None
    names = {inspect(record).identity[0]: str(record)
             for record in session.scalars(select(target.class_))}
    return next(iter(prop.local_columns)), fast_csv.words(names)
