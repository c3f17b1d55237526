"""services/duplicates: the scan finds each reason (folded email, card and name,
guests by email and phone), strongest first, never tombstones, erased customers or
converted guests; forget() keeps the result right between two scans."""
from __future__ import annotations

from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import DuplicateGroup, DuplicateMember, DuplicateScan, utcnow
from admin_app.services import duplicates

from ..pages import row_count


def hand_made_group(scan, *members, reason="email"):
    """A group of (customer id, guest id) pairs in ``scan``, written as the scan would."""
    group = DuplicateGroup(scan_id=scan.id, reason=reason, strength=0, size=len(members))
    db.session.add(group)
    db.session.flush()
    for customer_id, guest_id in members:
        db.session.add(DuplicateMember(group_id=group.id, customer_id=customer_id,
                                       guest_id=guest_id))
    db.session.commit()
    return group.id


def test_forget_drops_members_and_the_groups_left_too_small(make):
    a, b, c = make.customer(), make.customer(), make.customer()
    guest = make.guest()
    scan = DuplicateScan(started_at=utcnow(), finished_at=utcnow(), groups_found=3)
    db.session.add(scan)
    db.session.commit()
    pair = hand_made_group(scan, (a.id, None), (b.id, None))
    three = hand_made_group(scan, (a.id, None), (b.id, None), (c.id, None))
    with_guest = hand_made_group(scan, (c.id, None), (None, guest.id))

    assert duplicates.forget(customer_ids=[a.id]) == 1
    db.session.commit()
    assert db.session.get(DuplicateGroup, pair) is None
    assert db.session.get(DuplicateGroup, three).size == 2
    assert db.session.get(DuplicateScan, scan.id).groups_found == 2

    # A guest alone is nothing to merge: the group goes with its last customer.
    assert duplicates.forget(customer_ids=[c.id]) == 2
    db.session.commit()
    assert row_count(DuplicateGroup) == 0
    assert row_count(DuplicateMember) == 0
    assert db.session.get(DuplicateScan, scan.id).groups_found == 0
    assert db.session.get(DuplicateGroup, with_guest) is None


def test_forget_by_guest_and_of_nobody(make):
    a = make.customer()
    guest = make.guest()
    scan = DuplicateScan(started_at=utcnow(), finished_at=utcnow(), groups_found=1)
    db.session.add(scan)
    db.session.commit()
    hand_made_group(scan, (a.id, None), (None, guest.id))
    assert duplicates.forget() == 0
    assert duplicates.forget(customer_ids=[999999]) == 0
    assert duplicates.forget(guest_ids=[guest.id]) == 1
    db.session.commit()
    assert db.session.scalars(select(DuplicateGroup)).all() == []
