"""Every registered view, picked up with no extra code: anonymous visitors go to
the login page; each role gets exactly what the role table allows; list,
details, create and edit render; the export parses as CSV."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.services.seed import seed
from admin_app.views import VIEWS

from ..view_checks import (
    anonymous_is_sent_to_login,
    forged_delete_is_refused,
    role_gets_what_the_table_allows,
)

VIEW_IDS = [view.view_url for view in VIEWS]


@pytest.fixture
def seeded(app, make):
    seed(30, seed=7)
    db.session.commit()
    # A small seed may hold no on-account sale: every view needs a row to show.
    make.invoice(make.customer(account_limit_minor=100_000), amount_minor=5_000,
                 number=900_001)
    # A newly added view's model may be one the seed does not fill.
    make.example_rows(view.model_class for view in VIEWS)


def _first_id(view_class) -> int:
    return db.session.scalar(select(view_class.model_class.id).order_by(view_class.model_class.id))


@pytest.mark.parametrize("view_class", VIEWS, ids=VIEW_IDS)
def test_anonymous_visitor_is_sent_to_login(client, seeded, view_class):
    anonymous_is_sent_to_login(client, view_class, _first_id(view_class))


def test_anonymous_home_is_sent_to_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", Role.values())
@pytest.mark.parametrize("view_class", VIEWS, ids=VIEW_IDS)
def test_each_role_gets_what_the_role_table_allows(login, seeded, view_class, role):
    role_gets_what_the_table_allows(login(role), view_class, role, _first_id(view_class))


@pytest.mark.parametrize("view_class", VIEWS, ids=VIEW_IDS)
def test_forged_delete_by_a_viewer_is_refused_and_writes_nothing(login, seeded, view_class):
    forged_delete_is_refused(login(Role.VIEWER), view_class, _first_id(view_class))


def test_home_lists_the_views(admin_client):
    html = admin_client.get("/admin/").get_data(as_text=True)
    for view_class in VIEWS:
        assert f"/admin/{view_class.view_url}/" in html
