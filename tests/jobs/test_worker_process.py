"""A real worker (`flask --app wsgi worker`, a process of its own) applying large
imports on the suite's database and queue: killed with SIGKILL mid-way, it leaves
a batch that is not applied, and the resumed job ends it exactly once; while it
writes 20,000 rows, other users' top-ups all go through (no "database is locked").

Each test skips, with the worker's log, when the worker cannot be started here.
"""
from __future__ import annotations

import signal
import subprocess
import time

import pytest
from sqlalchemy import func, select

from admin_app.choices import AuditAction, ImportStatus, JobStatus
from admin_app.extensions import db
from admin_app.models import (
    AuditEvent,
    Customer,
    ImportBatch,
    ImportChange,
    Job,
    Wallet,
    WalletTransaction,
)

from ..pages import apply_import, batch_id, customers_csv, get_page, hidden_value, row_count, upload
from .test_import_jobs import a_minute_later

# Starts worker processes, writes tens of thousands of rows.
pytestmark = pytest.mark.slow

CUSTOMERS = "/admin/customers/import/"
WAIT_SECONDS = 120  # generous: a busy 2-core machine, PostgreSQL


def job_of(batch: int) -> Job | None:
    db.session.rollback()  # read what the worker committed since
    db.session.expire_all()
    return db.session.scalars(select(Job).where(Job.subject_id == batch)).first()


def wait_until(process: subprocess.Popen, batch: int, reached) -> Job:
    """Poll the job until ``reached(job)``; skip if the worker never started its work."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        job = job_of(batch)
        if reached(job):
            return job
        if process.poll() is not None:
            log = process.log.read_text(errors="replace")
            if job.attempts == 0:
                pytest.skip(f"the worker could not start (exit {process.returncode}):\n{log}")
            pytest.fail(f"the worker stopped (exit {process.returncode}):\n{log}")
        time.sleep(0.02)
    pytest.fail(f"the job did not get there in {WAIT_SECONDS} s: done {job.done} of {job.total}, "
                f"{job.status}\n{process.log.read_text(errors='replace')}")


def imported_events() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == AuditAction.IMPORT))


def test_a_worker_killed_mid_import_leaves_the_batch_unapplied_and_the_resume_ends_it_once(
        app, manager, worker, drain, monkeypatch):
    rows = 5_000
    monkeypatch.setitem(app.config, "IMPORT_JOB_MIN_ROWS", 1_000)
    batch = batch_id(upload(manager, CUSTOMERS, customers_csv(rows)))
    apply_import(manager, CUSTOMERS, batch)  # queued, for the worker
    process = worker(JOB_CHUNK_ROWS=100)
    job = wait_until(process, batch, lambda job: job.done >= 1_000)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)

    job = job_of(batch)
    assert job.status == JobStatus.RUNNING and 0 < job.done < rows, (job.status, job.done)
    # Every committed chunk is there with its progress, and nothing says it is applied.
    assert row_count(Customer) == row_count(ImportChange) == job.done
    assert db.session.get(ImportBatch, batch).status == ImportStatus.PREVIEWED
    assert imported_events() == 0
    page = get_page(manager, f"{CUSTOMERS}{batch}/")
    assert "Undo this import" not in page and 'id="job-progress"' in page

    # The schedule finds it stalled (here at once, not after JOB_STALL_SECONDS) and
    # resumes it where the dead worker's last chunk ended.
    monkeypatch.setitem(app.config, "JOB_STALL_SECONDS", 0)
    monkeypatch.setitem(app.config, "JOB_CHUNK_ROWS", 700)
    a_minute_later()
    drain()
    job = job_of(batch)
    assert (job.status, job.done, job.attempts) == (JobStatus.DONE, rows, 2)
    assert row_count(Customer) == row_count(ImportChange) == rows
    assert db.session.scalar(select(func.count(func.distinct(Customer.email)))) == rows
    assert imported_events() == 1
    assert db.session.get(ImportBatch, batch).status == ImportStatus.APPLIED
    assert "Resumed after an interruption." in get_page(manager, f"{CUSTOMERS}{batch}/")


def test_top_ups_go_through_while_a_worker_applies_20000_rows(
        app, manager, make, worker, runner, monkeypatch):
    rows = 20_000
    wallet_id = make.wallet(make.customer("Lucía", "Moreno")).id
    monkeypatch.setitem(app.config, "IMPORT_JOB_MIN_ROWS", 1_000)
    batch = batch_id(upload(manager, CUSTOMERS, customers_csv(rows)))
    apply_import(manager, CUSTOMERS, batch)
    process = worker(JOB_CHUNK_ROWS=1_000)
    job = wait_until(process, batch, lambda job: job.done > 0)

    # Another manager tops the wallet up, again and again, until the import has ended.
    url = f"/admin/wallets/add-balance/?id={wallet_id}"
    during = []  # how far the import was after each top-up
    while job.status == JobStatus.RUNNING and len(during) < 500:
        form = get_page(manager, url)
        response = manager.post_form(url, {
            "amount": "1.00", "reason": f"Top-up {len(during)}",
            "idempotency_key": hidden_value(form, "idempotency_key")})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        assert "/admin/wallets/details/" in response.headers["Location"]
        job = job_of(batch)
        during.append(job.done)
    overlapping = [done for done in during if 0 < done < rows]
    assert len(overlapping) >= 5, during  # most of them while the rows were written

    job = wait_until(process, batch, lambda job: job.status != JobStatus.RUNNING)
    assert (job.status, row_count(Customer)) == (JobStatus.DONE, rows + 1)
    balance = db.session.get(Wallet, wallet_id).balance_minor
    ledger_rows = db.session.scalar(select(func.count()).select_from(WalletTransaction))
    assert (balance, ledger_rows) == (len(during) * 100, len(during))
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
