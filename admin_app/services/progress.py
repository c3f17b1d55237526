"""Long work done by the worker for a person, and where it stands: a ``Job`` row.

A request starts a job (``start``) and queues its task; the task ``claim``s it,
does its work in chunks, each committed with ``advance`` (so the progress a
person sees and the work done are never apart, and a resumed run knows where to
go on), and ends it with ``finish``. A worker killed mid-way leaves its job
running with an old heartbeat: ``stalled`` finds it, and claiming it again starts
a new run (``attempts`` counts them) from the last committed chunk. Each chunk
begins with ``hold``, which a run that is no longer the job's own fails, so two
runs never both write. Whatever the job is about (an import batch...) is its
subject; ``figures`` are what a progress bar shows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update

from ..choices import JobStatus
from ..database import lock_row
from ..extensions import db
from ..i18n import duration, locale, number, percent
from ..models import AdminUser, Job, utcnow

ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
# A job's kind while it undoes what it had done (its status stays "running").
ROLLBACK_SUFFIX = "_rollback"
# The kinds the worker resumes when their run dies (filled by jobs/long_jobs.py).
RESUMABLE_KINDS: set[str] = set()


def start(kind: str, subject: Any, total: int, created_by: AdminUser | None) -> Job:
    """A new job about ``subject`` (a saved record, or None for work on a whole
    table), waiting for the worker."""
    job = Job(kind=kind, subject_type=type(subject).__name__ if subject is not None else None,
              subject_id=subject.id if subject is not None else None, total=total, done=0,
              attempts=0, status=JobStatus.QUEUED, created_by=created_by)
    db.session.add(job)
    db.session.flush()
    return job


def claim(job_id: int, now: datetime | None = None) -> Job | None:
    """Take the job for a new run, if it waits or its last run stalled; None when
    it is done, or another run is at it. One statement decides it, so that two
    workers given the same job cannot both take it. The caller commits."""
    now = now or utcnow()
    taken = _changed_rows(db.session.execute(
        update(Job).where(Job.id == job_id, or_(
            Job.status == JobStatus.QUEUED,
            and_(Job.status == JobStatus.RUNNING, _stalled_since(now))))
        .values(status=JobStatus.RUNNING, attempts=Job.attempts + 1, heartbeat_at=now,
                started_at=db.func.coalesce(Job.started_at, now))
        .execution_options(synchronize_session=False)))
    if taken != 1:
        return None
    return db.session.get(Job, job_id, populate_existing=True)


def _changed_rows(result: Any) -> int:
    return result.rowcount  # an UPDATE's result (a CursorResult) counts its rows


def hold(job_id: int, attempt: int) -> Job | None:
    """At the start of a chunk: the job, locked until the chunk commits, while run
    number ``attempt`` is still its own; None when the job ended or a later run
    took it over (this run must stop)."""
    job = lock_row(Job, job_id)
    if job is None or job.status != JobStatus.RUNNING or job.attempts != attempt:
        return None
    return job


def advance(job: Job, done: int, now: datetime | None = None) -> None:
    """Record ``done`` units of work, in the transaction that did them."""
    job.done = done
    job.heartbeat_at = now or utcnow()


def roll_back(job: Job, total: int, reason: Any) -> None:
    """The job failed and now undoes the ``total`` units it had done; ``reason``
    (a text, translated when shown) is what it will say at the end."""
    if not job.kind.endswith(ROLLBACK_SUFFIX):
        job.kind += ROLLBACK_SUFFIX
    job.total, job.done = total, 0
    job.started_at = job.heartbeat_at = utcnow()
    job.outcome = in_each_language(reason)


def rolling_back(job: Job) -> bool:
    return job.kind.endswith(ROLLBACK_SUFFIX)


def kind_of(job: Job) -> str:
    """The work the job was started for, whether it is doing or undoing it."""
    return job.kind.removesuffix(ROLLBACK_SUFFIX)


def finish(job: Job, status: str, outcome: Any = None) -> None:
    """The end: ``status`` (done, failed, rolled back) and what the person is told
    (a text translated when shown; None keeps what ``roll_back`` said)."""
    job.status = status
    if outcome is not None:
        job.outcome = in_each_language(outcome)
    job.finished_at = job.heartbeat_at = utcnow()


def stalled(now: datetime | None = None) -> list[Job]:
    """Running jobs silent for more than JOB_STALL_SECONDS (their worker died), and
    waiting ones nobody took for as long (their task was lost with a queue)."""
    now = now or utcnow()
    return list(db.session.scalars(select(Job).where(or_(
        and_(Job.status == JobStatus.RUNNING, _stalled_since(now)),
        and_(Job.status == JobStatus.QUEUED, Job.created_at < _stall_cutoff(now))))
        .order_by(Job.id)))


def _stall_cutoff(now: datetime) -> datetime:
    """A run silent since before this is taken to be dead (JOB_STALL_SECONDS)."""
    return now - timedelta(seconds=current_app.config["JOB_STALL_SECONDS"])


def _stalled_since(now: datetime):
    return or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < _stall_cutoff(now))


def latest(subject: Any) -> Job | None:
    """The subject's most recent job, running or not."""
    return db.session.scalar(
        select(Job).where(Job.subject_type == type(subject).__name__,
                          Job.subject_id == subject.id)
        .order_by(Job.id.desc()).limit(1))


def is_active(job: Job | None) -> bool:
    """Whether the job waits or runs."""
    return job is not None and job.status in ACTIVE


def active(subject: Any) -> Job | None:
    """The subject's job that waits or runs, if any."""
    job = latest(subject)
    return job if is_active(job) else None


def active_for(subjects: list[Any]) -> dict[int, Job]:
    """The jobs that wait or run for these subjects (of one kind), by subject id: one
    query for a list of them."""
    if not subjects:
        return {}
    jobs = db.session.scalars(select(Job).where(
        Job.subject_type == type(subjects[0]).__name__,
        Job.subject_id.in_([subject.id for subject in subjects]),
        Job.status.in_(ACTIVE)).order_by(Job.id))
    return {job.subject_id: job for job in jobs if job.subject_id is not None}  # newest wins


# -- what a person sees -----------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    status: str
    status_label: str
    done: int
    total: int
    percent: int
    elapsed: timedelta
    eta: timedelta | None     # None until a rate is known, and once finished
    finished: bool
    resumed: bool             # a run was interrupted and a later one went on
    outcome: str | None

    def as_json(self) -> dict:
        """For the progress bar's script: numbers, and texts in the reader's language."""
        return {"status": self.status, "status_label": self.status_label,
                "done": self.done, "total": self.total, "percent": self.percent,
                "percent_text": percent(self.percent),
                "counts": _("%(done)s of %(total)s", done=number(self.done),
                            total=number(self.total)),
                "elapsed": duration(self.elapsed),
                "eta": duration(self.eta) if self.eta is not None else None,
                "finished": self.finished, "resumed": self.resumed, "outcome": self.outcome}


def figures(job: Job, now: datetime | None = None) -> Figures:
    now = now or utcnow()
    finished = not is_active(job)
    started = job.started_at or job.created_at
    end = job.finished_at if finished and job.finished_at else now
    elapsed = max(end - started, timedelta(0)) if job.started_at else timedelta(0)
    total = max(job.total, 0)
    done = min(job.done, total) if total else job.done
    percent = 100 if finished and job.status == JobStatus.DONE else \
        (done * 100 // total if total else 0)
    eta = None
    if not finished and 0 < done < total and elapsed > timedelta(0) and not _silent(job, now):
        eta = elapsed * (total - done) / done
    return Figures(status=job.status, status_label=status_label(job, now), done=done,
                   total=total,
                   percent=percent, elapsed=elapsed, eta=eta, finished=finished,
                   resumed=job.attempts > 1, outcome=outcome(job))


def status_label(job: Job, now: datetime | None = None) -> str:
    if job.status == JobStatus.RUNNING:
        if _silent(job, now or utcnow()):
            if kind_of(job) in RESUMABLE_KINDS:
                return _("Interrupted: it will go on by itself shortly")
            return _("Interrupted")
        if rolling_back(job):
            return _("Rolling back")
    return JobStatus.label(job.status)


def _silent(job: Job, now: datetime) -> bool:
    """A running job whose worker has said nothing for JOB_STALL_SECONDS (it died)."""
    return job.heartbeat_at is not None and job.heartbeat_at < _stall_cutoff(now)


def outcome(job: Job) -> str | None:
    """What the job says, in the reader's language."""
    if not job.outcome:
        return None
    try:
        texts = json.loads(job.outcome)
    except ValueError:
        return job.outcome  # written as plain text
    if not isinstance(texts, dict):
        return job.outcome
    language = locale().language if has_app_context() else "en"
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), None)


def in_each_language(text: Any) -> str:
    """A lazy text rendered in each of the app's languages, kept as JSON: the
    worker has no reader, and whoever looks later reads it in their own."""
    rendered = {}
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            rendered[language] = str(text)
    return json.dumps(rendered, ensure_ascii=False)
