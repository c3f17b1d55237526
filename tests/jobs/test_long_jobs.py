"""Any kind of long job, not only imports: registered with @long_job, run chunk by
chunk by one task, resumed by the schedule from its last committed chunk when its
worker died, and said to be interrupted (without a promise) when nothing resumes it."""
from __future__ import annotations

from datetime import timedelta

import pytest

from admin_app.choices import JobStatus
from admin_app.extensions import db
from admin_app.jobs import long_jobs
from admin_app.models import Job, utcnow
from admin_app.services import progress

KIND = "count_to_five"
chunks_done: list[int] = []


class CountRun:
    """Five chunks, each noted (a chunk the job commits twice would show twice)."""

    def __init__(self, job: Job):
        self.job_id, self.attempt = job.id, job.attempts

    def step(self) -> bool:
        job = progress.hold(self.job_id, self.attempt)
        if job is None:
            return True
        chunks_done.append(job.done + 1)
        progress.advance(job, job.done + 1)
        if job.done == job.total:
            progress.finish(job, JobStatus.DONE, "Counted")
            return True
        return False

    def failed(self, error):  # pragma: no cover - this job never fails
        raise error


def begin(job_id: int) -> CountRun | None:
    job = progress.claim(job_id)
    return CountRun(job) if job is not None else None


@pytest.fixture
def count_job(monkeypatch):
    monkeypatch.setitem(long_jobs.BEGIN, KIND, begin)
    monkeypatch.setattr(progress, "RESUMABLE_KINDS", progress.RESUMABLE_KINDS | {KIND})
    chunks_done.clear()
    job = progress.start(KIND, None, 5, None)  # about no one record: the whole table
    return job


def test_a_long_job_of_any_kind_runs_to_its_end_in_the_worker(count_job, drain):
    long_jobs.queue(count_job)
    drain()
    job = db.session.get(Job, count_job.id)
    assert (job.status, job.done, chunks_done) == (JobStatus.DONE, 5, [1, 2, 3, 4, 5])


def test_a_job_whose_worker_died_is_resumed_where_it_stopped(app, count_job, drain):
    run = begin(count_job.id)   # a worker took it, did two chunks, then was killed
    run.step()
    db.session.commit()
    run.step()
    db.session.commit()
    silent_since = utcnow() - timedelta(seconds=app.config["JOB_STALL_SECONDS"] + 1)
    db.session.get(Job, count_job.id).heartbeat_at = silent_since
    db.session.commit()
    job = db.session.get(Job, count_job.id)
    assert progress.status_label(job) == "Interrupted: it will go on by itself shortly"

    drain()  # the schedule's resume_stalled_jobs
    job = db.session.get(Job, count_job.id)
    assert (job.status, job.attempts, chunks_done) == (JobStatus.DONE, 2, [1, 2, 3, 4, 5])


def test_a_kind_nothing_resumes_makes_no_promise(app, monkeypatch):
    job = progress.start("unregistered", None, 5, None)
    job.status, job.heartbeat_at = JobStatus.RUNNING, utcnow() - timedelta(days=1)
    assert progress.status_label(job) == "Interrupted"


def test_a_job_of_an_unregistered_kind_is_refused_at_once():
    job = progress.start("unregistered", None, 5, None)
    with pytest.raises(AssertionError, match="no @long_job"):
        long_jobs.queue(job)
