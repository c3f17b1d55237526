"""Work outside the request, on Huey: the queue, the worker, and how work is queued.

Views and CLI commands queue a task with ids, never objects (``after_commit``);
the task runs in the worker (``flask --app wsgi worker``), loads what it needs,
calls the same services a view would, and commits. A task may run twice (a
killed worker, a retry): each is written so that a second run changes nothing
the first already did. The queue is Huey's SQLite storage in the instance folder
by default, its Redis storage when ``QUEUE_URL`` is ``redis://...``; the modules
of this package hold the tasks (mail, imports, the schedule).
"""
from __future__ import annotations

import functools
import importlib
import logging
import os
import pkgutil
from typing import Any

from flask import Flask
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db

log = logging.getLogger(__name__)

# One queue for the process; init_app points it at the configured storage. Results
# are not kept: a task's outcome is in the database, where every app server reads it.
queue = Huey("backoffice", results=False, utc=True, storage_class=MemoryStorage)
_app: Flask | None = None

PENDING = "jobs_after_commit"  # the session.info key of tasks waiting for a commit


def _in_app_context(function):
    """``function`` run in an app context of its own, with its own session, as a
    worker thread runs it."""

    @functools.wraps(function)
    def in_app(*args, **kwargs):
        assert _app is not None, "jobs.init_app() was not called"
        with _app.app_context():
            try:
                return function(*args, **kwargs)
            finally:
                db.session.remove()

    return in_app


def task(**options):
    """A Huey task (queued by calling it), run by the worker in its own app context."""
    return lambda function: queue.task(name=function.__name__, **options)(
        _in_app_context(function))


def periodic_task(validate_datetime, **options):
    """A Huey periodic task (every worker's scheduler queues it when
    ``validate_datetime(now)`` says so), in an app context of its own."""
    return lambda function: queue.periodic_task(
        validate_datetime, name=function.__name__, **options)(_in_app_context(function))


def after_commit(queued_task, *args: Any, session: Session | None = None) -> None:
    """Queue ``queued_task(*args)`` when the transaction of ``session`` (the request's
    by default) commits, never if it rolls back: the worker must find the rows the
    task is about."""
    session = session if session is not None else db.session()
    session.connection()  # a transaction is open, so that its rollback is seen
    session.info.setdefault(PENDING, []).append((queued_task, args))


@event.listens_for(Session, "after_commit")
def _queue_after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING, [])
    for done, (queued_task, args) in enumerate(pending):
        try:
            queued_task(*args)
        except Exception:  # noqa: BLE001 - the queue's storage locked or away
            # The change is committed: an error now would tell the user to do it
            # again. The schedule picks the work up (mail_retry, resume_stalled_jobs,
            # the hourly duplicates scan); the rest is not tried, since each try
            # would wait out the storage's timeout (5 s a message).
            log.exception("could not queue %s%r after a commit; %d more tasks left to "
                          "the schedule", getattr(queued_task, "name", queued_task), args,
                          len(pending) - done - 1)
            return


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    session.info.pop(PENDING, None)


def drain() -> int:
    """Run everything queued, due retries and the schedule's due work included, in
    this process, until nothing is left; return how many tasks ran. For tests, and
    for hosts without a long-running worker (run it every minute)."""
    from . import schedule

    schedule.queue_due_work()
    ran = 0
    while True:
        for due in queue.read_schedule():
            queue.enqueue(due)
        queued = queue.dequeue()
        if queued is None:
            return ran
        queue.execute(queued)
        ran += 1


def storage_for(app: Flask):
    """The Huey storage QUEUE_URL names: redis://..., sqlite:///path, or (None)
    queue.db in the instance folder."""
    url = app.config.get("QUEUE_URL")
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage(name=queue.name, url=url)
    if url and url.startswith("sqlite:///"):
        return SqliteStorage(name=queue.name, filename=url[len("sqlite:///"):])
    if url:
        raise ValueError(f"QUEUE_URL must be redis://... or sqlite:///...: {url!r}")
    return SqliteStorage(name=queue.name, filename=os.path.join(app.instance_path, "queue.db"))


def init_app(app: Flask) -> None:
    global _app
    _app = app
    queue.storage = storage_for(app)
    # Every module of this package holds tasks or scheduled jobs: import them all, so
    # that a new one is registered without a line to add here.
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
