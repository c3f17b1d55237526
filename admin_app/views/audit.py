"""The audit log: who did what, when, from where, to which record; admins only,
read-only (nothing in the app can change or remove an audit row)."""
from urllib.parse import unquote_plus

from flask import current_app
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..choices import AuditAction
from ..filters import DateRangeFilter, LiveChoiceFilter
from ..i18n import number
from ..models import AuditEvent
from ..services import audit, permissions
from .base import ADMINISTRATION, BaseModelView
from .history import changes_of, changes_text, record_type_name
from .stored_values import current_record, model_named, record_link


def _object_types() -> list[tuple[str, str]]:
    # A filter's choices are asked for without the view: the app's admin names the kinds.
    admin = current_app.extensions["admin"][0]
    return audit.object_type_choices(lambda kind: record_type_name(admin, kind))


def _object_type(view, context, model, name):
    return record_type_name(view.admin, model.object_type)


def _changes(view, context, model, name):
    return changes_of(view, model)


# Events whose summary is the record's name (the others say what was done: rows
# imported, a refused address...).
NAMED_RECORD_ACTIONS = (AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE)


def _summary(view, context, model, name):
    """The record by its name as it is now (in the reader's language, linked);
    an export in the reader's language; what the event kept otherwise."""
    if model.action == AuditAction.EXPORT:
        return _export(model.summary)
    record_model = model_named(model.object_type)
    if model.action not in NAMED_RECORD_ACTIONS \
            or current_record(record_model, model.object_id) is None:
        return model.summary or ""
    return record_link(view.admin, record_model, model.object_id)


def _export(summary: str | None) -> str:
    """ "xlsx, 1 rows, search=ana" as "xlsx file, 1 row: search=ana" (in Spanish,
    "archivo xlsx, 1 fila: ...")."""
    read = audit.read_export_summary(summary)
    if read is None:
        return summary or ""
    kind, rows, query = read
    query = unquote_plus(query)  # as typed: "search=José García", not "%C3%A9"
    shown = ngettext("%(kind)s file, %(count)s row", "%(kind)s file, %(count)s rows", rows,
                     kind=kind, count=number(rows))
    return f"{shown}: {query}" if query else shown


class AuditView(BaseModelView):
    model_class = AuditEvent
    menu_name = _l("Audit log")
    view_url = "audit"
    menu_category = ADMINISTRATION
    record_nouns = (_l("audit event"), _l("audit events"))
    required_capability = permissions.ADMINISTER
    allow_create = allow_edit = allow_delete = False

    column_list = ("at", "user_email", "ip", "action", "object_type", "object_id", "summary",
                   "changes")
    column_details_list = column_list
    column_sortable_list = ("at", "action", "object_type")
    column_default_sort = [("at", True), ("id", True)]
    column_searchable_list = ("user_email", "summary")
    column_filters = (
        LiveChoiceFilter(AuditEvent.object_type, _l("Object type"), _object_types, coerce=str),
        LiveChoiceFilter(AuditEvent.user_id, _l("User"), audit.user_choices),
        "action",
        DateRangeFilter(AuditEvent.at, _l("Date")),
        sqla_filters.FilterEqual(AuditEvent.object_id, _l("Record")),
    )
    column_labels = {
        "at": _l("When (UTC)"),
        "user_email": _l("User"),
        "ip": _l("IP address"),
        "action": _l("Action"),
        "object_type": _l("Object type"),
        "object_id": _l("Record"),
        "summary": _l("Summary"),
        "changes": _l("Changes"),
    }
    column_formatters = {"changes": _changes, "object_type": _object_type, "summary": _summary}
    column_formatters_detail = column_formatters
    # An export says what the details page says, as text (the export strips the links).
    column_formatters_export = {"changes": lambda v, c, m, n: changes_text(v, m),
                                "object_type": _object_type, "summary": _summary}
