"""A record's changes as the audit trail keeps them, shown the way the record's own
pages show values: on its details page (History, admins only) and in the audit log."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..services import audit
from .conventions import COMMON_LABELS
from .formatting import plain_text
from .stored_values import current_record, model_named, shown, view_of

# Fields of records that have no page of their own (outlets, addresses, order lines...).
OTHER_FIELD_LABELS = {
    "code": _l("Code"), "channel": _l("Channel"), "city": _l("City"),
    "line1": _l("Address line 1"), "line2": _l("Address line 2"), "is_default": _l("Default"),
    "product": _l("Product"), "sku": _l("SKU"), "quantity": _l("Quantity"),
    "unit_price": _l("Unit price"), "title": _l("Title"), "kind": _l("Kind"),
    "occurred_at": _l("Date"), "offer": _l("Offer"), "order": _l("Order"),
    "guest": _l("Guest"),  # an order's buyer when it is a guest
}


def record_type_name(admin, object_type: str | None) -> str:
    """What one record of a kind is called, capitalised ("Discount code"): as the
    view that lists them names it (its record_nouns), or, for records with no view
    of their own, as their model does; the stored kind where neither says (CSRF)."""
    # By the name: a view's model need not be one of the app's own (a plug-in's).
    view = next((v for v in admin._views
                 if getattr(v, "model_class", None) is not None
                 and v.model_class.__name__ == object_type), None)
    nouns = view.record_nouns if view is not None \
        else getattr(model_named(object_type), "record_nouns", None)
    if nouns is None:
        return object_type or ""
    noun = str(nouns[0])
    return noun[:1].upper() + noun[1:]


def field_label(view, object_type: str | None, field: str) -> str:
    other = view_of(view.admin, model_named(object_type))
    labels = {**COMMON_LABELS, **OTHER_FIELD_LABELS, **(other.column_labels if other else {})}
    for key in (field, field.removesuffix("_id"), field.removesuffix("_minor")):
        if key in labels:
            return str(labels[key])
    return field


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


def changes_text(view, event) -> str:
    """The same changes on one line for an export: "field: before → after; ..."."""
    return "; ".join(f"{label}: {plain_text(before)} → {plain_text(after)}"
                     for label, before, after in changed_fields(view, event))


def history_of(view, model) -> dict:
    """What the details template needs to show who changed ``model``, and how."""
    return {
        "audit_history": audit.history(type(model).__name__, model.id),
        "audit_object": (type(model).__name__, str(model.id)),
        "audit_changes": lambda event: changes_of(view, event, model),
    }
