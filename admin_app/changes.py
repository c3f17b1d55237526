"""How a page changes data: the service calls in one transaction, committed, or
rolled back with the rule's refusal shown to the user.

    with committed_or_refused() as outcome:
        invoices.void(invoice, actor=current_user)
    if outcome.committed:
        flash(_("Invoice voided."), "success")

A refusal (``DomainError``) is expected: it rolls back, its message is shown and
the page carries on with ``outcome.committed`` False. So does work the database
stopped before it finished (a lock wait or statement timeout, SQLite's busy
writer): the form comes back as sent, to be sent again. Any other error is a bug
or a database failure: it rolls back and goes up to the error handlers.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import flash

from .database import stopped_before_finishing
from .errors import STOPPED_SAVE_MESSAGE
from .extensions import db
from .services.errors import DomainError


@dataclass
class Outcome:
    """What became of the change once the ``with`` block is left."""

    committed: bool = False
    refusal: str | None = None  # the refusal's message, in the user's language


def flash_error(message: str) -> None:
    flash(message, "error")


@contextmanager
def committed_or_refused(show: Callable[[str], None] = flash_error) -> Iterator[Outcome]:
    """Commit what the block did; on a refusal roll back and ``show`` its message
    (an error message at the top of the page unless a form field takes it)."""
    outcome = Outcome()
    try:
        yield outcome
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        if isinstance(error, DomainError):
            # Lazy messages are translated now, in the language of the request.
            outcome.refusal = str(error)
        elif stopped_before_finishing(error):
            outcome.refusal = str(STOPPED_SAVE_MESSAGE)
        else:
            raise
        show(outcome.refusal)
        return
    outcome.committed = True
