"""The URLs the simulated operators open, read from the app and its data.

Sort and filter arguments come from the registered views (as the bench's cases
do), and the customers, emails and phones from the database, so every request
asks for something that exists. Written to a JSON file Locust reads.
"""
from __future__ import annotations

import random

import cases
import samples
from flask import url_for
from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import Customer

NAME_FRAGMENTS = ("garc", "mart", "lop", "san", "more", "fern")
SORTED_BY = ("full_name", "loyalty_points", "created_at")
SAMPLE = 200  # customers the operators open, search for and top up


def build(app, rng: random.Random) -> dict[str, list[str]]:
    """Request name (mix.READS and the top-up) -> URLs to choose from."""
    with app.app_context():
        customers = cases.find_view(app, "customers")
        total = db.session.scalar(select(func.count()).select_from(Customer))
        picked = samples.pick(app, total, customers.page_size)
        people = _people(rng)
        with app.test_request_context():
            def index(**args) -> str:
                return url_for("customers.index_view", **args)

            sorts = [cases.sort_args(customers, column, descending)
                     for column in SORTED_BY if column in dict(customers._list_columns)
                     for descending in (False, True)]
            filters = [
                cases.filter_arg(customers, Customer.group_id, ("equals",),
                                 lambda flt: str(picked.group_id)),
                cases.filter_arg(customers, Customer.created_at, ("between",),
                                 cases.day_range(*picked.customers_month)),
            ]
            return {
                "customers, page 1": [index()],
                "customers, deep page": [index(page=picked.deep_page)],
                "customers, sorted": [index(**args) for args in sorts],
                "search: name fragment": [index(search=text) for text in NAME_FRAGMENTS],
                "search: email": [index(search=email) for _id, email, _phone in people],
                # A whole phone as staff type it; the bench's fragment if none has one.
                "search: phone": [index(search=phone) for _id, _email, phone in people
                                  if phone] or [index(search=cases.PHONE_FRAGMENT)],
                "filter": [index(**args) for args in filters],
                "customer page": [url_for("customers.details_view", id=id_)
                                  for id_, _email, _phone in people],
                "top-up": [url_for("customers.add_balance_view", id=id_)
                           for id_, _email, _phone in people],
            }


def _people(rng: random.Random) -> list[tuple[int, str, str | None]]:
    """Up to SAMPLE live customers with an email, spread over the whole table
    (random ids, not ORDER BY random(): that reads every row)."""
    low, high = db.session.execute(select(func.min(Customer.id), func.max(Customer.id))).one()
    if low is None:
        raise SystemExit("the benchmark database has no customers")
    wanted = sorted({rng.randint(low, high) for _ in range(SAMPLE * 2)})
    rows = db.session.execute(
        select(Customer.id, Customer.email, Customer.phone)
        .where(Customer.id.in_(wanted), Customer.email.is_not(None),
               Customer.merged_into_id.is_(None), Customer.erased_at.is_(None))
        .order_by(Customer.id).limit(SAMPLE)).all()
    if not rows:
        raise SystemExit("no live customer with an email in the benchmark database")
    return [tuple(row) for row in rows]
