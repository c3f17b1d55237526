"""The content security policy refuses inline event handlers (onclick="..."): no
page carries one, and the buttons that had one still work in Chromium.
(Bulk actions and the import's question are in test_user_stories.py.)
"""
from __future__ import annotations

import re

from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Customer

from .conftest import expect

ROWS = "table.model-list tbody tr"
ELEMENTS_WITH_HANDLERS = """() => [...document.querySelectorAll('*')]
    .filter(element => [...element.attributes].some(a => a.name.startsWith('on')))
    .map(element => element.outerHTML.slice(0, 120))"""


def test_the_list_buttons_work_under_a_policy_without_inline_handlers(logged_in, make):
    make.customer("Lucía", "Moreno")
    make.customer("Bruno", "Otero")
    page = logged_in(Role.MANAGER)
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)

    response = page.goto("/admin/customers/")
    policy = response.headers["content-security-policy"]
    assert "script-src-attr" not in policy
    assert "unsafe-inline" not in re.search(r"script-src[^;]*", policy)[0]
    assert page.evaluate(ELEMENTS_WITH_HANDLERS) == []

    # A row's delete button asks first: "no" keeps the customer, "yes" deletes.
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.dismiss() if len(questions) == 1 else dialog.accept()

    page.on("dialog", answer)
    delete = page.locator(ROWS).filter(has_text="Otero").get_by_title("Delete Record")
    delete.click()
    expect(page.locator(ROWS)).to_have_count(2)
    delete.click()
    expect(page.locator(ROWS)).to_have_count(1)
    assert questions == ["Delete customer Bruno Otero? This cannot be undone."] * 2
    db.session.expire_all()
    assert db.session.scalars(select(Customer.surname)).all() == ["Moreno"]

    # "Add Filter" adds the filter and stays where it is.
    page.wait_for_load_state()  # the list after the deletion, its scripts run
    page.get_by_role("button", name="Add Filter").click()
    page.locator(".field-filters").get_by_role("button", name="Group", exact=True).click()
    expect(page.locator("table.filters tr:has(.remove-filter)")).to_have_count(1)
    assert "#" not in page.url
    assert refused == []
