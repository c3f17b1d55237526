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

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    String,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)

from ..choices import DuplicateReason
from ..database import lock_row, reserve_ids
from ..extensions import db
from ..models import (
    Customer,
    DuplicateGroup,
    DuplicateMember,
    DuplicateScan,
    Guest,
    current_customers,
    utcnow,
)

# A scan asked for and not finished after this long went with its worker (a scan
# of a million customers takes minutes): it no longer shows as under way.
SCAN_LOST = timedelta(hours=1)
WRITE_CHUNK = 5000  # groups written per INSERT (their members follow in one too)

Member = tuple[int | None, int | None]  # (customer id, guest id): one of them None


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


# -- the scan -----------------------------------------------------------------------------

def _candidate_customers():
    return select(Customer).where(*current_customers())


def _candidate_guests():
    return select(Guest).where(Guest.customer_id.is_(None), Guest.converted_at.is_(None))


def _folded(column):
    """Upper case, without spaces or dashes: "lc-0001 22" and "LC000122" are one."""
    return func.upper(func.replace(func.replace(column, " ", ""), "-", ""))


def _candidates(reason: str):
    """The rows the reason groups: (k1, k2, customer_id, guest_id)."""
    customers, guests = _candidate_customers(), _candidate_guests()
    none = literal(None, type_=Customer.id.type)
    blank = literal("")

    def from_customers(k1, k2=blank):
        return customers.where(k1.isnot(None), k1 != "").with_only_columns(
            k1.label("k1"), k2.label("k2"), Customer.id.label("customer_id"),
            none.label("guest_id"))

    def from_guests(k1):
        return guests.where(k1.isnot(None), k1 != "").with_only_columns(
            k1.label("k1"), blank.label("k2"), none.label("customer_id"),
            Guest.id.label("guest_id"))

    if reason == DuplicateReason.EMAIL:
        return union_all(from_customers(Customer.email_key), from_guests(Guest.email_key))
    if reason == DuplicateReason.PHONE:
        return union_all(from_customers(Customer.phone), from_guests(Guest.phone))
    if reason == DuplicateReason.CARD:
        return from_customers(_folded(Customer.card_number))
    if reason == DuplicateReason.NAME_BIRTHDAY:
        return from_customers(Customer.sort_name, cast(Customer.birthday, String)) \
            .where(Customer.birthday.isnot(None))
    postcode = _folded(Customer.postcode)
    return from_customers(Customer.sort_name, postcode).where(postcode.isnot(None), postcode != "")


def _groups_of(reason: str) -> Iterable[list[Member]]:
    """The members of each group the reason finds, one list per shared key."""
    rows = _candidates(reason).subquery()
    # One sort of the candidates: each row with the size of its key's group (a window
    # over the same order), then only the rows of groups of two or more.
    key_columns = (rows.c.k1, rows.c.k2)
    sized = select(rows, func.count().over(partition_by=key_columns).label("size"),
                   func.count(rows.c.customer_id).over(partition_by=key_columns)
                   .label("customers")).subquery()
    statement = (select(sized.c.k1, sized.c.k2, sized.c.customer_id, sized.c.guest_id)
                 .where(sized.c.size > 1, sized.c.customers > 0)
                 .order_by(sized.c.k1, sized.c.k2))
    key: tuple | None = None
    members: list[Member] = []
    for k1, k2, customer_id, guest_id in db.session.execute(statement):
        if (k1, k2) != key and members:
            yield members
            members = []
        key = (k1, k2)
        members.append((customer_id, guest_id))
    if members:
        yield members


@dataclass
class Found:
    reason: str
    members: list[Member]


def find() -> list[Found]:
    """Every group, strongest reason first. A weaker group whose members all share
    a stronger one already (same email, and same name and postcode) adds nothing
    and is left out. Reads only: nothing is locked while it runs."""
    found: list[Found] = []
    groups_of_member: dict[Member, set[int]] = {}
    for reason in DuplicateReason.values():
        for members in _groups_of(reason):
            shared = set.intersection(*(groups_of_member.get(m, set()) for m in members))
            if shared:
                continue
            for member in members:
                groups_of_member.setdefault(member, set()).add(len(found))
            found.append(Found(reason, members))
    return found


def ask_for_scan() -> DuplicateScan:
    """A scan waiting for the worker (the page shows it under way); the caller
    commits and queues ``scan(its id)``."""
    row = DuplicateScan(started_at=utcnow(), finished_at=None, groups_found=0)
    db.session.add(row)
    db.session.flush()
    return row


def scan(scan_id: int | None = None, *,
         commit: Callable[[], None] = lambda: None) -> DuplicateScan | None:
    """Find every group and write them as the scan ``scan_id`` (a new one, shown under
    way at once, when None), then delete the older scans; None when that scan is
    finished already (a second run of its task changes nothing). The groups are
    found before anything is written, then written in one transaction ended by
    ``commit``: the page never sees half a scan, and SQLite's other writers wait
    only for the writing."""
    if scan_id is None:
        scan_id = ask_for_scan().id
        commit()
    row = db.session.get(DuplicateScan, scan_id)
    if row is None or row.finished_at is not None:
        return None
    found = find()
    row = lock_row(DuplicateScan, scan_id)
    if row is None or row.finished_at is not None:
        return None  # another run of the task finished it meanwhile
    _drop_scans([row.id], groups_only=True)  # what a run killed mid-way left
    # Records merged, erased, converted or deleted while the groups were found (their
    # forget() found nothing to forget yet) are left out now, under the write lock.
    found = _still_candidates(found)
    _write(row.id, found)
    row.groups_found = len(found)
    row.finished_at = utcnow()
    _drop_older_scans(row)
    commit()
    return row


CHECK_CHUNK = 5000  # ids per IN (...) when checking members again


def _still_candidates(found: list[Found]) -> list[Found]:
    customers = _eligible(_candidate_customers(), Customer.id,
                          {c for group in found for c, _g in group.members if c is not None})
    guests = _eligible(_candidate_guests(), Guest.id,
                       {g for group in found for _c, g in group.members if g is not None})
    kept = []
    for group in found:
        members = [(c, g) for c, g in group.members if c in customers or g in guests]
        if len(members) > 1 and any(c is not None for c, _g in members):
            kept.append(Found(group.reason, members))
    return kept


def _eligible(candidates, id_column, ids: set[int]) -> set[int]:
    ordered, still = sorted(ids), set[int]()
    for start in range(0, len(ordered), CHECK_CHUNK):
        chunk = ordered[start:start + CHECK_CHUNK]
        still.update(db.session.scalars(candidates.with_only_columns(id_column).where(
            id_column.between(chunk[0], chunk[-1]), id_column.in_(chunk))))
    return still


def _write(scan_id: int, found: list[Found]) -> None:
    for start in range(0, len(found), WRITE_CHUNK):
        chunk = found[start:start + WRITE_CHUNK]
        ids = reserve_ids(DuplicateGroup.__table__, len(chunk))
        db.session.execute(insert(DuplicateGroup.__table__), [
            {"id": group_id, "scan_id": scan_id, "reason": group.reason,
             "strength": DuplicateReason.strength(group.reason), "size": len(group.members)}
            for group_id, group in zip(ids, chunk, strict=True)])
        db.session.execute(insert(DuplicateMember.__table__), [
            {"group_id": group_id, "customer_id": customer_id, "guest_id": guest_id}
            for group_id, group in zip(ids, chunk, strict=True)
            for customer_id, guest_id in group.members])


def _drop_older_scans(row: DuplicateScan) -> None:
    """Every other finished scan, and those asked for before this one (still queued,
    or lost with their worker: their task then finds nothing to do)."""
    older = list(db.session.scalars(select(DuplicateScan.id).where(
        DuplicateScan.id != row.id,
        or_(DuplicateScan.finished_at.isnot(None), DuplicateScan.id < row.id))))
    _drop_scans(older)


def _drop_scans(scan_ids: list[int], *, groups_only: bool = False) -> None:
    if not scan_ids:
        return
    groups = select(DuplicateGroup.id).where(DuplicateGroup.scan_id.in_(scan_ids))
    db.session.execute(delete(DuplicateMember).where(DuplicateMember.group_id.in_(groups))
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(DuplicateGroup).where(DuplicateGroup.scan_id.in_(scan_ids))
                       .execution_options(synchronize_session=False))
    if not groups_only:
        db.session.execute(delete(DuplicateScan).where(DuplicateScan.id.in_(scan_ids))
                           .execution_options(synchronize_session=False))


# -- what the page reads -------------------------------------------------------------------

def latest_scan() -> DuplicateScan | None:
    """The newest finished scan: the one the page shows."""
    return db.session.scalar(select(DuplicateScan).where(DuplicateScan.finished_at.isnot(None))
                             .order_by(DuplicateScan.finished_at.desc(), DuplicateScan.id.desc())
                             .limit(1))


def scan_under_way(now: datetime | None = None) -> DuplicateScan | None:
    """A scan asked for (or started by the schedule) after the latest finished one
    and not finished yet, unless its worker was lost (SCAN_LOST)."""
    now = now or utcnow()
    latest = latest_scan()
    return db.session.scalar(select(DuplicateScan).where(
        DuplicateScan.finished_at.is_(None), DuplicateScan.started_at >= now - SCAN_LOST,
        DuplicateScan.id > (latest.id if latest else 0))
        .order_by(DuplicateScan.id.desc()).limit(1))


def counts(scan: DuplicateScan) -> dict[str, int]:
    """Groups per reason in the scan, strongest first (reasons without any left out):
    one GROUP BY over the (scan_id, strength, id) index."""
    reasons = DuplicateReason.values()
    rows = db.session.execute(
        select(DuplicateGroup.strength, func.count()).where(DuplicateGroup.scan_id == scan.id)
        .group_by(DuplicateGroup.strength).order_by(DuplicateGroup.strength)).all()
    return {reasons[strength]: count for strength, count in rows if 0 <= strength < len(reasons)}


PAGE_SIZE = 25  # groups a page


@dataclass
class Shown:
    """A group as the page shows it: customers first by date added, guests after."""

    group: DuplicateGroup
    customers: list[Customer]
    guests: list[Guest]


def page_of_groups(scan: DuplicateScan, reason: str | None = None, page: int = 0) -> list[Shown]:
    """The ``page``-th 25 groups of the scan (of one reason, or all), by strength then
    id: an OFFSET over the (scan_id, strength, id) index, then their members."""
    where = [DuplicateGroup.scan_id == scan.id]
    if reason is not None:
        where.append(DuplicateGroup.strength == DuplicateReason.strength(reason))
    groups = list(db.session.scalars(
        select(DuplicateGroup).where(*where).order_by(DuplicateGroup.strength, DuplicateGroup.id)
        .offset(max(page, 0) * PAGE_SIZE).limit(PAGE_SIZE)))
    members = db.session.execute(
        select(DuplicateMember.group_id, Customer, Guest)
        .outerjoin(Customer, Customer.id == DuplicateMember.customer_id)
        .outerjoin(Guest, Guest.id == DuplicateMember.guest_id)
        .where(DuplicateMember.group_id.in_([group.id for group in groups]))).all()
    shown = {group.id: Shown(group, [], []) for group in groups}
    # Between two scans, forget() takes out what the services change; what changed
    # some other way (a scan that raced a merge, a change by hand) is left out here.
    for group_id, customer, guest in members:
        if customer is not None and not (customer.is_tombstone or customer.erased_at):
            shown[group_id].customers.append(customer)
        elif guest is not None and guest.customer_id is None and guest.converted_at is None:
            shown[group_id].guests.append(guest)
    for one in shown.values():
        one.customers.sort(key=lambda customer: (customer.created_at, customer.id))
        one.guests.sort(key=lambda guest: (guest.created_at, guest.id))
    # Every member gone (deleted records) and never forgotten: nothing left to show.
    return [one for one in shown.values()
            if one.customers and len(one.customers) + len(one.guests) > 1]
