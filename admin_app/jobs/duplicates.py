"""The duplicates scan (services/duplicates.py): every hour by the clock, and when
someone asks for it on the duplicates page."""
from __future__ import annotations

from ..extensions import db
from ..services import duplicates
from . import task
from .schedule import scheduled


def hourly(now) -> str:
    return now.strftime("%Y-%m-%dT%H")


@task()
def scan(scan_id: int) -> None:
    """The scan the page asked for (a second run finds it finished and does nothing)."""
    duplicates.scan(scan_id, commit=db.session.commit)


@scheduled("duplicates_scan", hourly)
def scan_on_schedule() -> str:
    row = duplicates.scan(commit=db.session.commit)
    return f"{row.groups_found if row else 0} duplicate groups found"
