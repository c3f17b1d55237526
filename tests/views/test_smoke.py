"""Every registered view, picked up with no extra code: anonymous visitors go to
the login page; each role gets exactly what the role table allows; list,
details, create and edit render; the export parses as CSV."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.services import permissions
from admin_app.services.seed import seed
from admin_app.views import VIEWS

VIEW_IDS = [view.view_url for view in VIEWS]


@pytest.fixture
def seeded(app, make):
    seed(30, seed=7)
    db.session.commit()
    # A small seed may hold no on-account sale: every view needs a row to show.
    make.invoice(make.customer(account_limit_minor=100_000), amount_minor=5_000,
                 number=900_001)
    # A newly added view's model may be one the seed does not fill.
    for view_class in VIEWS:
        if _first_id(view_class) is None:
            make.example(view_class.model_class)


def _first_id(view_class) -> int:
    return db.session.scalar(select(view_class.model_class.id).order_by(view_class.model_class.id))


def _allowed(role: str, capability: str) -> bool:
    return Role.rank(role) >= Role.rank(permissions.MINIMUM_ROLE[capability])


@pytest.mark.parametrize("view_class", VIEWS, ids=VIEW_IDS)
def test_anonymous_visitor_is_sent_to_login(client, seeded, view_class):
    base = f"/admin/{view_class.view_url}/"
    row = _first_id(view_class)
    for url in (base, f"{base}details/?id={row}", f"{base}new/", f"{base}edit/?id={row}",
                f"{base}export/csv/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url


def test_anonymous_home_is_sent_to_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", Role.values())
@pytest.mark.parametrize("view_class", VIEWS, ids=VIEW_IDS)
def test_each_role_gets_what_the_role_table_allows(login, seeded, view_class, role):
    client = login(role)
    base = f"/admin/{view_class.view_url}/"
    row = _first_id(view_class)

    if not _allowed(role, view_class.required_capability):
        # A view this role may not see (the audit log): every page of it is refused.
        for url in (base, f"{base}details/?id={row}", f"{base}export/csv/"):
            assert client.get(url).status_code == 403, url
        assert base not in client.get("/admin/").get_data(as_text=True)
        return

    listing = client.get(base)
    assert listing.status_code == 200
    assert client.get(f"{base}details/?id={row}").status_code == 200

    # A read-only view (a ledger's history) refuses changes to every role.
    may_create = view_class.allow_create and _allowed(role, view_class.create_capability)
    may_edit = view_class.allow_edit and _allowed(role, view_class.edit_capability)
    may_delete = view_class.allow_delete and _allowed(role, view_class.delete_capability)
    may_export = _allowed(role, view_class.export_capability)

    assert client.get(f"{base}new/").status_code == (200 if may_create else 403)
    assert client.get(f"{base}edit/?id={row}").status_code == (200 if may_edit else 403)
    html = listing.get_data(as_text=True)
    assert (f'{base}new/' in html) is may_create
    assert (f'{base}export/csv/' in html) is may_export
    assert (f'{base}delete/' in html) is may_delete

    export = client.get(f"{base}export/csv/")
    if may_export:
        assert export.status_code == 200
        rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
        count = db.session.query(view_class.model_class).count()
        assert len(rows) == count + 1  # the header, then every row
    else:
        assert export.status_code == 403


@pytest.mark.parametrize("view_class", VIEWS, ids=VIEW_IDS)
def test_forged_delete_by_a_viewer_is_refused_and_writes_nothing(login, seeded, view_class):
    client = login(Role.VIEWER)
    row = _first_id(view_class)
    response = client.post_form(f"/admin/{view_class.view_url}/delete/", {"id": str(row)})
    assert response.status_code == 403
    assert db.session.get(view_class.model_class, row) is not None


def test_home_lists_the_views(admin_client):
    html = admin_client.get("/admin/").get_data(as_text=True)
    for view_class in VIEWS:
        assert f"/admin/{view_class.view_url}/" in html
