"""The batch page while a job applies a large import: a progress bar drawn from the
job's row, the small JSON its script polls (/admin/jobs/<id>/progress.json), shown
only to those who may import, and no other change to the batch while it runs."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from admin_app.choices import AuditAction, ImportStatus, Role
from admin_app.extensions import db
from admin_app.models import AuditEvent, Customer, ImportBatch, Job
from admin_app.services import import_jobs

from ..pages import (
    apply_import,
    batch_id,
    customers_csv,
    flashes,
    get_page,
    row_count,
    speak,
    text,
    upload,
)

CUSTOMERS = "/admin/customers/import/"
ROWS, CHUNK = 5_000, 500


@pytest.fixture
def small_jobs(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_JOB_MIN_ROWS", 1_000)
    monkeypatch.setitem(app.config, "JOB_CHUNK_ROWS", CHUNK)


@pytest.fixture
def started(manager, small_jobs) -> tuple[int, int]:
    """(batch, job): a 5,000-row import the manager asked to apply, not begun yet."""
    batch = batch_id(upload(manager, CUSTOMERS, customers_csv(ROWS)))
    apply_import(manager, CUSTOMERS, batch)
    job = db.session.scalar(select(Job.id).where(Job.subject_id == batch))
    return batch, job


def work(job_id: int, chunks: int) -> None:
    """What the worker does: claim the job, then ``chunks`` chunks, each committed."""
    run = import_jobs.begin(job_id)
    db.session.commit()
    for _chunk in range(chunks):
        run.step()
        db.session.commit()


def progress_json(client, job: int, status: int = 200) -> dict:
    response = client.get(f"/admin/jobs/{job}/progress.json")
    assert response.status_code == status, response.status_code
    if status != 200:
        return {}
    assert response.headers["Cache-Control"] == "no-store"  # a poll sees the row as it is now
    return response.get_json()


def test_the_progress_half_way_through(manager, started):
    batch, job = started
    shown = progress_json(manager, job)
    assert (shown["status"], shown["status_label"], shown["done"], shown["total"]) == \
        ("queued", "Waiting", 0, ROWS)

    work(job, chunks=5)
    shown = progress_json(manager, job)
    assert {key: shown[key] for key in ("status", "status_label", "done", "total", "percent",
                                        "counts", "finished", "outcome", "resumed")} == {
        "status": "running", "status_label": "Running", "done": 2_500, "total": ROWS,
        "percent": 50, "counts": "2,500 of 5,000", "finished": False, "outcome": None,
        "resumed": False}
    assert re.fullmatch(r"\d+ seconds?|1 minute", shown["elapsed"])
    assert shown["eta"] is not None  # from the rate so far

    page = get_page(manager, f"{CUSTOMERS}{batch}/")  # a reload finds the batch's job
    bar = page.split('id="job-progress"', 1)[1].split("</section>", 1)[0]
    assert 'role="progressbar"' in bar and 'aria-valuenow="50"' in bar
    assert f'data-progress-url="/admin/jobs/{job}/progress.json"' in page
    assert "2,500 of 5,000" in text(bar) and "Running" in text(bar)
    assert row_count(Customer) == 2_500
    assert db.session.get(ImportBatch, batch).status == ImportStatus.PREVIEWED


def test_the_figures_are_in_the_readers_language(manager, users, started):
    _batch, job = started
    work(job, chunks=4)
    speak(users[Role.MANAGER], "es")
    shown = progress_json(manager, job)
    assert (shown["status_label"], shown["counts"], shown["percent_text"]) == \
        ("En curso", "2000 de 5000", "40\xa0%")


def test_when_the_job_ends_the_json_says_so_with_its_outcome(manager, started, drain):
    batch, job = started
    drain()
    shown = progress_json(manager, job)
    assert (shown["status_label"], shown["percent"], shown["finished"], shown["eta"]) == \
        ("Done", 100, True, None)
    assert shown["outcome"] == \
        "Imported: 5000 new records, 0 updated, 0 unchanged; 0 invalid rows skipped."
    page = text(get_page(manager, f"{CUSTOMERS}{batch}/"))
    assert "Undo this import" in page and "cannot be applied, undone or discarded" not in page


def test_while_the_job_runs_nothing_else_changes_the_batch(manager, started):
    batch, job = started
    work(job, chunks=2)
    page = get_page(manager, f"{CUSTOMERS}{batch}/")
    assert "this import cannot be applied, undone or discarded" in text(page)
    buttons = re.findall(r"<button[^>]*>", page.split('id="import-busy"', 1)[1])
    assert buttons and all("disabled" in button for button in buttons[:2])
    for action in ("apply", "discard"):
        response = manager.post_form(f"{CUSTOMERS}{batch}/{action}/", follow_redirects=True)
        assert ("danger", "This import is being applied or undone: wait until it has "
                "finished.") in flashes(response.get_data(as_text=True)), action
    assert db.session.get(ImportBatch, batch).status == ImportStatus.PREVIEWED
    assert row_count(Job) == 1 and row_count(Customer) == 2 * CHUNK


def test_an_undo_is_refused_while_the_undo_job_runs(manager, small_jobs, drain):
    batch = batch_id(upload(manager, CUSTOMERS, customers_csv(ROWS)))
    apply_import(manager, CUSTOMERS, batch)
    drain()
    manager.post_form(f"{CUSTOMERS}{batch}/undo/")
    page = get_page(manager, f"{CUSTOMERS}{batch}/")
    assert "Undoing the import" in text(page)
    assert re.search(r'<button type="submit" class="btn btn-outline-danger" disabled', page)
    response = manager.post_form(f"{CUSTOMERS}{batch}/undo/", follow_redirects=True)
    assert "being applied or undone" in text(response.get_data(as_text=True))
    assert row_count(Job) == 2


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_a_job_is_shown_only_to_those_who_may_see_what_it_works_on(login, started, role):
    _batch, job = started
    progress_json(login(role), job, status=403)
    refused = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.REFUSED)).all()
    assert [event.object_type for event in refused] == ["Job"]


def test_the_progress_needs_a_login_and_a_job_that_exists(client, admin_client, started):
    _batch, job = started
    response = client.get(f"/admin/jobs/{job}/progress.json")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert progress_json(admin_client, job)["total"] == ROWS
    assert admin_client.get(f"/admin/jobs/{job + 1}/progress.json").status_code == 404


def test_the_page_loads_its_progress_script_under_the_content_policy(manager, started):
    batch, _job = started
    response = manager.get(f"{CUSTOMERS}{batch}/")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    page = response.get_data(as_text=True)
    assert f'<script nonce="{nonce}" src="/static/js/job-progress.js' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page)


def test_the_recent_imports_list_says_which_batch_a_job_is_applying(manager, started):
    _batch, job = started
    work(job, chunks=3)
    page = text(get_page(manager, CUSTOMERS))
    assert "Running 30%" in page and "Previewed" not in page
