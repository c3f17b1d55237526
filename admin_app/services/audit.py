"""The audit trail: every change to a record, and every sign-in, export, import,
share link and refusal, written in the same transaction as what it records.

Changes made through the ORM are caught once, here, after each flush (so a new
view or service is audited without anyone remembering to); work done with bulk
statements (imports, group moves) calls ``record`` itself.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import g, has_app_context, has_request_context, request
from flask_login import current_user
from sqlalchemy import Column, event, inspect
from sqlalchemy.orm import Session, scoped_session

from ..choices import AuditAction
from ..extensions import db
from ..models import (
    AdminUser,
    AuditEvent,
    ConsentChange,
    DashboardSnapshot,
    DuplicateGroup,
    DuplicateMember,
    DuplicateScan,
    ImportBatch,
    ImportChange,
    Job,
    Notification,
    ScheduledRun,
    utcnow,
)
from . import bulk_rows

# Rows whose story is told elsewhere: the audit itself, an import's own
# bookkeeping (the import is one event), the outbox of messages, and the
# dashboard's figures (derived from the audited rows, recomputed every few minutes).
# Bookkeeping of the app's own work (jobs, scheduled runs, the outbox's delivery
# state): what matters of it is audited where a person asked for it.
# Consent changes repeat the customer's audited opt-in with its source; duplicate
# groups are a scan's findings, replaced at every scan.
NOT_AUDITED = (AuditEvent, DashboardSnapshot, ImportBatch, ImportChange, Notification, Job,
               ScheduledRun, ConsentChange, DuplicateScan, DuplicateGroup, DuplicateMember)
# Fields that change on every save or carry secrets: never copied into the trail.
IGNORED_FIELDS = {"updated_at", "sort_name", "search_text", "email_key", "password_hash",
                  "last_login_at", "content", "session_version", "password_reset_nonce"}
# The app's own bookkeeping, which no one reads as part of a record: never shown
# in a History or the audit log (nor kept in new events).
INTERNAL_FIELDS = {"sort_name", "search_text", "email_key", "password_hash", "idempotency_key",
                   "password_reset_nonce"}
INTERNAL_SUFFIXES = ("_digits", "_hash", "_token")


def is_internal(field: str) -> bool:
    """Keys, search copies and hashes: e.g. a submission key, a phone's digits."""
    return field in INTERNAL_FIELDS or field.endswith(INTERNAL_SUFFIXES)


SECRET = "••••"
# Rows go in through the table, not the ORM: many at once stay cheap (an import
# of 100,000 customers writes 100,000 events).
AUDIT_TABLE = AuditEvent.__table__


@contextmanager
def acting_for(user: AdminUser | None) -> Iterator[None]:
    """Within: events name ``user``, for work the worker does on their behalf
    (an import they applied runs as a job, outside their request)."""
    previous = g.get("audit_actor")
    g.audit_actor = (user.id, user.email, None) if user is not None else (None, None, None)
    try:
        yield
    finally:
        g.audit_actor = previous


def actor() -> tuple[int | None, str | None, str | None]:
    if has_app_context() and g.get("audit_actor") is not None:
        return g.audit_actor
    if not has_request_context():
        return None, None, None  # the command line, a scheduled job
    user = current_user if current_user and current_user.is_authenticated else None
    return (user.id if user else None, user.email if user else None, request.remote_addr)


def plain(value: Any) -> Any:
    """A value as JSON keeps it: dates as ISO text, exact decimals as text."""
    if value is None or type(value) in (str, int, bool):  # most values: as they are
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def event_row(action: str, *, object_type: str | None = None, object_id: Any = None,
              summary: str | None = None, changes: dict | None = None,
              user: tuple | None = None) -> dict:
    user_id, email, ip = user or actor()
    return {"at": utcnow(), "user_id": user_id, "user_email": email, "ip": ip,
            "action": action, "object_type": object_type,
            "object_id": None if object_id is None else str(object_id),
            "summary": summary, "changes": changes}


# An export's summary, as stored (searchable in the audit log, in any language)
# and read back to be shown in the reader's (views/audit.py).
EXPORT_SUMMARY = "{kind}, {rows} rows, {query}"
_EXPORT_SUMMARY = re.compile(r"^(?P<kind>\w+), (?P<rows>\d+) rows, (?P<query>.*)$", re.DOTALL)


def export_summary(kind: str, rows: int, query: str) -> str:
    """What an export event keeps: its file kind, its row count, the list's query."""
    return EXPORT_SUMMARY.format(kind=kind, rows=rows, query=query[:300])


def read_export_summary(summary: str | None) -> tuple[str, int, str] | None:
    """(file kind, rows, query) of a summary ``export_summary`` wrote; else None."""
    found = _EXPORT_SUMMARY.match(summary or "")
    return (found["kind"], int(found["rows"]), found["query"]) if found else None


def record(session: Session | scoped_session, action: str, **fields) -> None:
    """Add one event to the session's transaction (it commits with the change)."""
    session.execute(AUDIT_TABLE.insert(), [event_row(action, **fields)])


def record_updates(object_type: str, changed: dict[Any, dict],
                   action: str = AuditAction.UPDATE) -> None:
    """One event per record a bulk statement changed: {id: {field: (before, after)}}
    (created records have no before, deleted ones no after), written in bulk
    (bulk_rows: an import writes a hundred thousand at once)."""
    shared = _statement_event(action, object_type)
    rows = ({"object_id": str(record_id),
             "changes": {k: [plain(b), plain(a)] for k, (b, a) in changes.items()}}
            for record_id, changes in changed.items())
    bulk_rows.insert_rows(AUDIT_TABLE, rows, shared=shared)


def record_values(object_type: str, values: dict[Any, dict], action: str) -> None:
    """One event per record created (``AuditAction.CREATE``) or deleted in bulk,
    with its values: {id: {field: value}}, the values already as JSON keeps them
    (what ``plain`` gives: an import's stored values are)."""
    shared = _statement_event(action, object_type)
    # Made while they are written (bulk_rows): PostgreSQL stores each meanwhile.
    if action == AuditAction.CREATE:
        rows = ({"object_id": str(record_id), "changes": {k: [None, v] for k, v in fields.items()}}
                for record_id, fields in values.items())
    else:
        rows = ({"object_id": str(record_id), "changes": {k: [v, None] for k, v in fields.items()}}
                for record_id, fields in values.items())
    bulk_rows.insert_rows(AUDIT_TABLE, rows, shared=shared)


def _statement_event(action: str, object_type: str) -> dict:
    """What the events of one bulk statement share: one actor and one time, worked
    out once."""
    shared = event_row(action, object_type=object_type)
    del shared["object_id"], shared["changes"]
    return shared


def record_for(user, action: str, *, email: str | None = None, **fields) -> None:
    """An event about a sign-in attempt: the account if it exists, else the email typed."""
    ip = request.remote_addr if has_request_context() else None
    who = (user.id, user.email, ip) if user is not None else (None, email, ip)
    db.session.execute(AUDIT_TABLE.insert(), [event_row(action, user=who, **fields)])


def _changes(obj, *, created: bool = False, deleted: bool = False) -> dict:
    """field -> [before, after] for the stored columns that changed (every set one
    on create or delete). Only values already in memory are read: a flush must
    not load anything."""
    state = inspect(obj)
    found = {}
    for attr in state.mapper.column_attrs:
        column = attr.columns[0]
        if not isinstance(column, Column) or column.primary_key:
            continue  # computed figures (column_property) are not stored fields
        key = attr.key
        if created or deleted:
            value = state.dict.get(key)
            if value is not None and key not in IGNORED_FIELDS and not is_internal(key):
                found[key] = [None, plain(value)] if created else [plain(value), None]
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        if key == "password_hash":
            found["password"] = [SECRET, SECRET]  # that it changed, never what to
        elif key not in IGNORED_FIELDS and not is_internal(key):
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if before != after:
                found[key] = [plain(before), plain(after)]
    return found


def _summary(obj) -> str | None:
    """The record as people name it; never a reason to fail the change itself."""
    try:
        return str(obj)[:200]
    except Exception:  # noqa: BLE001 - e.g. a __str__ that needs an unloaded relation
        return None


def _audited(obj) -> bool:
    return not isinstance(obj, NOT_AUDITED)


def _after_flush(session: Session, flush_context) -> None:
    rows = []
    user = actor()
    for obj in session.new:
        if _audited(obj):
            rows.append(event_row(AuditAction.CREATE, object_type=type(obj).__name__,
                                  object_id=obj.id, summary=_summary(obj),
                                  changes=_changes(obj, created=True), user=user))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            changes = _changes(obj)
            if changes:
                rows.append(event_row(AuditAction.UPDATE, object_type=type(obj).__name__,
                                      object_id=obj.id, summary=_summary(obj),
                                      changes=changes, user=user))
    for obj in session.deleted:
        if _audited(obj):
            rows.append(event_row(AuditAction.DELETE, object_type=type(obj).__name__,
                                  object_id=obj.id, summary=_summary(obj),
                                  changes=_changes(obj, deleted=True), user=user))
    if rows:
        session.connection().execute(AUDIT_TABLE.insert(), rows)


def init_app() -> None:
    """Audit every ORM session's flushes (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def history(object_type: str, object_id: Any, limit: int = 20) -> list[AuditEvent]:
    """The latest events about one record, newest first: its details page's History."""
    return list(db.session.scalars(
        db.select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
        .order_by(AuditEvent.id.desc()).limit(limit)))


def last_known_name(object_type: str, object_id: Any) -> str | None:
    """What a record was called the last time the trail saw it (a deleted group's
    name), through the trail's (object_type, object_id, id) index."""
    return db.session.scalar(
        db.select(AuditEvent.summary)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id),
               AuditEvent.summary.is_not(None))
        .order_by(AuditEvent.id.desc()).limit(1))


def object_type_choices(name_of: Callable[[str], str]) -> list[tuple[str, str]]:
    """The kinds of record the trail names, as (kind, ``name_of(kind)``) in the
    order of their names: the audit log's "Object type" filter."""
    kinds = db.session.scalars(db.select(AuditEvent.object_type).distinct()
                               .where(AuditEvent.object_type.is_not(None)))
    return sorted(((kind, name_of(kind)) for kind in kinds), key=lambda choice: choice[1])


def user_choices() -> list[tuple[int, str]]:
    """Every admin user as (id, email), by email: the audit log's "User" filter."""
    return [(user.id, user.email) for user in
            db.session.scalars(db.select(AdminUser).order_by(AdminUser.email))]
