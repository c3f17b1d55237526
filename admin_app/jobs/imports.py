"""Imports in the worker: applying and undoing large files chunk by chunk (as long
jobs, see long_jobs.py), and dropping previews nobody applied."""
from __future__ import annotations

from ..extensions import db
from ..services import import_jobs, imports
from .long_jobs import long_job
from .schedule import daily, scheduled

long_job(import_jobs.APPLY, import_jobs.UNDO)(import_jobs.begin)


@scheduled("import_cleanup", daily)
def drop_stale_previews() -> str:
    dropped = imports.drop_stale_previews()
    db.session.commit()
    return f"{dropped} previews never applied were discarded"
