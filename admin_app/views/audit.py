"""The audit log: who did what, when, from where, to which record; admins only,
read-only (nothing in the app can change or remove an audit row)."""
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from ..extensions import db
from ..filters import DateRangeFilter, LiveChoiceFilter
from ..models import AdminUser, AuditEvent
from ..services import permissions
from .base import ADMINISTRATION, COMMON_LABELS, BaseModelView


def _user_choices() -> list[tuple[int, str]]:
    return [(user.id, user.email) for user in
            db.session.scalars(select(AdminUser).order_by(AdminUser.email))]


# The kinds of record, named in the user's language.
OBJECT_LABELS = {
    "AdminUser": _l("Admin user"), "Customer": _l("Customer"), "CustomerGroup": _l("Group"),
    "Guest": _l("Guest"), "BlacklistEntry": _l("Blacklist entry"), "Wallet": _l("Wallet"),
    "WalletTransaction": _l("Wallet movement"), "LoyaltyTransaction": _l("Points movement"),
    "Invoice": _l("Invoice"), "Order": _l("Order"), "Outlet": _l("Outlet"),
    "DiscountCode": _l("Discount code"), "Address": _l("Address"),
    "ImportBatch": _l("Import"), "AuditEvent": _l("Audit log"),
}


def _object_types() -> list[tuple[str, str]]:
    kinds = db.session.scalars(select(AuditEvent.object_type).distinct()
                               .where(AuditEvent.object_type.is_not(None))).all()
    return sorted(((kind, str(OBJECT_LABELS.get(kind, kind))) for kind in kinds),
                  key=lambda choice: choice[1])


def _model(object_type: str | None):
    return next((m.class_ for m in db.Model.registry.mappers
                 if m.class_.__name__ == object_type), None)


def _view_of(view, object_type: str | None):
    """The registered view of that kind of record, whose labels name its fields."""
    return next((v for v in view.admin._views
                 if getattr(v, "model_class", None) is not None
                 and v.model_class.__name__ == object_type), None)


def field_label(view, object_type: str | None, field: str) -> str:
    other = _view_of(view, object_type)
    labels = {**COMMON_LABELS, **(other.column_labels if other else {})}
    for key in (field, field.removesuffix("_id"), field.removesuffix("_minor")):
        if key in labels:
            return str(labels[key])
    return field


def shown_value(object_type: str | None, field: str, value) -> str:
    """A stored value as people read it: yes/no and choices in the user's language."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    model = _model(object_type)
    column = model.__table__.columns.get(field) if model is not None else None
    if column is not None and "choices" in column.info:
        return column.info["choices"].label(value)
    return str(value)


def _object_type(view, context, model, name):
    return OBJECT_LABELS.get(model.object_type, model.object_type or "")


def changes_of(view, event) -> Markup:
    """An event's changes as a short list: field label, before → after."""
    return _changes(view, None, event, "changes")


def _changes(view, context, model, name):
    items = Markup("").join(
        Markup("<li>{}: {} → {}</li>").format(
            field_label(view, model.object_type, field),
            shown_value(model.object_type, field, before),
            shown_value(model.object_type, field, after))
        for field, (before, after) in (model.changes or {}).items())
    return Markup('<ul class="list-unstyled mb-0 small">{}</ul>').format(items) if items else ""


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
        LiveChoiceFilter(AuditEvent.user_id, _l("User"), _user_choices),
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
    column_formatters = {"changes": _changes, "object_type": _object_type}
    column_formatters_detail = {"changes": _changes, "object_type": _object_type}
    column_formatters_export = {"changes": lambda v, c, m, n: m.changes and str(m.changes)}
