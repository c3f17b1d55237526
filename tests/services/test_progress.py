"""The progress of long work (services/progress.py): one run owns a job at a time,
a stalled job is taken over, and the figures a progress bar shows."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from admin_app.choices import JobStatus, Role
from admin_app.extensions import db
from admin_app.models import CustomerGroup, Job, utcnow
from admin_app.services import progress


@pytest.fixture
def subject(make):
    return make.group("Subject of the job")


@pytest.fixture
def job(subject, users):
    job = progress.start("import_apply", subject, 4_000, users[Role.MANAGER])
    db.session.commit()
    return job


def test_a_new_job_waits_for_the_worker_and_is_the_subjects_latest(job, subject):
    assert (job.status, job.done, job.total, job.attempts) == (JobStatus.QUEUED, 0, 4_000, 0)
    assert progress.latest(subject) == job and progress.active(subject) == job
    figures = progress.figures(job)
    assert (figures.status_label, figures.percent, figures.eta, figures.finished) == \
        ("Waiting", 0, None, False)


def test_only_one_run_claims_a_job(job):
    first = progress.claim(job.id)
    db.session.commit()
    assert first is not None and (first.status, first.attempts) == (JobStatus.RUNNING, 1)
    assert progress.claim(job.id) is None  # a second delivery of its task: nothing to do
    assert progress.hold(job.id, attempt=1) == job
    db.session.commit()


def test_a_stalled_job_is_taken_over_and_its_old_run_stops(app, job):
    progress.claim(job.id)
    db.session.commit()
    assert progress.stalled() == []  # its heartbeat is fresh
    job.heartbeat_at = utcnow() - timedelta(seconds=app.config["JOB_STALL_SECONDS"] + 1)
    db.session.commit()
    assert progress.stalled() == [job]
    assert progress.figures(job).status_label == "Interrupted: it will go on by itself shortly"
    assert progress.figures(job).eta is None

    again = progress.claim(job.id)
    db.session.commit()
    assert again.attempts == 2 and progress.stalled() == []
    assert progress.hold(job.id, attempt=1) is None  # the first run may write no more
    assert progress.hold(job.id, attempt=2) == job
    db.session.commit()
    assert progress.figures(job).resumed


def test_a_job_nobody_took_counts_as_stalled(app, job):
    job.created_at = utcnow() - timedelta(seconds=app.config["JOB_STALL_SECONDS"] + 1)
    db.session.commit()
    assert progress.stalled() == [job]


def test_the_figures_of_a_running_job(job):
    progress.claim(job.id)
    started = utcnow() - timedelta(seconds=60)
    job.started_at = started
    progress.advance(job, 1_000)
    db.session.commit()
    figures = progress.figures(job, now=started + timedelta(seconds=60))
    assert (figures.done, figures.total, figures.percent) == (1_000, 4_000, 25)
    assert figures.elapsed == timedelta(seconds=60)
    assert figures.eta == timedelta(seconds=180)  # the rate so far: 1,000 rows a minute
    shown = figures.as_json()
    assert (shown["counts"], shown["percent_text"], shown["elapsed"], shown["eta"]) == \
        ("1,000 of 4,000", "25%", "1 minute", "3 minutes")
    with force_locale("es"):
        shown = figures.as_json()
    assert (shown["counts"], shown["percent_text"], shown["elapsed"], shown["eta"]) == \
        ("1000 de 4000", "25\xa0%", "1 minuto", "3 minutos")
    assert shown["status_label"] == "Running" and shown["finished"] is False


def test_the_outcome_is_kept_in_each_language(job):
    progress.claim(job.id)
    progress.finish(job, JobStatus.FAILED, _l("Nothing was imported."))
    db.session.commit()
    figures = progress.figures(job)
    assert figures.finished and figures.eta is None and figures.outcome == "Nothing was imported."
    with force_locale("es"):
        assert progress.outcome(job) == "No se ha importado nada."
    assert progress.active(job_subject(job)) is None


def test_a_rollback_runs_under_its_own_name_and_ends_rolled_back(job):
    progress.claim(job.id)
    progress.advance(job, 3_000)
    progress.roll_back(job, 3_000, _l("Nothing was imported."))
    db.session.commit()
    assert (job.kind, job.done, job.total) == ("import_apply_rollback", 0, 3_000)
    assert progress.kind_of(job) == "import_apply"
    assert progress.figures(job).status_label == "Rolling back"
    progress.advance(job, 3_000)
    progress.finish(job, JobStatus.ROLLED_BACK)
    db.session.commit()
    figures = progress.figures(job)
    assert (figures.status_label, figures.outcome) == ("Rolled back", "Nothing was imported.")


def job_subject(job: Job) -> CustomerGroup:
    return db.session.get(CustomerGroup, job.subject_id)
