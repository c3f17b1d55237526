"""A large import in the browser: the batch page's progress bar follows the worker's
chunks without a reload, then says how it ended and links to the result."""
from __future__ import annotations

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.services import import_jobs

from ..pages import customers_csv
from .accessibility import check_accessibility
from .conftest import expect

ROWS, CHUNK = 60, 20


def test_the_progress_bar_follows_the_worker_without_a_reload(
        app, logged_in, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_JOB_MIN_ROWS", 10)
    monkeypatch.setitem(app.config, "JOB_CHUNK_ROWS", CHUNK)
    monkeypatch.setitem(app.config, "SQLITE_JOB_PAUSE", 0)
    upload = tmp_path / "people.csv"
    upload.write_text(customers_csv(ROWS))
    page = logged_in(Role.MANAGER)
    page.goto("/admin/customers/import/")
    page.get_by_label("CSV file").set_input_files(upload)
    page.get_by_role("button", name="Preview").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.wait_for_load_state()  # the confirmation is asked by the page's script
    page.get_by_role("button", name=f"Import {ROWS} records").click()

    box = page.locator("#job-progress")
    bar = box.get_by_role("progressbar", name="Applying the import")
    expect(page.locator(".alert-dismissable")).to_contain_text("The import has started")
    expect(box.locator('[data-job="status_label"]')).to_have_text("Waiting")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    expect(page.get_by_role("button", name="Import", exact=True)).to_be_disabled()
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    # The worker's first chunk: the bar moves by itself.
    job_id = int(box.get_attribute("data-progress-url").split("/")[3])
    run = import_jobs.begin(job_id)
    db.session.commit()
    run.step()
    db.session.commit()
    expect(box.locator('[data-job="counts"]')).to_have_text(f"{CHUNK} of {ROWS}")
    expect(bar).to_have_attribute("aria-valuenow", "33")
    expect(box.locator('[data-job="percent"]')).to_have_text("33%")
    expect(box.locator('[data-job="status_label"]')).to_have_text("Running")
    check_accessibility(page, "progress bar half way")

    while not run.step():  # the rest of the chunks
        db.session.commit()
    db.session.commit()
    expect(box.locator('[data-job="status_label"]')).to_have_text("Done")
    expect(bar).to_have_attribute("aria-valuenow", "100")
    expect(box.locator('[data-job="outcome"]')).to_have_text(
        f"Imported: {ROWS} new records, 0 updated, 0 unchanged; 0 invalid rows skipped.")
    assert page.evaluate("window.sameDocument") is True
    check_accessibility(page, "progress bar at the end")

    box.get_by_role("link", name="Show the result").click()
    expect(page.get_by_role("button", name="Undo this import")).to_be_enabled()
    expect(page.locator("#job-progress")).to_contain_text("Done")
