"""Applying and undoing a large import as a job, chunk after chunk.

A file of more than IMPORT_JOB_MIN_ROWS rows is not applied in the request: the
request starts a job (``start_apply``, ``start_undo``) and the worker runs it.
Each ``step`` does JOB_CHUNK_ROWS rows with the same service steps as a small
import (imports.plan_rows, write, revert...) and records its progress in the same
transaction, which the worker commits: other users' changes wait for one chunk
at most, and a run that resumes after a killed worker starts exactly where the
last committed chunk ended. The batch keeps its status until the last chunk,
which applies (or undoes) it with its audit event.

A job that fails undoes what it had done, chunk by chunk too (``failed``, then
more steps): an import that cannot be applied whole is not applied at all, an
undo that cannot finish leaves the import applied, and the job's outcome says
which and why.
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString
from sqlalchemy import delete, func, select

from ..choices import ImportStatus, JobStatus
from ..extensions import db
from ..models import AdminUser, ImportBatch, ImportChange, Job
from . import audit, import_rejects, imports, progress
from .gc_pause import collector_paused
from .import_fields import KINDS

APPLY, UNDO = "import_apply", "import_undo"


def runs_as_job(batch: ImportBatch) -> bool:
    """Whether applying (or undoing) the batch is too much work for one request."""
    limit = current_app.config["IMPORT_JOB_MIN_ROWS"]
    if batch.status == ImportStatus.APPLIED:
        return batch.rows_created + batch.rows_updated > limit
    return batch.rows_total > limit


def start_apply(batch: ImportBatch, *, actor: AdminUser | None) -> Job:
    """A job that will apply the batch; the caller commits and queues its task."""
    batch = imports.lock_batch(batch.id, ImportStatus.PREVIEWED, imports.ALREADY_DONE)
    if batch.all_or_nothing and batch.rows_invalid:
        raise imports.ImportRefused(LazyString(lambda: ngettext(
            "%(num)d row is invalid, and you asked for all or nothing: nothing was imported.",
            "%(num)d rows are invalid, and you asked for all or nothing: nothing was imported.",
            batch.rows_invalid)))
    return progress.start(APPLY, batch, batch.rows_total, actor)


def start_undo(batch: ImportBatch, *, actor: AdminUser | None) -> Job:
    """A job that will undo the batch; the caller commits and queues its task."""
    batch = imports.lock_batch(batch.id, ImportStatus.APPLIED,
                               _l("Only an applied import can be undone."))
    return progress.start(UNDO, batch, _changes_left(batch.id), actor)


def begin(job_id: int) -> Run | None:
    """A new run of the job, or None when there is nothing for one to do (the job
    ended, or a live run has it). The caller commits."""
    job = progress.claim(job_id)
    if job is None:
        return None
    batch = db.session.get(ImportBatch, job.subject_id)
    if batch is None:  # never deleted by the app; a hand-made cleanup
        progress.finish(job, JobStatus.FAILED, _l("This import no longer exists."))
        return None
    runs = {APPLY: ApplyRun, UNDO: UndoRun}
    return runs[progress.kind_of(job)](job, batch)


class Run:
    """One run of an import job: what it keeps between its chunks."""

    def __init__(self, job: Job, batch: ImportBatch) -> None:
        self.job_id, self.attempt, self.batch_id = job.id, job.attempts, batch.id
        self.kind = KINDS[batch.kind]
        self.actor_id = job.created_by_id
        self.size = max(1, int(current_app.config["JOB_CHUNK_ROWS"]))
        self.rolling_back = progress.rolling_back(job)

    @collector_paused()
    def step(self) -> bool:
        """One chunk, in the caller's transaction; True once the job has ended (or
        another run has taken it over). A refusal or an error leaves the chunk to
        the caller's rollback, then to ``failed``."""
        actor = db.session.get(AdminUser, self.actor_id) if self.actor_id else None
        with audit.acting_for(actor):
            return self._roll_back_step() if self.rolling_back else self._step()

    def failed(self, error: Exception) -> None:
        """After the chunk that raised ``error`` was rolled back: start undoing what
        the job did, or end it if there is nothing to undo. The caller commits."""
        job = progress.hold(self.job_id, self.attempt)
        if job is None:
            return
        if self.rolling_back:
            progress.finish(job, JobStatus.FAILED, self._stuck_message(job))
            return
        self._begin_roll_back(job, error)
        self.rolling_back = True

    def _position(self) -> int:
        return db.session.scalar(select(Job.done).where(Job.id == self.job_id)) or 0

    def _batch(self) -> ImportBatch:
        return db.session.get_one(ImportBatch, self.batch_id)

    def _step(self) -> bool:
        raise NotImplementedError

    def _roll_back_step(self) -> bool:
        raise NotImplementedError

    def _begin_roll_back(self, job: Job, error: Exception) -> None:
        raise NotImplementedError

    def _stuck_message(self, job: Job) -> Any:
        raise NotImplementedError


class ApplyRun(Run):
    def __init__(self, job: Job, batch: ImportBatch) -> None:
        super().__init__(job, batch)
        self.all_or_nothing = batch.all_or_nothing
        self.previewed_at = batch.created_at
        self.kept_below: int | None = None  # rolling back: the changes from here on are kept
        self.read: imports.ReadFile | None = None
        self.duplicates: dict[int, imports.Problem] = {}

    def _step(self) -> bool:
        if self.read is None:  # read once for the run, not per chunk
            self.read = imports.stored_rows(self._batch())
            self.duplicates = imports.duplicates_in(self.kind, self.read.rows)
        position = self._position()
        rows = self.read.rows[position:position + self.size]
        # Planned before the chunk takes the lock: meanwhile others write (SQLite
        # has one writer at a time).
        plan = imports.plan_rows(self.kind, rows, self.duplicates, self.previewed_at)
        job = progress.hold(self.job_id, self.attempt)
        if job is None or job.done != position:
            return True
        if plan.problems and self.all_or_nothing:
            first = plan.problems[0]
            raise InvalidRow(first.line, first.field, first.message)
        batch = self._batch()
        refused = imports.write(batch, plan, all_or_nothing=self.all_or_nothing,
                                analyze=position == 0)
        batch.rejected_rows = import_rejects.merged(batch.rejected_rows, plan.problems + refused)
        done = position + len(rows)
        progress.advance(job, done)
        if done < len(self.read.rows):
            return False
        imports.finish_apply(batch, batch.rejected_rows)
        progress.finish(job, JobStatus.DONE, imports.summary(batch))
        return True

    def _begin_roll_back(self, job: Job, error: Exception) -> None:
        written = _changes_left(self.batch_id)
        tail = LazyString(lambda: ngettext(
            "Nothing was imported: the %(num)d record written before was removed again.",
            "Nothing was imported: the %(num)d records written before were removed again.",
            written)) if written else _l("Nothing was imported.")
        progress.roll_back(job, written, _joined(_reason(error, _l(
            "The import stopped on an unexpected error.")), tail))
        self._batch().rejected_rows = None

    def _roll_back_step(self) -> bool:
        """Remove a chunk of what the job wrote, newest first. A record someone
        changed since, or a customer who now holds money or points, is kept (the
        same check as an undo): a rollback never loses another person's work."""
        job = progress.hold(self.job_id, self.attempt)
        if job is None:
            return True
        query = imports.changes_query().where(ImportChange.batch_id == self.batch_id)
        if self.kept_below is not None:
            query = query.where(ImportChange.id < self.kept_below)
        changes = list(db.session.execute(
            query.order_by(ImportChange.id.desc()).limit(self.size)))
        if changes:
            kept_lines = set(imports.changed_lines(self.kind, changes))
            removed = [change for change in changes if change.line not in kept_lines]
            imports.revert(self.kind, removed)
            db.session.execute(delete(ImportChange).where(
                ImportChange.id.in_([change.id for change in removed])))
            self.kept_below = changes[-1].id
            progress.advance(job, job.done + len(changes))
        if len(changes) == self.size:
            return False
        self._finish_roll_back(job)
        return True

    def _finish_roll_back(self, job: Job) -> None:
        """What is left of the batch's changes are the records kept: say which, then
        forget them (the batch is a preview again; they are no import's any more)."""
        kept = sorted(db.session.scalars(select(ImportChange.line).where(
            ImportChange.batch_id == self.batch_id)))
        db.session.execute(delete(ImportChange).where(ImportChange.batch_id == self.batch_id))
        if not kept:
            progress.finish(job, JobStatus.ROLLED_BACK)
            return
        lines = ", ".join(str(line) for line in kept[:10])
        progress.finish(job, JobStatus.ROLLED_BACK, _joined(progress_outcome(job), LazyString(
            lambda: ngettext(
                "%(num)d record was kept, because it changed or came to hold money or "
                "points meanwhile (line %(lines)s).",
                "%(num)d records were kept, because they changed or came to hold money or "
                "points meanwhile (lines %(lines)s).", len(kept), lines=lines))))

    def _stuck_message(self, job: Job) -> Any:
        return _joined(progress_outcome(job), _l(
            "Removing what was written stopped on an unexpected error: part of the import "
            "is still in place, and the worker's log says why."))


class UndoRun(Run):
    def __init__(self, job: Job, batch: ImportBatch) -> None:
        super().__init__(job, batch)
        self.checked = False

    def _step(self) -> bool:
        position = self._position()
        if position == 0 and not self.checked:
            self._refuse_changed()
            self.checked = True
        changes = list(db.session.execute(
            imports.changes_query().where(ImportChange.batch_id == self.batch_id)
            .order_by(ImportChange.id).offset(position).limit(self.size)))
        job = progress.hold(self.job_id, self.attempt)
        if job is None or job.done != position:
            return True
        # Checked again under the lock: a record may have changed since the first look.
        imports.refuse_changed(self.kind, changes)
        imports.revert(self.kind, changes)
        done = position + len(changes)
        progress.advance(job, done)
        if done < job.total:
            return False
        batch = self._batch()
        imports.finish_undo(batch)
        progress.finish(job, JobStatus.DONE, LazyString(lambda: ngettext(
            "The import was undone: %(num)d record put back as it was.",
            "The import was undone: %(num)d records put back as they were.", done)))
        return True

    def _refuse_changed(self) -> None:
        """Before undoing anything: none of the batch's records changed since (a
        read of them all, chunk by chunk, holding no lock)."""
        lines: list[int] = []
        last_id = 0
        while True:
            changes = list(db.session.execute(
                imports.changes_query().where(ImportChange.batch_id == self.batch_id,
                                              ImportChange.id > last_id)
                .order_by(ImportChange.id).limit(self.size)))
            if not changes:
                break
            lines += imports.changed_lines(self.kind, changes)
            last_id = changes[-1].id
            db.session.expunge_all()  # keep memory flat over 100,000 records
        if lines:
            raise imports.changed_refusal(lines)

    def _begin_roll_back(self, job: Job, error: Exception) -> None:
        reason = _reason(error, _l("The undo stopped on an unexpected error."))
        undone = job.done
        if not undone:
            progress.finish(job, JobStatus.FAILED, reason)
            return
        progress.roll_back(job, undone, _joined(reason, LazyString(lambda: ngettext(
            "The %(num)d record undone before was put back as the import left it: the "
            "import stays applied.",
            "The %(num)d records undone before were put back as the import left them: the "
            "import stays applied.", undone))))

    def _roll_back_step(self) -> bool:
        job = progress.hold(self.job_id, self.attempt)
        if job is None:
            return True
        changes = list(db.session.execute(
            imports.changes_query().where(ImportChange.batch_id == self.batch_id)
            .order_by(ImportChange.id).offset(job.done)
            .limit(min(self.size, job.total - job.done))))
        imports.reapply(self.kind, changes)
        progress.advance(job, job.done + len(changes))
        if changes and job.done < job.total:
            return False
        progress.finish(job, JobStatus.ROLLED_BACK)
        return True

    def _stuck_message(self, job: Job) -> Any:
        return _joined(progress_outcome(job), _l(
            "Putting back what was undone stopped on an unexpected error: part of the "
            "import is undone, and the worker's log says why."))


class InvalidRow(imports.ImportRefused):
    """All or nothing, and a row turned out invalid while the job ran (a record it
    needed has gone since the preview)."""

    def __init__(self, line: int, field: Any, message: Any) -> None:
        super().__init__(_l("Line %(line)s is invalid (%(field)s: %(why)s), and you asked "
                            "for all or nothing.", line=line, field=field, why=message))


def _reason(error: Exception, unexpected: Any) -> Any:
    if isinstance(error, imports.RowRefused):
        return _l("Line %(line)s was refused by the database (another record uses one of "
                  "its values now, or a value cannot be stored), and you asked for all or "
                  "nothing.", line=error.line)
    if isinstance(error, imports.ImportRefused):
        return error.message
    return unexpected


def _joined(*texts: Any) -> LazyString:
    """Sentences said one after the other, each in the reader's language."""
    return LazyString(lambda: " ".join(str(text) for text in texts if text))


def progress_outcome(job: Job) -> LazyString:
    """What the job was going to say (kept in each language), in the reader's."""
    return LazyString(lambda: progress.outcome(job) or "")


def _changes_left(batch_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(ImportChange)
                             .where(ImportChange.batch_id == batch_id)) or 0
