"""The list's search box: indexed search on searchable models, every word in some
searchable column on the others, and phones found the way people type them."""
from __future__ import annotations

import re

from flask import flash
from flask_admin.contrib.sqla.tools import parse_like_term
from flask_babel import gettext as _
from sqlalchemy import Unicode, and_, cast, false, or_

from ..extensions import db
from ..models import Searchable
from ..services import search as search_service

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
        search = " ".join(search_service.words(search))
        query, joins, condition = self._search_condition(query, joins, search)
        query = query.filter(condition)
        if count_query is not None:
            count_query, count_joins, count_condition = self._search_condition(
                count_query, count_joins, search
            )
            count_query = count_query.filter(count_condition)
        return query, count_query, joins, count_joins

    def _search_condition(self, query, joins, search: str):
        """Every word in some searchable column; or, for a phone typed the way people
        write it ('600 11 12', '0034 600...'), those digits in the phone column."""
        if issubclass(self.model, Searchable):
            # Indexed: a million rows are searched without reading each of them.
            dialect = db.session.get_bind().dialect.name
            return query, joins, search_service.matches(
                self.model, search, self.phone_digits(search), dialect)
        words = []
        for term in search.split():
            pattern = parse_like_term(term)
            matches = []
            for field, path in self._search_fields:
                query, joins, alias = self._apply_path_joins(query, joins, path, inner_join=False)
                column = field if alias is None else getattr(alias, field.key)
                matches.append(cast(column, Unicode).ilike(pattern))
            words.append(or_(*matches))
        condition = and_(*words)
        digits = self.phone_digits(search)
        if digits:
            condition = or_(condition, self.model.phone.like(f"%{digits}%"))
        return query, joins, condition

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
