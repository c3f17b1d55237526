"""A customer's personal data, exported for an access request (a ZIP, streamed).

Asked first, then sent on a POST: a download recorded in the audit trail is never
a plain link that a browser's prefetcher could follow.
"""
from flask import Response, request, stream_with_context, url_for
from flask_admin import expose

from ..changes import committed_or_refused
from ..choices import Language
from ..extensions import db
from ..forms import SecureForm
from ..models import Customer, utcnow
from ..services import permissions, personal_data
from .base import needs


class PersonalDataPages:
    """Mixed into the customers' view: /admin/customers/personal-data/?id=N."""

    @expose("/personal-data/", methods=("GET", "POST"))
    @needs(permissions.CUSTOMER_DATA)
    def personal_data_view(self):
        customer = self._customer()
        form = SecureForm()
        if request.method == "POST" and form.validate():
            response = _export(customer)
            if response is not None:
                return response
        status = 400 if request.method == "POST" else 200
        return self.render("admin/personal_data.html", form=form, customer=customer,
                           language=Language.label(customer.language),
                           sections=personal_data.SECTIONS,
                           cancel_url=url_for(".details_view", id=customer.id)), status


def _export(customer: Customer) -> Response | None:
    """The ZIP's response, its export recorded and committed before the first byte;
    None when refused (the refusal is flashed)."""
    snapshot = personal_data.open_snapshot(db.engine)
    try:
        with committed_or_refused() as outcome:
            counts = personal_data.record_export(snapshot, customer, db.session)
        if not outcome.committed:
            snapshot.close()
            return None
        produced_at = utcnow()
        chunks = personal_data.zip_chunks(snapshot, customer.id, language=customer.language,
                                          produced_at=produced_at, counts=counts)
        name = personal_data.file_name(customer.id, produced_at)
        response = Response(stream_with_context(chunks), mimetype="application/zip", headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store"})
    except BaseException:
        snapshot.close()
        raise
    # A response closed before it was read never runs the stream's own cleanup.
    response.call_on_close(snapshot.close)
    return response
