"""Orders: a buyer's newest sales, as their details page lists them."""
from __future__ import annotations

from sqlalchemy import func, select, union
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Customer, Guest, Order
from . import search


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
