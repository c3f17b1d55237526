"""The admin's views, in menu order: adding a view is one line in VIEWS."""
import os

import flask_admin
from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader

from ..security import csp_nonce
from ..services import worker_health
from .admin_users import AdminUserView
from .audit import AuditView
from .blacklist import BlacklistView
from .customers import CustomerView
from .discount_codes import DiscountCodeView
from .formatting import status_badge
from .groups import GroupView
from .guests import GuestView
from .home import HomeView
from .invoices import InvoiceView
from .jobs import JobView
from .list_links import filtered_list_url
from .loyalty_history import LoyaltyHistoryView
from .notifications import NotificationView
from .orders import OrderView
from .wallet_history import WalletHistoryView
from .wallets import WalletView

VIEWS = [
    CustomerView,
    GroupView,
    OrderView,
    GuestView,
    WalletView,
    WalletHistoryView,
    DiscountCodeView,
    NotificationView,
    LoyaltyHistoryView,
    InvoiceView,
    BlacklistView,
    AdminUserView,
    AuditView,
]


def build_admin(app: Flask) -> Admin:
    """A new Admin for each app: a shared one would collect views twice."""
    admin = Admin(
        app,
        name=app.config["ADMIN_NAME"],
        index_view=HomeView(url="/admin", template="admin/home.html"),
        theme=Bootstrap4Theme(base_template="admin/backoffice_base.html", fluid=True),
        csp_nonce_generator=csp_nonce,
    )
    for view_class in VIEWS:
        admin.add_view(view_class())
    admin.add_view(JobView())  # no menu entry: the progress of long work, for its pages
    app.jinja_env.globals["status_badge"] = status_badge  # details pages show statuses too
    app.jinja_env.globals["filtered_list_url"] = filtered_list_url
    app.jinja_env.globals["worker_state"] = worker_health.state  # pages that wait on it
    reach_flask_admin_templates(app)
    return admin


def reach_flask_admin_templates(app: Flask) -> None:
    """Flask-Admin's own templates also as "flask_admin/admin/...": ours that replace
    one of its macro files (to drop its inline onclick handlers, which the content
    security policy refuses) import the original for the macros they keep."""
    folder = os.path.join(os.path.dirname(flask_admin.__file__), "templates", "bootstrap4")
    app.jinja_loader = ChoiceLoader(  # type: ignore[assignment]
        [app.jinja_loader, PrefixLoader({"flask_admin": FileSystemLoader(folder)})])
