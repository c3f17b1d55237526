"""Browser stories of sessions, passwords and text limits: a cookie copied into
another browser stops working when its owner logs out; a weak new password is
refused with the reason; notes stop at their maximum length as they are typed."""
from __future__ import annotations

from sqlalchemy import func, select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Customer

from ..conftest import TEST_PASSWORD
from .conftest import expect, log_in


def test_a_session_copied_to_another_browser_ends_at_logout(page, browser, live_server, users):
    log_in(page, users[Role.OPERATOR].email)
    other = browser.new_context(base_url=live_server)
    try:
        other.add_cookies(page.context.cookies())
        thief = other.new_page()
        thief.goto("/admin/customers/")
        expect(thief.get_by_role("heading", name="Customers")).to_be_visible()

        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("button", name="Log in")).to_be_visible()

        thief.goto("/admin/customers/")
        expect(thief.get_by_role("button", name="Log in")).to_be_visible()
    finally:
        other.close()


def test_a_weak_new_password_is_refused_with_the_reason(logged_in):
    page = logged_in(Role.VIEWER)
    page.goto("/account/password")
    page.get_by_label("Current password").click()
    page.keyboard.type(TEST_PASSWORD)
    for label in ("New password", "New password again"):
        page.get_by_label(label, exact=True).click()
        page.keyboard.type("aaaaaaaaaaaa")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("The password cannot be one character repeated.")).to_be_visible()


def test_notes_stop_at_their_maximum_length_as_they_are_typed(logged_in):
    page = logged_in(Role.OPERATOR)
    page.goto("/admin/customers/new/")
    page.get_by_label("First name").click()
    page.keyboard.type("Lucía")
    page.get_by_label("Surname").click()
    page.keyboard.type("Moreno")
    notes = page.get_by_label("Notes")
    notes.click()
    # 3,990 characters entered at once (as a paste does), then the last 20 typed key
    # by key: the first 10 keys go in, the 10 past the maximum do not.
    page.keyboard.insert_text("0123456789" * 399)
    page.keyboard.type("0123456789" * 2)
    assert notes.input_value() == "0123456789" * 400
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Customer Lucía Moreno created.")).to_be_visible()
    assert len(db.session.scalar(select(Customer.notes))) == 4000
    assert db.session.scalar(select(func.count(Customer.id))) == 1
