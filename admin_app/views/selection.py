"""Bulk actions on every row the list matches, not only the checked ones.

The list's "select all N matching" posts the action with ``matching=all`` to
``action/?<the list's search, filters and sort>``, so the same query that drew
the list picks the rows (see ``StreamingExport.matching_query``).
"""
from __future__ import annotations

from flask import flash, request, url_for
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.utils import redirect

MATCHING_ALL = "all"


class AllMatching:
    """Mixed into the base view, after StreamingExport (it reuses matching_query)."""

    def all_matching_requested(self) -> bool:
        return (request.form.get("matching") or request.args.get("matching")) == MATCHING_ALL

    def matching_ids(self) -> list[str]:
        """Ids of every row the list's search and filters match, as action handlers get them."""
        query, _count = self.matching_query()
        ids = query.with_entities(self.model.id).order_by(None)
        return [str(row_id) for (row_id,) in ids]

    def matching_url(self, endpoint: str, **extra: str) -> str:
        """A page of this view, carrying the list's query, matching=all and ``extra``."""
        args = MultiDict(request.args)
        args["matching"] = MATCHING_ALL
        args.update(extra)
        return url_for(endpoint, **args.to_dict(flat=False))

    def refuse_unreadable_matching(self):
        """A filter or search that cannot be read is left out of the list, so
        "every matching record" would be every record: change nothing, go back to
        the list, which names what could not be read."""
        flash(_("Nothing was changed: a filter or the search of this list could not be "
                "read, so the action would have reached every record."), "error")
        args = MultiDict(request.args)
        args.pop("matching", None)
        return redirect(url_for(".index_view", **args.to_dict(flat=False)))

    def handle_action(self, return_view=None):
        if not self.all_matching_requested():
            return super().handle_action(return_view)
        form = self.action_form()
        name = form.action.data if self.validate_form(form) else None
        handler = self._actions_data.get(name)
        if handler is None or not self.is_action_allowed(name):
            self.refuse()
        response = handler[0](self.matching_ids())
        return response or redirect(get_redirect_target() or self.get_url(".index_view"))
