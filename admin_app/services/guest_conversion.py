"""Guests made customers: a new customer from the guest's details, or the guest
attached to the customer who has their email or phone; one by one, or every guest
whose email matches exactly one customer at once.

Either way the guest's orders move to the customer (one statement: the orders'
CHECK allows one buyer), the customer's sales value and number of orders are
counted again from their orders, and the guest stays as a tombstone that points
to the customer. Each guest made a customer is one GUEST_CONVERTED event on the
guest and one on the customer, naming the orders moved. Rows are locked
customer first, then guest (as the ledger locks customer, then wallet), so a
merge or a second operator converting the same guest waits, then sees it done.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import bindparam, false, func, select, update
from sqlalchemy.exc import IntegrityError

from ..choices import AuditAction, Channel, OrderType
from ..database import dialect, lock_row
from ..extensions import db
from ..models import Customer, Guest, Order, current_customers, email_key, utcnow
from . import audit, duplicates, search
from .errors import DomainError
from .orders import NOT_SALES

# Customers offered on a guest's page before "create a new one".
MATCHES_SHOWN = 20
# Guests attached per confirmation of "attach every guest whose email matches":
# one transaction, which holds its customers and guests locked (SQLite: the
# database's only write lock) for under a second on SQLite, under two on
# PostgreSQL at this size (measured with two orders a guest); the page offers the
# rest again.
BULK_LIMIT = 2_000
# Rows per statement within it.
CHUNK = 500


class ConversionError(DomainError):
    """A guest that cannot be made a customer this way; nothing was written."""


@dataclass
class Match:
    """A customer who may be the guest: why (DuplicateReason values)."""

    customer: Customer
    reasons: list[str]


@dataclass
class EmailMatches:
    """Guests (not yet customers) whose email is a customer's: ``attachable`` match
    exactly one customer; ``ambiguous`` match several (emails written differently
    that fold to the same, "Ana@x.es" and "ana@x.es")."""

    attachable: int
    ambiguous: int


@dataclass
class BulkResult:
    attached: int
    orders_moved: int
    ambiguous: int
    remaining: int


def split_name(name: str | None) -> tuple[str, str]:
    """A guest's one name as first name and surname: the first word, and the rest."""
    first, _space, rest = " ".join((name or "").split()).partition(" ")
    return first, rest


def default_channel(guest: Guest) -> str:
    """Where the new customer buys: in store if the guest's newest order was taken
    in a store, online otherwise (buying without an account is the online store's way)."""
    newest = db.session.scalar(
        select(Order.order_type).where(Order.guest_id == guest.id)
        .order_by(Order.created_at.desc(), Order.id.desc()).limit(1))
    return Channel.IN_STORE if newest == OrderType.IN_STORE else Channel.ONLINE


def _live(query):
    """Customers a guest may become: not merged away, not erased."""
    return query.where(*current_customers())


def matching_customers(guest: Guest, limit: int = MATCHES_SHOWN) -> list[Match]:
    """Customers with the guest's email (folded) or phone (E.164), email first."""
    found: dict[int, Match] = {}
    ways = (("email", Customer.email_key, guest.email_key), ("phone", Customer.phone, guest.phone))
    for reason, column, value in ways:
        if not value:
            continue
        for customer in db.session.scalars(_live(select(Customer)).where(column == value)
                                           .order_by(Customer.id).limit(limit)):
            found.setdefault(customer.id, Match(customer, [])).reasons.append(reason)
    return list(found.values())[:limit]


def attach(guest: Guest, customer: Customer) -> list[str]:
    """Attach the guest to an existing customer who has their email or phone; returns
    the sale codes of the orders moved."""
    customer = _lock_customer(customer.id)
    guest = _lock_guest(guest.id)
    if not _same_person(guest, customer):
        raise ConversionError(_("%(customer)s has neither the email nor the phone of "
                                "%(guest)s.", customer=customer.full_name, guest=guest.name))
    return _convert([(guest.id, customer.id)])[guest.id]


def create_customer(guest: Guest, *, first_name: str, surname: str, email: str | None,
                    phone: str | None, channel: str, language: str) -> Customer:
    """A new customer from the guest (the details as the operator corrected them),
    holding the guest's orders. Refused when a customer already has the email."""
    guest = _lock_guest(guest.id)
    key = email_key(email)
    owner = db.session.scalar(select(Customer).where(Customer.email_key == key).limit(1)) \
        if key else None
    if owner is not None:
        raise _email_taken(email, owner.full_name)
    customer = Customer(first_name=first_name, surname=surname, email=email, phone=phone,
                        channel=channel, language=language)
    db.session.add(customer)
    try:
        db.session.flush()
    except IntegrityError:  # the same email saved by someone else a moment ago
        raise _email_taken(email, None) from None
    _convert([(guest.id, customer.id)])
    return customer


def _email_taken(email: str | None, name: str | None) -> ConversionError:
    if name is None:
        return ConversionError(_("A customer already has the email %(email)s: attach the "
                                 "guest to them instead.", email=email))
    return ConversionError(_("A customer already has the email %(email)s (%(name)s): attach "
                             "the guest to them instead.", email=email, name=name))


def email_matches() -> EmailMatches:
    """How many guests "attach every guest whose email matches" would attach, and
    how many it would skip."""
    counted = _by_email().subquery()
    row = db.session.execute(select(
        func.count().filter(counted.c.customers == 1),
        func.count().filter(counted.c.customers > 1))).one()
    return EmailMatches(attachable=row[0] or 0, ambiguous=row[1] or 0)


def differing_names(shown: int = 50) -> list[tuple[Guest, Customer]]:
    """Of the guests the next bulk attach takes, those whose name is not their
    customer's (folded): a shared family address, a typo. What a person checks first."""
    pairs = _attachable(BULK_LIMIT)
    guests = {g.id: g for g in db.session.scalars(
        select(Guest).where(Guest.id.in_([guest_id for guest_id, _c in pairs])))}
    customers = {c.id: c for c in db.session.scalars(
        select(Customer).where(Customer.id.in_({customer_id for _g, customer_id in pairs})))}
    differing = [(guests[g], customers[c]) for g, c in pairs
                 if search.fold(guests[g].name) != search.fold(customers[c].full_name)]
    return differing[:shown]


def attach_all_by_email(limit: int | None = None) -> BulkResult:
    """Attach up to ``limit`` (BULK_LIMIT) guests whose email (folded) is exactly one
    customer's, oldest guests first, in the caller's transaction; guests whose email
    several customers share are skipped (counted in ``ambiguous``)."""
    limit = limit or BULK_LIMIT
    attached = moved = 0
    candidates = _attachable(limit)  # one look over every guest, then chunk by chunk
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start:start + CHUNK]
        _lock_rows(Customer, sorted({customer_id for _guest_id, customer_id in chunk}))
        _lock_rows(Guest, [guest_id for guest_id, _customer_id in chunk])
        # Read again under the locks: what another request changed meanwhile counts.
        pairs = _attachable(len(chunk), among=[guest_id for guest_id, _c in chunk])
        if pairs:
            codes = _convert(pairs)
            attached += len(pairs)
            moved += sum(len(sale_codes) for sale_codes in codes.values())
    left = email_matches()
    return BulkResult(attached=attached, orders_moved=moved, ambiguous=left.ambiguous,
                      remaining=left.attachable)


# -- the work both ways share ---------------------------------------------------------

def _by_email():
    """Guests not yet customers, with how many live customers share their email
    (folded) and the first of them: (guest id, customers, customer id)."""
    return _live(
        select(Guest.id.label("guest_id"), func.count(Customer.id).label("customers"),
               func.min(Customer.id).label("customer_id"))
        .join(Customer, Customer.email_key == Guest.email_key)
        .where(Guest.customer_id.is_(None), Guest.email_key.is_not(None))
    ).group_by(Guest.id)


def _attachable(size: int, among: list[int] | None = None) -> list[tuple[int, int]]:
    query = _by_email()
    if among is not None:
        query = query.where(Guest.id.in_(among))
    counted = query.subquery()
    return [(guest_id, customer_id) for guest_id, customer_id in db.session.execute(
        select(counted.c.guest_id, counted.c.customer_id).where(counted.c.customers == 1)
        .order_by(counted.c.guest_id).limit(size))]


def _same_person(guest: Guest, customer: Customer) -> bool:
    return bool((guest.email_key and guest.email_key == customer.email_key)
                or (guest.phone and guest.phone == customer.phone))


def _lock_customer(customer_id: int) -> Customer:
    customer = lock_row(Customer, customer_id)
    if customer is None:
        raise ConversionError(_("This customer does not exist (any more)."))
    if customer.merged_into_id is not None:
        raise ConversionError(_(
            "This customer was merged into customer #%(id)s: attach the guest to that one.",
            id=customer.merged_into_id))
    if customer.erased_at is not None:
        raise ConversionError(_("This customer's personal data was erased: no guest can be "
                                "attached to them."))
    return customer


def _lock_guest(guest_id: int) -> Guest:
    guest = lock_row(Guest, guest_id)
    if guest is None:
        raise ConversionError(_("This guest does not exist (any more)."))
    if guest.customer_id is not None:
        raise ConversionError(_("%(name)s was already made a customer.", name=guest.name))
    return guest


def _lock_rows(model, ids: list[int]) -> None:
    """Lock these rows till the transaction ends, in id order (PostgreSQL); SQLite
    has one writer at a time: a write that changes nothing takes its lock."""
    table = model.__table__
    if dialect() == "sqlite":
        db.session.execute(update(table).where(false()).values(id=table.c.id))
        return
    for start in range(0, len(ids), CHUNK):
        db.session.execute(select(table.c.id).where(table.c.id.in_(ids[start:start + CHUNK]))
                           .order_by(table.c.id).with_for_update())


def _convert(pairs: list[tuple[int, int]]) -> dict[int, list[str]]:
    """Make each guest of (guest id, customer id) the customer's: its orders move,
    the customer's figures are counted again, the guest points to the customer, and
    both are audited. The caller holds the locks. Returns guest id -> sale codes moved."""
    now = utcnow()
    guest_ids = [guest_id for guest_id, _customer_id in pairs]
    moved: dict[int, list[str]] = {guest_id: [] for guest_id in guest_ids}
    for order in db.session.execute(
            select(Order.guest_id, Order.sale_code).where(Order.guest_id.in_(guest_ids))
            .order_by(Order.id)):
        moved[order.guest_id].append(order.sale_code)
    guests, orders = Guest.__table__, Order.__table__
    db.session.execute(
        update(guests).where(guests.c.id == bindparam("b_guest"))
        .values(customer_id=bindparam("b_customer"), converted_at=now),
        [{"b_guest": guest_id, "b_customer": customer_id} for guest_id, customer_id in pairs])
    # One statement per order row: buyer from guest to customer (the guest now names it).
    db.session.execute(
        update(orders).where(orders.c.guest_id.in_(guest_ids))
        .values(customer_id=select(guests.c.customer_id)
                .where(guests.c.id == orders.c.guest_id).scalar_subquery(),
                guest_id=None))
    figures = _count_again(sorted({customer_id for _guest_id, customer_id in pairs}), now)
    duplicates.forget(guest_ids=guest_ids)
    _audit(pairs, moved, figures)
    _forget_loaded(guest_ids)
    return moved


def _count_again(customer_ids: list[int], now) -> dict[int, dict]:
    """Sales value and number of orders of these customers, counted from their
    orders and stored; returns customer id -> {field: (before, after)} of what changed."""
    table = Customer.__table__
    before = {row.id: (row.orders_count, row.sales_value_minor) for row in db.session.execute(
        select(table.c.id, table.c.orders_count, table.c.sales_value_minor)
        .where(table.c.id.in_(customer_ids)))}
    # int(): PostgreSQL sums a BIGINT as a NUMERIC (a Decimal), which JSON cannot keep.
    after = {customer_id: (count, int(total)) for customer_id, count, total in db.session.execute(
        select(Order.customer_id, func.count(Order.id),
               func.coalesce(func.sum(Order.total_minor), 0))
        .where(Order.customer_id.in_(customer_ids), Order.status.not_in(NOT_SALES))
        .group_by(Order.customer_id))}
    changed = {}
    for customer_id, (count, total) in before.items():
        new_count, new_total = after.get(customer_id, (0, 0))
        changes = {}
        if new_count != count:
            changes["orders_count"] = (count, new_count)
        if new_total != total:
            changes["sales_value_minor"] = (total, new_total)
        changed[customer_id] = changes
    rows = [{"b_customer": customer_id, "b_count": after.get(customer_id, (0, 0))[0],
             "b_total": after.get(customer_id, (0, 0))[1]}
            for customer_id, changes in changed.items() if changes]
    if rows:
        db.session.execute(
            update(table).where(table.c.id == bindparam("b_customer"))
            .values(orders_count=bindparam("b_count"), sales_value_minor=bindparam("b_total"),
                    updated_at=now), rows)
    return changed


def _audit(pairs: list[tuple[int, int]], moved: dict[int, list[str]],
           figures: dict[int, dict]) -> None:
    names = dict(db.session.execute(select(Guest.id, Guest.name).where(
        Guest.id.in_([guest_id for guest_id, _c in pairs]))).all())
    user = audit.actor()  # one look for the chunk's events
    rows = []
    for guest_id, customer_id in pairs:
        orders = ", ".join(moved[guest_id]) or "none"
        rows.append(audit.event_row(
            AuditAction.GUEST_CONVERTED, object_type="Guest", object_id=guest_id,
            summary=f"{names[guest_id]}: made customer #{customer_id}; orders moved: "
                    f"{orders}"[:2000],
            changes={"customer_id": [None, customer_id]}, user=user))
        rows.append(audit.event_row(
            AuditAction.GUEST_CONVERTED, object_type="Customer", object_id=customer_id,
            summary=f"Guest #{guest_id} ({names[guest_id]}) attached; orders moved: "
                    f"{orders}"[:2000],
            # A customer with several guests in one chunk: their figures said once.
            changes={field: list(values)
                     for field, values in figures.pop(customer_id, {}).items()}, user=user))
    db.session.execute(audit.AUDIT_TABLE.insert(), rows)  # one statement for the chunk


def _forget_loaded(guest_ids: Iterable[int]) -> None:
    """Rows changed by statements: the session's copies are read again when next used."""
    wanted = set(guest_ids)
    for record in list(db.session.identity_map.values()):
        if (isinstance(record, Guest) and record.id in wanted) or isinstance(
                record, (Customer, Order)):
            db.session.expire(record)
