"""Links to a filtered list ("see all" of a customer's orders, a group's customers,
the home page's figures) land on the list filtered to the right rows, in English
and in Spanish; a link to a filter the list no longer has fails, never shows
every record as if filtered."""
from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from admin_app.choices import InvoiceStatus, Role
from admin_app.extensions import db
from admin_app.models import AuditEvent, LoyaltyTransaction, WalletTransaction, utcnow
from admin_app.services import ledger
from admin_app.views.filter_args import UnknownFilter
from admin_app.views.list_links import filtered_list_url
from admin_app.views.orders import OrderView

from ..conftest import AdminClient, admins_by_language
from ..pages import flashes, get_page, listed_ids


@pytest.fixture
def shop(make):
    """Two customers (one in a group, one added long ago), a guest, and each one's
    orders, wallet movements, points and invoices, so that an unfiltered list
    always shows more than the filtered one."""
    gold = make.group("Gold")
    ana = make.customer("Ana", "Alpha", group=gold, loyalty_member=True)
    bob = make.customer("Bob", "Beta", loyalty_member=True,
                        created_at=utcnow() - timedelta(days=60))
    guest, other_guest = make.guest("Gina Guest"), make.guest("Otto Other")
    orders = {who: make.order(**{kind: who}) for kind, who in (
        ("customer", ana), ("customer", bob), ("guest", guest), ("guest", other_guest))}
    for n, customer in enumerate((ana, bob)):
        ledger.add_balance(make.wallet(customer), 500, actor=None, reason="Gift",
                           idempotency_key=f"w{n}")
        ledger.adjust_points(customer, 10, actor=None, reason="Welcome", idempotency_key=f"p{n}")
    invoices = {"ana": make.invoice(ana), "bob": make.invoice(bob),
                "bob_paid": make.invoice(bob, status=InvoiceStatus.PAID)}
    db.session.commit()
    return {"gold": gold, "ana": ana, "bob": bob, "guest": guest, "orders": orders,
            "invoices": invoices}


@pytest.fixture(params=("en", "es"))
def reader(request, app, users, password_hash):
    return admins_by_language(app, users, password_hash)[request.param]


def link_to(page: str, list_path: str) -> str:
    """The one link on the page to the list at ``list_path``, with its filters."""
    found = {html_lib.unescape(href) for href in
             re.findall(rf'href="({re.escape(list_path)}\?flt[^"]*)"', page)}
    assert len(found) == 1, (list_path, found)
    return found.pop()


def rows_behind(reader, page: str, list_path: str) -> list[int]:
    listed = get_page(reader, link_to(page, list_path))
    assert not [message for category, message in flashes(listed) if category == "danger"]
    return sorted(listed_ids(listed))


def ids(model, *conditions) -> list[int]:
    return sorted(db.session.scalars(select(model.id).where(*conditions)))


def test_a_customers_page_links_to_their_group_orders_movements_points_and_invoices(
        reader, shop):
    ana = shop["ana"]
    page = get_page(reader, f"/admin/customers/details/?id={ana.id}")
    assert rows_behind(reader, page, "/admin/customers/") == [ana.id]  # the group
    assert rows_behind(reader, page, "/admin/orders/") == [shop["orders"][ana].id]
    assert rows_behind(reader, page, "/admin/wallet-history/") == ids(
        WalletTransaction, WalletTransaction.wallet.has(customer_id=ana.id))
    assert rows_behind(reader, page, "/admin/loyalty-history/") == ids(
        LoyaltyTransaction, LoyaltyTransaction.customer_id == ana.id)
    assert rows_behind(reader, page, "/admin/invoices/") == [shop["invoices"]["ana"].id]


def test_a_guests_page_links_to_their_orders(reader, shop):
    guest = shop["guest"]
    page = get_page(reader, f"/admin/guests/details/?id={guest.id}")
    assert rows_behind(reader, page, "/admin/orders/") == [shop["orders"][guest].id]


def test_a_groups_page_links_to_its_customers(reader, shop):
    page = get_page(reader, f"/admin/groups/details/?id={shop['gold'].id}")
    assert rows_behind(reader, page, "/admin/customers/") == [shop["ana"].id]


def test_the_home_page_links_to_new_customers_and_unpaid_invoices(reader, shop):
    page = get_page(reader, "/admin/")
    assert rows_behind(reader, page, "/admin/customers/") == [shop["ana"].id]
    assert rows_behind(reader, page, "/admin/invoices/") == sorted(
        shop["invoices"][who].id for who in ("ana", "bob"))


def test_a_records_history_links_to_its_events_in_the_audit_log(reader, shop):
    gold = shop["gold"]
    page = get_page(reader, f"/admin/groups/details/?id={gold.id}")
    assert rows_behind(reader, page, "/admin/audit/") == ids(
        AuditEvent, AuditEvent.object_type == "CustomerGroup",
        AuditEvent.object_id == str(gold.id))


def test_a_link_names_the_filter_by_its_column_and_keeps_the_order_given(app):
    with app.test_request_context():
        url = filtered_list_url("audit", object_type="Wallet", object_id=7)
    assert url == "/admin/audit/?flt0_object_type_equals=Wallet&flt1_record_equals=7"


def test_a_column_the_list_does_not_filter_fails_naming_what_there_is(app):
    with app.test_request_context(), pytest.raises(UnknownFilter) as refused:
        filtered_list_url("orders", surname="Alpha")
    assert "OrderView has no filter for 'surname'" in str(refused.value)
    assert "guest_id (guest_number_is)" in str(refused.value)
    with app.test_request_context(), pytest.raises(UnknownFilter, match="nowhere"):
        filtered_list_url("nowhere", id=1)


def test_a_link_to_a_removed_filter_fails_instead_of_listing_everything(
        app, users, shop, monkeypatch):
    guest_filter = next(f for f in OrderView.column_filters
                        if getattr(getattr(f, "column", None), "key", None) == "guest_id")
    monkeypatch.setattr(OrderView, "column_filters",
                        tuple(f for f in OrderView.column_filters if f is not guest_filter))
    from admin_app import create_app

    changed = create_app({key: app.config[key] for key in (
        "TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED")})
    changed.test_client_class = AdminClient
    with changed.app_context():
        client = changed.test_client()
        client.login(users[Role.ADMIN])
        with pytest.raises(UnknownFilter, match="guest_id"):
            client.get(f"/admin/guests/details/?id={shop['guest'].id}")
