"""Customer groups: releasing a group's customers before the group goes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import Customer, CustomerGroup
from admin_app.services.groups import group_choices, release_customers

LONG_AGO = datetime(2020, 1, 1)


def _group_of(customer_id: int) -> int | None:
    return db.session.scalar(select(Customer.group_id).where(Customer.id == customer_id))


def test_release_moves_every_customer_to_no_group_and_counts_them(make):
    vip = make.group("VIP")
    members = [make.customer(group=vip, updated_at=LONG_AGO) for _ in range(3)]
    member_ids = [c.id for c in members]

    moved = release_customers(vip)
    db.session.commit()

    assert moved == 3
    db.session.expire_all()
    for customer_id in member_ids:
        assert _group_of(customer_id) is None
    # Customers are never deleted with their group.
    assert db.session.scalar(select(func.count(Customer.id))) == 3
    # The change shows as an update of the customers.
    for customer in db.session.scalars(select(Customer)):
        assert customer.updated_at > LONG_AGO
    assert db.session.get(CustomerGroup, vip.id).customers_count == 0


def test_release_touches_no_other_groups_customers(make):
    vip, staff = make.group("VIP"), make.group("Staff")
    make.customer(group=vip)
    make.customer(group=vip)
    staff_member = make.customer(group=staff, updated_at=LONG_AGO)
    loner = make.customer(updated_at=LONG_AGO)
    staff_id, loner_id = staff_member.id, loner.id

    assert release_customers(vip) == 2
    db.session.commit()
    db.session.expire_all()

    assert _group_of(staff_id) == staff.id
    assert _group_of(loner_id) is None
    assert db.session.get(Customer, staff_id).updated_at == LONG_AGO
    assert db.session.get(Customer, loner_id).updated_at == LONG_AGO
    assert db.session.get(CustomerGroup, staff.id).customers_count == 1


def test_customers_loaded_in_the_session_see_the_change(make):
    vip = make.group("VIP")
    customer = make.customer(group=vip)
    assert customer.group_id == vip.id
    release_customers(vip)
    # No commit or refresh: the session is kept in step with the database.
    assert customer.group_id is None


def test_release_of_an_empty_group_moves_nobody(make):
    empty = make.group("Empty")
    other = make.group("Other")
    member = make.customer(group=other)
    assert release_customers(empty) == 0
    db.session.commit()
    assert _group_of(member.id) == other.id


def test_group_can_be_deleted_after_release_and_customers_stay(make):
    vip = make.group("VIP")
    customer_id = make.customer(group=vip).id
    release_customers(vip)
    db.session.delete(vip)
    db.session.commit()
    assert db.session.get(CustomerGroup, vip.id) is None
    assert db.session.get(Customer, customer_id) is not None
    assert _group_of(customer_id) is None


def test_group_choices_lists_groups_by_name(make):
    b = make.group("Beta")
    a = make.group("Alpha")
    assert group_choices() == [(a.id, "Alpha"), (b.id, "Beta")]
