"""Customers (and guests) that look like one person: found by a scan, kept fresh.

``scan()`` groups the records by each DuplicateReason (a GROUP BY ... HAVING
count(*) > 1 per reason), writes a new DuplicateScan with its groups and members in
bulk, then deletes the older scans; a scheduled job runs it (jobs/duplicates.py), and
so does the page's "Look again now". The page reads only the latest finished scan,
so it answers at once whatever the number of customers.

Between two scans, ``forget()`` takes records out of the groups as soon as they
stop being candidates (merged, erased, made a customer): the merge, erasure and
guest conversion services call it in their own transaction.

A group always holds two records or more, one customer at least (guests are shown
beside the customers they match; two guests alone are nothing to merge). Merged
customers, erased ones and converted guests are never members.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, or_, select, update

from ..extensions import db
from ..models import DuplicateGroup, DuplicateMember, DuplicateScan


def forget(customer_ids: Iterable[int] = (), guest_ids: Iterable[int] = ()) -> int:
    """Take these customers and guests out of every duplicate group; a group left
    with fewer than two members, or with no customer, goes. Returns the number of
    groups gone. The caller commits (with the change that made them go)."""
    customer_ids, guest_ids = list(customer_ids), list(guest_ids)
    chosen = []
    if customer_ids:
        chosen.append(DuplicateMember.customer_id.in_(customer_ids))
    if guest_ids:
        chosen.append(DuplicateMember.guest_id.in_(guest_ids))
    if not chosen:
        return 0
    group_ids = list(db.session.scalars(
        select(DuplicateMember.group_id).where(or_(*chosen)).distinct()))
    if not group_ids:
        return 0
    db.session.execute(delete(DuplicateMember).where(or_(*chosen))
                       .execution_options(synchronize_session=False))
    left = db.session.execute(
        select(DuplicateMember.group_id, func.count(), func.count(DuplicateMember.customer_id))
        .where(DuplicateMember.group_id.in_(group_ids)).group_by(DuplicateMember.group_id)).all()
    sizes = {group_id: size for group_id, size, customers in left if size >= 2 and customers}
    gone = [group_id for group_id in group_ids if group_id not in sizes]
    for group_id, size in sizes.items():
        db.session.execute(update(DuplicateGroup).where(DuplicateGroup.id == group_id)
                           .values(size=size).execution_options(synchronize_session=False))
    if gone:
        _drop_groups(gone)
    return len(gone)


def _drop_groups(group_ids: list[int]) -> None:
    """Delete these groups and their members, and count them out of their scans."""
    per_scan = db.session.execute(
        select(DuplicateGroup.scan_id, func.count()).where(DuplicateGroup.id.in_(group_ids))
        .group_by(DuplicateGroup.scan_id)).all()
    db.session.execute(delete(DuplicateMember).where(DuplicateMember.group_id.in_(group_ids))
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(DuplicateGroup).where(DuplicateGroup.id.in_(group_ids))
                       .execution_options(synchronize_session=False))
    for scan_id, dropped in per_scan:
        db.session.execute(
            update(DuplicateScan).where(DuplicateScan.id == scan_id)
            .values(groups_found=DuplicateScan.groups_found - dropped)
            .execution_options(synchronize_session=False))
