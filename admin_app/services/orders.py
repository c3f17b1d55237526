"""Orders: a buyer's newest sales, as their details page lists them."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Order


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
