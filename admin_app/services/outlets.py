"""Outlets: stores and channels."""
from __future__ import annotations

from ..extensions import db
from ..models import Outlet


def outlet_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(db.select(Outlet.id, Outlet.name).order_by(Outlet.name))
    return [(row.id, row.name) for row in rows]
