"""Orders: a buyer's newest sales, and order tracking along the allowed moves."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select, union
from sqlalchemy.orm import selectinload

from ..choices import OrderStatus
from ..database import lock_row
from ..extensions import db
from ..models import Customer, Guest, Order
from . import search
from .errors import DomainError

S = OrderStatus
# Where an order may go from each status; the only place these moves are declared.
# A paid order may be delivered at once (collected in store); cancelled and
# returned orders are finished.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.PLACED: (S.PAID, S.CANCELLED),
    S.PAID: (S.SHIPPED, S.DELIVERED, S.CANCELLED),
    S.SHIPPED: (S.DELIVERED, S.RETURNED),
    S.DELIVERED: (S.RETURNED,),
    S.CANCELLED: (),
    S.RETURNED: (),
}


# Orders that do not count in a customer's sales value and number of orders.
NOT_SALES = (S.CANCELLED, S.RETURNED)


class OrderError(DomainError):
    """An order change the rules refuse; nothing was written."""


def next_statuses(status: str) -> tuple[str, ...]:
    """The statuses an order in ``status`` may move to."""
    return TRANSITIONS.get(status, ())


def move_status(order: Order, status: str) -> Order:
    """Move the order to ``status`` along an allowed transition; the same status is
    no change. The row is locked first, so two people moving it at once are checked
    one after the other against what the first one saved."""
    if status not in TRANSITIONS:
        raise OrderError(_("“%(status)s” is not an order status.", status=status))
    locked = lock_row(Order, order.id)
    if locked is None:
        raise OrderError(_("This order does not exist (any more)."))
    if status == locked.status:
        return locked
    if status not in next_statuses(locked.status):
        raise OrderError(_refusal(locked, status))
    locked.status = status
    return locked


def _refusal(order: Order, status: str) -> str:
    current, wanted = S.label(order.status), S.label(status)
    allowed = [S.label(s) for s in next_statuses(order.status)]
    if not allowed:
        return _("Order %(code)s cannot go from %(current)s to %(wanted)s: %(current)s is a "
                 "final status.", code=order.sale_code, current=current, wanted=wanted)
    return _("Order %(code)s cannot go from %(current)s to %(wanted)s. From %(current)s it "
             "can go to: %(allowed)s.", code=order.sale_code, current=current, wanted=wanted,
             allowed=", ".join(allowed))


def recent_orders(buyer_column, buyer_id: int, limit: int) -> tuple[list[Order], int]:
    """The buyer's newest ``limit`` orders (``buyer_column`` is Order.customer_id or
    Order.guest_id) and how many they have in all."""
    orders = list(db.session.scalars(
        select(Order).where(buyer_column == buyer_id)
        .options(selectinload(Order.outlet))  # shown on each line: one query, not one each
        .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)))
    total = len(orders) if len(orders) < limit else db.session.execute(
        select(func.count(Order.id)).where(buyer_column == buyer_id)).scalar_one()
    return orders, total


def search_condition(typed: str, phone_digits: str | None, dialect: str):
    """Orders found by what was typed in their search box: a sale code or its
    beginning, in any case, or the buyer's name, email or phone.

    Each way is its own indexed lookup (the sale code's unique index; the
    customers' and guests' search indexes, then the orders' customer and guest
    indexes), joined by a UNION of order ids: no order row is read to decide
    whether it matches, so a million orders cost what the matches cost.
    """
    text = typed.strip()
    by_code = select(Order.id).where(search.starts_with(Order.sale_code, text.upper()))
    customers = select(Customer.id).where(search.matches(Customer, text, phone_digits, dialect))
    guests = select(Guest.id).where(search.matches(Guest, text, phone_digits, dialect))
    return Order.id.in_(union(
        by_code,
        select(Order.id).where(Order.customer_id.in_(customers)),
        select(Order.id).where(Order.guest_id.in_(guests)),
    ))
