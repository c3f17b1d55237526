"""The audit log: who did what, when, from where, to which record; admins only,
read-only (nothing in the app can change or remove an audit row)."""
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from ..choices import AuditAction
from ..extensions import db
from ..filters import DateRangeFilter, LiveChoiceFilter
from ..models import AdminUser, AuditEvent
from ..services import audit, permissions
from .base import ADMINISTRATION, BaseModelView
from .conventions import COMMON_LABELS
from .stored_values import current_record, model_named, record_link, shown, view_of


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
    "OrderLine": _l("Order line"), "WishlistItem": _l("Wishlist item"), "Offer": _l("Offer"),
    "OfferEvent": _l("Offer event"),
}

# Fields of records that have no page of their own (outlets, addresses, order lines...).
OTHER_FIELD_LABELS = {
    "code": _l("Code"), "channel": _l("Channel"), "city": _l("City"),
    "line1": _l("Address line 1"), "line2": _l("Address line 2"), "is_default": _l("Default"),
    "product": _l("Product"), "sku": _l("SKU"), "quantity": _l("Quantity"),
    "unit_price": _l("Unit price"), "title": _l("Title"), "kind": _l("Kind"),
    "occurred_at": _l("Date"), "offer": _l("Offer"), "order": _l("Order"),
}


def _object_types() -> list[tuple[str, str]]:
    kinds = db.session.scalars(select(AuditEvent.object_type).distinct()
                               .where(AuditEvent.object_type.is_not(None))).all()
    return sorted(((kind, str(OBJECT_LABELS.get(kind, kind))) for kind in kinds),
                  key=lambda choice: choice[1])


def field_label(view, object_type: str | None, field: str) -> str:
    other = view_of(view.admin, model_named(object_type))
    labels = {**COMMON_LABELS, **OTHER_FIELD_LABELS, **(other.column_labels if other else {})}
    for key in (field, field.removesuffix("_id"), field.removesuffix("_minor")):
        if key in labels:
            return str(labels[key])
    return field


def _object_type(view, context, model, name):
    return OBJECT_LABELS.get(model.object_type, model.object_type or "")


def changed_fields(view, event, record=None) -> list[tuple[str, Markup | str, Markup | str]]:
    """An event's changes as (field label, before, after), internal fields left out,
    each value as the record's own pages show it; ``record`` is the record as it is now."""
    changes = event.changes or {}
    if record is None:
        record = current_record(model_named(event.object_type), event.object_id)
    # An amount is in the currency the change itself names, else the record's.
    before_currency, after_currency = changes.get("currency") or (None, None)

    def value(field, stored, currency):
        return shown(view.admin, event.object_type, field, stored, currency=currency,
                     record=record)

    return [(field_label(view, event.object_type, field),
             value(field, before, before_currency), value(field, after, after_currency))
            for field, (before, after) in changes.items() if not audit.is_internal(field)]


def changes_of(view, event, record=None) -> Markup:
    """An event's changes as a short list: "field: before → after" per line."""
    items = Markup("").join(Markup("<li>{}: {} → {}</li>").format(*change)
                            for change in changed_fields(view, event, record))
    return Markup('<ul class="list-unstyled mb-0 small">{}</ul>').format(items) if items else ""


def _as_text(shown_value) -> str:
    return Markup(shown_value).striptags() if isinstance(shown_value, Markup) \
        else str(shown_value)


def changes_text(view, event) -> str:
    """The same changes on one line for an export: "field: before → after; ..."."""
    return "; ".join(f"{label}: {_as_text(before)} → {_as_text(after)}"
                     for label, before, after in changed_fields(view, event))


def _changes(view, context, model, name):
    return changes_of(view, model)


# Events whose summary is the record's name (the others say what was done: rows
# imported, a refused address...).
NAMED_RECORD_ACTIONS = (AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE)


def _summary(view, context, model, name):
    """The record by its name as it is now (in the reader's language, linked);
    what the event kept if it is gone."""
    record_model = model_named(model.object_type)
    if model.action not in NAMED_RECORD_ACTIONS \
            or current_record(record_model, model.object_id) is None:
        return model.summary or ""
    return record_link(view.admin, record_model, model.object_id)


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
    column_formatters = {"changes": _changes, "object_type": _object_type, "summary": _summary}
    column_formatters_detail = column_formatters
    # An export says what the details page says, as text (the export strips the links).
    column_formatters_export = {"changes": lambda v, c, m, n: changes_text(v, m),
                                "object_type": _object_type, "summary": _summary}
