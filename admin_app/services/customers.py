"""Customers: what may be deleted, and the figures kept on the customer row."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from ..choices import InvoiceStatus
from ..database import among, key_chunks
from ..extensions import db
from ..i18n import number
from ..models import (
    Address,
    BlacklistEntry,
    Customer,
    CustomerGroup,
    Invoice,
    LoyaltyTransaction,
    OfferEvent,
    Order,
    Wallet,
    WalletTransaction,
    WishlistItem,
    utcnow,
)
from . import audit, blacklist, invoices, ledger
from .errors import DomainError
from .orders import recent_orders


def reasons_not_deletable(customer: Customer) -> list[str]:
    """Why deleting this customer would drop money or points (empty when it would not)."""
    reasons = []
    held = db.session.scalar(
        select(func.coalesce(func.sum(Wallet.balance_minor), 0)).where(
            Wallet.customer_id == customer.id
        )
    )
    if held or customer.balance_minor:
        reasons.append(_("they still hold a wallet balance"))
    if customer.loyalty_points:
        reasons.append(ngettext("they still have %(num)s loyalty point",
                                "they still have %(num)s loyalty points",
                                customer.loyalty_points))
    unpaid = db.session.scalar(
        select(func.count(Invoice.id)).where(
            Invoice.customer_id == customer.id, Invoice.status == InvoiceStatus.UNPAID
        )
    )
    if unpaid:
        reasons.append(ngettext("they have %(num)s unpaid on-account invoice",
                                "they have %(num)s unpaid on-account invoices", unpaid))
    return reasons


def not_deletable_ids(ids: list[int]) -> set[int]:
    """Of these customers, those that ``reasons_not_deletable`` would refuse to
    delete, found with a few queries for a whole chunk (an import's undo)."""
    found: set[int] = set()
    for chunk in key_chunks(ids):
        found.update(db.session.scalars(select(Customer.id).where(
            among(Customer.id, chunk),
            (Customer.balance_minor != 0) | (Customer.loyalty_points != 0))))
        found.update(db.session.scalars(
            select(Wallet.customer_id).where(among(Wallet.customer_id, chunk))
            .group_by(Wallet.customer_id).having(func.sum(Wallet.balance_minor) != 0)))
        found.update(db.session.scalars(select(Invoice.customer_id).where(
            among(Invoice.customer_id, chunk), Invoice.status == InvoiceStatus.UNPAID)))
    return found


def _refuse_tombstone(customer: Customer) -> None:
    if customer.merged_into_id is not None:
        raise DomainError(_("%(name)s was merged into customer #%(id)s: change that customer "
                            "instead.", name=customer.full_name, id=customer.merged_into_id))


def merged_ids(ids: list[int]) -> set[int]:
    """Of these customers, those a merge involved: merged away, or kept with others
    merged into them. An import's undo leaves them alone: what it recorded of them
    no longer describes one record (it would delete or overwrite the one kept)."""
    found: set[int] = set()
    for chunk in key_chunks(ids):
        found.update(db.session.scalars(select(Customer.id).where(
            among(Customer.id, chunk), Customer.merged_into_id.is_not(None))))
        found.update(db.session.scalars(select(Customer.merged_into_id).distinct().where(
            among(Customer.merged_into_id, chunk))))
    return found


def ensure_changeable(customer: Customer) -> None:
    """A merged-away customer is a tombstone, kept so that old links resolve; an erased
    one keeps only amounts and dates (personal data typed into it could never be erased
    again): neither is edited. A person who comes back is a new customer."""
    _refuse_tombstone(customer)
    if customer.erased_at is not None:
        raise DomainError(_("The personal data of customer #%(id)s was erased: it is not "
                            "edited. Create a new customer instead.", id=customer.id))


def ensure_deletable(customer: Customer) -> None:
    """Refuse, with every reason, to delete a customer who holds money or points (or a
    tombstone: old links resolve through it)."""
    _refuse_tombstone(customer)
    reasons = reasons_not_deletable(customer)
    if reasons:
        raise DomainError(
            _("%(name)s cannot be deleted: %(reasons)s.", name=customer.full_name,
              reasons="; ".join(reasons))
        )


# A details page shows the newest rows of each kind; the history lists hold the rest.
PROFILE_ROWS = 50


@dataclass
class WalletLine:
    wallet: Wallet
    available_minor: int


@dataclass
class Profile:
    """Everything a customer's details page shows, beyond the customer's own fields."""

    orders: list[Order]
    orders_total: int
    wallets: list[WalletLine]
    movements: list[WalletTransaction]
    points: list[LoyaltyTransaction]
    invoices: list[Invoice]
    unpaid_minor: int
    wishlist: list[WishlistItem]
    addresses: list[Address]
    offers: dict[str, list[OfferEvent]]
    # The blacklist entry of the customer's phone, when it is on the blacklist.
    blacklist: BlacklistEntry | None = None


def profile(customer: Customer) -> Profile:
    def newest(model, *order, shown=()):
        # ``shown``: relations the page shows on each row, read in one query.
        return list(db.session.scalars(
            select(model).where(model.customer_id == customer.id).order_by(*order)
            .options(*(selectinload(relation) for relation in shown)).limit(PROFILE_ROWS)))

    offers: dict[str, list[OfferEvent]] = {}
    for event in newest(OfferEvent, OfferEvent.occurred_at.desc(), shown=(OfferEvent.offer,)):
        offers.setdefault(event.kind, []).append(event)
    wallets = newest(Wallet, Wallet.created_at.desc(), shown=(Wallet.outlet,))
    states = ledger.credit_states([w.id for w in wallets])
    orders, orders_total = recent_orders(Order.customer_id, customer.id, PROFILE_ROWS)
    return Profile(
        orders=orders,
        orders_total=orders_total,
        wallets=[WalletLine(w, states[w.id].available_minor) for w in wallets],
        movements=ledger.recent_movements(customer=customer, limit=PROFILE_ROWS),
        points=ledger.recent_points(customer, limit=PROFILE_ROWS),
        invoices=invoices.customer_invoices(customer, limit=PROFILE_ROWS),
        unpaid_minor=invoices.unpaid_total(customer),
        wishlist=newest(WishlistItem, WishlistItem.created_at.desc()),
        addresses=newest(Address, Address.is_default.desc(), Address.id),
        offers=offers,
        blacklist=blacklist.entry_for(customer.phone),
    )



ASSIGN_CHUNK = 500  # customers updated per statement


def assign_group(customer_ids: list[int], group: CustomerGroup | None) -> int:
    """Put these customers in ``group`` (None: in no group). Returns how many moved;
    each move is in the audit trail with the group before and after."""
    target = group.id if group is not None else None
    moved = 0
    for start in range(0, len(customer_ids), ASSIGN_CHUNK):
        chunk = customer_ids[start:start + ASSIGN_CHUNK]
        before = dict(db.session.execute(
            select(Customer.id, Customer.group_id)
            .where(Customer.id.in_(chunk), Customer.group_id.is_distinct_from(target))).all())
        if not before:
            continue
        db.session.execute(
            update(Customer).where(Customer.id.in_(list(before)))
            .values(group_id=target, updated_at=utcnow()))
        audit.record_updates("Customer", {
            customer_id: {"group_id": (old, target)} for customer_id, old in before.items()})
        moved += len(before)
    return moved


def assign_group_question(count: int, group: CustomerGroup | None) -> str:
    """What is asked before customers move: how many, and to which group."""
    if group is None:
        return ngettext("Take %(count)s customer out of their group?",
                        "Take %(count)s customers out of their group?", count, count=number(count))
    return ngettext("Move %(count)s customer to the group %(group)s?",
                    "Move %(count)s customers to the group %(group)s?", count,
                    count=number(count), group=group.name)


def assign_group_done(moved: int, group: CustomerGroup | None) -> str:
    """What is said after customers moved."""
    if group is None:
        return ngettext("%(count)s customer now has no group.",
                        "%(count)s customers now have no group.", moved, count=number(moved))
    return ngettext("%(count)s customer moved to the group %(group)s.",
                    "%(count)s customers moved to the group %(group)s.", moved,
                    count=number(moved), group=group.name)
