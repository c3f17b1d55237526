"""PostgreSQL: a search's count and page read from the model's search table (a
narrow copy of its rows: models.py, search_table_for) rather than its own wide
rows.

A common fragment ("garc") matches tens of thousands of rows. Its page comes
either from walking the list's order and testing each row (cheap when matches
come early in that order) or from collecting every match and sorting them
(cheap when they are few). A walk that finds nothing costs about what a
collect of twenty thousand matches does, so the walk is tried only where it
is likely to end well: the capped count also gives the first key of the
matches it read (a sample, in the table's physical order), and when more rows
than the walk may read come before that key (by the planner's estimate), the
matches are collected straight away. Either way the rows and their order are
the same.
"""
from __future__ import annotations

from sqlalchemy import Column, func, select, true
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.sql.visitors import iterate

from ..database import collect_then_sort, found_through_the_index
from ..extensions import db
from ..storable import BIGINT_MAX
from . import search_walk
from .counting import RowCount, planned_rows

# search_walk's kind of walk for a search table (its budgets).
WALK = "search_table"


def on_search_table(rows, model, condition):
    """``condition`` (on ``model``'s own columns, or None) as a condition on its
    search table ``rows``, column for column; None when it reads a column the
    search table does not copy."""
    if condition is None:
        return true()
    columns = [element for element in iterate(condition) if isinstance(element, Column)]
    if any(column.table is not model.__table__ or column.name not in rows.c
           for column in columns):
        return None
    return ClauseAdapter(rows, adapt_on_names=True).traverse(condition)


def page_of_matches(rows, base, found, names: list[str], descending: bool, page: int,
                    size: int | None, exact_up_to: int) -> tuple[RowCount, list]:
    """The count of the rows of ``rows`` (a search table) where ``base`` and ``found``
    (the search) hold, exact up to ``exact_up_to``, and the ids of page ``page``
    of ``size`` rows in the order of the columns ``names`` (all ``descending``, or
    not)."""
    order = [rows.c[name].desc() if descending else rows.c[name] for name in names]
    first = rows.c[names[0]]
    sample = select(first).where(base, found).limit(exact_up_to + 1).subquery()
    # Matches in the table's order: laid out in the list's (the seed leaves it so:
    # database.order_search_tables), the sample then holds the list's first match.
    with found_through_the_index():
        counted, nearest = db.session.execute(select(
            func.count(), (func.max if descending else func.min)(sample.c[0]))).one()
    count = RowCount(counted) if counted <= exact_up_to else RowCount(
        exact_up_to, RowCount.AT_LEAST)
    page = max(page or 0, 0)
    if size and page * size > BIGINT_MAX:
        return count, []
    ids = None
    if size and not count.exact and _within_walk(
            rows, base, first, descending, nearest,
            search_walk.walk_budget((page + 1) * size, WALK)):
        hits = search_walk.first_matches(select(rows.c.id).where(base).order_by(*order), found,
                                         wanted=(page + 1) * size, kind=WALK)
        ids = None if hits is None else hits[page * size:]
    if ids is None:
        paged = select(rows.c.id).where(base, found).order_by(*order)
        if size:
            paged = paged.offset(page * size).limit(size)
        with collect_then_sort():
            ids = list(db.session.scalars(paged))
    return count, ids


def _within_walk(rows, base, first, descending: bool, nearest, budget: int) -> bool:
    """Whether fewer than ``budget`` rows come before ``nearest`` (a match's key) in
    the list's order, by the planner's estimate (counting them would read up to
    ``budget`` index entries, a third of what the walk itself costs)."""
    before = first > nearest if descending else first < nearest
    return planned_rows(select(rows.c.id).where(base, before)) < budget
