"""The yardstick: a plain Flask-Admin on the same database and models as ours.

Every view keeps Flask-Admin's defaults; it declares only what a benchmark
case needs to exist on it (the searchable columns, the filters, details and
export, the count column of groups, the same default sort as ours). No login:
a plain ModelView lets everyone in. Endpoints and URLs match ours, so the same
case reads the same way on both.
"""
from __future__ import annotations

import dataset  # noqa: F401 - makes the project importable
from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_babel import Babel

from admin_app import database_url
from admin_app.extensions import db
from admin_app.models import Customer, CustomerGroup, Wallet, WalletTransaction


class PlainCustomerView(ModelView):
    column_searchable_list = ("first_name", "surname", "email", "phone", "postcode",
                              "card_number")
    column_filters = ("group_id", "created_at", "birthday", "country")
    column_default_sort = "surname"  # ours sorts by surname too (then first name)
    can_view_details = True
    can_export = True
    # A merged customer's link to the one kept: Flask-Admin would load it lazily
    # while streaming the file, after the request's session is gone.
    column_export_exclude_list = ("merged_into",)


class PlainGroupView(ModelView):
    # The count is a deferred column property: listing it is all a plain view can do.
    column_list = ("name", "description", "customers_count")
    can_view_details = True
    can_export = True


class PlainWalletView(ModelView):
    column_filters = ("outlet_id",)  # offers Flask-Admin's "in list": several outlets
    can_view_details = True
    can_export = True


class PlainWalletHistoryView(ModelView):
    column_default_sort = ("created_at", True)
    column_filters = ("created_at",)
    can_view_details = True
    can_export = True


# endpoint -> (view class, model): the same endpoints (and so URLs) as ours.
VIEWS = {
    "customers": (PlainCustomerView, Customer),
    "groups": (PlainGroupView, CustomerGroup),
    "wallets": (PlainWalletView, Wallet),
    "wallet-history": (PlainWalletHistoryView, WalletTransaction),
}


def create_plain_app(url: str) -> Flask:
    """A separate app bound to the database at ``url``."""
    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="bench-plain")
    # The same driver choice as ours (postgresql:// -> psycopg 3).
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app)
    db.init_app(app)
    # Flask-Admin 2.2 fails every page with KeyError 'babel' without it.
    Babel(app)
    admin = Admin(app, name="Plain Flask-Admin")
    for endpoint, (view_class, model) in VIEWS.items():
        admin.add_view(view_class(model, db, endpoint=endpoint, url=endpoint))
    return app
