"""The yardstick for the export: a minimal streaming CSV export of the customers,
written the straightforward way, so that the bench's ratio shows what our
export's work bought.

ORM objects read with ``yield_per``, ``csv.writer`` per row, the same columns
and order as ours (current customers by name), money as decimals, the group by
its name, a BOM. No formula neutralising, no translated headers: only what a
first streaming version would have. No login, like the plain ModelView.
"""
from __future__ import annotations

import csv
import io

import dataset  # noqa: F401 - makes the project importable
from flask import Flask, Response, stream_with_context
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from admin_app import database_url
from admin_app.extensions import db
from admin_app.models import Customer, not_tombstones
from admin_app.services.money import major_units

URL = "/customers/export/csv/"
HEADER = ("First name", "Surname", "Email", "Phone", "Postcode", "Country", "Birthday",
          "Card number", "Group", "Marketing opt-in", "Notes", "Sales value", "Orders",
          "Loyalty points", "Balance", "Created at", "Currency")


def create_minimal_app(url: str) -> Flask:
    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI=url)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app)  # the same driver as ours
    db.init_app(app)
    app.add_url_rule(URL, "export", export)
    return app


def export() -> Response:
    query = (select(Customer).options(joinedload(Customer.group))
             .where(*not_tombstones(Customer)).order_by(Customer.sort_name, Customer.id)
             .execution_options(yield_per=1000))

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(HEADER)
        yield "\ufeff" + buffer.getvalue()
        for customer in db.session.scalars(query):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(row(customer))
            yield buffer.getvalue()

    return Response(stream_with_context(generate()), content_type="text/csv; charset=utf-8")


def row(c: Customer) -> list:
    return [c.first_name, c.surname, c.email, c.phone, c.postcode, c.country, c.birthday,
            c.card_number, c.group.name if c.group else "",
            "Yes" if c.marketing_opt_in else "No", c.notes,
            major_units(c.sales_value_minor), c.orders_count, c.loyalty_points,
            major_units(c.balance_minor), c.created_at.isoformat(sep=" ", timespec="seconds"),
            "EUR"]
