"""A record's audit history on its details page (admins only)."""
from __future__ import annotations

from ..services import audit


def history_of(view, model) -> dict:
    """What the details template needs to show who changed ``model``, and how."""
    from .audit import changes_of  # the audit view formats changes once

    return {
        "audit_history": audit.history(type(model).__name__, model.id),
        "audit_object": (type(model).__name__, str(model.id)),
        "audit_changes": lambda event: changes_of(view, event, model),
    }
