"""The /admin/ home page: key figures that match the data, four charts in the
user's language, figures kept between visits (shared by every app server) and
refreshed on request, and an empty database that says what to do."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from admin_app.choices import InvoiceStatus, Role, WalletTxKind
from admin_app.extensions import db
from admin_app.models import DashboardSnapshot, WalletTransaction, utcnow
from admin_app.services import dashboard

from ..pages import flashes, get_page, speak, text

HOME = "/admin/"


def key_figures(page: str) -> dict[str, str]:
    block = page.split('id="key-figures"', 1)[1].split('<div class="row">', 1)[0]
    cards = re.findall(r'<span class="small text-muted">(.*?)</span>\s*<span[^>]*>(.*?)</span>',
                       block, re.S)
    return {text(label): text(value) for label, value in cards}


def movement(wallet, amount: int, *, days_ago: int = 0, outlet=None) -> None:
    db.session.add(WalletTransaction(
        wallet=wallet, amount_minor=amount, balance_after_minor=0,
        kind=WalletTxKind.TOP_UP if amount > 0 else WalletTxKind.DEDUCTION,
        outlet=outlet, idempotency_key=f"k{wallet.id}{amount}{days_ago}",
        created_at=utcnow() - timedelta(days=days_ago)))


@pytest.fixture
def shop(make):
    gold = make.group("Gold")
    centro, web = make.outlet("Centro"), make.outlet("Web")
    ana = make.customer("Ana", "García", group=gold, loyalty_points=120, balance_minor=2_500,
                        created_at=utcnow() - timedelta(days=2))
    luis = make.customer("Luis", "Pérez", loyalty_points=30,
                         created_at=utcnow() - timedelta(days=40))
    wallet = make.wallet(ana, outlet=centro, balance_minor=2_500)
    make.wallet(luis, outlet=web)
    movement(wallet, 3_000, days_ago=1, outlet=centro)
    movement(wallet, -500, days_ago=1, outlet=centro)
    movement(wallet, 1_000, days_ago=3, outlet=web)
    movement(wallet, 7_000, days_ago=45, outlet=web)  # outside the 30 days
    make.invoice(ana, amount_minor=4_200)
    make.invoice(luis, amount_minor=1_000, status=InvoiceStatus.PAID)
    make.blacklist("+34600111222")
    db.session.commit()
    return {"ana": ana, "wallet": wallet}


def test_key_figures_count_what_the_lists_hold(login, shop):
    figures = key_figures(get_page(login(Role.VIEWER), HOME))
    assert figures == {
        "Customers": "2", "New in the last 7 days": "1", "Wallets": "2",
        "Outstanding balance": "€25.00", "Loyalty points outstanding": "150",
        "Unpaid on account": "€42.00", "Blacklisted numbers": "1",
    }


def test_charts_show_weeks_days_groups_and_outlets(login, shop):
    page = get_page(login(Role.VIEWER), HOME)
    weeks = page.split('id="chart-new-customers"', 1)[1].split('id="chart-movements"', 1)[0]
    assert len(re.findall(r"<rect class=\"chart-bar", weeks)) == dashboard.WEEKS
    assert ": 1 new customer</title>" in weeks
    days = page.split('id="chart-movements"', 1)[1].split('id="chart-groups"', 1)[0]
    assert len(re.findall(r"<rect class=\"chart-bar", days)) == 2 * dashboard.DAYS
    assert ": €30.00 added</title>" in days and ": €5.00 taken</title>" in days
    assert "€70.00" not in days
    groups = text(page.split('id="chart-groups"', 1)[1].split('id="chart-outlets"', 1)[0])
    assert "Gold 1" in groups and "No group 1" in groups
    outlets = text(page.split('id="chart-outlets"', 1)[1])
    assert outlets.index("Centro 2 movements, €35.00") < outlets.index("Web 1 movement, €10.00")


def test_the_page_speaks_spanish(login, users, shop):
    client = login(Role.VIEWER)
    speak(users[Role.VIEWER], "es")
    page = get_page(client, HOME)
    figures = key_figures(page)
    assert figures["Saldo pendiente"] == "25,00 €"
    assert "Centro 2 movimientos, 35,00 €" in text(page)
    assert re.search(r"<text class=\"chart-axis\"[^>]*>\d+ [a-z]{3,4}\.?</text>", page)


def test_figures_are_kept_between_visits_until_refreshed(login, shop, make):
    client = login(Role.OPERATOR)
    get_page(client, HOME)
    make.customer("Nueva", "Cliente")
    db.session.commit()
    assert key_figures(get_page(client, HOME))["Customers"] == "2"
    page = client.post_form(f"{HOME}refresh/", follow_redirects=True).get_data(as_text=True)
    assert ("success", "The figures are up to date.") in flashes(page)
    assert key_figures(page)["Customers"] == "3"


def test_figures_older_than_the_limit_are_recomputed(app, login, shop, make):
    client = login(Role.VIEWER)
    get_page(client, HOME)
    make.customer("Nueva", "Cliente")
    snapshot = db.session.get(DashboardSnapshot, dashboard.SNAPSHOT_ID)
    snapshot.computed_at -= timedelta(seconds=app.config["DASHBOARD_MAX_AGE"] + 1)
    db.session.commit()
    assert key_figures(get_page(client, HOME))["Customers"] == "3"


def test_refresh_needs_a_login_and_the_forms_token(client, login, shop):
    assert client.post(f"{HOME}refresh/").status_code == 400  # no CSRF token
    anonymous = client.post_form(f"{HOME}refresh/")  # with one, but no login
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")
    assert db.session.get(DashboardSnapshot, dashboard.SNAPSHOT_ID) is None
    assert login(Role.VIEWER).post(f"{HOME}refresh/").status_code == 400  # no CSRF token


def test_an_empty_database_says_what_to_do(login):
    page = get_page(login(Role.ADMIN), HOME)
    start = text(page.split('id="getting-started">', 1)[1].split("</div>", 1)[0])
    assert start == "No customers yet. Import a customer list Create a customer"
    assert "No wallet movements at any outlet in the last 30 days." in text(page)
    # Each offers only what the role may do.
    page = get_page(login(Role.VIEWER), HOME)
    start = text(page.split('id="getting-started">', 1)[1].split("</div>", 1)[0])
    assert start == "No customers yet."


def test_the_cli_refreshes_the_figures(runner, shop):
    result = runner.invoke(args=["dashboard", "refresh"])
    assert result.exit_code == 0, result.output
    assert "Dashboard figures for 2 customers computed in" in result.output
    assert db.session.get(DashboardSnapshot, dashboard.SNAPSHOT_ID).figures["customers"] == 2


def test_a_viewer_cannot_refresh_the_figures(login, shop, make):
    from admin_app.choices import AuditAction
    from admin_app.models import AuditEvent

    viewer = login(Role.VIEWER)
    assert ">Refresh<" not in get_page(viewer, HOME)
    make.customer("Nueva", "Cliente")
    db.session.commit()
    assert viewer.post_form(f"{HOME}refresh/").status_code == 403
    assert key_figures(get_page(viewer, HOME))["Customers"] == "2"  # not recomputed
    assert db.session.scalar(db.select(AuditEvent.summary).where(
        AuditEvent.action == AuditAction.REFUSED)) == "POST /admin/refresh/"
