"""The list's filters in its URL: names that stay the same in every language,
options read from the database on each request, and a message for each filter
argument that cannot be used."""
from __future__ import annotations

from flask import flash, request
from flask_babel import gettext as _

from ..storable import problem


class FilterArgs:
    """Mixed into the base view (after SearchBox: the URL's search is read too)."""

    # -- filter URL names: the same in every language ------------------------------
    def _refresh_filters_cache(self):
        self._start_up_filter_args = {}
        super()._refresh_filters_cache()
        self._start_up_filter_args = {
            index: arg for arg, (index, _flt) in (self._filter_args or {}).items()}

    def get_filter_arg(self, index, flt):
        # Flask-Admin builds the arg from the filter's label, which a request in
        # Spanish translates ("País" -> "pas"): every URL the app builds (pager, sort,
        # return links) uses the name taken in English at start-up instead.
        known = getattr(self, "_start_up_filter_args", {}).get(index)
        return known if known is not None else super().get_filter_arg(index, flt)

    # -- filters whose options come from the database, asked on each request ---
    def _get_filter_groups(self):
        groups = super()._get_filter_groups()
        if not groups:
            return groups
        # By position: a filter's arg is built from its name, which is translated,
        # so in Spanish it no longer matches the arg computed (in English) at start-up.
        live = {
            index: flt.live_choices()
            for index, flt in enumerate(self._filters or [])
            if getattr(flt, "live_options", False)
        }
        for entries in groups.values():
            for entry in entries:
                if entry["index"] in live:
                    entry["options"] = live[entry["index"]]
        return groups

    def _get_list_filter_args(self):
        chosen, problems = self.read_filter_args()
        for message in problems:
            flash(message, "error")
        return chosen if self._filters else None

    def read_filter_args(self) -> tuple[list, list[str]]:
        """The list's filters from the URL, in their order, and a message for each
        one that cannot be used (unknown, unreadable, or past what the database holds)."""
        chosen, problems = [], []
        for arg in request.args:
            if not arg.startswith("flt"):
                continue
            position, _sep, key = arg[3:].partition("_")
            idx, flt = (self._filter_args or {}).get(key, (None, None))
            if flt is None:
                problems.append(_("There is no filter “%(filter)s” on this list.", filter=arg))
                continue
            value = request.args[arg]
            if not self._filter_value_usable(flt, value):
                problems.append(self.get_invalid_value_msg(value, flt))
                continue
            chosen.append((position, (idx, str(flt.name), value)))
        return [entry for _position, entry in sorted(chosen, key=lambda n: n[0])], problems

    @staticmethod
    def _filter_value_usable(flt, value: str) -> bool:
        if problem(value) is not None or not flt.validate(value):
            return False
        try:
            return problem(flt.clean(value)) is None
        except (TypeError, ValueError):
            return False

    def list_query_problems(self) -> list[str]:
        """What in the list's URL cannot be read: its filters, its search."""
        _chosen, problems = self.read_filter_args()
        search = self.search_problem(request.args.get("search"))
        return problems + ([search] if search else [])

    def get_invalid_value_msg(self, value, filter) -> str:
        message = _("“%(value)s” is not a valid value for the filter “%(filter)s”.",
                    value=value, filter=filter.name)
        hint = getattr(filter, "value_hint", None)
        if hint is not None:
            message += " " + _("Write it like %(example)s.", example=hint())
        return message
