"""Import pages for a list: upload, dry-run preview, confirm, undo.

A view offers them by naming what it imports (``import_kind = "customers"``);
the rules live in services.imports, the page only asks and shows.
"""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField

from ..changes import committed_or_refused
from ..choices import ImportStatus
from ..extensions import db
from ..forms import SecureForm
from ..jobs import long_jobs
from ..models import ImportBatch
from ..services import import_jobs, import_rejects, imports, permissions, progress
from ..services.csv_files import encoding_name
from ..services.errors import DomainError
from ..services.permissions import needs
from . import stored_values

RECENT_BATCHES = 10


class UploadForm(SecureForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()],
                     description=_l("UTF-8 or Windows-1252; comma or semicolon separated. "
                                    "The first line names the columns."))
    all_or_nothing = BooleanField(
        _l("All or nothing"),
        description=_l("Import nothing if any row is invalid (otherwise the valid rows "
                       "are imported and the invalid ones listed)."))


class ImportPages:
    """Mixed into the base view; a view turns it on with ``import_kind``."""

    import_kind: str | None = None

    @property
    def can_import(self) -> bool:
        return self.import_kind is not None and self._allowed(permissions.MANAGE)

    def _require_import(self) -> None:
        if self.import_kind is None:
            abort(404)  # this view does not import

    def _batch(self, batch_id: int) -> ImportBatch:
        batch = db.session.get(ImportBatch, batch_id)
        if batch is None or batch.kind != self.import_kind:
            abort(404)
        return batch

    @expose("/import/", methods=("GET", "POST"))
    @needs(permissions.MANAGE)
    def import_view(self):
        self._require_import()
        form = UploadForm()
        if form.validate_on_submit():
            upload = form.file.data
            # One byte past the limit is enough to refuse a file that is too large.
            data = upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
            # A file that cannot be read is said under the file's box.
            with committed_or_refused(show=form.file.errors.append) as outcome:
                batch, _plan = imports.preview(self.import_kind, upload.filename, data,
                                               actor=current_user,
                                               all_or_nothing=form.all_or_nothing.data)
            if outcome.committed:
                return redirect(url_for(".import_preview_view", batch_id=batch.id))
        recent = db.session.scalars(
            db.select(ImportBatch).where(ImportBatch.kind == self.import_kind)
            .order_by(ImportBatch.id.desc()).limit(RECENT_BATCHES)).all()
        # A batch a job is applying or undoing says so, with how far it is.
        running = {batch_id: progress.figures(job)
                   for batch_id, job in progress.active_for(list(recent)).items()}
        status = 400 if request.method == "POST" else 200
        return self.render("admin/import_upload.html", form=form, recent=recent, running=running,
                           return_url=url_for(".index_view")), status

    @expose("/import/template.csv")
    @needs(permissions.MANAGE)
    def import_template_view(self):
        self._require_import()
        return Response(imports.template_csv(self.import_kind), mimetype="text/csv",
                        headers={"Content-Disposition":
                                 f"attachment; filename={self.import_kind}-template.csv"})

    @expose("/import/<int:batch_id>/")
    @needs(permissions.MANAGE)
    def import_preview_view(self, batch_id: int):
        self._require_import()
        batch = self._batch(batch_id)
        plan = None
        job = progress.latest(batch)
        busy = progress.is_active(job)
        # While a job works on the batch, its rows are half written: the page shows
        # the progress and the preview's counts, not a plan against the records.
        if batch.status == ImportStatus.PREVIEWED and not busy:
            try:
                plan = imports.current_plan(batch)
            except DomainError as error:
                flash(str(error), "error")
        return self.render("admin/import_preview.html", batch=batch, plan=plan, job=job,
                           busy=busy, job_figures=progress.figures(job) if job else None,
                           shown=self._shown_as_stored, limit=imports.SHOWN_ROWS,
                           sample=imports.new_rows_sample(plan, imports.SAMPLE_ROWS)
                           if plan else None, encoding_name=encoding_name,
                           rejected=import_rejects.listed(batch.rejected_rows),
                           rejected_lines=import_rejects.lines(batch.rejected_rows))

    def _shown_as_stored(self, kind, name: str, value):
        """A value the import reads (or finds), as the record's own pages show it."""
        return stored_values.shown(self.admin, kind.model.__name__, name, value)

    @expose("/import/<int:batch_id>/rejected.csv")
    @needs(permissions.MANAGE)
    def import_rejected_view(self, batch_id: int):
        """The rows an import leaves out (or left out), with why, to fix and import again."""
        self._require_import()
        try:
            rejected = imports.rejected_rows(self._batch(batch_id))
        except DomainError:
            rejected = None  # a preview whose file is gone
        if not rejected:
            abort(404)
        name = f"{self.import_kind}-{batch_id}-rejected.csv"
        return Response(import_rejects.rejected_csv(rejected), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}"})

    @expose("/import/<int:batch_id>/apply/", methods=("POST",))
    @needs(permissions.MANAGE)
    def import_apply_view(self, batch_id: int):
        return self._change(batch_id, self._apply)

    @expose("/import/<int:batch_id>/discard/", methods=("POST",))
    @needs(permissions.MANAGE)
    def import_discard_view(self, batch_id: int):
        return self._change(batch_id, self._discard)

    @expose("/import/<int:batch_id>/undo/", methods=("POST",))
    @needs(permissions.MANAGE)
    def import_undo_view(self, batch_id: int):
        return self._change(batch_id, self._undo)

    def _change(self, batch_id: int, step):
        """POST only (CSRF-checked by Flask-WTF); one transaction; a refusal rolls
        back and the preview says why."""
        self._require_import()
        batch = self._batch(batch_id)
        with committed_or_refused() as outcome:
            target, message, category = step(batch)
        if not outcome.committed:
            return redirect(url_for(".import_preview_view", batch_id=batch_id))
        flash(message, category)
        return redirect(target)

    def _apply(self, batch):
        here = url_for(".import_preview_view", batch_id=batch.id)
        if import_jobs.runs_as_job(batch):
            job = import_jobs.start_apply(batch, actor=current_user)
            long_jobs.queue(job)
            return here, _("The import has started: its progress is shown below."), "info"
        applied = imports.apply(batch, actor=current_user)
        return here, str(imports.summary(applied)), "success"

    def _discard(self, batch):
        imports.discard(batch)
        return (url_for(".import_view"), _("The file was discarded; nothing was imported."),
                "info")

    def _undo(self, batch):
        if import_jobs.runs_as_job(batch):
            job = import_jobs.start_undo(batch, actor=current_user)
            long_jobs.queue(job)
            return (url_for(".import_preview_view", batch_id=batch.id),
                    _("Undoing the import has started: its progress is shown below."), "info")
        count = imports.undo(batch)
        message = ngettext("The import was undone: %(num)d record put back as it was.",
                           "The import was undone: %(num)d records put back as they were.",
                           count)
        return url_for(".import_preview_view", batch_id=batch.id), message, "success"
