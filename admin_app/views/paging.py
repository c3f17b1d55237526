"""Lists that stay fast at a million rows (mixed into the base view).

Flask-Admin counts every matching row on every page and reads deep pages with
an OFFSET over whole rows. Here:

- the count is exact up to ``LIST_EXACT_COUNT`` rows (``SEARCH_EXACT_COUNT``
  with a search, ``FILTER_EXACT_COUNT`` with filters), and past that an
  estimate or "more than", labelled as such (services/counting.py); such
  lists page with previous / next. Exports and actions on every match, which
  read each row anyway, count them exactly;
- a page is two queries: the ids of the page, found through the sort's index
  alone (so page 20,000 skips index entries, not rows), then those rows;
- on PostgreSQL, a filter that finds its rows from another table's few rows
  (phones on the blacklist), when they are at most the exact count's limit,
  has the list's count and page read in one statement (``count_and_page``):
  each match read once, where the page alone would test row after row in the
  list's order;
- every order ends with the primary key, so rows with equal sort values never
  move between pages;
- a sort by a related record few values of which exist (a customer's group),
  which no index holds in order, is read key by key (``KeyedSort``);
- a search's page of a searchable model is found the first way that applies:
  on PostgreSQL, without filters, from the model's search table alone
  (services/search_table_pages.py); on SQLite, a search its index finds few
  rows for, collected with their keys read from an index
  (SearchBox._few_to_collect); walking the list's order, if the matches come
  early in it (services/search_walk.py); collecting and sorting every match.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from flask import current_app, g
from sqlalchemy import case, false, func, select
from sqlalchemy.orm import joinedload

from ..database import collect_then_sort, dialect
from ..extensions import db
from ..models import Searchable
from ..services.counting import RowCount, count_rows, exact_count, planned_rows
from ..storable import BIGINT_MAX


@dataclass(frozen=True)
class KeyedSort:
    """A sort by something of a related record, such as a customer's group's name.

    The rows' own ``column`` holds the key (a group's id); ``keys()`` gives the keys
    in ascending order of the sort (group ids by name, as the database orders the
    names), where None stands for rows without one (last, first when descending);
    ``within`` orders the rows of one key. Each key's rows are then read in turn
    through an index on (column, *within): the first page reads one key's first
    rows, where ORDER BY over the join sorted every row."""

    column: Any
    keys: Callable[[], Sequence]
    within: tuple


class LargeLists:
    # Sort column name -> KeyedSort, for the sorts no index holds in order.
    keyed_sorts: dict[str, KeyedSort] = {}

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True,
                 page_size=None):
        if execute and self._search_supported and search:
            size = self.page_size if page_size is None else page_size
            found = self._search_table_page(search, filters, sort_column, sort_desc, page, size)
            if found is not None:
                count, ids = found
                return count, self._page_rows(ids)
        joins: dict = {}
        query, keys_indexed = self.get_query(), False
        if self._search_supported and search:
            query, _none, joins, _ = self._apply_search(query, None, joins, {}, search)
            query, keys_indexed = self._keys_from_index(query, sort_column, sort_desc)
        if filters and self._filters:
            query, _none, joins, _ = self._apply_filters(query, None, joins, {}, filters)
        key = getattr(self.model, self._primary_key)
        in_order, joins = self._apply_sorting(query, joins, sort_column, sort_desc)
        if not execute:
            # An export or an action on every match reads each row: say exactly how many.
            return exact_count(query, key), self._apply_pagination(in_order, page, page_size)
        keyed = self.keyed_sorts.get(sort_column) if sort_column is not None else None
        size = self.page_size if page_size is None else page_size
        count = None
        if not self.simple_list_pager:
            # A search's matches are checked one by one (no index holds them in
            # order), so its count stops sooner: "more than 1,000" asks for more words.
            limit = current_app.config["SEARCH_EXACT_COUNT" if search else
                                       "FILTER_EXACT_COUNT" if filters else "LIST_EXACT_COUNT"]
            if filters and not search and keyed is None and size \
                    and self._a_filter_reads_its_matches_first(filters):
                few = self._few_matches_page(query, sort_column, sort_desc,
                                             max(page or 0, 0), size, limit)
                if few is not None:
                    count, ids = few
                    return count, self._page_rows(ids)
            count = count_rows(self._counted_rows(query, search, filters), key, exact_up_to=limit,
                               table=None if (search or filters) else self.model.__tablename__)
        paged = self._apply_pagination(in_order, page, page_size)
        indexed_search = search and issubclass(self.model, Searchable)
        ids = None
        if indexed_search and keyed is None and not getattr(count, "exact", False) \
                and not (keys_indexed and self._few_to_collect(search, filters)):
            # Many matches: found in the list's order, if they come early in it.
            ids = self._walked_page(search, filters, sort_column, sort_desc, max(page or 0, 0),
                                    size)
        if ids is None:
            with collect_then_sort() if indexed_search else nullcontext():
                if keyed is not None and size:
                    ids = self._keyed_page_ids(query, keyed, sort_desc, max(page or 0, 0), size)
                else:
                    ids = self._page_ids(paged)
        return count, self._page_rows(ids)

    def _apply_pagination(self, query, page, page_size):
        # ?page=-1 is the first page; a page past the database's range holds no rows.
        page = max(page or 0, 0)
        size = self.page_size if page_size is None else page_size
        if size and page * size > BIGINT_MAX:
            query = query.filter(false())
            page = 0
        return super()._apply_pagination(query, page, page_size)

    def _a_filter_reads_its_matches_first(self, filters) -> bool:
        """Whether one of ``filters`` finds its rows from another table's few rows
        rather than from an index in the list's order (filters.py,
        YesNoFilter.reads_its_matches_first): its page, read in the list's order,
        would test row after row for the few that match."""
        for index, _name, value in filters:
            given = self._filters[index]
            reads_first = getattr(given, "reads_its_matches_first", None)
            if reads_first is not None and reads_first(given.clean(value)):
                return True
        return False

    def _few_matches_page(self, query, sort_column, sort_desc, page: int, size: int,
                          limit: int) -> tuple[Any, list] | None:
        """PostgreSQL, in an order of the list's own columns: the count and the
        page's ids of ``query`` read together (count_and_page), when it matches at
        most ``limit`` rows; None otherwise."""
        order = self._own_order_to_the_key(sort_column, sort_desc)
        if order is None or dialect() != "postgresql" or page * size > BIGINT_MAX:
            return None
        names, descending = order
        table = self.model.__table__
        return count_and_page(query, self._key_column(), [table.c[name] for name in names],
                              descending, page, size, exact_up_to=limit)

    def _page_ids(self, paged_query) -> list:
        """The ids of the page's rows, in order, read through the indexes alone
        where the order's index holds the filter's columns too."""
        key = getattr(self.model, self._primary_key)
        return [row_id for (row_id,) in paged_query.enable_eagerloads(False).with_entities(key)]

    def _keyed_page_ids(self, query, keyed: KeyedSort, descending: bool, page: int,
                        size: int) -> list:
        """The page's ids in the order of ``keyed``: rows to skip are counted key by
        key, through the key's index alone, as an OFFSET would skip them."""
        key_column = getattr(self.model, self._primary_key)
        skip = page * size
        if skip > BIGINT_MAX:
            return []
        keys = list(keyed.keys())
        keys = [*keys, None] if None not in keys else keys
        ids: list = []
        for key in reversed(keys) if descending else keys:
            rows = query.enable_eagerloads(False).with_entities(key_column).filter(
                keyed.column.is_(None) if key is None else keyed.column == key)
            if skip:
                held = db.session.scalar(select(func.count()).select_from(
                    rows.limit(skip).subquery()))
                if held < skip:
                    skip -= held
                    continue
            order = [column.desc() if descending else column
                     for column in (*keyed.within, key_column)]
            ids += [row_id for (row_id,) in rows.order_by(*order).offset(skip)
                    .limit(size - len(ids))]
            skip = 0
            if len(ids) == size:
                break
        return ids

    def _keyed_order(self, query, keyed: KeyedSort, descending: bool):
        """``keyed``'s order in SQL, for what reads every match (an export, an
        action): the keys' places in ``keys()``, rows without a key after them,
        then ``within`` and the id, all reversed when descending, as the list's
        pages show them (_keyed_page_ids)."""
        keys = [key for key in keyed.keys() if key is not None]
        order = [*keyed.within, getattr(self.model, self._primary_key)]
        if keys:
            place = case({key: index for index, key in enumerate(keys)},
                         value=keyed.column, else_=len(keys))
            order.insert(0, place)
        else:
            order.insert(0, keyed.column)
        return query.order_by(*(column.desc() if descending else column for column in order))

    def _page_rows(self, ids: list) -> list:
        """The rows of ``ids``, in that order, with what each shows of its relations."""
        key = getattr(self.model, self._primary_key)
        if not ids:
            return []
        rows = self.get_query().filter(key.in_(ids))
        for relation in self._auto_joins:
            rows = rows.options(joinedload(relation))
        by_id = {getattr(row, self._primary_key): row for row in rows}
        return [by_id[row_id] for row_id in ids if row_id in by_id]

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        keyed = self.keyed_sorts.get(sort_column) if sort_column is not None else None
        if keyed is not None:
            return self._keyed_order(query, keyed, sort_desc), joins
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        last_field, descending = self._last_sort_field(sort_column, sort_desc)
        if not self._is_primary_key(last_field):
            key = getattr(self.model, self._primary_key)
            query = query.order_by(key.desc() if descending else key)
        return query, joins

    def _is_primary_key(self, field) -> bool:
        return (getattr(field, "class_", None) is self.model
                and getattr(field, "key", None) == self._primary_key)

    def _last_sort_field(self, sort_column, sort_desc):
        """The field the current order ends with, and whether it runs descending."""
        if sort_column is not None and sort_column in self._sortable_columns:
            field = self._sortable_columns[sort_column]
            return (field[-1] if isinstance(field, list) else field), sort_desc
        order = list(self._get_default_order()) if sort_column is None else None
        if order:
            field, _joins, descending = order[-1]
            return field, descending
        return None, False

    def render(self, template, **kwargs):
        count = kwargs.get("count")
        if template == self.list_template:
            g.list_count = count  # what an empty page says depends on it (base.py)
            if not getattr(count, "exact", True):
                # The last page is not known exactly: the pager goes by previous / next.
                kwargs["num_pages"] = None
        return super().render(template, **kwargs)


def count_and_page(query, key, order: list, descending: bool, page: int, size: int, *,
                   exact_up_to: int) -> tuple[RowCount, list] | None:
    """PostgreSQL: the count of what ``query`` matches and the ids (``key``) of page
    ``page`` of ``size`` rows in the order of the columns ``order`` (all
    ``descending``, or not), from one statement that reads each match once, where
    counting and then paging read them twice (phones on the blacklist: each
    looked up once, not once per statement).

    None when that does not pay: more than ``exact_up_to`` matches by the
    planner's estimate or in fact (then the count stops at its limit and the page
    is read through the order's index, without sorting every match), or a page
    past the last (the count is then asked apart)."""
    rows = query.enable_eagerloads(False).order_by(None).with_entities(
        *dict.fromkeys([key, *order]))
    if planned_rows(rows.statement) > exact_up_to:
        return None
    matches = rows.limit(exact_up_to + 1).subquery()
    keys = [matches.corresponding_column(column) for column in order]
    found = db.session.execute(
        select(matches.corresponding_column(key), func.count().over())
        .order_by(*(column.desc() if descending else column for column in keys))
        .offset(page * size).limit(size)).all()
    if not found or found[0][1] > exact_up_to:
        return None
    return RowCount(found[0][1]), [row[0] for row in found]
