"""Deleting several records as one change: every one of them, or none."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..extensions import db
from .errors import DomainError


def delete_all_or_none(records: Iterable[Any], check: Callable[[Any], None]) -> list[str]:
    """Delete each record that ``check`` (a view's rule, raising DomainError) lets go.

    Returns the refusals' messages, one per refused record: when there are any,
    the caller rolls back and nothing is deleted. Every record is checked, so
    the answer names all of them at once. No commit.
    """
    refusals = []
    for record in records:
        try:
            check(record)
        except DomainError as error:
            refusals.append(str(error))
            continue
        db.session.delete(record)
    if not refusals:
        db.session.flush()  # a database rule (a foreign key) refuses here, before the commit
    return refusals
