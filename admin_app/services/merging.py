"""Merging customers: two or more records of one person become one.

The preview and the merge are computed by the same code (``plan``), so what the
preview shows is what happens. The preview carries a fingerprint of everything the
merge reads (the customers' rows, their wallets and balances, the ids of every
record they hold); the merge locks the customers (ascending id) and then their
wallets, computes the fingerprint again under those locks, and refuses if it
differs: whatever changed in between, nothing is written.

Then, in the caller's transaction: wallets change owner through the ledger (an
owner-change movement each, codes and histories kept), points move as a ledger
pair ("Merged into #B" / "Merged from #A"), every other record is re-pointed to the
survivor, the survivor gets the chosen values and recomputed figures, and each
merged-away customer stays as a tombstone pointing to the survivor. One audit event
on the survivor lists every moved record; one on each tombstone says where it went.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, update

from ..choices import AuditAction, ConsentSource, InvoiceStatus
from ..database import lock_row
from ..extensions import db
from ..models import (
    Address,
    AdminUser,
    ConsentChange,
    Customer,
    DuplicateMember,
    Guest,
    ImportBatch,
    ImportChange,
    Invoice,
    Notification,
    OfferEvent,
    Order,
    Wallet,
    WishlistItem,
    utcnow,
)
from . import audit, consent, duplicates, ledger
from .errors import DomainError
from .orders import NOT_SALES

# The customer's own fields a merge chooses between, in the order the page shows them.
FIELDS = ("first_name", "surname", "email", "phone", "postcode", "country", "birthday",
          "card_number", "tax_id", "group_id", "marketing_opt_in", "loyalty_member",
          "language", "channel", "notes")
# Unique where given: cleared on the tombstones before the survivor takes them.
UNIQUE_FIELDS = ("email", "card_number")
# How many records of a kind the preview names (it counts them all).
NAMED = 20
# Ids per statement when records are re-pointed.
CHUNK = 500


class MergeError(DomainError):
    """A merge the rules refuse; nothing was written."""


class MergeChanged(MergeError):
    """Something changed since the preview: the merge is refused, a new preview shown."""


# -- which customers ------------------------------------------------------------------

# One person's records, not a list: a preview names everything that moves for each.
MAX_CUSTOMERS = 20


def parse_ids(text: str | None) -> list[int]:
    """"3,7, 12" -> [3, 7, 12], repeats dropped; anything but whole numbers is refused."""
    ids: list[int] = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isascii() or not part.isdigit() or len(part) > 18:
            raise MergeError(_("“%(id)s” is not a customer number.", id=part[:20]))
        if int(part) not in ids:
            ids.append(int(part))
        if len(ids) > MAX_CUSTOMERS:
            raise MergeError(_("At most %(num)s customers are merged at once.",
                               num=MAX_CUSTOMERS))
    return ids


def customers_for(ids: Iterable[int], *, lock: bool = False) -> list[Customer]:
    """The customers of ``ids`` in ascending id order (locked, in that order, when
    ``lock``); refused if one is unknown, merged away or erased."""
    found = []
    for customer_id in sorted(set(ids)):
        customer = (lock_row(Customer, customer_id) if lock
                    else db.session.get(Customer, customer_id))
        if customer is None:
            raise MergeError(_("There is no customer #%(id)s.", id=customer_id))
        if customer.is_tombstone:
            raise MergeError(_("Customer #%(id)s was already merged into customer #%(into)s.",
                               id=customer.id, into=customer.merged_into_id))
        if customer.erased_at is not None:
            raise MergeError(_("The personal data of customer #%(id)s was erased: "
                               "it cannot be merged.", id=customer.id))
        found.append(customer)
    return found


def default_survivor(customers: list[Customer]) -> Customer:
    """The oldest customer: the number the person, their cards and old exports have
    known longest, so most old links land on the survivor itself."""
    return min(customers, key=lambda c: (c.created_at, c.id))


def _check_survivor(customers: list[Customer], survivor_id: int | None) -> Customer:
    if len(customers) < 2:
        raise MergeError(_("Choose at least two different customers to merge."))
    survivor = next((c for c in customers if c.id == survivor_id), None)
    if survivor is None:
        raise MergeError(_("The customer to keep must be one of the customers merged."))
    return survivor


# -- what a merge does ------------------------------------------------------------------

@dataclass
class FieldChoice:
    """A field whose non-empty values differ: each value, and whose is preselected."""

    name: str
    options: list[tuple[int, Any]]  # (customer id, value), one per distinct value
    default: int                    # the option (customer id) preselected
    # Each customer holding a value -> the option that shows it: a value several
    # customers share is offered once, under the first of them.
    shown_as: dict[int, int] = field(default_factory=dict)

    def option_for(self, customer_id: int | None) -> int:
        """The option showing ``customer_id``'s value (a choice made on an earlier
        preview, which may now be offered under another customer), else the default."""
        if customer_id is None:
            return self.default
        return self.shown_as.get(customer_id, self.default)


@dataclass
class Moved:
    """Records of one kind that move to the survivor."""

    ids: list[int]
    names: list[str] = field(default_factory=list)  # the first NAMED, as people name them

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def unnamed(self) -> int:
        return self.count - len(self.names)


@dataclass
class WalletMove:
    wallet: Wallet
    from_id: int
    keeps_store_credit: bool  # False: a store-credit wallet that becomes a plain wallet


@dataclass
class PointsMove:
    from_id: int
    points: int


@dataclass
class Plan:
    """Everything a merge of these customers into ``survivor`` would do."""

    customers: list[Customer]
    survivor: Customer
    others: list[Customer]
    choices: list[FieldChoice]
    # field -> the customer whose value the survivor takes, for every field (a
    # field with one non-empty value takes it; a choice takes its default).
    sources: dict[str, int]
    # Fields nobody chooses whose value comes from another customer (the survivor
    # has none): field -> that customer's id.
    taken: dict[str, int]
    wallets: list[WalletMove]
    points: list[PointsMove]
    moved: dict[str, Moved]  # kind -> records re-pointed to the survivor
    forgotten_duplicates: int
    # The survivor afterwards.
    balance_minor: int
    loyalty_points: int
    orders_count: int
    sales_value_minor: int
    unpaid_minor: int
    account_limit_minor: int | None
    loyalty_member_forced: bool  # points arrive, so the survivor is a member
    fingerprint: str

    @property
    def other_ids(self) -> list[int]:
        return [c.id for c in self.others]


def _newest_first(customers: list[Customer]) -> list[Customer]:
    return sorted(customers, key=lambda c: (c.updated_at or c.created_at, c.id), reverse=True)


def _filled(value) -> bool:
    return value is not None and value != ""


def field_choices(customers: list[Customer]) -> tuple[list[FieldChoice], dict[str, int]]:
    """The fields to choose, and the customer each field's value comes from by
    default: the most recently updated customer that has a value."""
    newest = _newest_first(customers)
    choices, sources = [], {}
    for name in FIELDS:
        holders = [c for c in newest if _filled(getattr(c, name))]
        if not holders:
            sources[name] = newest[0].id
            continue
        sources[name] = holders[0].id
        options: list[tuple[int, Any]] = []
        shown_as: dict[int, int] = {}
        for customer in sorted(holders, key=lambda c: c.id):
            value = getattr(customer, name)
            shown = next((option for option, seen in options if seen == value), None)
            if shown is None:
                options.append((customer.id, value))
                shown = customer.id
            shown_as[customer.id] = shown
        if len(options) > 1:
            # The newest holder's value, under the option that shows it (it may be an
            # older customer's with the same value: then no option was preselected).
            choices.append(FieldChoice(name, options, shown_as[holders[0].id], shown_as))
    return choices, sources


def plan(customers: list[Customer], survivor_id: int | None = None) -> Plan:
    """What merging ``customers`` into the one of ``survivor_id`` (default: the
    oldest) would do, read from the database as it is now."""
    customers = sorted(customers, key=lambda c: c.id)
    if survivor_id is None and customers:
        survivor_id = default_survivor(customers).id
    survivor = _check_survivor(customers, survivor_id)
    others = [c for c in customers if c.id != survivor.id]
    other_ids = [c.id for c in others]
    all_ids = [c.id for c in customers]
    choices, sources = field_choices(customers)

    wallets = list(db.session.scalars(
        select(Wallet).where(Wallet.customer_id.in_(all_ids)).order_by(Wallet.id)))
    has_store_credit = any(w.is_store_credit for w in wallets if w.customer_id == survivor.id)
    moves = []
    for wallet in wallets:
        if wallet.customer_id == survivor.id:
            continue
        keeps = wallet.is_store_credit and not has_store_credit
        has_store_credit = has_store_credit or keeps
        moves.append(WalletMove(wallet, wallet.customer_id or 0, keeps))

    related = _related(all_ids)
    moved = {kind: Moved([row_id for row_id, owner in rows if owner != survivor.id])
             for kind, rows in related.items() if kind != "duplicate_members"}
    for kind, found in moved.items():
        found.names = _names(kind, found.ids[:NAMED])

    orders = db.session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.total_minor), 0))
        .where(Order.customer_id.in_(all_ids), Order.status.not_in(NOT_SALES))).one()
    unpaid = db.session.scalar(
        select(func.coalesce(func.sum(Invoice.amount_minor), 0))
        .where(Invoice.customer_id.in_(all_ids), Invoice.status == InvoiceStatus.UNPAID))
    limits = [c.account_limit_minor for c in customers if c.account_limit_minor is not None]
    limit = max(limits) if limits else None
    if unpaid and (limit is None or limit < unpaid):
        limit = unpaid  # never below what is owed
    points = [PointsMove(c.id, c.loyalty_points) for c in others if c.loyalty_points]
    total_points = sum(c.loyalty_points for c in customers)
    chosen = {choice.name for choice in choices}
    by_id = {c.id: c for c in customers}
    taken = {name: source for name, source in sources.items() if name not in chosen
             and getattr(by_id[source], name) != getattr(survivor, name)}
    return Plan(
        customers=customers, survivor=survivor, others=others, choices=choices,
        sources=sources, taken=taken, wallets=moves, points=points, moved=moved,
        forgotten_duplicates=sum(1 for _row, owner in related["duplicate_members"]
                                 if owner in other_ids),
        balance_minor=sum(c.balance_minor for c in customers),
        loyalty_points=total_points,
        orders_count=int(orders[0]), sales_value_minor=int(orders[1]),
        unpaid_minor=int(unpaid or 0), account_limit_minor=limit,
        loyalty_member_forced=total_points > 0,
        fingerprint=_fingerprint(customers, wallets, related),
    )


# Records that point to a customer: kind -> (id column, owner column). The merge
# finds, names, fingerprints and moves what is listed here.
def _sources() -> dict[str, tuple[Any, Any]]:
    return {
        "orders": (Order.id, Order.customer_id),
        "invoices": (Invoice.id, Invoice.customer_id),
        "addresses": (Address.id, Address.customer_id),
        "wishlist": (WishlistItem.id, WishlistItem.customer_id),
        "offer_events": (OfferEvent.id, OfferEvent.customer_id),
        "messages": (Notification.id, Notification.customer_id),
        "consent_changes": (ConsentChange.id, ConsentChange.customer_id),
        "guests": (Guest.id, Guest.customer_id),
        # Customers merged into one of these earlier: they point to the survivor now,
        # so a chain of merges resolves in one step.
        "tombstones": (Customer.id, Customer.merged_into_id),
        "duplicate_members": (DuplicateMember.id, DuplicateMember.customer_id),
    }


def _related(ids: list[int]) -> dict[str, list[tuple[int, int]]]:
    """Every record that points to one of ``ids``: kind -> [(record id, customer id)]."""
    found = {}
    for kind, (key, owner) in _sources().items():
        found[kind] = [tuple(row) for row in db.session.execute(
            select(key, owner).where(owner.in_(ids)).order_by(key))]
    found["import_changes"] = [tuple(row) for row in db.session.execute(
        select(ImportChange.id, ImportChange.record_id)
        .join(ImportBatch, ImportBatch.id == ImportChange.batch_id)
        .where(ImportBatch.kind == "customers", ImportChange.record_id.in_(ids))
        .order_by(ImportChange.id))]
    return found


def _names(kind: str, ids: list[int]) -> list[str]:
    """The records as the preview names them (only kinds people recognise by name)."""
    models: dict[str, Any] = {"orders": Order, "invoices": Invoice, "addresses": Address,
              "wishlist": WishlistItem, "offer_events": OfferEvent, "messages": Notification,
              "guests": Guest, "tombstones": Customer}
    model = models.get(kind)
    if model is None or not ids:
        return []
    rows = {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}
    if kind == "tombstones":
        return [f"#{i} {rows[i].full_name}" for i in ids if i in rows]
    return [str(rows[i]) for i in ids if i in rows]


def _fingerprint(customers: list[Customer], wallets: list[Wallet],
                 related: dict[str, list[tuple[int, int]]]) -> str:
    """A digest of everything a merge reads: any change between the preview and the
    confirmation changes it. (Duplicate groups are left out: a scan may replace them
    at any time, and the merge only forgets them.)"""
    ids = [c.id for c in customers]
    state = {
        "customers": [[c.id, *(_plain(getattr(c, name)) for name in FIELDS),
                       _plain(c.updated_at), c.balance_minor, c.loyalty_points,
                       c.orders_count, c.sales_value_minor, c.account_limit_minor,
                       c.merged_into_id, _plain(c.erased_at)] for c in customers],
        "wallets": [[w.id, w.customer_id, w.balance_minor, w.status, w.is_store_credit]
                    for w in wallets],
        "related": {kind: [list(row) for row in rows] for kind, rows in sorted(related.items())
                    if kind != "duplicate_members"},
        # What the sales figures, the unpaid total and the account limit come from.
        "orders": [list(row) for row in db.session.execute(
            select(Order.id, Order.status, Order.total_minor)
            .where(Order.customer_id.in_(ids)).order_by(Order.id))],
        "invoices": [list(row) for row in db.session.execute(
            select(Invoice.id, Invoice.status, Invoice.amount_minor)
            .where(Invoice.customer_id.in_(ids)).order_by(Invoice.id))],
    }
    text = json.dumps(state, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _plain(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


# -- the merge ---------------------------------------------------------------------------

@dataclass
class Merged:
    survivor: Customer
    tombstones: list[Customer]
    plan: Plan


def merge(survivor: Customer, others: list[Customer], chosen_values: dict[str, int], *,
          actor: AdminUser | None, expected: str) -> Merged:
    """Merge ``others`` into ``survivor`` as the preview with fingerprint ``expected``
    showed it. ``chosen_values`` maps a field to the customer whose value the survivor
    takes (fields left out take the preview's default). Refused, with nothing written,
    when the customers are fewer than two, include the survivor twice or a tombstone or
    erased customer, or when anything changed since the preview."""
    other_ids = [c.id for c in others]
    if survivor.id in other_ids:
        raise MergeError(_("A customer cannot be merged into itself."))
    if not other_ids:
        raise MergeError(_("Choose at least two different customers to merge."))
    ids = [survivor.id, *other_ids]
    if len(set(ids)) != len(ids):
        raise MergeError(_("Each customer can be merged only once."))
    # Locks: every customer in ascending id order, then their wallets, in ascending id
    # order; a movement locks one customer then one wallet, so no one waits in a circle.
    customers = customers_for(ids, lock=True)
    for wallet_id in db.session.scalars(select(Wallet.id).where(
            Wallet.customer_id.in_(ids)).order_by(Wallet.id)).all():
        lock_row(Wallet, wallet_id)
    current = plan(customers, survivor.id)
    if current.fingerprint != expected:
        raise MergeChanged(_("These customers changed since the preview was shown (a "
                             "movement, an order, an edit...): nothing was merged. Check "
                             "the new preview and confirm again."))
    _check_chosen(current, chosen_values)
    _carry_out(current, chosen_values, actor)
    return Merged(current.survivor, current.others, current)


def _check_chosen(current: Plan, chosen_values: dict[str, int]) -> None:
    ids = {c.id for c in current.customers}
    for name, customer_id in chosen_values.items():
        if name not in FIELDS or customer_id not in ids:
            raise MergeError(_("A chosen value does not belong to these customers."))


def _carry_out(current: Plan, chosen_values: dict[str, int], actor) -> None:
    survivor, others = current.survivor, current.others
    by_id = {c.id: c for c in current.customers}
    sources = {**current.sources, **chosen_values}
    values = {name: getattr(by_id[sources[name]], name) for name in FIELDS}
    if current.loyalty_member_forced:
        values["loyalty_member"] = True
    before = {name: getattr(survivor, name) for name in FIELDS}
    now = utcnow()

    # Unique values leave the tombstones first, so that the survivor may take them.
    for other in others:
        for name in UNIQUE_FIELDS:
            setattr(other, name, None)
    db.session.flush()

    for move in current.wallets:
        ledger.change_owner(move.wallet, survivor, actor=actor, now=now,
                            reason=f"Merged from #{move.from_id} into #{survivor.id}")
        if move.wallet.is_store_credit and not move.keeps_store_credit:
            move.wallet.is_store_credit = False  # the survivor keeps one store-credit wallet
    for points in current.points:
        ledger.move_all_points(by_id[points.from_id], survivor, actor=actor, now=now,
                               reason_out=f"Merged into #{survivor.id}",
                               reason_in=f"Merged from #{points.from_id}")

    own_default = db.session.scalar(select(Address.id).where(
        Address.customer_id == survivor.id, Address.is_default).order_by(Address.id).limit(1))
    db.session.flush()
    _repoint(current)
    duplicates.forget(customer_ids=current.other_ids)
    db.session.expire_all()  # what the session held of re-pointed rows is stale now

    with consent.changes_from(ConsentSource.MERGE):
        for name, value in values.items():
            if getattr(survivor, name) != value:
                setattr(survivor, name, value)
        _keep_one_default_address(survivor, own_default)
        survivor.orders_count = current.orders_count
        survivor.sales_value_minor = current.sales_value_minor
        survivor.account_limit_minor = current.account_limit_minor
        for other in others:
            other.merged_into_id = survivor.id
            other.merged_at = now
            other.account_limit_minor = None
            other.orders_count = 0
            other.sales_value_minor = 0
        db.session.flush()
    for customer in current.customers:
        ledger.refresh_customer_balance(customer)
    db.session.flush()
    _audit(current, before, values)


def _repoint(current: Plan) -> None:
    """Every other record of the merged-away customers now belongs to the survivor:
    each kind's owner column in ``_sources()`` (the one list of what points to a
    customer), and the import records of customers."""
    survivor_id = current.survivor.id
    owners = {kind: owner for kind, (_key, owner) in _sources().items()
              if kind != "duplicate_members"}  # those are forgotten, not moved
    owners["import_changes"] = ImportChange.record_id
    for kind, owner in owners.items():
        ids, key = current.moved[kind].ids, owner.table.c.id
        for start in range(0, len(ids), CHUNK):
            # Statements, not one ORM update per row: the merge's audit event lists them.
            db.session.execute(update(owner.table).where(key.in_(ids[start:start + CHUNK]))
                               .values({owner.name: survivor_id}))


def _keep_one_default_address(survivor: Customer, own_default: int | None) -> None:
    """The survivor's default address stays default; without one, the first moved
    default becomes it. Either way there is one default at most."""
    defaults = list(db.session.scalars(select(Address).where(
        Address.customer_id == survivor.id, Address.is_default).order_by(Address.id)))
    keep = own_default if own_default is not None else (defaults[0].id if defaults else None)
    for address in defaults:
        if address.id != keep:
            address.is_default = False


def _audit(current: Plan, before: dict, values: dict) -> None:
    survivor = current.survivor
    changes: dict[str, list] = {
        "merged_from": [None, current.other_ids],
        "wallets": [None, [m.wallet.id for m in current.wallets]],
        "loyalty_points": [None, {str(m.from_id): m.points for m in current.points}],
    }
    for kind, found in current.moved.items():
        if found.ids:
            changes[kind] = [None, found.ids]
    changes.update({name: [audit.plain(before[name]), audit.plain(values[name])]
                    for name in FIELDS if before[name] != values[name]})
    names = ", ".join(f"#{c.id}" for c in current.others)
    audit.record(db.session, AuditAction.MERGE, object_type="Customer", object_id=survivor.id,
                 summary=f"{survivor.full_name}: merged from {names}"[:200], changes=changes)
    for other in current.others:
        audit.record(db.session, AuditAction.MERGE, object_type="Customer", object_id=other.id,
                     summary=f"{other.full_name}: merged into #{survivor.id}"[:200],
                     changes={"merged_into_id": [None, survivor.id]})


def merged_message(merged: Merged) -> str:
    """What the person is told once the merge is done."""
    count = len(merged.tombstones)
    names = ", ".join(_("#%(id)s %(name)s", id=t.id, name=t.full_name)
                      for t in merged.tombstones)
    return ngettext("%(names)s was merged into #%(id)s %(name)s.",
                    "%(names)s were merged into #%(id)s %(name)s.", count,
                    names=names, id=merged.survivor.id, name=merged.survivor.full_name)
