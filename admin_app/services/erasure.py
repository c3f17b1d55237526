"""Erasing a customer's personal data on request (GDPR art. 17), in one transaction.

Kept, as the law and the ledgers need them: orders, wallet and points movements
(amounts, dates, kinds, and the reasons staff typed: the ledgers are append-only),
invoices with the billing name, tax ID and address they were issued to, offer
events (an offer and a date, no personal text) and the consent log. Everything
else that names or reaches the person is removed or replaced: their fields, their
addresses and wishlist, their messages' recipients and texts, the guests that are
the same person, a blacklist entry for their phone, their duplicate-scan entries,
the rows import batches keep, and their values in the audit trail
(services/erasure_traces.py). Customers merged into them are the same person:
erased with them. The erasure itself is recorded with counts only.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from flask import has_request_context
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import false, func, or_, select, text, update

from ..choices import AuditAction, ConsentSource, InvoiceStatus, NotificationStatus
from ..database import dialect, lock_row
from ..extensions import db
from ..i18n import day, money, number
from ..models import (
    Address,
    AdminUser,
    BlacklistEntry,
    Customer,
    DuplicateMember,
    Guest,
    Invoice,
    LoyaltyTransaction,
    Notification,
    OfferEvent,
    Order,
    Wallet,
    WalletTransaction,
    WishlistItem,
    utcnow,
)
from . import audit, consent, duplicates, mail_files, search
from .erasure_traces import ERASED, Needles, scrub_audit, scrub_imports
from .errors import DomainError

# What an erased customer is called: no one, and the same in every language.
ERASED_FIRST_NAME = "Erased"
CUSTOMER_FIELDS_CLEARED = ("email", "phone", "postcode", "country", "birthday", "card_number",
                           "tax_id", "notes", "password_hash", "password_reset_nonce")
# Records of these kinds are the person's own: every value of their events goes.
PERSONAL_RECORDS = ("Address", "WishlistItem")
NOT_DELIVERED = (NotificationStatus.QUEUED, NotificationStatus.SENDING, NotificationStatus.FAILED)


class ErasureRefused(DomainError):
    """The customer cannot be erased now; the message says why."""


@dataclass
class Person:
    """The customer, the customers merged into them, and the guests that are them."""

    customer: Customer
    customers: list[Customer]
    guests: list[Guest]

    @property
    def customer_ids(self) -> list[int]:
        return [c.id for c in self.customers]

    @property
    def guest_ids(self) -> list[int]:
        return [g.id for g in self.guests]


@dataclass
class Report:
    """What the erasure did: counts per kind (keys named in the erasure page)."""

    removed: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)


def refusals(customer: Customer) -> list[str]:
    """Why the customer cannot be erased now, each with its amount (empty: they can)."""
    if customer.erased_at is not None:
        return [_("This customer's personal data was already erased on %(date)s.",
                  date=day(customer.erased_at.date()))]
    if customer.is_tombstone:
        return [_("This customer was merged into customer #%(id)s: erase that customer "
                  "instead.", id=customer.merged_into_id)]
    found = []
    for code, balance, currency in db.session.execute(
            select(Wallet.wallet_code, Wallet.balance_minor, Wallet.currency)
            .where(Wallet.customer_id == customer.id, Wallet.balance_minor != 0)
            .order_by(Wallet.wallet_code)):
        found.append(_("Wallet %(code)s holds a balance of %(amount)s.", code=code,
                       amount=money(balance, currency)))
    if customer.loyalty_points:
        found.append(ngettext("The customer holds %(count)s loyalty point.",
                              "The customer holds %(count)s loyalty points.",
                              customer.loyalty_points, count=number(customer.loyalty_points)))
    unpaid, total = db.session.execute(
        select(func.count(Invoice.id), func.coalesce(func.sum(Invoice.amount_minor), 0))
        .where(Invoice.customer_id == customer.id, Invoice.status == InvoiceStatus.UNPAID)).one()
    if unpaid:
        found.append(ngettext("%(count)s unpaid invoice comes to %(amount)s.",
                              "%(count)s unpaid invoices come to %(amount)s.", unpaid,
                              count=number(unpaid), amount=money(total)))
    return found


def person(customer: Customer) -> Person:
    customers = [customer]
    frontier = [customer.id]
    while frontier:  # merged into them, or into one merged into them
        merged = list(db.session.scalars(select(Customer).where(
            Customer.merged_into_id.in_(frontier), Customer.id.not_in(
                [c.id for c in customers]))))
        customers += merged
        frontier = [c.id for c in merged]
    ids = [c.id for c in customers]
    keys = {c.email_key for c in customers if c.email_key}
    phones = {c.phone for c in customers if c.phone}
    guests = list(db.session.scalars(select(Guest).where(or_(
        Guest.customer_id.in_(ids), Guest.email_key.in_(keys) if keys else false(),
        Guest.phone.in_(phones) if phones else false())).order_by(Guest.id)))
    return Person(customer, customers, guests)


def preview(customer: Customer) -> Report:
    """What erasing would remove and keep (the import rows and the audit trail's values
    are counted when done)."""
    found = person(customer)
    ids = found.customer_ids
    return Report(removed={
        "merged_customers": len(ids) - 1,
        "addresses": _count(Address.id, Address.customer_id.in_(ids)),
        "wishlist_items": _count(WishlistItem.id, WishlistItem.customer_id.in_(ids)),
        "messages": _count(Notification.id, Notification.customer_id.in_(ids)),
        "guests": len(found.guests),
        "blacklist_entries": len(_blacklist_entries(found)),
    }, kept=_kept(found))


def erase(customer: Customer, actor: AdminUser | None) -> Report:
    """Erase the customer's personal data; raise ErasureRefused (nothing written).
    The trail and the consent log name ``actor``."""
    # In a request the trail already names the signed-in user, and their address.
    named = nullcontext() if actor is None or has_request_context() else audit.acting_for(actor)
    with named, _overwritten():
        return _erase(customer)


@contextmanager
def _overwritten() -> Iterator[None]:
    """SQLite: what the erasure deletes or rewrites is overwritten in the file too,
    not left in free space (builds differ in their default)."""
    if dialect() != "sqlite":
        yield
        return
    before = int(db.session.scalar(text("PRAGMA secure_delete")) or 0)
    db.session.execute(text("PRAGMA secure_delete = 1"))
    try:
        yield
        db.session.flush()
    finally:
        db.session.execute(text(f"PRAGMA secure_delete = {before}"))


def write_out() -> None:
    """After the erasure commits, on SQLite: the write-ahead log held the old pages
    until the next automatic checkpoint; copy it into the file and empty it now."""
    if dialect() == "sqlite":
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()


def _erase(customer: Customer) -> Report:
    customer = lock_row(Customer, customer.id)
    reasons = refusals(customer)
    if reasons:
        raise ErasureRefused(" ".join(reasons))
    found = person(customer)
    ids, guest_ids = found.customer_ids, found.guest_ids
    needles = _needles(found)
    report = Report(kept=_kept(found))
    blacklisted = _blacklist_entries(found)
    removed = report.removed
    records = {
        "Customer": ids, "Guest": guest_ids,
        "Address": _ids(Address.id, Address.customer_id.in_(ids)),
        "WishlistItem": _ids(WishlistItem.id, WishlistItem.customer_id.in_(ids)),
        "Notification": _ids(Notification.id, Notification.customer_id.in_(ids)),
        "BlacklistEntry": [entry.id for entry in blacklisted],
    }
    owned = {
        "Wallet": _ids(Wallet.id, Wallet.customer_id.in_(ids)),
        "Order": _ids(Order.id, or_(Order.customer_id.in_(ids), Order.guest_id.in_(guest_ids))),
        "Invoice": _ids(Invoice.id, Invoice.customer_id.in_(ids)),
        "OfferEvent": _ids(OfferEvent.id, OfferEvent.customer_id.in_(ids)),
    }
    removed["merged_customers"] = len(ids) - 1
    removed["addresses"] = len(records["Address"])
    removed["wishlist_items"] = len(records["WishlistItem"])
    removed["messages"] = _erase_messages(ids)
    removed["guests"] = len(guest_ids)
    removed["blacklist_entries"] = len(records["BlacklistEntry"])
    removed["duplicate_entries"] = db.session.scalar(select(func.count(DuplicateMember.id)).where(
        or_(DuplicateMember.customer_id.in_(ids), DuplicateMember.guest_id.in_(guest_ids)))) or 0
    duplicates.forget(customer_ids=ids, guest_ids=guest_ids)
    _erase_records(found, blacklisted)
    imports = scrub_imports(needles, {"customers": ids, "guests": guest_ids,
                                      "blacklist": records["BlacklistEntry"]})
    db.session.flush()  # the trail now holds the changes above: they are scrubbed too
    removed["import_rows"] = imports.rows
    removed["import_files"] = imports.batches
    removed["import_changes"] = imports.changes
    removed["audit_events"] = scrub_audit(needles, records, owned, ids, PERSONAL_RECORDS)
    audit.record(db.session, AuditAction.ERASURE, object_type="Customer", object_id=customer.id,
                 summary=str(customer), changes={
                     **{f"removed_{key}": [None, count] for key, count in removed.items()},
                     **{f"kept_{key}": [None, count] for key, count in report.kept.items()}})
    return report


def _needles(found: Person) -> Needles:
    needles = Needles()
    for customer in found.customers:
        for value in (customer.email, customer.card_number, customer.tax_id):
            needles.add(value)
        needles.add(customer.phone, phone=True)
        needles.add(customer.full_name, name=True)
    for guest in found.guests:
        needles.add(guest.email)
        needles.add(guest.phone, phone=True)
        needles.add(guest.name, name=True)
    return needles


def _erase_records(found: Person, blacklisted: list[BlacklistEntry]) -> None:
    now = utcnow()
    for customer in found.customers:
        customer.first_name, customer.surname = ERASED_FIRST_NAME, f"#{customer.id}"
        for name in CUSTOMER_FIELDS_CLEARED:
            setattr(customer, name, None)
        customer.addresses.clear()
        customer.wishlist.clear()
        customer.erased_at = now
    with consent.changes_from(ConsentSource.ERASURE):
        was_in = [c.id for c in found.customers if c.marketing_opt_in]
        for customer in found.customers:
            customer.marketing_opt_in = False
        db.session.flush()  # search text and sort name recomputed, the opt-in logged
    # The log says the erasure withdrew consent, even from someone who had none.
    consent.record_bulk([(found.customer.id, False)] if found.customer.id not in was_in
                        else [], ConsentSource.ERASURE)
    for guest in found.guests:
        guest.name, guest.email, guest.phone = ERASED_FIRST_NAME, None, None
    for entry in blacklisted:
        db.session.delete(entry)


def _erase_messages(ids: list[int]) -> int:
    """Keep each message's date, kind and channel; what was sent, and to whom, goes.
    One not yet delivered is never sent."""
    table = Notification.__table__
    where = table.c.customer_id.in_(ids)
    # The copies written as files (no mail server set) go first: their words are not
    # in the database. Gone even if the erasure then fails: they are only copies.
    mail_files.remove(list(db.session.scalars(
        select(Notification).where(Notification.customer_id.in_(ids)))))
    db.session.execute(update(table).where(where, table.c.status.in_(NOT_DELIVERED))
                       .values(status=NotificationStatus.NOT_SENDABLE, next_attempt_at=None,
                               sending_since=None))
    db.session.execute(update(table).where(where, table.c.last_error.is_not(None))
                       .values(last_error=ERASED))
    return _rowcount(update(table).where(where).values(
        recipient=ERASED, subject=ERASED, body=ERASED))


def _rowcount(statement) -> int:
    result: Any = db.session.execute(statement)
    return result.rowcount or 0


def _blacklist_entries(found: Person) -> list[BlacklistEntry]:
    phones = {c.phone for c in found.customers if c.phone} | {
        g.phone for g in found.guests if g.phone}
    if not phones:
        return []
    return list(db.session.scalars(select(BlacklistEntry).where(BlacklistEntry.phone.in_(phones))))


def _kept(found: Person) -> dict[str, int]:
    ids, guest_ids = found.customer_ids, found.guest_ids
    wallets = select(Wallet.id).where(Wallet.customer_id.in_(ids))
    return {
        "orders": _count(Order.id, or_(Order.customer_id.in_(ids),
                                       Order.guest_id.in_(guest_ids))),
        "wallet_movements": _count(WalletTransaction.id, WalletTransaction.wallet_id.in_(wallets)),
        "loyalty_movements": _count(LoyaltyTransaction.id,
                                    LoyaltyTransaction.customer_id.in_(ids)),
        "invoices": _count(Invoice.id, Invoice.customer_id.in_(ids)),
        "offer_events": _count(OfferEvent.id, OfferEvent.customer_id.in_(ids)),
    }


def _count(column, condition) -> int:
    return db.session.scalar(select(func.count(column)).where(condition)) or 0


def _ids(column, condition) -> list[int]:
    return list(db.session.scalars(select(column).where(condition)))


def confirms(customer: Customer, typed: str | None) -> bool:
    """The admin typed the customer's email (any case), or their full name when they
    have no email: they know whom they erase."""
    expected = customer.email or customer.full_name
    return search.fold(" ".join((typed or "").split())) == search.fold(
        " ".join(expected.split()))
