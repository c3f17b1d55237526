"""The home page's figures: the day at a glance, fast at a million customers.

Each figure is one aggregate query over an index or a bounded range of days.
Together they take about a second at a million customers, so they are kept in
one ``DashboardSnapshot`` row and recomputed when older than
``DASHBOARD_MAX_AGE`` seconds (or on request, or by ``flask dashboard refresh``
from a scheduler): every visit and every app server in between reads that row.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from ..choices import InvoiceStatus
from ..extensions import db
from ..models import (
    BlacklistEntry,
    Customer,
    CustomerGroup,
    DashboardSnapshot,
    Invoice,
    Outlet,
    Wallet,
    WalletTransaction,
    utcnow,
)

SNAPSHOT_ID = 1
WEEKS = 12       # new customers per week, this week and the 11 before
DAYS = 30        # top-ups and deductions per day
TOP = 8          # groups and outlets shown by name; the rest are added up


def snapshot(*, refresh: bool = False) -> DashboardSnapshot:
    """The figures, recomputed first when asked or when too old. Commits."""
    row = db.session.get(DashboardSnapshot, SNAPSHOT_ID)
    max_age = timedelta(seconds=current_app.config["DASHBOARD_MAX_AGE"])
    if row is not None and not refresh and utcnow() - row.computed_at < max_age:
        return row
    figures = compute(utcnow())
    if row is None:
        row = DashboardSnapshot(id=SNAPSHOT_ID)
        db.session.add(row)
    row.figures, row.computed_at = figures, utcnow()
    try:
        db.session.commit()
    except IntegrityError:
        # Another app server stored its figures first: theirs are as fresh.
        db.session.rollback()
        row = db.session.get(DashboardSnapshot, SNAPSHOT_ID)
    return row


def compute(now: datetime) -> dict:
    """Every figure and chart series of the home page, as JSON-ready values."""
    today = now.date()
    return {
        **key_figures(now),
        "new_customers_per_week": new_customers_per_week(today),
        "movements_per_day": movements_per_day(today),
        "customers_per_group": customers_per_group(),
        "top_outlets": top_outlets(today),
    }


def key_figures(now: datetime) -> dict:
    wallets, outstanding = db.session.execute(
        select(func.count(Wallet.id), func.coalesce(func.sum(Wallet.balance_minor), 0))).one()
    return {
        "customers": _scalar(select(func.count(Customer.id))),
        "new_this_week": _scalar(select(func.count(Customer.id))
                                 .where(Customer.created_at >= now - timedelta(days=7))),
        "wallets": wallets,
        "outstanding_minor": int(outstanding),
        "points_outstanding": _scalar(select(func.coalesce(func.sum(Customer.loyalty_points), 0))),
        "unpaid_minor": _scalar(select(func.coalesce(func.sum(Invoice.amount_minor), 0))
                                .where(Invoice.status == InvoiceStatus.UNPAID)),
        "blacklisted": _scalar(select(func.count(BlacklistEntry.id))),
    }


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())  # Monday


def new_customers_per_week(today: date) -> list[list]:
    """[[monday (ISO), customers added that week], ...], oldest first, empty weeks as 0."""
    first = week_start(today) - timedelta(weeks=WEEKS - 1)
    per_day = _per_day(Customer.created_at, first, func.count(Customer.id))
    weeks = {first + timedelta(weeks=n): 0 for n in range(WEEKS)}
    for day, (count,) in per_day.items():
        weeks[week_start(day)] += count
    return [[monday.isoformat(), count] for monday, count in weeks.items()]


def movements_per_day(today: date) -> list[list]:
    """[[day (ISO), credited, debited], ...] in minor units, both positive, for the
    last DAYS days: top-ups, refunds and other credits against deductions,
    payments and expiries."""
    first = today - timedelta(days=DAYS - 1)
    amount = WalletTransaction.amount_minor
    per_day = _per_day(WalletTransaction.created_at, first,
                       func.sum(case((amount > 0, amount), else_=0)),
                       func.sum(case((amount < 0, -amount), else_=0)))
    days = (first + timedelta(days=n) for n in range(DAYS))
    return [[d.isoformat(), *per_day.get(d, (0, 0))] for d in days]


def customers_per_group() -> list[list]:
    """[[group name or None, customers], ...], the largest TOP groups, then the rest
    added up as ["", n] and customers in no group as [None, n]."""
    rows = db.session.execute(
        select(Customer.group_id, func.count(Customer.id)).group_by(Customer.group_id)).all()
    names = dict(db.session.execute(select(CustomerGroup.id, CustomerGroup.name)).all())
    grouped = sorted(((names.get(g, ""), n) for g, n in rows if g is not None),
                     key=lambda row: (-row[1], row[0]))
    result = [list(row) for row in grouped[:TOP]]
    rest = sum(n for _name, n in grouped[TOP:])
    if rest:
        result.append(["", rest])
    ungrouped = sum(n for g, n in rows if g is None)
    if ungrouped:
        result.append([None, ungrouped])
    return result


def top_outlets(today: date) -> list[list]:
    """[[outlet name, wallet movements, amount moved (minor units)], ...] over the
    last DAYS days, the busiest TOP outlets first."""
    since = datetime.combine(today - timedelta(days=DAYS - 1), datetime.min.time())
    busiest = db.session.execute(
        select(WalletTransaction.outlet_id, func.count(WalletTransaction.id),
               func.sum(func.abs(WalletTransaction.amount_minor)))
        .where(WalletTransaction.created_at >= since, WalletTransaction.outlet_id.is_not(None))
        .group_by(WalletTransaction.outlet_id)
        .order_by(func.count(WalletTransaction.id).desc()).limit(TOP)).all()
    names = dict(db.session.execute(
        select(Outlet.id, Outlet.name).where(Outlet.id.in_([o for o, _n, _a in busiest])))
        .all())
    return [[names.get(outlet, ""), count, int(amount or 0)] for outlet, count, amount in busiest]


def _per_day(timestamp, first: date, *aggregates) -> dict[date, tuple[int, ...]]:
    """The ``aggregates`` per calendar day (UTC) from ``first`` on, read through
    the timestamp's index."""
    day = func.date(timestamp)
    rows = db.session.execute(
        select(day, *aggregates)
        .where(timestamp >= datetime.combine(first, datetime.min.time()))
        .group_by(day)).all()
    # SQLite answers a day as text, PostgreSQL as a date.
    return {date.fromisoformat(str(d)[:10]): tuple(int(v or 0) for v in values)
            for d, *values in rows}


def _scalar(statement) -> int:
    return int(db.session.scalar(statement) or 0)
