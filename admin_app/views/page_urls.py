"""Links a page draws many times over, built once: links to one record, as a
list draws them on each of its rows (the URL built once per page, each row's id
put in its place), and links to static files (built once per process). Building
every one with url_for was a fifth of a list page's time."""
from __future__ import annotations

import secrets
from urllib.parse import urlencode

from flask import request, url_for
from flask_admin.model.template import EndpointLinkRowAction
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BuildError

# An id no request can hold (it changes with each start): found in a built URL
# only where the id was put.
_STAND_IN = "row" + secrets.token_hex(8)
_STATIC_URLS: dict[tuple, str] = {}
_STATIC_URLS_KEPT = 1_000  # a few dozen files are linked; more would be a mistake


def url_with_query(endpoint: str, args, **path_values) -> str:
    """``endpoint``'s URL (``path_values``: its path's own, such as an export's
    type) with ``args`` (a MultiDict, or pairs) as its query string, as they came:
    given to url_for, "_anchor", "_external", "_method", "_scheme", "endpoint" or
    "self" among a request's arguments would be taken as its own, or fail."""
    pairs = list(args.items(multi=True)) if isinstance(args, MultiDict) else list(args)
    query = urlencode(pairs)
    return url_for(endpoint, **path_values) + (f"?{query}" if query else "")


def page_url(endpoint: str, **kwargs) -> str:
    """``url_for(endpoint, **kwargs)``, from what was built before where it can be.

    The caches hold what the URL map gives: nothing to clear while a process
    runs (the map is fixed once the app is made)."""
    if (endpoint == "static" or endpoint.endswith(".static")) and "_external" not in kwargs:
        return static_url(endpoint, **kwargs)
    if "id" in kwargs:
        return record_url(endpoint, **kwargs)
    return url_for(endpoint, **kwargs)


def static_url(endpoint: str, **kwargs) -> str:
    """A static file's URL, the same for every request under one application root."""
    # A relative endpoint (".static") names the current view's own static files.
    key = (request.script_root, request.blueprint if endpoint.startswith(".") else None,
           endpoint, _arguments(kwargs))
    try:
        url = _STATIC_URLS.get(key)
    except TypeError:  # an argument that cannot be a key (a list): built as it is
        return url_for(endpoint, **kwargs)
    if url is None:
        url = url_for(endpoint, **kwargs)
        if len(_STATIC_URLS) < _STATIC_URLS_KEPT:
            _STATIC_URLS[key] = url
    return url


def record_url(endpoint: str, **kwargs) -> str:
    """``url_for(endpoint, **kwargs)`` for a record whose ``id`` is a whole number
    (or its digits); built once per request for every id with the same other
    arguments."""
    row_id = str(kwargs.get("id"))  # Flask-Admin gives a row's key as text: "17"
    if not (row_id.isascii() and row_id.isdigit()):
        return url_for(endpoint, **kwargs)
    try:
        key = (endpoint, _arguments({name: value for name, value in kwargs.items()
                                     if name != "id"}))
        parts = _templates().get(key)
    except TypeError:  # an argument that cannot be a key (a list): built as it is
        return url_for(endpoint, **kwargs)
    if parts is None:
        try:
            template = url_for(endpoint, **{**kwargs, "id": _STAND_IN})
        except BuildError:  # a route that takes only a number where the id goes
            template = ""
        parts = _templates()[key] = (template.split(_STAND_IN)
                                     if template.count(_STAND_IN) == 1 else ())
    if not parts:
        return url_for(endpoint, **kwargs)
    return f"{parts[0]}{row_id}{parts[1]}"


def _arguments(kwargs: dict) -> tuple:
    # With each value's type: True and 1 are equal keys but different URLs.
    # In the order given: the URL's query keeps it.
    return tuple((name, type(value).__name__, value) for name, value in kwargs.items())


def _templates() -> dict:
    # Kept in the request's environ: g lives as long as an app context, which may
    # serve several requests (tests, the shell).
    return request.environ.setdefault("backoffice.record_urls", {})


class ReturningRowAction(EndpointLinkRowAction):
    """A row button to a page of the view's own (add balance...) that, once done or
    cancelled, goes back to the list as it was: searched, filtered, sorted, paged."""

    def render(self, context, row_id, row):
        # As Flask-Admin's own, with the list's address (the action is shared by
        # every request: nothing is stored on it).
        link = self._resolve_symbol(context, "row_actions.link")
        get_url = self._resolve_symbol(context, "get_url")
        return link(self, get_url(self.endpoint, **{self.id_arg: row_id,
                                                    "url": context.resolve("return_url")}))
