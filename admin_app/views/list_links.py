"""Links to a list filtered by a column's value ("this customer's orders"), built
from the list's own filters rather than written by hand as ``flt0_…`` names.

    filtered_list_url("orders", customer_id=customer.id)

In Python and in templates alike. A list whose filter is renamed keeps working (the
filter is found by its column); one whose filter is removed makes the link fail
with UnknownFilter, never show every record as if filtered.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, url_for

from .filter_args import UnknownFilter


def registered_view(endpoint: str) -> Any:
    """The app's admin view at ``endpoint`` ("orders")."""
    for admin in current_app.extensions.get("admin", ()):
        for view in admin._views:
            if view.endpoint == endpoint:
                return view
    raise UnknownFilter(f"no admin view is registered as {endpoint!r}")


def filtered_list_url(endpoint: str, **values: Any) -> str:
    """The list at ``endpoint`` filtered by each column = value, in the order given;
    see ``FilterArgs.filter_arg_for`` for how a column names its filter."""
    view = registered_view(endpoint)
    args = {f"flt{position}_{view.filter_arg_for(key)}": value
            for position, (key, value) in enumerate(values.items())}
    return url_for(f"{endpoint}.index_view", **args)
