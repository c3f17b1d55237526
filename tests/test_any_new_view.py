"""A view gets login and role checks, CSRF, audit, safe streaming export and
locale formatting from the base view alone. A throwaway model and its view,
written into a temporary package the app has never seen, are registered on a
new app and put through the same checks as every registered view."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from admin_app.choices import AuditAction, Role
from admin_app.extensions import db
from admin_app.models import AuditEvent

from .throwaway import throwaway_view
from .view_checks import (
    anonymous_is_sent_to_login,
    forged_delete_is_refused,
    role_gets_what_the_table_allows,
)

PACKAGE = "throwaway_gadgets"
MODELS = '''
    from datetime import date

    from sqlalchemy import BigInteger, Date, String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Gadget(Base):
        __tablename__ = "throwaway_gadgets"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(80))
        price_minor: Mapped[int] = mapped_column(BigInteger, default=0)
        released_on: Mapped[date | None] = mapped_column(Date)

        def __str__(self):
            return self.name
'''
VIEWS = '''
    from flask_babel import lazy_gettext as _l

    from admin_app.views.base import BaseModelView

    from .models import Gadget


    class GadgetView(BaseModelView):
        model_class = Gadget
        menu_name = _l("Gadgets")
        view_url = "gadgets"
        column_list = ("name", "price_minor", "released_on")
        column_searchable_list = ("name",)
        form_columns = ("name", "released_on")
'''


@pytest.fixture
def gadgets(app, tmp_path):
    """(the new app, the view class, the model), the model's table made in the
    suite's database and dropped afterwards."""
    with throwaway_view(app, tmp_path, PACKAGE, MODELS, VIEWS, "GadgetView") as (
            new_app, models, view_class):
        yield new_app, view_class, models.Gadget


def _client(new_app, users, role=None):
    client = new_app.test_client()
    if role:
        assert client.login(users[role]).status_code == 302
    return client


def _gadget(model, **fields):
    row = model(**{"name": "Lamp", "price_minor": 1250, "released_on": date(2026, 11, 22),
                   **fields})
    db.session.add(row)
    db.session.commit()
    return row


def test_login_and_the_role_table_hold(gadgets, users):
    new_app, view, model = gadgets
    row = _gadget(model)
    anonymous_is_sent_to_login(_client(new_app, users), view, row.id)
    for role in Role.values():
        role_gets_what_the_table_allows(_client(new_app, users, role), view, role, row.id)
    forged_delete_is_refused(_client(new_app, users, Role.VIEWER), view, row.id)


def test_forms_need_their_token_and_changes_are_audited(gadgets, users):
    new_app, _view, model = gadgets
    operator = _client(new_app, users, Role.OPERATOR)
    refused = operator.post("/admin/gadgets/new/", data={"name": "Forged"})
    assert refused.status_code == 400  # no CSRF token
    assert db.session.scalars(select(model)).all() == []
    created = operator.post_form("/admin/gadgets/new/", {"name": "  Desk  ",
                                                         "released_on": "2026-11-22"})
    assert created.status_code == 302
    gadget = db.session.scalars(select(model)).one()
    assert gadget.name == "Desk"  # text is stripped by the base view's conventions
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "Gadget")).one()
    assert (event.action, event.user_email, event.object_id) == (
        AuditAction.CREATE, "operator@example.com", str(gadget.id))


def test_money_and_days_follow_the_users_language(gadgets, users):
    new_app, _view, model = gadgets
    _gadget(model)
    client = _client(new_app, users, Role.VIEWER)
    english = client.get("/admin/gadgets/").get_data(as_text=True)
    assert "€12.50" in english and "11/22/2026" in english
    users[Role.VIEWER].language = "es"
    db.session.commit()
    spanish = client.get("/admin/gadgets/").get_data(as_text=True)
    assert "12,50\xa0€" in spanish and "22/11/2026" in spanish


def test_the_export_streams_and_defuses_formulas(gadgets, users):
    new_app, _view, model = gadgets
    _gadget(model, name="=HYPERLINK(\"http://evil.example\")")
    response = _client(new_app, users, Role.OPERATOR).get("/admin/gadgets/export/csv/")
    assert response.status_code == 200 and response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Name", "Price", "Released On"]
    assert rows[1][0].startswith("'=")
    assert rows[1][1] == "12.50"
