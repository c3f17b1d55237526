"""Browser tests: the outbox reached from the menu and from the customer page, and a
failed message sent again by a manager, in English and in Spanish."""
from __future__ import annotations

import re

import pytest

from admin_app.choices import NotificationKind, NotificationStatus, Role
from admin_app.extensions import db
from admin_app.services import notifications

from .conftest import expect, open_in


@pytest.mark.parametrize("language, market, outbox, messages, again, done", [
    ("en", "Market", "Outbox", "Messages sent", "Send again",
     "“Your balance changed” will be sent again in a moment."),
    ("es", "Mercado", "Mensajes", "Mensajes enviados", "Volver a enviar",
     "«Your balance changed» se volverá a enviar en un momento."),
])
def test_a_manager_finds_a_failed_message_and_sends_it_again(
        logged_in, make, language, market, outbox, messages, again, done):
    customer = make.customer("Ana", "García", email="ana@example.com")
    note = notifications.queue(customer, kind=NotificationKind.BALANCE_CHANGED,
                               subject="Your balance changed", body="Your balance is €5.00.")
    note.status, note.attempts = NotificationStatus.FAILED, 5
    note.last_error = "SMTP 451 4.3.0 Try again later"
    db.session.commit()
    page = logged_in(Role.MANAGER, language)
    open_in(page, "/admin/", language)
    page.get_by_role("button", name=market).click()
    page.get_by_role("link", name=outbox, exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/notifications/"))
    expect(page.locator("table.model-list tbody tr")).to_have_count(1)

    open_in(page, f"/admin/customers/details/?id={customer.id}", language)
    section = page.locator("#customer-messages")
    expect(page.locator("#messages")).to_contain_text(messages)
    section.get_by_role("link", name="Your balance changed").click()
    page.get_by_role("button", name=again).click()
    expect(page.locator(".alert-success")).to_contain_text(done)
    expect(page.get_by_role("button", name=again)).to_have_count(0)
