"""Whether a worker is running, and when the scheduled jobs last ran, for the
pages whose work waits on it (the outbox, a large import, the home page).

Every worker's scheduler records a run of the every-minute jobs each minute
(jobs/schedule.py), so the newest minute recorded for one of them is when a
worker last looked: no new minute for a few minutes means none is running.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import ScheduledRun, utcnow

HEARTBEAT_JOB = "mail_retry"  # scheduled every minute (jobs/mail.py)
MINUTE_FORMAT = "%Y-%m-%dT%H:%M"  # its periods (schedule.every_minute)
SILENT_AFTER = timedelta(minutes=3)
EXPIRY_JOB = "ledger_expire"


@dataclass(frozen=True)
class WorkerState:
    last_seen: datetime | None  # UTC; None: no worker has ever run here
    silent: bool                # none has looked for SILENT_AFTER (or ever)
    last_expiry: datetime | None  # when the daily credit expiry last finished


def state(now: datetime | None = None) -> WorkerState:
    """Two reads of the schedule's unique (name, period) index."""
    now = now or utcnow()
    minute = db.session.scalar(select(func.max(ScheduledRun.period)).where(
        ScheduledRun.name == HEARTBEAT_JOB))
    last_seen = datetime.strptime(minute, MINUTE_FORMAT) if minute else None
    expiry = db.session.scalar(
        select(ScheduledRun.finished_at).where(ScheduledRun.name == EXPIRY_JOB,
                                               ScheduledRun.finished_at.is_not(None))
        .order_by(ScheduledRun.period.desc()).limit(1))
    silent = last_seen is None or now - last_seen > SILENT_AFTER
    return WorkerState(last_seen=last_seen, silent=silent, last_expiry=expiry)
