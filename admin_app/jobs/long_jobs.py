"""Long work with a progress bar, for any kind of job: one task runs it chunk by
chunk, and the schedule resumes it when its worker died.

A kind of job registers the service function that begins a run of it
(``@long_job(kind)`` on ``begin(job_id) -> Run | None``, None when the job is
done or another run holds it). A run's ``step()`` does one chunk and says whether
it was the last; ``failed(error)`` makes the job undo what it did. Each chunk is
committed with the job's progress (services/progress.py), so a resumed run goes on
from the last committed chunk.

To add one: a service with ``begin`` and its ``Run`` (see services/import_jobs.py),
``progress.start(kind, ...)`` where a person asks for it, ``queue(job)`` after it,
``long_job(kind)(begin)`` in a module of this package, and the progress partial
(templates/admin/_job_progress.html) on the page that shows it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError

from ..database import make_way_for_writers
from ..extensions import db
from ..models import Job
from ..services import progress
from ..services.errors import DomainError
from . import after_commit, task
from .schedule import every_minute, scheduled

log = logging.getLogger(__name__)

# kind -> the service function that begins a run of a job of that kind.
BEGIN: dict[str, Callable[[int], Any]] = {}


def long_job(*kinds: str):
    """Register ``begin(job_id)`` as how jobs of these kinds run (and resume)."""

    def register(begin: Callable[[int], Any]) -> Callable[[int], Any]:
        for kind in kinds:
            BEGIN[kind] = begin
            progress.RESUMABLE_KINDS.add(kind)
        return begin

    return register


def queue(job: Job) -> None:
    """Run the job in the worker once the caller's transaction commits."""
    assert job.kind in BEGIN, f"no @long_job registered for {job.kind!r}"
    after_commit(run_long_job, job.id)


@task()
def run_long_job(job_id: int) -> None:
    """Claim the job, then chunk after chunk, each committed, to the end."""
    job = db.session.get(Job, job_id)
    if job is None:
        return
    run = BEGIN[progress.kind_of(job)](job_id)
    db.session.commit()
    while run is not None:
        try:
            finished = run.step()
            db.session.commit()
        except (OperationalError, InterfaceError):
            # The database went away (or stayed locked): the job stalls, and the
            # schedule resumes it from its last committed chunk.
            db.session.rollback()
            raise
        except Exception as error:  # noqa: BLE001 - a refusal, or a bug: the job undoes itself
            db.session.rollback()
            if not isinstance(error, DomainError):
                log.exception("Job %s failed; it undoes what it did", job_id)
            run.failed(error)
            db.session.commit()
            continue
        if finished:
            return
        make_way_for_writers()


@scheduled("resume_stalled_jobs", every_minute)
def resume_stalled_jobs() -> str:
    """Queue again the jobs whose worker stopped mid-way (killed, the machine
    restarted), or whose task was lost: each goes on from its last committed chunk."""
    resumed = [job for job in progress.stalled() if progress.kind_of(job) in BEGIN]
    for job in resumed:
        run_long_job(job.id)
    return f"{len(resumed)} stalled jobs resumed"
