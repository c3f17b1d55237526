"""Security checks that walk the app's URL map rather than a hand list, so a new
view or page is covered the day it is added: anonymous visitors, every role
against every endpoint and method, CSRF on every state-changing request,
escaped output everywhere, and no redirect off this site."""
from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import APPEND_ONLY_MODELS, Customer, Wallet
from admin_app.services import ledger, permissions
from admin_app.services.seed import seed
from admin_app.views import VIEWS

# Flask-Admin's own pages and the capability each needs (the base view's flags).
BUILT_IN = {
    "index_view": None, "details_view": None, "ajax_lookup": "lookup_capability",
    "create_view": "create_capability", "edit_view": "edit_capability",
    "ajax_update": "edit_capability", "delete_view": "delete_capability",
    "export": "export_capability", "action_view": None,
}
MISSING_ID = 987654


@pytest.fixture
def seeded(make):
    seed(20, seed=3)
    db.session.commit()
    make.invoice(make.customer(account_limit_minor=100_000), amount_minor=5_000, number=900_001)
    # Every view's details and edit pages need a row, a new model's too.
    make.example_rows(view.model_class for view in VIEWS)


def admin_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/admin/") and not rule.endpoint.endswith("static")]


def views_by_endpoint(app: Flask) -> dict:
    return {view.endpoint: view for view in app.extensions["admin"][0]._views}


def url_for_rule(rule: Rule, view) -> str:
    """A concrete URL: ids of a real row (or a missing one), ``csv`` for formats."""
    values = {}
    for name in rule.arguments:
        if name == "export_type":
            values[name] = "csv"
        else:
            values[name] = MISSING_ID
    url = rule.build(values, append_unknown=False)[1]
    model = getattr(view, "model_class", None)
    if model is not None and rule.endpoint.split(".")[1] in ("details_view", "edit_view"):
        url += f"?id={db.session.scalar(select(model.id).order_by(model.id))}"
    return url


def needed(view, page: str) -> str | None:
    """The capability a role needs for this page, as the view declares it."""
    if page in BUILT_IN:
        flag = BUILT_IN[page]
        return getattr(view, flag) if flag else None
    return getattr(view, page).capability


def allowed(role: str, capability: str | None) -> bool:
    return capability is None or Role.rank(role) >= Role.rank(
        permissions.MINIMUM_ROLE[capability])


def test_every_page_a_view_adds_declares_who_may_use_it(app):
    views = views_by_endpoint(app)
    undeclared = []
    for rule in admin_rules(app):
        endpoint, _dot, page = rule.endpoint.partition(".")
        view = views.get(endpoint)
        if view is None or endpoint == "admin" or page in BUILT_IN:
            continue
        if getattr(getattr(view, page, None), "capability", None) is None:
            undeclared.append(rule.rule)
    assert not undeclared, f"add @needs(capability) to: {undeclared}"


def test_anonymous_visitors_get_the_login_page_or_a_refusal(app, client, seeded):
    views = views_by_endpoint(app)
    token = client.csrf_token()
    for rule in admin_rules(app):
        url = url_for_rule(rule, views.get(rule.endpoint.split(".")[0]))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code in (302, 403), (method, url, response.status_code)
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/login"), (method, url)


@pytest.mark.parametrize("role", Role.values())
def test_each_role_reaches_exactly_what_the_role_table_allows(app, login, seeded, role):
    client = login(role)
    views = views_by_endpoint(app)
    wrong = []
    for rule in admin_rules(app):
        endpoint, _dot, page = rule.endpoint.partition(".")
        view = views[endpoint]
        if endpoint == "admin":
            continue
        may = allowed(role, view.required_capability) and allowed(role, needed(view, page))
        if page in ("create_view", "edit_view", "delete_view", "ajax_update"):
            may = may and getattr(view, {"create_view": "allow_create",
                                         "delete_view": "allow_delete"}.get(page, "allow_edit"))
        url = url_for_rule(rule, view)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            # POSTs carry a valid token and nothing else: they cannot change anything.
            response = client.open(url, method=method, data={"csrf_token": client.csrf_token()})
            refused = response.status_code == 403
            if refused == may:
                wrong.append((method, url, response.status_code))
    assert not wrong


def test_every_state_changing_request_needs_the_csrf_token(app, admin_client, seeded):
    views = views_by_endpoint(app)
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        view = views.get(rule.endpoint.split(".")[0])
        url = url_for_rule(rule, view) if rule.rule.startswith("/admin/") else rule.build(
            {name: "x" for name in rule.arguments}, append_unknown=False)[1]
        response = admin_client.post(url, data={"id": "1", "action": "delete", "rowid": "1"})
        assert response.status_code == 400, (url, response.status_code)


PAYLOAD = "<i>x'\"&</i>"


def _poison_text_fields() -> list[tuple[type, int]]:
    """The first row of every view's model gets the payload in each free-text column."""
    poisoned = []
    # Ledger rows are never changed: new movements carry the payload instead.
    wallet = db.session.scalar(select(Wallet).where(Wallet.status == "active").order_by(Wallet.id))
    ledger.add_balance(wallet, 100, actor=None, reason=PAYLOAD, idempotency_key="xss-w")
    member = db.session.scalar(select(Customer).where(Customer.loyalty_member.is_(True)))
    ledger.adjust_points(member, 5, actor=None, reason=PAYLOAD, idempotency_key="xss-p")
    db.session.commit()
    for view in VIEWS:
        model = view.model_class
        if model in APPEND_ONLY_MODELS:
            newest = db.session.scalar(select(model.id).order_by(model.id.desc()))
            poisoned.append((view, newest))
            continue
        row = db.session.scalar(select(model).order_by(model.id))
        for column in model.__table__.columns:
            try:
                is_text = column.type.python_type is str
            except NotImplementedError:
                is_text = False
            length = getattr(column.type, "length", None)
            if (not is_text or column.unique or "choices" in column.info
                    or column.key in ("email", "phone", "sort_name", "idempotency_key",
                                      "currency", "country", "user_email", "ip")
                    or (length is not None and length < len(PAYLOAD))):
                continue
            setattr(row, column.key, PAYLOAD)
        poisoned.append((view, row.id))
    db.session.commit()
    return poisoned


def test_text_from_the_database_is_always_shown_escaped(admin_client, seeded):
    for view, row_id in _poison_text_fields():
        base = f"/admin/{view.view_url}/"
        for url in (base, f"{base}details/?id={row_id}", f"{base}edit/?id={row_id}"):
            response = admin_client.get(url)
            if response.status_code == 403:
                continue  # a read-only view has no edit page
            page = response.get_data(as_text=True)
            assert "<i>x" not in page, url
        assert "<i>x" not in admin_client.get(base, query_string={"search": PAYLOAD}).get_data(
            as_text=True)


def test_a_flash_message_with_user_text_is_escaped(admin_client, make):
    make.group(PAYLOAD)
    response = admin_client.post_form("/admin/groups/new/", {"name": PAYLOAD},
                                      follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "<i>x" not in page


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/",
                                    "/\\evil.example", "javascript:alert(1)"])
def test_no_redirect_leaves_this_site(client, users, admin_client, target):
    response = client.post_form("/login", {"email": users[Role.ADMIN].email,
                                           "password": "correct-horse-battery",
                                           "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    response = admin_client.post_form("/admin/groups/new/", {"name": "Gold", "url": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "evil" not in location
    response = admin_client.post_form("/language", {"language": "es", "next": target})
    assert response.headers["Location"] == "/admin/"


def test_the_walk_covers_every_view(app):
    covered = {rule.endpoint.split(".")[0] for rule in admin_rules(app)}
    assert {view.view_url for view in VIEWS} <= covered


# Written by reads on purpose: the audit trail (exports are recorded) and the
# home page's cached figures (computed on the first visit, then reused).
WRITTEN_BY_READS = {"audit_events", "dashboard_snapshots"}


def _row_counts() -> dict[str, int]:
    from sqlalchemy import func

    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables if table.name not in WRITTEN_BY_READS}


def test_no_get_request_changes_anything(app, admin_client, seeded):
    views = views_by_endpoint(app)
    before = _row_counts()
    for rule in admin_rules(app):
        if "GET" in rule.methods:
            admin_client.get(url_for_rule(rule, views.get(rule.endpoint.split(".")[0])))
    db.session.expire_all()
    assert _row_counts() == before
