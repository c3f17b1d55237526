"""The /admin/ home page: the day at a glance, in key figures and charts."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import flash, redirect, url_for
from flask_admin import AdminIndexView, expose
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..charts import bar_rows, column_chart
from ..choices import InvoiceStatus
from ..i18n import (
    RANGE_SEPARATOR,
    compact_money,
    compact_number,
    day,
    day_and_month,
    money,
    number,
)
from ..services import dashboard, permissions
from .base import ProtectedView, refuse_request
from .list_links import filtered_list_url

# Recomputing the figures costs the database a pass over the month: not for viewers.
REFRESH_CAPABILITY = permissions.EDIT


class HomeView(ProtectedView, AdminIndexView):
    @expose("/")
    def index(self):
        snapshot = dashboard.snapshot()
        figures = snapshot.figures
        return self.render(self._template, figures=figures, computed_at=snapshot.computed_at,
                           charts=charts(figures), links=figure_links(snapshot.computed_at),
                           customers_view=self._view("customers"),
                           can_refresh=permissions.can(current_user, REFRESH_CAPABILITY))

    def _view(self, endpoint: str):
        return next(view for view in self.admin._views if view.endpoint == endpoint)

    @expose("/refresh/", methods=("POST",))
    def refresh(self):
        if not permissions.can(current_user, REFRESH_CAPABILITY):
            refuse_request("Dashboard")
        dashboard.snapshot(refresh=True)
        flash(_("The figures are up to date."), "success")
        return redirect(url_for(".index"))


def charts(figures: dict) -> dict:
    """The four charts of the home page, laid out and labelled in the user's language."""
    weeks = [(date.fromisoformat(monday), count)
             for monday, count in figures["new_customers_per_week"]]
    days = [(date.fromisoformat(d), credit, debit)
            for d, credit, debit in figures["movements_per_day"]]
    groups = [(_("No group") if name is None else name or _("Other groups"), count,
               number(count)) for name, count in figures["customers_per_group"]]
    outlets = [(name, count, ngettext("%(count)s movement, %(amount)s",
                                      "%(count)s movements, %(amount)s", count,
                                      count=number(count), amount=money(amount)))
               for name, count, amount in figures["top_outlets"]]
    return {
        "new_customers": column_chart(
            [(day_and_month(monday), [count]) for monday, count in weeks],
            axis_text=compact_number, label_every=2,
            bar_title=lambda label, _series, value: ngettext(
                "Week of %(day)s: %(count)s new customer",
                "Week of %(day)s: %(count)s new customers", value, day=label,
                count=number(value))),
        "movements": column_chart(
            [(day_and_month(d), [credit, debit]) for d, credit, debit in days],
            axis_text=compact_money, label_every=7,
            bar_title=lambda label, series, value: (
                _("%(day)s: %(amount)s added", day=label, amount=money(value)) if series == 0
                else _("%(day)s: %(amount)s taken", day=label, amount=money(value)))),
        "groups": bar_rows(groups),
        "outlets": bar_rows(outlets),
        "first_day": day(days[0][0]) if days else "",
    }


def figure_links(computed_at: datetime) -> dict:
    """Where each key figure leads: the list it counts."""
    week = RANGE_SEPARATOR.join(
        d.isoformat() for d in (computed_at.date() - timedelta(days=7), computed_at.date()))
    return {
        "customers": url_for("customers.index_view"),
        "new_this_week": filtered_list_url("customers", created_at=week),
        "wallets": url_for("wallets.index_view"),
        "points_outstanding": url_for("loyalty-history.index_view"),
        "unpaid_minor": filtered_list_url("invoices", status=InvoiceStatus.UNPAID),
        "blacklisted": url_for("blacklist.index_view"),
    }
