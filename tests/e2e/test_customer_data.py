"""Browser stories of customer data, typed key by key: a manager reading Spanish finds
the other record of a customer with "Fusionar con…", reads the preview, merges, and the
old record's page then points to the customer kept."""
from __future__ import annotations

from datetime import datetime

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Customer
from admin_app.services import duplicates, ledger

from .conftest import expect


def test_a_manager_merges_a_customer_found_by_typing_in_spanish(logged_in, make):
    kept = make.customer("Marta", "Iglesias", email="marta@example.com",
                         created_at=datetime(2023, 1, 1), loyalty_member=True)
    other = make.customer("Marta", "Iglesias Roca", email="marta.iglesias@example.com",
                          loyalty_member=True)
    wallet = make.wallet(other)
    ledger.add_balance(wallet, 4_250, actor=None, reason="Gift", idempotency_key="e2e-merge-1")
    ledger.adjust_points(other, 75, actor=None, reason="Welcome", idempotency_key="e2e-merge-2")
    db.session.commit()

    page = logged_in(Role.MANAGER, "es")
    page.goto(f"/admin/customers/details/?id={kept.id}")
    page.get_by_role("link", name="Fusionar con…").click()
    page.locator("#merge-q").click()
    page.keyboard.type("iglesias roca")  # the matches come as the manager types
    page.locator("#merge-matches").get_by_role("link", name="Marta Iglesias Roca").click()

    # The preview: the oldest record is kept, the newer email is proposed, and what
    # moves is named with its amount in the reader's format.
    expect(page.get_by_text(wallet.wallet_code)).to_be_visible()
    expect(page.locator("#merge-moves")).to_contain_text(f"n.º {kept.id}")
    expect(page.get_by_text("42,50 €").first).to_be_visible()
    page.locator("#merge-submit").click()

    expect(page.locator(".alert-success")).to_be_visible()
    db.session.expire_all()
    survivor = db.session.get(Customer, kept.id)
    assert (survivor.balance_minor, survivor.loyalty_points) == (4_250, 75)
    assert survivor.email == "marta.iglesias@example.com"
    assert ledger.verify() == []

    page.goto(f"/admin/customers/details/?id={other.id}")
    expect(page.locator("#merged-into")).to_contain_text("Este cliente se fusionó con otro.")
    page.locator("#merged-into a").click()
    assert page.url.endswith(f"/admin/customers/details/?id={kept.id}")
    expect(page.locator("#merged-into")).to_have_count(0)


def test_at_820_px_the_duplicates_page_shows_each_members_money_without_scrolling(
        logged_in, make):
    """The operator found Balance, Points and Orders cut off at the right edge."""
    make.customer("Lucía", "Moreno Díaz", email="lucia@example.com", postcode="28001")
    make.customer("Lucia", "Moreno Diaz", email="lucia.m@example.com", postcode="28001")
    db.session.commit()
    duplicates.scan()
    db.session.commit()

    page = logged_in(Role.MANAGER, "es")
    page.set_viewport_size({"width": 820, "height": 1180})
    page.goto("/admin/customers/duplicates/")
    for header in ("Saldo", "Puntos", "Pedidos"):
        box = page.get_by_role("columnheader", name=header, exact=True).first.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 820, header
