"""Customer groups."""
from __future__ import annotations

from sqlalchemy import update

from ..extensions import db
from ..models import Customer, CustomerGroup, utcnow


def release_customers(group: CustomerGroup) -> int:
    """Move the group's customers to no group (before the group is deleted).

    Customers are never deleted with their group. Returns how many moved.
    """
    result = db.session.execute(
        update(Customer)
        .where(Customer.group_id == group.id)
        .values(group_id=None, updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def group_choices() -> list[tuple[int, str]]:
    """Every group as it is now, by name: for filters and selects."""
    rows = db.session.execute(
        db.select(CustomerGroup.id, CustomerGroup.name).order_by(CustomerGroup.name)
    )
    return [(row.id, row.name) for row in rows]
