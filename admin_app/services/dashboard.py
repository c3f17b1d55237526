"""The home page's figures: the day at a glance, fast at a million customers.

Each figure is one aggregate query over an index or a bounded range of days.
Together they take about a second at a million customers, so they are kept in
one ``DashboardSnapshot`` row and recomputed when older than
``DASHBOARD_MAX_AGE`` seconds (by the worker's schedule, on request, or by
``flask dashboard refresh``): every visit and every app server in between reads that row.
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
        assert row is not None  # the clash was with that row, and it is never deleted
    return row


def compute(now: datetime) -> dict:
    """Every figure and chart series of the home page, as JSON-ready values."""
    today = now.date()
    activity = wallet_activity(today - timedelta(days=DAYS - 1))
    return {
        **key_figures(now),
        "new_customers_per_week": new_customers_per_week(today),
        "movements_per_day": movements_per_day(activity, today),
        "customers_per_group": customers_per_group(),
        "top_outlets": top_outlets(activity),
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
    day = func.date(Customer.created_at)
    per_day = db.session.execute(
        select(day, func.count(Customer.id)).where(Customer.created_at >= _midnight(first))
        .group_by(day)).all()
    weeks = {first + timedelta(weeks=n): 0 for n in range(WEEKS)}
    for added_on, count in per_day:
        weeks[week_start(_as_date(added_on))] += count
    return [[monday.isoformat(), count] for monday, count in weeks.items()]


def wallet_activity(first: date) -> list[tuple]:
    """Wallet movements since ``first`` added up per day and outlet, in one pass
    over the movements' date index: [(day, outlet id, movements, credited,
    debited)], amounts in minor units, both positive."""
    day = func.date(WalletTransaction.created_at)
    amount = WalletTransaction.amount_minor
    rows = db.session.execute(
        select(day, WalletTransaction.outlet_id, func.count(WalletTransaction.id),
               func.sum(case((amount > 0, amount), else_=0)),
               func.sum(case((amount < 0, -amount), else_=0)))
        .where(WalletTransaction.created_at >= _midnight(first))
        .group_by(day, WalletTransaction.outlet_id)).all()
    return [(_as_date(d), outlet, count, int(credit or 0), int(debit or 0))
            for d, outlet, count, credit, debit in rows]


def movements_per_day(activity: list[tuple], today: date) -> list[list]:
    """[[day (ISO), credited, debited], ...] for the last DAYS days: top-ups,
    refunds and other credits against deductions, payments and expiries."""
    first = today - timedelta(days=DAYS - 1)
    totals = {first + timedelta(days=n): [0, 0] for n in range(DAYS)}
    for day, _outlet, _count, credit, debit in activity:
        if day in totals:
            totals[day][0] += credit
            totals[day][1] += debit
    return [[day.isoformat(), *amounts] for day, amounts in totals.items()]


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


def top_outlets(activity: list[tuple]) -> list[list]:
    """[[outlet name, wallet movements, amount moved (minor units)], ...] over the
    last DAYS days, the busiest TOP outlets first."""
    busiest: dict[int, list[int]] = {}
    for _day, outlet, count, credit, debit in activity:
        if outlet is not None:
            totals = busiest.setdefault(outlet, [0, 0])
            totals[0] += count
            totals[1] += credit + debit
    names = dict(db.session.execute(select(Outlet.id, Outlet.name)
                                    .where(Outlet.id.in_(list(busiest)))).all())
    ranked = sorted(busiest.items(), key=lambda item: (-item[1][0], names.get(item[0], "")))
    return [[names.get(outlet, ""), count, moved] for outlet, (count, moved) in ranked[:TOP]]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def _as_date(value) -> date:
    """A grouped day: SQLite answers it as text, PostgreSQL as a date."""
    return date.fromisoformat(str(value)[:10])


def _scalar(statement) -> int:
    return int(db.session.scalar(statement) or 0)
