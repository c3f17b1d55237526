"""The list's search box: indexed search on searchable models, every word in some
searchable column on the others, and phones found the way people type them."""
from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from flask import current_app, flash
from flask_admin.contrib.sqla.tools import parse_like_term
from flask_babel import gettext as _
from sqlalchemy import String, Unicode, and_, cast, false, or_, select

from ..database import dialect, has_statistics
from ..extensions import db
from ..models import Searchable
from ..services import search as search_service
from ..services import search_walk
from ..services.search_table_pages import on_search_table, page_of_matches

# Matches a search may have to be collected and sorted at once, when their sort
# keys come from an index (SearchBox._few_to_collect): about 20 ms on SQLite.
COLLECT_AT_MOST = 30_000

# What a phone typed into the search box may look like: digits and separators.
PHONE_LIKE = re.compile(r"^[+(]?[\d][\d\s().-]{4,}$")


def typed_phone(search: str) -> str | None:
    """The phone a search stands for when typed the usual ways ("600 11 12",
    "0034 600..."), as stored (E.164 digits); None when it is not a phone."""
    text = search.strip()
    if not PHONE_LIKE.match(text):
        return None
    digits = re.sub(r"[\s().-]", "", text)
    return "+" + digits[2:] if digits.startswith("00") else digits


def indexed_target(path, field):
    """The Searchable model that ``path`` (relations, each to one record) leads to
    when its search index holds ``field`` ("customer.surname"); None otherwise."""
    if not path or not all(_to_one(relation) for relation in path):
        return None
    target = path[-1].property.mapper.class_
    if issubclass(target, Searchable) and field.key in target.search_fields:
        return target
    return None


def _to_one(relation) -> bool:
    prop = getattr(relation, "property", None)
    return getattr(prop, "direction", None) is not None and prop.direction.name == "MANYTOONE" \
        and len(prop.local_remote_pairs) == 1


def related_matches(path, search: str, phone_digits: str | None, database: str):
    """The rows whose record at the end of ``path`` the search finds through that
    record's index: ``customer_id IN (SELECT id FROM customers WHERE <indexed
    match>)``, one IN per relation on the way; no join, no row read to decide."""
    target = path[-1].property.mapper.class_
    ids = select(_remote(path[-1])).where(
        search_service.matches(target, search, phone_digits, database)).correlate(None)
    for outer, inner in reversed(list(pairwise(path))):
        ids = select(_remote(outer)).where(_local(inner).in_(ids)).correlate(None)
    return _local(path[0]).in_(ids)


def _local(relation):
    return relation.property.local_remote_pairs[0][0]  # the foreign key, this side


def _remote(relation):
    return relation.property.local_remote_pairs[0][1]  # the key it points to


class SearchBox:
    """Mixed into the base view: runs the list's search."""

    def _apply_search(self, query, count_query, joins, count_joins, search):
        message = self.search_problem(search)
        if message is not None:
            flash(message, "error")
            if count_query is not None:
                count_query = count_query.filter(false())
            return query.filter(false()), count_query, joins, count_joins
        # Control characters (a NUL byte) are no part of any searched text.
        search = search_service.cleaned(search)
        query, joins, condition = self._search_condition(query, joins, search)
        query = query.filter(condition)
        if count_query is not None:
            count_query, count_joins, count_condition = self._search_condition(
                count_query, count_joins, search
            )
            count_query = count_query.filter(count_condition)
        return query, count_query, joins, count_joins

    def _search_condition(self, query, joins, search: str):
        """Every word in some searchable column; or the record whose related customer
        (any Searchable record a declared path leads to) its index finds; or, for a
        phone typed the way people write it ('600 11 12', '0034 600...'), those digits
        in the phone column."""
        if issubclass(self.model, Searchable):
            # Indexed: a million rows are searched without reading each of them.
            return query, joins, search_service.matches(
                self.model, search, self.phone_digits(search), dialect())
        plain, indexed = self._search_ways()
        ways = []
        if plain:
            query, joins, every_word = self._every_word(query, joins, search, plain)
            ways.append(every_word)
        for path, has_phone in indexed.items():
            digits = typed_phone(search) if has_phone else None
            ways.append(related_matches(path, search, digits, dialect()))
        digits = self.phone_digits(search)
        if digits:
            ways.append(self.model.phone.like(f"%{digits}%"))
        return query, joins, or_(*ways)

    def _search_ways(self) -> tuple[list, dict]:
        """The searchable fields read by LIKE (field, path), and the paths to a
        Searchable record whose index holds the declared fields: path -> whether
        its phone is one of them."""
        plain, indexed = [], {}
        for field, path in self._search_fields or ():
            if indexed_target(path, field) is None:
                plain.append((field, path))
            else:
                key = tuple(path)
                indexed[key] = indexed.get(key, False) or field.key == "phone"
        return plain, indexed

    def _every_word(self, query, joins, search: str, fields):
        words = []
        for term in search.split():
            pattern = parse_like_term(term)
            matches = []
            for field, path in fields:
                query, joins, alias = self._apply_path_joins(query, joins, path, inner_join=False)
                column = field if alias is None else getattr(alias, field.key)
                matches.append(cast(column, Unicode).ilike(pattern))
            words.append(or_(*matches))
        return query, joins, and_(*words)

    def _counted_rows(self, query, search, filters):
        """What a list's count reads: ``query`` itself, but for an indexed search on
        SQLite the rows its search index finds, joined rather than gathered, so
        that a capped count stops at its cap (services/search.py, found_rows)."""
        if not (search and issubclass(self.model, Searchable)) or dialect() != "sqlite" \
                or self.search_problem(search) is not None:
            return query
        joins: dict = {}
        rows = self.get_query()
        if filters and self._filters:
            rows, _none, joins, _ = self._apply_filters(rows, None, joins, {}, filters)
        search = search_service.cleaned(search)
        return search_service.found_rows(rows, self.model, search, self.phone_digits(search),
                                         "sqlite")

    def _walked_page(self, search: str, filters, sort_column, sort_desc, page: int,
                     size: int) -> list | None:
        """The ids of a search's page of an indexed (Searchable) list, found by
        walking the list's order through its index and testing each row (on
        SQLite, its id against the search's FTS5 matches; on PostgreSQL, its
        search text); None when the order has no index to walk or the matches are too
        sparse at its start (services/search_walk.py)."""
        if not size or not self._walkable_order(sort_column, sort_desc):
            return None
        joins: dict = {}
        rows = self.get_query()
        if filters and self._filters:
            rows, _none, joins, _ = self._apply_filters(rows, None, joins, {}, filters)
        ordered, _joins = self._apply_sorting(rows, joins, sort_column, sort_desc)
        search = search_service.cleaned(search)
        digits, database = self.phone_digits(search), dialect()
        # SQLite: the search index's matches, looked up per walked id (the walk
        # reads the order's index alone); PostgreSQL: each walked row's text.
        test = (search_service.matches if database == "sqlite"
                else search_service.row_matches)(self.model, search, digits, database)
        key = getattr(self.model, self._primary_key)
        hits = search_walk.first_matches(
            ordered.enable_eagerloads(False).with_entities(key).statement, test,
            wanted=(page + 1) * size, kind=database)
        return None if hits is None else hits[page * size:]

    def _search_table_page(self, search: str, filters, sort_column, sort_desc, page: int,
                           size: int | None):
        """PostgreSQL, for a model with a search table (models.py, search_table_for),
        a search without filters in an order of that table's columns: the count
        and the page's ids, read from that narrow copy alone, never from the
        model's wide rows (services/search_table_pages.py). None when that does
        not apply: the list then searches the model's own table."""
        rows = self.model.search_table if issubclass(self.model, Searchable) else None
        if rows is None or filters or dialect() != "postgresql" \
                or self.search_problem(search) is not None:
            return None
        order = self._own_order_to_the_key(sort_column, sort_desc)
        if order is None or any(name not in rows.c for name in order[0]):
            return None
        base = on_search_table(rows, self.model, self.get_query().whereclause)
        if base is None:
            return None
        names, descending = order
        search = search_service.cleaned(search)
        found = search_service.table_matches(rows, search, self.phone_digits(search))
        # Counted even without a pager: the count's query also samples the matches.
        count, ids = page_of_matches(rows, base, found, names, descending, page, size,
                                     current_app.config["SEARCH_EXACT_COUNT"])
        return (None if self.simple_list_pager else count), ids

    def _walkable_order(self, sort_column, sort_desc) -> bool:
        """Whether the list's order is an index's leading columns (of the model's
        own table, one direction), so that walking it reads the index."""
        names = (self._own_order(sort_column, sort_desc) or ([], False))[0]
        if names and names[-1] == self._key_column().name:
            names.pop()  # the list's tie-break, which the index holds
        return bool(names) and any(
            [column.name for column in index.columns][:len(names)] == names
            for index in self.model.__table__.indexes)

    def _keys_from_index(self, query, sort_column, sort_desc) -> tuple[Any, bool]:
        """``query`` (a search's rows) with what lets SQLite read each match's sort
        key from an index (id, key, ...) when it collects the matches and sorts
        them, instead of each match's whole row from the table: a page of a
        fragment with twenty thousand matches costs a third. SQLite's planner
        takes such an index only when it has statistics of it and the query names
        the key: ``key >= ''`` does, and holds for every text that is not NULL
        (models.py, key_by_id_index). Also whether that applies."""
        order = self._own_order(sort_column, sort_desc)
        if order is None or dialect() != "sqlite" or not issubclass(self.model, Searchable):
            return query, False
        table = self.model.__table__
        key = table.columns[order[0][0]]
        index = search_service.key_by_id_index_name(table.name, key.name)
        if not isinstance(key.type, String) or key.nullable \
                or index not in {index.name for index in table.indexes} \
                or not has_statistics(index):
            return query, False
        return query.filter(key >= ""), True

    def _few_to_collect(self, search: str, filters) -> bool:
        """Whether the search index finds at most ``COLLECT_AT_MOST`` rows for an
        unfiltered search: with their keys read from an index (_keys_from_index),
        collecting and sorting that many costs less than a walk through the list's
        order that finds none of them (a surname's matches sit together far into
        name order). Counted in the search index alone: a few milliseconds."""
        if filters:
            return False  # the filters' columns are read from each match's row
        search = search_service.cleaned(search)
        count = search_service.index_count(self.model, search, self.phone_digits(search),
                                           COLLECT_AT_MOST)
        return count is not None and db.session.scalar(count) <= COLLECT_AT_MOST

    def _key_column(self):
        """The list's primary key column (its attribute may have another name)."""
        return getattr(self.model, self._primary_key).expression

    def _own_order_to_the_key(self, sort_column,
                              sort_desc) -> tuple[list[str], bool] | None:
        """``_own_order``, its names ending with the primary key's column: the
        list's tie-break (paging.py, LargeLists._apply_sorting), as pages read it."""
        order = self._own_order(sort_column, sort_desc)
        if order is None:
            return None
        names, descending = order
        key = self._key_column().name
        return (names if names[-1] == key else [*names, key]), descending

    def _own_order(self, sort_column, sort_desc) -> tuple[list[str], bool] | None:
        """The names of the columns the list's order reads, when they are all the
        model's own and in one direction, and whether that direction is
        descending; None otherwise."""
        if sort_column is None:
            order = [(field, bool(joins), descending)
                     for field, joins, descending in self._get_default_order()]
        elif sort_column in self._sortable_columns:
            fields, joins = (self._sortable_columns[sort_column],
                             self._sortable_joins.get(sort_column))
            if not isinstance(fields, list):
                fields, joins = [fields], [joins]
            order = [(field, bool(field_joins), sort_desc)
                     for field, field_joins in zip(fields, joins or [None] * len(fields),
                                                   strict=False)]
        else:
            return None
        table = self.model.__table__
        names = []
        for field, joined, descending in order:
            column = getattr(field, "expression", None)
            if joined or getattr(column, "table", None) is not table \
                    or descending != order[0][2]:
                return None
            names.append(column.name)
        return (names, order[0][2]) if names else None

    def search_problem(self, search: str | None) -> str | None:
        """Why a search cannot be run (too many words), or None."""
        if search and len(search_service.words(search)) > search_service.MAX_WORDS:
            return _("A search takes at most %(count)s words: leave some out.",
                     count=search_service.MAX_WORDS)
        return None

    def phone_digits(self, search: str) -> str | None:
        """The phone a search term stands for, as stored (E.164 digits), or None."""
        if "phone" not in (self.column_searchable_list or ()):
            return None
        return typed_phone(search)
