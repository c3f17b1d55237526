"""What a bulk action or page acts on: the checked rows, or every row the list matches.

The list's "select all N matching" posts the action with ``matching=all`` to
``action/?<the list's search, filters and sort>``, so the same query that drew
the list picks the rows (see ``StreamingExport.matching_query``). Every bulk
action and page reads its records through ``AllMatching.selection``.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import flash, request, url_for
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from sqlalchemy.orm import Query
from werkzeug.datastructures import MultiDict
from werkzeug.utils import redirect

from ..storable import record_ids
from .page_urls import url_with_query

MATCHING_ALL = "all"


@dataclass
class Selection:
    """The records a bulk page acts on: the ones checked in the list, or every
    one the list's search and filters match. Read only when asked, inside the
    page's own transaction."""

    query: Query  # the view's records, in the list's order (or by id when checked)
    count: int
    key: Any  # the primary key column

    def ids(self) -> list[int]:
        return [row_id for (row_id,) in self.query.with_entities(self.key).order_by(None)]

    def records(self) -> list:
        return self.query.all()

    def first(self, size: int) -> list:
        return self.query.limit(size).all()


class AllMatching:
    """Mixed into the base view, after StreamingExport (it reuses matching_query)."""

    def all_matching_requested(self) -> bool:
        return (request.form.get("matching") or request.args.get("matching")) == MATCHING_ALL

    def selection(self, checked: Iterable[str] | None = None) -> Selection:
        """What a bulk page or action acts on: with ``matching=all`` every row the
        list's query matches, otherwise the ``checked`` ids (by default the page's
        ``?id=..&id=..``), those that exist."""
        key = getattr(self.model, self._primary_key)
        if self.all_matching_requested():
            query, count = self.matching_query()
            return Selection(query, count, key)
        ids = record_ids(request.args.getlist("id") if checked is None else checked)
        query = self.get_query().filter(key.in_(ids)).order_by(key)
        return Selection(query, query.order_by(None).count(), key)

    def selection_url(self, endpoint: str, checked: list[str], **extra: str) -> str:
        """A bulk page of this view for what an action was given: the checked ids,
        or the list's query with matching=all (and ``extra``)."""
        if self.all_matching_requested():
            return self.matching_url(endpoint, **extra)
        return url_for(endpoint, id=checked, **extra)

    def matching_url(self, endpoint: str, **extra: str) -> str:
        """A page of this view, carrying the list's query, matching=all and ``extra``."""
        args = MultiDict(request.args)
        args["matching"] = MATCHING_ALL
        for name, value in extra.items():
            args[name] = value
        return url_with_query(endpoint, args)

    def refuse_unreadable_matching(self, *, exporting: bool = False):
        """A filter or search that cannot be read is left out of the list, so
        "every matching record" would be every record: change (or export) nothing,
        go back to the list, which names what could not be read."""
        if exporting:
            flash(_("Nothing was exported: a filter or the search of this list could not be "
                    "read, so the file would have held every record."), "error")
        else:
            flash(_("Nothing was changed: a filter or the search of this list could not be "
                    "read, so the action would have reached every record."), "error")
        args = MultiDict(request.args)
        args.pop("matching", None)
        return redirect(url_with_query(".index_view", args))

    def handle_action(self, return_view=None):
        if not self.all_matching_requested():
            return super().handle_action(return_view)
        form = self.action_form()
        name = form.action.data if self.validate_form(form) else None
        handler = self._actions_data.get(name)
        if handler is None or not self.is_action_allowed(name):
            self.refuse()
        # Action handlers take ids as the list's checkboxes send them.
        response = handler[0]([str(row_id) for row_id in self.selection().ids()])
        return response or redirect(get_redirect_target() or self.get_url(".index_view"))
