"""The ledger: every change of a wallet balance or of loyalty points goes through here.

Each movement appends its transaction row and updates the cached figures (the
wallet's balance, the customer's balance and points) in the caller's database
transaction, under row locks: the customer first, then the wallet, always in
that order so two movements never wait on each other in a circle. The caller
commits; a refusal raises a ``LedgerError`` and writes nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from ..choices import LoyaltyTxKind, MovementReason, WalletStatus, WalletTxKind
from ..database import lock_row
from ..extensions import db
from ..i18n import money
from ..models import (
    AdminUser,
    Customer,
    LoyaltyTransaction,
    Wallet,
    WalletTransaction,
    utcnow,
)
from . import notifications
from .errors import DomainError

# A movement bigger than this is refused as a probable typo (one million in major units).
MAX_MOVEMENT_MINOR = 100_000_000
MAX_POINTS = 10_000_000


class LedgerError(DomainError):
    """A movement the rules refuse; nothing was written."""


# -- locks (customer first, then wallet) ------------------------------------------------

def _lock_wallet_and_owner(wallet_id: int) -> tuple[Wallet, Customer | None]:
    """Lock the wallet's customer, then the wallet; retry if it changed hands meanwhile."""
    for _attempt in range(3):
        owner_id = db.session.scalar(select(Wallet.customer_id).where(Wallet.id == wallet_id))
        customer = lock_row(Customer, owner_id) if owner_id is not None else None
        wallet = lock_row(Wallet, wallet_id)
        if wallet is None:
            raise LedgerError(_("This wallet does not exist (any more)."))
        if wallet.customer_id == owner_id:
            return wallet, customer
    raise LedgerError(_("The wallet changed owner meanwhile; please try again."))


def refuse_closed(customer: Customer | None) -> None:
    """A merged-away customer (a tombstone) or an erased one takes no money or points:
    nobody would see them there, and neither could be merged or erased again."""
    if customer is None:
        return
    if customer.merged_into_id is not None:
        raise LedgerError(_("%(name)s was merged into customer #%(id)s: their money and points "
                            "are there.", name=customer.full_name, id=customer.merged_into_id))
    if customer.erased_at is not None:
        raise LedgerError(_("The personal data of customer #%(id)s was erased: they take no "
                            "more money or points.", id=customer.id))


# -- reading -------------------------------------------------------------------------

@dataclass
class CreditState:
    available_minor: int        # what may be spent today
    expired_unspent_minor: int  # credit past its date, not yet removed by an expiry movement


def credit_state(wallet: Wallet, today: date | None = None) -> CreditState:
    """Replay the wallet's ledger, spending the oldest credit first.

    A credit with an expiry date may be spent up to and including that day;
    after it, what is left of it is no longer available.
    """
    return credit_states([wallet.id], today)[wallet.id]


def credit_states(wallet_ids: list[int], today: date | None = None) -> dict[int, CreditState]:
    """``credit_state`` of several wallets, their ledgers read in one query
    (a customer's page lists up to 50 wallets)."""
    today = today or utcnow().date()
    movements: dict[int, list] = {wallet_id: [] for wallet_id in wallet_ids}
    rows = db.session.execute(
        select(WalletTransaction.wallet_id, WalletTransaction.amount_minor,
               WalletTransaction.kind, WalletTransaction.credit_expires_on,
               WalletTransaction.created_at)
        .where(WalletTransaction.wallet_id.in_(wallet_ids)).order_by(WalletTransaction.id)
    )
    for wallet_id, *movement in rows:
        movements[wallet_id].append(movement)
    return {wallet_id: _replay(rows_of_wallet, today)
            for wallet_id, rows_of_wallet in movements.items()}


def _replay(movements, today: date) -> CreditState:
    lots: list[list] = []  # [expires_on or None, remaining]
    for amount, kind, expires_on, created_at in movements:
        if amount > 0:
            lots.append([expires_on, amount])
            continue
        day = created_at.date()
        if kind == WalletTxKind.EXPIRY:
            _spend(lots, -amount, lambda lot, day=day: lot[0] is not None and lot[0] < day)
        else:
            _spend(lots, -amount, lambda lot, day=day: lot[0] is None or lot[0] >= day)
    available = sum(r for e, r in lots if e is None or e >= today)
    expired = sum(r for e, r in lots if e is not None and e < today)
    return CreditState(available, expired)


def _spend(lots: list[list], amount: int, usable) -> None:
    """Take ``amount`` from usable lots, oldest first (then from any, for old data)."""
    for accept in (usable, lambda lot: True):
        for lot in lots:
            if amount == 0:
                return
            if lot[1] > 0 and accept(lot):
                taken = min(lot[1], amount)
                lot[1] -= taken
                amount -= taken


def available_balance(wallet: Wallet, today: date | None = None) -> int:
    """The balance a customer may spend today: never includes expired credit."""
    return credit_state(wallet, today).available_minor


def recent_movements(*, wallet: Wallet | None = None, customer: Customer | None = None,
                     limit: int = 50) -> list[WalletTransaction]:
    """The newest movements of one wallet, or of all a customer's wallets."""
    statement = select(WalletTransaction).order_by(WalletTransaction.created_at.desc(),
                                                   WalletTransaction.id.desc()).limit(limit)
    if wallet is not None:
        statement = statement.where(WalletTransaction.wallet_id == wallet.id)
    if customer is not None:
        statement = statement.join(Wallet).where(Wallet.customer_id == customer.id)
    return list(db.session.scalars(statement))


def recent_points(customer: Customer, limit: int = 50) -> list[LoyaltyTransaction]:
    return list(db.session.scalars(
        select(LoyaltyTransaction).where(LoyaltyTransaction.customer_id == customer.id)
        .order_by(LoyaltyTransaction.created_at.desc(), LoyaltyTransaction.id.desc())
        .limit(limit)))


def existing_movement(idempotency_key: str) -> WalletTransaction | None:
    return db.session.scalar(
        select(WalletTransaction).where(WalletTransaction.idempotency_key == idempotency_key)
    )


# -- wallet movements ------------------------------------------------------------------

def add_balance(wallet: Wallet, amount_minor: int, *, actor: AdminUser | None, reason: str,
                idempotency_key: str, expires_on: date | None = None,
                notify: bool = False, now: datetime | None = None) -> WalletTransaction:
    """Credit (amount > 0, a top-up) or debit (amount < 0, a deduction) a wallet."""
    _check_amount(amount_minor)
    kind = WalletTxKind.TOP_UP if amount_minor > 0 else WalletTxKind.DEDUCTION
    return post_movement(wallet, amount_minor, kind=kind, actor=actor, reason=reason,
                         idempotency_key=idempotency_key, expires_on=expires_on,
                         notify=notify, now=now)


def add_balance_to_each(wallets: Iterable[Wallet], amount_minor: int, *,
                        actor: AdminUser | None, reason: str, idempotency_key: str,
                        expires_on: date | None = None,
                        notify: bool = False) -> list[WalletTransaction]:
    """The same credit or debit on each wallet, each with its own ledger row (and its
    own key, ``idempotency_key:wallet id``: a repeated submission posts once to each).

    The wallets are taken in one order, their owner first and then the wallet (as
    every movement locks them), so two people moving money in overlapping sets of
    wallets never wait on each other in a circle. Returns the rows in that order.
    """
    ordered = sorted(wallets, key=lambda wallet: (wallet.customer_id or 0, wallet.id))
    return [add_balance(wallet, amount_minor, actor=actor, reason=reason,
                        expires_on=expires_on, notify=notify,
                        idempotency_key=f"{idempotency_key}:{wallet.id}"[:64])
            for wallet in ordered]


def pay(wallet: Wallet, amount_minor: int, *, idempotency_key: str, actor=None,
        order_id: int | None = None, outlet_id: int | None = None,
        reason: str | None = None) -> WalletTransaction:
    """Spend ``amount_minor`` (> 0) of the wallet on a purchase."""
    _check_amount(amount_minor, positive=True)
    return post_movement(wallet, -amount_minor, kind=WalletTxKind.PAYMENT, actor=actor,
                         reason=reason or MovementReason.PURCHASE, idempotency_key=idempotency_key,
                         order_id=order_id, outlet_id=outlet_id)


def refund(wallet: Wallet, amount_minor: int, *, idempotency_key: str, actor=None,
           order_id: int | None = None, outlet_id: int | None = None,
           reason: str | None = None) -> WalletTransaction:
    """Give ``amount_minor`` (> 0) back to the wallet."""
    _check_amount(amount_minor, positive=True)
    return post_movement(wallet, amount_minor, kind=WalletTxKind.REFUND, actor=actor,
                         reason=reason or MovementReason.REFUND, idempotency_key=idempotency_key,
                         order_id=order_id, outlet_id=outlet_id)


def post_movement(wallet: Wallet, amount_minor: int, *, kind: str, actor: AdminUser | None,
                  reason: str | None, idempotency_key: str, expires_on: date | None = None,
                  order_id: int | None = None, outlet_id: int | None = None,
                  notify: bool = False, now: datetime | None = None) -> WalletTransaction:
    """The one place a wallet's balance changes. Returns the (possibly earlier) row.

    ``now`` (default: the current UTC time) dates the movement.
    """
    _check_amount(amount_minor)
    _check_key(idempotency_key)
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("Give a reason for this movement."))
    now = now or utcnow()
    today = now.date()
    if expires_on is not None and (amount_minor < 0 or expires_on < today):
        raise LedgerError(_("An expiration date applies to a credit, and cannot be in the past."))

    wallet, customer = _lock_wallet_and_owner(wallet.id)
    earlier = existing_movement(idempotency_key)
    if earlier is not None:
        if earlier.wallet_id != wallet.id or earlier.amount_minor != amount_minor:
            raise LedgerError(_("This form was already used for another movement; "
                                "open it again."))
        return earlier  # a repeated submission posts once
    if amount_minor > 0:
        refuse_closed(customer)  # a till may still spend what is left; nothing is added
    if wallet.status != WalletStatus.ACTIVE:
        raise LedgerError(_("Wallet %(code)s is blocked: it takes no movement.",
                            code=wallet.wallet_code))
    if amount_minor < 0:
        available = available_balance(wallet, today)
        if available + amount_minor < 0:
            raise LedgerError(_(
                "Wallet %(code)s has %(available)s available: it cannot go below zero.",
                code=wallet.wallet_code, available=money(available, wallet.currency)))
    return _append(wallet, customer, amount_minor, kind=kind, actor=actor, reason=reason,
                   idempotency_key=idempotency_key, expires_on=expires_on,
                   order_id=order_id, outlet_id=outlet_id, notify=notify, now=now)


def _append(wallet: Wallet, customer: Customer | None, amount_minor: int, *, kind, actor,
            reason, idempotency_key, now: datetime, expires_on=None, order_id=None,
            outlet_id=None, notify=False) -> WalletTransaction:
    wallet.balance_minor += amount_minor
    row = WalletTransaction(
        wallet_id=wallet.id, amount_minor=amount_minor, balance_after_minor=wallet.balance_minor,
        kind=kind, reason=reason[:255], credit_expires_on=expires_on, outlet_id=outlet_id,
        order_id=order_id, actor_id=actor.id if actor is not None else None,
        customer_notified=bool(notify and customer is not None), idempotency_key=idempotency_key,
        created_at=now,
    )
    db.session.add(row)
    if kind != WalletTxKind.EXPIRY:
        wallet.last_used_at = now
        if outlet_id is not None:
            wallet.last_used_outlet_id = outlet_id
    db.session.flush()
    if customer is not None:
        refresh_customer_balance(customer)
        if notify:
            notifications.balance_changed(customer, wallet, amount_minor)
    return row


def refresh_customer_balance(customer: Customer) -> None:
    """A customer's balance is the sum of their active wallets (customer row locked)."""
    db.session.flush()
    customer.balance_minor = db.session.execute(
        select(func.coalesce(func.sum(Wallet.balance_minor), 0)).where(
            Wallet.customer_id == customer.id, Wallet.status == WalletStatus.ACTIVE)
    ).scalar_one()


def store_credit_wallet(customer: Customer) -> Wallet:
    """The customer's store-credit wallet, created on first use."""
    customer = lock_row(Customer, customer.id)
    refuse_closed(customer)
    wallet = db.session.scalar(
        select(Wallet).where(Wallet.customer_id == customer.id, Wallet.is_store_credit)
        .order_by(Wallet.id)
    )
    if wallet is None:
        wallet = Wallet(customer_id=customer.id, is_store_credit=True,
                        status=WalletStatus.ACTIVE, sale_date=utcnow().date())
        db.session.add(wallet)
        db.session.flush()
    return wallet


def set_wallet_status(wallet: Wallet, status: str) -> None:
    """Block or unblock a wallet: a blocked wallet's balance leaves its owner's balance."""
    if status not in WalletStatus.values():
        raise LedgerError(_("Unknown wallet status."))
    wallet, customer = _lock_wallet_and_owner(wallet.id)
    wallet.status = status
    if customer is not None:
        refresh_customer_balance(customer)


def wallet_changed_hands(wallet: Wallet, previous_customer_id: int | None) -> None:
    """A wallet's owner or status is being edited: both owners' balances follow.

    Call before the change is flushed: the customers are locked first, in id
    order, as every movement does, then the wallet is written.
    """
    owner = wallet.customer.id if wallet.customer is not None else wallet.customer_id
    with db.session.no_autoflush:
        ids = sorted({i for i in (previous_customer_id, owner) if i is not None})
        customers = [lock_row(Customer, i) for i in ids]
    db.session.flush()
    for customer in customers:
        if customer is not None:
            refresh_customer_balance(customer)


# -- owner changes (a merge) ------------------------------------------------------------

def change_owner(wallet: Wallet, new_customer: Customer, *, actor: AdminUser | None,
                 reason: str, now: datetime | None = None) -> WalletTransaction:
    """Hand the wallet, whole, to ``new_customer``: it keeps its code, balance and
    history, and its ledger records the change as a movement of kind owner change,
    amount 0. Both owners are locked first (in id order, as every movement locks
    customers before wallets), then the wallet; both owners' balances follow.

    A blocked wallet moves too: it takes no money, but it must not stay behind.
    """
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("Give a reason for this movement."))
    for _attempt in range(3):
        owner_id = db.session.scalar(select(Wallet.customer_id).where(Wallet.id == wallet.id))
        owners = {i: lock_row(Customer, i)
                  for i in sorted({i for i in (owner_id, new_customer.id) if i is not None})}
        locked = lock_row(Wallet, wallet.id)
        if locked is None:
            raise LedgerError(_("This wallet does not exist (any more)."))
        if locked.customer_id == owner_id:
            break
    else:
        raise LedgerError(_("The wallet changed owner meanwhile; please try again."))
    receiver = owners[new_customer.id]
    if receiver is None:
        raise LedgerError(_("This customer does not exist (any more)."))
    if owner_id == receiver.id:
        raise LedgerError(_("Wallet %(code)s already belongs to %(name)s.",
                            code=locked.wallet_code, name=receiver.full_name))
    locked.customer_id = receiver.id
    row = WalletTransaction(
        wallet_id=locked.id, amount_minor=0, balance_after_minor=locked.balance_minor,
        kind=WalletTxKind.OWNER_CHANGE, reason=reason[:255],
        actor_id=actor.id if actor is not None else None,
        # One owner change per wallet and receiver: a customer who gave a wallet away
        # was merged away, and never receives one again.
        idempotency_key=f"owner-change-{locked.id}-to-{receiver.id}",
        created_at=now or utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    for owner in owners.values():
        if owner is not None:
            refresh_customer_balance(owner)
    return row


def move_all_points(source: Customer, target: Customer, *, actor: AdminUser | None,
                    reason_out: str, reason_in: str,
                    now: datetime | None = None) -> tuple[LoyaltyTransaction, ...]:
    """Carry every point of ``source`` to ``target`` (a merge): a pair of movements
    of kind merge, minus on the one and plus on the other, both customers locked in
    id order. ``target`` becomes a loyalty programme member. Returns the pair, or
    nothing when ``source`` has no points."""
    if source.id == target.id:
        raise LedgerError(_("Points cannot move to the customer who holds them."))
    locked = {i: lock_row(Customer, i) for i in sorted((source.id, target.id))}
    giver, receiver = locked[source.id], locked[target.id]
    if giver is None or receiver is None:
        raise LedgerError(_("This customer does not exist (any more)."))
    points = giver.loyalty_points
    if points == 0:
        return ()
    now = now or utcnow()
    actor_id = actor.id if actor is not None else None
    giver.loyalty_points -= points
    receiver.loyalty_points += points
    receiver.loyalty_member = True
    # A customer gives their points away once (they become a tombstone): fixed keys
    # make a second posting impossible.
    rows = (
        LoyaltyTransaction(customer_id=giver.id, points=-points,
                           balance_after=giver.loyalty_points, kind=LoyaltyTxKind.MERGE,
                           reason=reason_out[:255], actor_id=actor_id,
                           idempotency_key=f"merge-out-{giver.id}", created_at=now),
        LoyaltyTransaction(customer_id=receiver.id, points=points,
                           balance_after=receiver.loyalty_points, kind=LoyaltyTxKind.MERGE,
                           reason=reason_in[:255], actor_id=actor_id,
                           idempotency_key=f"merge-in-{giver.id}", created_at=now),
    )
    db.session.add_all(rows)
    db.session.flush()
    return rows


# -- expiry ------------------------------------------------------------------------------

def expire_wallet(wallet: Wallet, now: datetime | None = None) -> WalletTransaction | None:
    """Remove the unspent part of credit whose date has passed (None if nothing expired)."""
    now = now or utcnow()
    wallet, customer = _lock_wallet_and_owner(wallet.id)
    expired = credit_state(wallet, now.date()).expired_unspent_minor
    if expired <= 0:
        return None
    return _append(wallet, customer, -expired, kind=WalletTxKind.EXPIRY, actor=None,
                   reason=MovementReason.CREDIT_EXPIRED, now=now,
                   idempotency_key=f"expiry-{wallet.id}-{now.date().isoformat()}")


def wallets_with_expired_credit(today: date | None = None) -> list[int]:
    """Wallets holding a credit whose date has passed (candidates for expiry)."""
    today = today or utcnow().date()
    return list(db.session.scalars(
        select(WalletTransaction.wallet_id).distinct()
        .join(Wallet, Wallet.id == WalletTransaction.wallet_id)
        .where(WalletTransaction.amount_minor > 0, WalletTransaction.credit_expires_on < today,
               Wallet.balance_minor > 0)
        .order_by(WalletTransaction.wallet_id)
    ))


def expire_all(commit: Callable[[], None]) -> tuple[int, int]:
    """Expire every wallet's past-due credit, calling ``commit`` after each wallet (a
    long run never holds every lock). Returns (wallets expired, minor units expired).
    Running it twice expires nothing more."""
    expired = total = 0
    for wallet_id in wallets_with_expired_credit():
        wallet = db.session.get(Wallet, wallet_id)
        if wallet is None:
            continue  # deleted since it was listed
        row = expire_wallet(wallet)
        commit()
        if row is not None:
            expired += 1
            total += -row.amount_minor
    return expired, total


# -- loyalty points ------------------------------------------------------------------------

def adjust_points(customer: Customer, points: int, *, actor: AdminUser | None, reason: str,
                  idempotency_key: str, kind: str = LoyaltyTxKind.ADJUSTMENT,
                  now: datetime | None = None) -> LoyaltyTransaction:
    """Add (points > 0) or remove (points < 0) loyalty points."""
    if not isinstance(points, int) or isinstance(points, bool) or points == 0:
        raise LedgerError(_("Enter a whole number of points other than zero."))
    if abs(points) > MAX_POINTS:
        raise LedgerError(_("That many points at once is not allowed."))
    _check_key(idempotency_key)
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("Give a reason for this movement."))
    customer = lock_row(Customer, customer.id)
    if customer is None:
        raise LedgerError(_("This customer does not exist (any more)."))
    earlier = db.session.scalar(
        select(LoyaltyTransaction).where(LoyaltyTransaction.idempotency_key == idempotency_key))
    if earlier is not None:
        if earlier.customer_id != customer.id or earlier.points != points:
            raise LedgerError(_("This form was already used for another movement; "
                                "open it again."))
        return earlier
    refuse_closed(customer)
    if not customer.loyalty_member:
        raise LedgerError(_("%(name)s is not a loyalty programme member.",
                            name=customer.full_name))
    if customer.loyalty_points + points < 0:
        raise LedgerError(ngettext(
            "%(name)s has %(num)s point: they cannot go below zero.",
            "%(name)s has %(num)s points: they cannot go below zero.",
            customer.loyalty_points, name=customer.full_name))
    customer.loyalty_points += points
    row = LoyaltyTransaction(customer_id=customer.id, points=points,
                             balance_after=customer.loyalty_points, kind=kind,
                             reason=reason[:255], actor_id=actor.id if actor else None,
                             idempotency_key=idempotency_key, created_at=now or utcnow())
    db.session.add(row)
    db.session.flush()
    return row


# -- checks ----------------------------------------------------------------------------------

def _check_amount(amount_minor, positive: bool = False) -> None:
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool):
        raise LedgerError(_("The amount must be a whole number of cents."))
    if amount_minor == 0 or (positive and amount_minor < 0):
        raise LedgerError(_("Enter an amount other than zero."))
    if abs(amount_minor) > MAX_MOVEMENT_MINOR:
        raise LedgerError(_("That amount is too large for one movement."))


def _check_key(idempotency_key: str) -> None:
    if not idempotency_key or len(idempotency_key) > 64:
        raise LedgerError(_("This form has expired; open it again."))


@dataclass
class Mismatch:
    what: str
    row_id: int
    cached: int
    ledger: int

    def __str__(self) -> str:
        return f"{self.what} {self.row_id}: cached {self.cached}, ledger says {self.ledger}"


def verify() -> list[Mismatch]:
    """Rule 1 of the domain, checked for every wallet and customer."""
    mismatches = []
    wallet_sums = (
        select(Wallet.id, Wallet.balance_minor,
               func.coalesce(func.sum(WalletTransaction.amount_minor), 0))
        .outerjoin(WalletTransaction, WalletTransaction.wallet_id == Wallet.id)
        .group_by(Wallet.id, Wallet.balance_minor)
        .having(Wallet.balance_minor != func.coalesce(func.sum(WalletTransaction.amount_minor), 0))
    )
    mismatches += [Mismatch("wallet", i, c, s) for i, c, s in db.session.execute(wallet_sums)]
    points = (
        select(Customer.id, Customer.loyalty_points,
               func.coalesce(func.sum(LoyaltyTransaction.points), 0))
        .outerjoin(LoyaltyTransaction, LoyaltyTransaction.customer_id == Customer.id)
        .group_by(Customer.id, Customer.loyalty_points)
        .having(Customer.loyalty_points != func.coalesce(func.sum(LoyaltyTransaction.points), 0))
    )
    mismatches += [Mismatch("customer points", i, c, s) for i, c, s in db.session.execute(points)]
    active = (
        select(Wallet.customer_id.label("cid"), func.sum(Wallet.balance_minor).label("total"))
        .where(Wallet.status == WalletStatus.ACTIVE, Wallet.customer_id.is_not(None))
        .group_by(Wallet.customer_id).subquery()
    )
    balances = (
        select(Customer.id, Customer.balance_minor, func.coalesce(active.c.total, 0))
        .outerjoin(active, active.c.cid == Customer.id)
        .where(Customer.balance_minor != func.coalesce(active.c.total, 0))
    )
    mismatches += [Mismatch("customer balance", i, c, s)
                   for i, c, s in db.session.execute(balances)]
    return mismatches
