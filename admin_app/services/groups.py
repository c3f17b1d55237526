"""Customer groups."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from ..extensions import db
from ..i18n import number
from ..models import Customer, CustomerGroup
from .customers import assign_group


def release_customers(group: CustomerGroup) -> int:
    """Move the group's customers to no group (before the group is deleted).

    Customers are never deleted with their group. Returns how many moved.
    """
    members = db.session.scalars(select(Customer.id).where(Customer.group_id == group.id)).all()
    return assign_group(list(members), None)


def group_choices() -> list[tuple[int, str]]:
    """Every group as it is now, by name: for filters and selects."""
    rows = db.session.execute(
        db.select(CustomerGroup.id, CustomerGroup.name).order_by(CustomerGroup.name)
    )
    return [(row.id, row.name) for row in rows]


def groups_by_name() -> list[int]:
    """Every group's id, in the order the database sorts their names (which the
    customer list's sort by group follows)."""
    return list(db.session.scalars(
        db.select(CustomerGroup.id).order_by(CustomerGroup.name, CustomerGroup.id)))


def release_warning(customers_count: int) -> str:
    """What deleting a group does to its customers, for the question asked first."""
    if not customers_count:
        return _("It has no customers.")
    return ngettext("Its only customer will have no group.",
                    "Its %(count)s customers will have no group.", customers_count,
                    count=number(customers_count))
