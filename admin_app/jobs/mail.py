"""Messages to customers, delivered by the worker.

A Notification written "queued" (a new one, or one sent again) is delivered as soon
as its transaction commits, never if it rolls back; every minute ``mail_retry``
delivers the tries that have come due and recovers messages a killed worker left
"sending". The rules are in services/mail_delivery.py.
"""
from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from ..choices import NotificationStatus
from ..extensions import db
from ..models import Notification
from ..services import mail_delivery
from . import after_commit, task
from .schedule import every_minute, scheduled


@task()
def deliver(notification_id: int) -> None:
    mail_delivery.deliver(notification_id, commit=db.session.commit)


@scheduled("mail_retry", every_minute)
def retry_mail() -> str:
    recovered = mail_delivery.recover_in_doubt(commit=db.session.commit)
    sent = mail_delivery.deliver_due(commit=db.session.commit)
    return f"{sent} messages sent, {recovered} found interrupted"


def _written_queued(session: Session):
    """The notifications this flush wrote with the status "queued": new, or changed to it."""
    for row in session.new:
        if isinstance(row, Notification) and row.status == NotificationStatus.QUEUED:
            yield row
    for row in session.dirty:
        if isinstance(row, Notification) and row.status == NotificationStatus.QUEUED \
                and inspect(row).attrs.status.history.has_changes():
            yield row


@event.listens_for(Session, "after_flush")
def _deliver_when_committed(session: Session, flush_context) -> None:
    # What this flush wrote "queued" is delivered when the transaction commits (and
    # never if it rolls back).
    for row in _written_queued(session):
        after_commit(deliver, row.id, session=session)
