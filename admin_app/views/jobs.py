"""Where a job stands, for the progress bar's script: /admin/jobs/<id>/progress.json.

Everything comes from the job's row, so any app server answers. A job is shown to
whoever may see what it works on (its subject): an import batch's job to those
who may import.
"""
from __future__ import annotations

from flask import abort, jsonify
from flask_admin import BaseView, expose
from flask_login import current_user

from ..extensions import db
from ..models import Job
from ..services import permissions, progress
from ..services.permissions import needs
from .base import ProtectedView, refuse_request

# What a role needs to follow a job, by the kind of record it works on.
SUBJECT_CAPABILITIES = {"ImportBatch": permissions.MANAGE}


class JobView(ProtectedView, BaseView):
    """No menu entry: pages that show a job embed its progress (admin/_job_progress.html)."""

    def __init__(self):
        super().__init__(name="Jobs", endpoint="jobs", url="/admin/jobs")

    def is_visible(self) -> bool:
        return False

    @expose("/")
    @needs(permissions.VIEW)
    def index(self):
        abort(404)  # no list: a job is followed from the page of what it works on

    @expose("/<int:job_id>/progress.json")
    @needs(permissions.VIEW)
    def progress_view(self, job_id: int):
        job = db.session.get(Job, job_id)
        if job is None:
            abort(404)
        capability = SUBJECT_CAPABILITIES.get(job.subject_type or "", permissions.ADMINISTER)
        if not permissions.can(current_user, capability):
            refuse_request("Job")
        response = jsonify(progress.figures(job).as_json())
        response.headers["Cache-Control"] = "no-store"  # a poll must see the row as it is now
        return response
