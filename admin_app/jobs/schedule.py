"""Scheduled work: what the worker does by the clock, once per period.

Every worker's scheduler runs ``check_schedule`` each minute; it queues each job
whose period has begun and has not run yet. A job's run in a period is a row of
``scheduled_runs`` with a unique (name, period): the first worker to insert it
runs the job, every other worker (on any machine) finds it there and does
nothing. A run that fails gives its period back, so the next minute tries again.
Each job catches up on its own (expiry expires everything past due), so a
period missed while no worker ran is made good by the next one.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from huey import crontab
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import ScheduledRun, utcnow
from . import periodic_task, task

log = logging.getLogger(__name__)

RUNS_KEPT = timedelta(days=30)  # how long the record of each run is kept


@dataclass(frozen=True)
class Scheduled:
    name: str
    period: Callable[[datetime], str]  # the period a UTC moment falls in
    run: Callable[[], str]  # does the work, says what it did; may raise


def daily_at_expiry_hour(now: datetime) -> str:
    """The local day whose EXPIRY_HOUR has passed most recently (before that hour,
    the day before): a new period begins every day at that hour, local time."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    local = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    day = local.date() if local.hour >= current_app.config["EXPIRY_HOUR"] else \
        local.date() - timedelta(days=1)
    return day.isoformat()


def every_half_dashboard_max_age(now: datetime) -> str:
    """Periods of half DASHBOARD_MAX_AGE (a minute at least): a run lands within a
    minute of its period's start, so the figures never grow too old for a visit and
    no visitor waits while they are recomputed."""
    seconds = max(60, int(current_app.config["DASHBOARD_MAX_AGE"]) // 2)
    return str(int(now.timestamp()) // seconds)


def daily(now: datetime) -> str:
    return now.date().isoformat()


def every_minute(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M")


SCHEDULE: list[Scheduled] = []


def scheduled(name: str, period: Callable[[datetime], str]):
    """Add the decorated function to the schedule."""

    def decorator(function: Callable[[], str]) -> Callable[[], str]:
        SCHEDULE.append(Scheduled(name, period, function))
        return function

    return decorator


def by_name(name: str) -> Scheduled:
    return next(item for item in SCHEDULE if item.name == name)


def queue_due_work(now: datetime | None = None) -> list[str]:
    """Queue every scheduled job whose current period has no run yet, or a run
    queued so long ago that it must have been lost; return their names."""
    now = now or utcnow()
    queued = []
    for item in SCHEDULE:
        period = item.period(now)
        if _claim(item.name, period, now):
            run_scheduled(item.name, period)
            queued.append(item.name)
    return queued


def _claim(name: str, period: str, now: datetime) -> bool:
    """True for the one caller that is to queue this period's run: the first to
    record it, or, when a recorded run never finished within SCHEDULED_RUN_LOST
    seconds (its task went with a killed worker or a flushed queue), the first to
    take it over. Each decision is one statement, so two workers never both win."""
    run = db.session.scalar(select(ScheduledRun).where(
        ScheduledRun.name == name, ScheduledRun.period == period))
    if run is None:
        db.session.add(ScheduledRun(name=name, period=period, started_at=now))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return False
        return True
    lost_before = now - timedelta(seconds=current_app.config["SCHEDULED_RUN_LOST"])
    if run.finished_at is not None or run.started_at >= lost_before:
        db.session.rollback()
        return False
    taken = db.session.execute(
        update(ScheduledRun).where(ScheduledRun.id == run.id, ScheduledRun.finished_at.is_(None),
                                   ScheduledRun.started_at == run.started_at)
        .values(started_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if taken:
        log.warning("Scheduled job %s for %s never finished: queued again", name, period)
    return bool(taken)


@periodic_task(crontab(minute="*"))
def check_schedule() -> None:
    queue_due_work()


@task()
def run_scheduled(name: str, period: str) -> None:
    row = db.session.query(ScheduledRun).filter_by(name=name, period=period).one_or_none()
    if row is None or row.finished_at is not None:
        return  # done already (a second delivery of this task)
    try:
        outcome = by_name(name).run()
    except Exception:
        db.session.rollback()
        log.exception("Scheduled job %s failed; its period %s is tried again", name, period)
        db.session.execute(delete(ScheduledRun).where(
            ScheduledRun.name == name, ScheduledRun.period == period))
        db.session.commit()
        raise
    row = db.session.query(ScheduledRun).filter_by(name=name, period=period).one()
    row.finished_at = utcnow()
    row.outcome = outcome
    db.session.commit()


@scheduled("forget_old_runs", daily)
def forget_old_runs() -> str:
    """Keep the record of scheduled runs for RUNS_KEPT."""
    removed = db.session.execute(delete(ScheduledRun).where(
        ScheduledRun.started_at < utcnow() - RUNS_KEPT)).rowcount
    db.session.commit()
    return f"{removed} old runs forgotten"


@scheduled("ledger_expire", daily_at_expiry_hour)
def expire_credit() -> str:
    from ..services import ledger

    wallets, total = ledger.expire_all(commit=db.session.commit)
    return f"expired credit in {wallets} wallets, {total} minor units"


@scheduled("dashboard_refresh", every_half_dashboard_max_age)
def refresh_dashboard() -> str:
    from ..services import dashboard

    row = dashboard.snapshot(refresh=True)
    return f"figures for {row.figures['customers']} customers"
