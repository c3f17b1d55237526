"""The list's filters in its URL: names that stay the same in every language,
options read from the database on each request, and a message for each filter
argument that cannot be used."""
from __future__ import annotations

from flask import flash, request
from flask_babel import gettext as _

from ..storable import BIGINT_MAX, column_limit, problem


class UnknownFilter(LookupError):
    """A link asked for a filter its list does not have (renamed or removed)."""


def _column_key(flt) -> str | None:
    """The model attribute a filter reads ("group_id"), None for an expression."""
    return getattr(getattr(flt, "column", None), "key", None)


class FilterArgs:
    """Mixed into the base view (after SearchBox: the URL's search is read too)."""

    # -- filter URL names: the same in every language ------------------------------
    def _refresh_filters_cache(self):
        self._start_up_filter_args = {}
        super()._refresh_filters_cache()
        self._start_up_filter_args = {
            index: arg for arg, (index, _flt) in (self._filter_args or {}).items()}

    def filter_arg_for(self, key: str) -> str:
        """The URL name of this list's filter on the column ``key`` ("group_id" ->
        "group_equals"); where several filter that column, ``key`` adds the one
        meant as its name ends ("created_at__from"). Raises UnknownFilter, naming
        what there is, when no filter or more than one fits: a link to this list
        never drops its filter silently."""
        column, _sep, ending = key.partition("__")
        fitting = [arg for index, arg in self._start_up_filter_args.items()
                   if _column_key(self._filters[index]) == column
                   and arg.endswith(f"_{ending}" if ending else "")]
        if len(fitting) != 1:
            known = sorted(f"{_column_key(self._filters[index])} ({arg})"
                           for index, arg in self._start_up_filter_args.items())
            raise UnknownFilter(
                f"{type(self).__name__} has {'no' if not fitting else 'more than one'} "
                f"filter for {key!r}; its filters: {', '.join(known) or 'none'}")
        return fitting[0]

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
        # A number past its column's range (an INTEGER id of 3,000,000,000) is
        # refused here, as the filter's value, rather than by PostgreSQL.
        column = getattr(flt, "column", None)
        limit = column_limit(column) if hasattr(column, "type") else BIGINT_MAX
        try:
            return problem(flt.clean(value), limit) is None
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
