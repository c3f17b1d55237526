"""Pages whose work waits on the worker say when none is running, and the home
page says when credit last expired: staff are not left looking at a queue that
never moves."""
from __future__ import annotations

from datetime import timedelta

from admin_app.extensions import db
from admin_app.jobs import schedule
from admin_app.models import ScheduledRun, utcnow

from ..pages import get_page, text

SILENT = "No worker has run"


def test_before_any_worker_ran_the_outbox_and_home_page_say_so(admin_client):
    for url in ("/admin/notifications/", "/admin/"):
        assert "No worker has run yet" in text(get_page(admin_client, url))


def test_a_running_worker_is_not_mentioned_and_the_last_expiry_is(admin_client, drain):
    drain()  # what a worker does each minute: the schedule's due jobs
    assert SILENT not in text(get_page(admin_client, "/admin/notifications/"))
    home = text(get_page(admin_client, "/admin/"))
    assert SILENT not in home and "Credit expiry last ran" in home


def test_a_worker_silent_for_minutes_is_named_with_when_it_last_ran(admin_client):
    four_minutes_ago = utcnow() - timedelta(minutes=4)
    db.session.add(ScheduledRun(name="mail_retry", period=schedule.every_minute(four_minutes_ago),
                                started_at=four_minutes_ago))
    db.session.commit()
    page = text(get_page(admin_client, "/admin/notifications/"))
    assert "No worker has run since" in page
