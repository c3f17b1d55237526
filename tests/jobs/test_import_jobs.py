"""Large imports applied and undone by the worker, chunk by chunk (drained in the
test's process, as `flask --app wsgi worker --drain` runs them): the same result
as one request, all or nothing kept by rolling back committed chunks, refused rows
skipped and reported, a run cut short resumed exactly once, and previews nobody
applied dropped after IMPORT_PREVIEW_MAX_AGE."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from admin_app import jobs
from admin_app.choices import AuditAction, ImportStatus, JobStatus
from admin_app.extensions import db
from admin_app.models import (
    AuditEvent,
    Customer,
    ImportBatch,
    ImportChange,
    Job,
    Notification,
    ScheduledRun,
    Wallet,
    utcnow,
)
from admin_app.services import import_jobs, import_rejects, imports, ledger, progress

from ..pages import (
    apply_import,
    batch_id,
    customers_csv,
    flashes,
    get_page,
    row_count,
    text,
    upload,
)

CUSTOMERS = "/admin/customers/import/"
ROWS = 5_000
CHUNK = 700  # chunks that end mid-way through the file's rows, and a short last one
CONFLICT_LINE = 3_502  # well after the first chunks are committed


@pytest.fixture
def small_jobs(app, monkeypatch):
    """A file of more than 1,000 rows is a job, which commits every 700 rows."""
    monkeypatch.setitem(app.config, "IMPORT_JOB_MIN_ROWS", 1_000)
    monkeypatch.setitem(app.config, "JOB_CHUNK_ROWS", CHUNK)


def mixed_file(make) -> str:
    """5,000 rows: new people, an update of an existing customer, an invalid email,
    a row repeating an earlier email."""
    make.customer("Ana", "Ruiz", email="person10@example.com", postcode="28001")
    return customers_csv(ROWS, extra={
        20: "Bad,Email,not-an-email,",
        4_000: "Again,Person,person30@example.com,",
    })


def outcome_of(batch: int) -> dict:
    """What an import left behind, without ids or times."""
    db.session.expire_all()
    row = db.session.get(ImportBatch, batch)
    people = db.session.execute(select(Customer.email, Customer.first_name, Customer.surname)
                                .order_by(Customer.email)).all()
    changes = db.session.execute(select(ImportChange.action, ImportChange.line)
                                 .where(ImportChange.batch_id == batch)
                                 .order_by(ImportChange.line)).all()
    return {"status": row.status, "people": people, "changes": changes,
            "counts": (row.rows_created, row.rows_updated, row.rows_unchanged, row.rows_invalid),
            "rejected": import_rejects.listed(row.rejected_rows),
            "imported_events": imported_events(batch)}


def imported_events(batch: int | None = None) -> int:
    """IMPORT events in the audit trail (about one batch)."""
    where = [AuditEvent.action == AuditAction.IMPORT]
    if batch is not None:
        where.append(AuditEvent.object_id == str(batch))
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(*where))


def a_minute_later() -> None:
    """The schedule's runs forgotten, as a new minute would: the next drain looks for
    stalled jobs again (resume_stalled_jobs runs once a minute)."""
    db.session.execute(delete(ScheduledRun))
    db.session.commit()


def job_of(batch: int) -> Job:
    db.session.expire_all()
    return db.session.scalars(select(Job).where(Job.subject_id == batch)
                              .order_by(Job.id.desc())).first()


def test_a_large_file_applied_by_the_worker_ends_as_one_request_would(
        app, manager, make, drain, small_jobs, monkeypatch):
    content = mixed_file(make)
    monkeypatch.setitem(app.config, "IMPORT_JOB_MIN_ROWS", 100_000)
    at_once = batch_id(upload(manager, CUSTOMERS, content))
    apply_import(manager, CUSTOMERS, at_once)
    assert job_of(at_once) is None  # one request, no job
    expected = outcome_of(at_once)
    manager.post_form(f"{CUSTOMERS}{at_once}/undo/")  # as it was before, for the job
    assert row_count(Customer) == 1

    monkeypatch.setitem(app.config, "IMPORT_JOB_MIN_ROWS", 1_000)
    batch = batch_id(upload(manager, CUSTOMERS, content))
    response = apply_import(manager, CUSTOMERS, batch)
    page = get_page(manager, response.headers["Location"])
    assert ("info", "The import has started: its progress is shown below.") in flashes(page)
    assert row_count(Customer) == 1  # nothing yet: the worker applies it
    assert 'id="job-progress"' in page and "Waiting" in text(page)

    assert drain() >= 1
    assert outcome_of(batch) == expected
    assert expected["counts"] == (ROWS - 3, 1, 0, 2) and expected["status"] == ImportStatus.APPLIED
    job = job_of(batch)
    assert (job.status, job.done, job.total, job.attempts) == (JobStatus.DONE, ROWS, ROWS, 1)
    page = text(get_page(manager, f"{CUSTOMERS}{batch}/"))
    assert "Imported: 4997 new records, 1 updated, 0 unchanged; 2 invalid rows skipped." in page
    assert "Undo this import" in page


def test_undo_of_a_large_import_is_a_job_too(manager, make, drain, small_jobs):
    ana = make.customer("Ana", "Ruiz", email="person10@example.com", postcode="28001")
    batch = batch_id(upload(manager, CUSTOMERS, customers_csv(ROWS)))
    apply_import(manager, CUSTOMERS, batch)
    drain()
    assert row_count(Customer) == ROWS

    response = manager.post_form(f"{CUSTOMERS}{batch}/undo/")
    page = get_page(manager, response.headers["Location"])
    assert ("info", "Undoing the import has started: its progress is shown below.") \
        in flashes(page)
    assert row_count(Customer) == ROWS  # the worker undoes it
    drain()
    assert row_count(Customer) == 1
    assert db.session.get(Customer, ana.id).first_name == "Ana"
    assert db.session.get(ImportBatch, batch).status == ImportStatus.UNDONE
    job = job_of(batch)
    assert (job.kind, job.status, job.done) == (import_jobs.UNDO, JobStatus.DONE, ROWS)
    assert progress.outcome(job) == \
        "The import was undone: 5000 records put back as they were."


def refused_mid_way(make, manager, *, all_or_nothing: bool) -> int:
    """A batch whose line 3,502 updates a customer with a card number that another
    customer was given after the preview: the database refuses that row."""
    ana = make.customer("Ana", "Ruiz", email="ana@example.com")
    content = customers_csv(ROWS, extra={CONFLICT_LINE: "Ana,Ruiz,ana@example.com,CARD-7"})
    fields = {"all_or_nothing": "y"} if all_or_nothing else {}
    batch = batch_id(upload(manager, CUSTOMERS, content, **fields))
    make.customer("Berta", "Gil", email="berta@example.com", card_number="CARD-7")
    apply_import(manager, CUSTOMERS, batch)
    return ana.id


def test_all_or_nothing_rolls_back_every_committed_chunk_when_a_row_is_refused(
        manager, make, drain, small_jobs):
    ana = refused_mid_way(make, manager, all_or_nothing=True)
    batch = db.session.scalar(select(ImportBatch.id))
    drain()
    job = job_of(batch)
    assert job.status == JobStatus.ROLLED_BACK
    written = (CONFLICT_LINE - 2) // CHUNK * CHUNK  # the chunks committed before it
    assert progress.outcome(job) == (
        f"Line {CONFLICT_LINE} was refused by the database (another record uses one of its "
        "values now, or a value cannot be stored), and you asked for all or nothing. "
        f"Nothing was imported: the {written} records written before were removed again.")
    assert row_count(Customer) == 2 and db.session.get(Customer, ana).card_number is None
    assert db.session.get(ImportBatch, batch).status == ImportStatus.PREVIEWED
    assert row_count(ImportChange) == 0 and imported_events() == 0
    deleted = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == AuditAction.DELETE, AuditEvent.object_type == "Customer"))
    assert deleted == written  # each removal in the audit trail, as each creation is
    page = text(get_page(manager, f"{CUSTOMERS}{batch}/"))
    assert "Rolled back" in page and "Nothing was imported" in page
    assert "Import 5000 records" in page  # the preview again, to fix and apply


def test_a_rollback_keeps_the_imported_customers_others_gave_money_or_changed_meanwhile(
        manager, make, drain, small_jobs):
    refused_mid_way(make, manager, all_or_nothing=True)
    batch = db.session.scalar(select(ImportBatch.id))
    job = db.session.scalar(select(Job.id).where(Job.subject_id == batch))
    run = import_jobs.begin(job)  # the worker writes two chunks, then staff step in
    db.session.commit()
    for _chunk in range(2):
        run.step()
        db.session.commit()
    given = db.session.scalar(select(Customer).where(Customer.email == "person5@example.com"))
    wallet = make.wallet(given)
    ledger.add_balance(wallet, 4_000, actor=None, reason="Goodwill", idempotency_key="k-1",
                       notify=True)
    edited = db.session.scalar(select(Customer).where(Customer.email == "person9@example.com"))
    edited.surname = "Corrected"
    db.session.get(Job, job).heartbeat_at = utcnow() - timedelta(hours=1)  # its worker died
    db.session.commit()

    a_minute_later()
    drain()  # resumed: the refused line, then the rollback
    job_row = job_of(batch)
    assert job_row.status == JobStatus.ROLLED_BACK
    assert progress.outcome(job_row).endswith(
        "2 records were kept, because they changed or came to hold money or points "
        "meanwhile (lines 6, 10).")
    kept = db.session.scalars(select(Customer.email).where(
        Customer.email.like("person%"))).all()
    assert sorted(kept) == ["person5@example.com", "person9@example.com"]
    assert db.session.get(Wallet, wallet.id).customer_id == given.id
    assert row_count(Notification) == 1  # her balance mail is still there to be sent
    assert row_count(ImportChange) == 0
    assert ledger.verify() == []


def test_a_record_someone_adds_after_the_preview_is_never_overwritten(
        manager, make, drain, small_jobs):
    batch = batch_id(upload(manager, CUSTOMERS, customers_csv(ROWS)))
    taken = make.customer("Taken", "Meanwhile", email="person7@example.com")  # after it
    apply_import(manager, CUSTOMERS, batch)
    drain()
    row = db.session.get(ImportBatch, batch)
    assert (row.status, row.rows_created, row.rows_updated) == (ImportStatus.APPLIED, ROWS - 1, 0)
    [left_out] = import_rejects.listed(row.rejected_rows)
    assert left_out.line == 8 and "Since the preview, someone added a record" in left_out.message
    again = db.session.get(Customer, taken.id)
    assert (again.first_name, again.surname) == ("Taken", "Meanwhile")


def test_without_all_or_nothing_a_refused_row_is_skipped_and_reported(
        manager, make, drain, small_jobs):
    ana = refused_mid_way(make, manager, all_or_nothing=False)
    batch = db.session.scalar(select(ImportBatch.id))
    drain()
    assert job_of(batch).status == JobStatus.DONE
    row = db.session.get(ImportBatch, batch)
    assert (row.status, row.rows_created, row.rows_invalid) == \
        (ImportStatus.APPLIED, ROWS - 1, 1)
    assert [(r.line, r.field) for r in import_rejects.listed(row.rejected_rows)] == \
        [(CONFLICT_LINE, "Whole row")]
    assert db.session.get(Customer, ana).card_number is None
    page = get_page(manager, f"{CUSTOMERS}{batch}/")
    assert "Refused by the database" in text(page)
    rejected = manager.get(f"{CUSTOMERS}{batch}/rejected.csv").get_data(as_text=True)
    assert "ana@example.com,CARD-7" in rejected


def test_a_run_cut_short_is_resumed_from_its_last_chunk_exactly_once(
        app, manager, make, drain, small_jobs, monkeypatch):
    batch = batch_id(upload(manager, CUSTOMERS, customers_csv(ROWS)))
    apply_import(manager, CUSTOMERS, batch)
    job_id = job_of(batch).id
    # A worker takes the job, commits three chunks, then dies (nothing more runs).
    run = import_jobs.begin(job_id)
    db.session.commit()
    for _chunk in range(3):
        assert run.step() is False
        db.session.commit()
    jobs.queue.flush()  # its task is gone with it
    assert row_count(Customer) == 3 * CHUNK
    assert db.session.get(ImportBatch, batch).status == ImportStatus.PREVIEWED

    assert drain() >= 1 and job_of(batch).status == JobStatus.RUNNING  # not stalled yet
    monkeypatch.setitem(app.config, "JOB_STALL_SECONDS", 0)
    a_minute_later()
    drain()
    job = job_of(batch)
    assert (job.status, job.done, job.attempts) == (JobStatus.DONE, ROWS, 2)
    assert row_count(Customer) == ROWS and row_count(ImportChange) == ROWS
    assert imported_events() == 1
    assert "Resumed after an interruption." in text(get_page(manager, f"{CUSTOMERS}{batch}/"))
    # The first run, come back to life, finds the job is no longer its own.
    assert run.step() is True
    db.session.commit()
    assert row_count(Customer) == ROWS


def test_previews_never_applied_are_dropped_after_their_max_age(manager, make, drain):
    old, recent, applied = (batch_id(upload(manager, CUSTOMERS, customers_csv(3, first=n)))
                            for n in (1, 10, 20))
    apply_import(manager, CUSTOMERS, applied)
    for batch in (old, applied):
        db.session.get(ImportBatch, batch).created_at = utcnow() - timedelta(days=8)
    db.session.commit()
    drain()
    db.session.expire_all()
    dropped = db.session.get(ImportBatch, old)
    assert (dropped.status, dropped.content, dropped.read_rows) == \
        (ImportStatus.DISCARDED, None, None)
    assert db.session.get(ImportBatch, recent).status == ImportStatus.PREVIEWED
    assert db.session.get(ImportBatch, recent).content is not None
    assert db.session.get(ImportBatch, applied).status == ImportStatus.APPLIED
    run = only_row_named("import_cleanup")
    assert run.outcome == "1 previews never applied were discarded"


def only_row_named(name: str) -> ScheduledRun:
    return db.session.scalars(select(ScheduledRun).where(ScheduledRun.name == name)).one()


def test_an_error_at_the_last_chunk_rolls_back_the_whole_import(
        manager, drain, small_jobs, monkeypatch):
    batch = batch_id(upload(manager, CUSTOMERS, customers_csv(ROWS)))
    apply_import(manager, CUSTOMERS, batch)

    def crash(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(imports, "finish_apply", crash)
    drain()
    job = job_of(batch)
    assert job.status == JobStatus.ROLLED_BACK
    written = ROWS // CHUNK * CHUNK  # every chunk but the last, which failed whole
    assert progress.outcome(job) == (
        "The import stopped on an unexpected error. Nothing was imported: the "
        f"{written} records written before were removed again.")
    assert row_count(Customer) == 0 and row_count(ImportChange) == 0
    assert db.session.get(ImportBatch, batch).status == ImportStatus.PREVIEWED


def test_an_undo_is_refused_before_it_starts_when_a_record_changed(
        manager, make, drain, small_jobs):
    batch = batch_id(upload(manager, CUSTOMERS, customers_csv(ROWS)))
    apply_import(manager, CUSTOMERS, batch)
    drain()
    held = db.session.scalar(select(Customer).where(Customer.email == "person4321@example.com"))
    make.wallet(held, balance_minor=500)  # a created customer now holds money
    held.balance_minor = 500
    db.session.commit()
    manager.post_form(f"{CUSTOMERS}{batch}/undo/")
    drain()
    job = job_of(batch)
    assert job.status == JobStatus.FAILED and job.done == 0
    assert progress.outcome(job) == \
        "1 record from this import changed since (line 4322): nothing was undone."
    assert row_count(Customer) == ROWS
    assert db.session.get(ImportBatch, batch).status == ImportStatus.APPLIED


def test_an_undo_that_meets_a_change_mid_way_puts_back_what_it_undid(
        app, manager, drain, small_jobs, monkeypatch):
    batch = batch_id(upload(manager, CUSTOMERS, customers_csv(ROWS)))
    apply_import(manager, CUSTOMERS, batch)
    drain()
    manager.post_form(f"{CUSTOMERS}{batch}/undo/")
    job_id = job_of(batch).id
    run = import_jobs.begin(job_id)  # a worker checks every record, undoes one chunk...
    db.session.commit()
    assert run.step() is False
    db.session.commit()
    jobs.queue.flush()  # ...and dies
    assert row_count(Customer) == ROWS - CHUNK
    changed = db.session.scalar(select(Customer).where(
        Customer.email == "person3000@example.com"))
    changed.surname = "Changed meanwhile"  # someone edits a record it has not reached
    db.session.commit()

    monkeypatch.setitem(app.config, "JOB_STALL_SECONDS", 0)
    a_minute_later()
    # Resumed from its chunk, it undoes three more and meets the change in the fifth:
    # it puts back the four it undid.
    drain()
    job = job_of(batch)
    assert (job.status, job.attempts) == (JobStatus.ROLLED_BACK, 2)
    assert progress.outcome(job) == (
        "1 record from this import changed since (line 3001): nothing was undone. "
        f"The {4 * CHUNK} records undone before were put back as the import left them: the "
        "import stays applied.")
    assert row_count(Customer) == ROWS
    assert db.session.scalar(select(Customer.first_name).where(
        Customer.email == "person1@example.com")) == "Person1"
    assert db.session.get(ImportBatch, batch).status == ImportStatus.APPLIED
    assert row_count(ImportChange) == ROWS
