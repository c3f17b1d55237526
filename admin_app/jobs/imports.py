"""Imports in the worker: applying and undoing large files chunk by chunk, resuming
jobs whose worker died, and dropping previews nobody applied.

A task commits after every chunk (the service's ``step``), so the progress the
batch page shows and the rows written are never apart. A task delivered twice,
or a resumed one, claims the job first: only one run writes at a time.
"""
from __future__ import annotations

import logging

from sqlalchemy.exc import InterfaceError, OperationalError

from ..database import make_way_for_writers
from ..extensions import db
from ..services import import_jobs, imports, progress
from . import task
from .schedule import daily, every_minute, scheduled

log = logging.getLogger(__name__)


@task()
def apply_import(batch_id: int, job_id: int) -> None:
    run_job(job_id)


@task()
def undo_import(batch_id: int, job_id: int) -> None:
    run_job(job_id)


# The task that runs each kind of import job (started, or resumed).
TASKS = {import_jobs.APPLY: apply_import, import_jobs.UNDO: undo_import}


def run_job(job_id: int) -> None:
    """Claim the job, then chunk after chunk, each committed, to the end."""
    run = import_jobs.begin(job_id)
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
            if not isinstance(error, imports.ImportRefused):
                log.exception("Import job %s failed; it undoes what it did", job_id)
            run.failed(error)
            db.session.commit()
            continue
        if finished:
            return
        make_way_for_writers()


@scheduled("resume_stalled_jobs", every_minute)
def resume_stalled_jobs() -> str:
    """Queue again the jobs whose worker stopped mid-way (killed, the machine
    restarted): each goes on from its last committed chunk."""
    resumed = [job for job in progress.stalled() if progress.kind_of(job) in TASKS]
    for job in resumed:
        TASKS[progress.kind_of(job)](job.subject_id, job.id)
    return f"{len(resumed)} stalled jobs resumed"


@scheduled("import_cleanup", daily)
def drop_stale_previews() -> str:
    dropped = imports.drop_stale_previews()
    db.session.commit()
    return f"{dropped} previews never applied were discarded"
