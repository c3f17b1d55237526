"""Every details page names its sections once: no two headings alike, in English
or in Spanish; and a state is said once per row, not by its label and its value."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from flask import current_app

from admin_app.extensions import db
from admin_app.services import ledger

from .. import factories
from ..conftest import SharedRows, add_users, admins_by_language
from ..pages import detail_rows, get_page, text

LANGUAGES = ("en", "es")
# Counts, marks and links shown beside a heading, not part of its title.
SIDE_NOTES = re.compile(r"<(small|span|a)\b.*?</\1>", re.S)


def _one_of_each_with_history(password_hash) -> dict:
    """One record of each kind with details, each with history to show, and an admin
    reading in each language."""
    make = factories
    make.blacklist("+34600999888")
    customer = make.customer("Ana", "Alpha", phone="+34600999888", account_limit_minor=50_000)
    guest = make.guest("Gus Guest", phone="+34600999888")
    wallet = make.wallet(customer)
    ledger.add_balance(wallet, 5000, actor=None, reason="Gift card sale",
                       idempotency_key="d1", now=datetime(2026, 1, 10, 10))
    order = make.order(customer)
    make.order(guest=guest)
    invoice = make.invoice(customer)
    db.session.commit()
    records = {"customers": customer.id, "guests": guest.id, "wallets": wallet.id,
               "orders": order.id, "invoices": invoice.id}
    return records, admins_by_language(current_app, add_users(password_hash), password_hash)


@pytest.fixture(scope="module")
def shared_rows(password_hash):
    return SharedRows(lambda: _one_of_each_with_history(password_hash))


@pytest.fixture
def records(shared_rows):
    return shared_rows.rows()[0]


@pytest.fixture
def readers(shared_rows):
    return shared_rows.rows()[1]


def headings(page: str) -> list[str]:
    body = page.split('<div class="container', 1)[-1]
    found = re.findall(r"<h([1-6])\b[^>]*>(.*?)</h\1>", body, re.S)
    return [text(SIDE_NOTES.sub(" ", inner)) for _, inner in found]


@pytest.mark.parametrize("view", ["customers", "guests", "wallets", "orders", "invoices"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_two_sections_of_a_details_page_share_a_title(readers, records, view, language):
    page = get_page(readers[language], f"/admin/{view}/details/", id=records[view])
    titles = [title for title in headings(page) if title]
    repeated = {title for title in titles if titles.count(title) > 1}
    assert not repeated, (view, language, titles)


@pytest.mark.parametrize("view", ["customers", "guests"])
@pytest.mark.parametrize(("language", "label", "yes", "reason"), [
    ("en", "Blacklisted", "Yes", "Fake orders"),
    ("es", "En lista negra", "Sí", "Pedidos falsos"),
])
def test_the_blacklist_row_says_yes_and_why_once(readers, records, view, language, label,
                                                  yes, reason):
    page = get_page(readers[language], f"/admin/{view}/details/", id=records[view])
    value = text(detail_rows(page)[label])
    assert label not in value
    assert value.startswith(yes) and reason in value, value
