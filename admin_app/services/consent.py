"""The consent log: every change of a customer's marketing opt-in, with when, where
from and who, recorded in the same transaction as the change.

Changes made through the ORM are caught here after each flush, so a form, a merge
or an erasure needs only to say where the change comes from (``changes_from``);
work that writes customers with bulk statements (imports) calls ``record_bulk``.
The opt-in column stays the current state: filters and exports read it.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from flask import g, has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from ..choices import ConsentSource
from ..extensions import db
from ..models import ConsentChange, Customer, utcnow
from . import audit, bulk_rows

CONSENT_TABLE = ConsentChange.__table__


@contextmanager
def changes_from(source: str) -> Iterator[None]:
    """Within: opt-in changes are recorded as coming from ``source`` (a ConsentSource)."""
    previous = g.get("consent_source")
    g.consent_source = source
    try:
        yield
    finally:
        g.consent_source = previous


def current_source() -> str:
    """Where a change made now comes from: a person's form unless said otherwise."""
    return (g.get("consent_source") if has_app_context() else None) or ConsentSource.FORM


def _actor_id() -> int | None:
    return audit.actor()[0]


def record_bulk(changes: Iterable[tuple[int, bool]], source: str) -> None:
    """Record opt-in changes written with bulk statements: (customer id, opted in)."""
    rows = [{"customer_id": customer_id, "opted_in": bool(opted_in)}
            for customer_id, opted_in in changes]
    if rows:  # in bulk: an import of 100,000 customers may opt in as many
        bulk_rows.insert_rows(CONSENT_TABLE, rows, shared={
            "source": source, "actor_id": _actor_id(), "at": utcnow()})


def history(customer: Customer, limit: int | None = None) -> list[ConsentChange]:
    """The customer's consent changes, newest first."""
    query = (select(ConsentChange).where(ConsentChange.customer_id == customer.id)
             .order_by(ConsentChange.at.desc(), ConsentChange.id.desc()))
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def _opt_in_changes(session: Session) -> list[tuple[int, bool]]:
    found = []
    for record in session.new:
        if isinstance(record, Customer) and record.marketing_opt_in:
            found.append((record.id, True))
    for record in session.dirty:
        if not isinstance(record, Customer):
            continue
        before: list = list(inspect(record).attrs.marketing_opt_in.history.deleted or ())
        if before and bool(before[0]) != bool(record.marketing_opt_in):
            found.append((record.id, bool(record.marketing_opt_in)))
    return found


@event.listens_for(Customer.marketing_opt_in, "set", active_history=True)
def _keep_value_before(target, value, oldvalue, initiator) -> None:
    # Registered for its active_history: setting the opt-in on a customer not yet
    # read (expired by a commit) loads the value before, so the change is seen.
    return None


@event.listens_for(Session, "after_flush")
def _record_opt_in_changes(session: Session, flush_context) -> None:
    changes = _opt_in_changes(session)
    if changes:
        actor_id, now, source = _actor_id(), utcnow(), current_source()
        session.execute(CONSENT_TABLE.insert(), [
            {"customer_id": customer_id, "opted_in": opted_in, "source": source,
             "actor_id": actor_id, "at": now} for customer_id, opted_in in changes])
