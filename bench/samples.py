"""Values the cases look for, taken from the seeded data so they always exist:
a customer with wallets and history, a group, outlets, a month with rows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import dataset  # noqa: F401 - makes the project importable
from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import Customer, CustomerGroup, Outlet, Wallet, WalletTransaction

# The customer the cases open: #500,000 of a million, the middle of smaller sets.
CUSTOMER_ID = 500_000
DEEP_PAGE = 20_000  # Flask-Admin's page= (zero-based), as far as the data reaches
OUTLETS = 3


@dataclass(frozen=True)
class Samples:
    customer_id: int
    email: str
    group_id: int
    group_name: str
    outlet_ids: tuple[int, ...]
    customers_month: tuple[date, date]
    history_month: tuple[date, date]
    deep_page: int


def pick(app, customers: int, page_size: int) -> Samples:
    with app.app_context():
        customer = _customer_with_history()
        group = db.session.execute(
            select(CustomerGroup.id, CustomerGroup.name)
            .where(select(Customer.id).where(Customer.group_id == CustomerGroup.id).exists())
            .order_by(CustomerGroup.id).limit(1)).one()
        outlets = tuple(db.session.scalars(select(Outlet.id).order_by(Outlet.id).limit(OUTLETS)))
        return Samples(
            customer_id=customer.id, email=customer.email,
            group_id=group.id, group_name=group.name, outlet_ids=outlets,
            customers_month=_middle_month(Customer.created_at),
            history_month=_middle_month(WalletTransaction.created_at),
            deep_page=min(DEEP_PAGE, _middle_page(customers, page_size)),
        )


def _customer_with_history() -> Customer:
    """The first customer from #500,000 (or the middle one) with an email and a
    wallet that has movements: their details page shows every section."""
    low, high = db.session.execute(select(func.min(Customer.id), func.max(Customer.id))).one()
    start = CUSTOMER_ID if high >= CUSTOMER_ID else (low + high) // 2
    with_history = (select(Wallet.id).join(WalletTransaction)
                    .where(Wallet.customer_id == Customer.id).exists())
    customer = db.session.scalars(
        select(Customer).where(Customer.id >= start, Customer.email.is_not(None), with_history)
        .order_by(Customer.id).limit(1)).first()
    if customer is None:
        raise SystemExit("no customer with an email and wallet history: seed the database")
    return customer


def _middle_month(column) -> tuple[date, date]:
    """The calendar month halfway through the column's dates: full of rows."""
    first, last = db.session.execute(select(func.min(column), func.max(column))).one()
    first, last = _as_datetime(first), _as_datetime(last)
    middle = first + (last - first) / 2
    start = middle.date().replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


def _as_datetime(value) -> datetime:
    # SQLite hands back MIN()/MAX() of a DateTime column as text.
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _middle_page(rows: int, page_size: int) -> int:
    """Without a million rows page 20,000 is past the end: the page halfway instead."""
    return max(0, (rows // page_size) // 2)
