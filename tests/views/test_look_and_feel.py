"""What every list shares: confirmations that count ("Delete 3 customers?") in
the user's language, status badges, and empty lists that say what to do."""
from __future__ import annotations

import json
import re

from admin_app.choices import Role, WalletStatus
from admin_app.extensions import db

from ..pages import get_page, speak, table_rows, text


def counted_confirmations(page: str) -> dict:
    match = re.search(r'id="counted-confirmations" type="application/json">(.*?)</script>',
                      page, re.S)
    assert match, "no counted confirmations on the page"
    return json.loads(match.group(1))


def generic_confirmations(page: str) -> dict:
    match = re.search(r'id="actions-confirmation-data" class="d-none">(.*?)</div>', page, re.S)
    return json.loads(match.group(1)) if match else {}


def test_bulk_delete_asks_with_the_number_and_the_records_name(login, users, make):
    make.customer()
    db.session.commit()
    manager = login(Role.MANAGER)
    page = get_page(manager, "/admin/customers/")
    assert counted_confirmations(page) == {"delete": {
        "one": "Delete {#} customer? This cannot be undone.",
        "other": "Delete {#} customers? This cannot be undone."}}
    # Flask-Admin's own, count-less question is not asked as well.
    assert "delete" not in generic_confirmations(page)
    speak(users[Role.MANAGER], "es")
    page = get_page(manager, "/admin/customers/")
    assert counted_confirmations(page)["delete"]["other"] == (
        "¿Borrar {#} clientes? No se puede deshacer.")


def test_roles_that_cannot_delete_are_not_asked(login, make):
    make.customer()
    db.session.commit()
    assert counted_confirmations(get_page(login(Role.OPERATOR), "/admin/customers/")) == {}


def test_statuses_show_as_coloured_badges(login, make):
    make.wallet(make.customer(), status=WalletStatus.BLOCKED)
    db.session.commit()
    row = table_rows(get_page(login(Role.VIEWER), "/admin/wallets/"))[0]
    assert row["status"] == "Blocked"
    assert 'class="badge badge-danger"' in row["status_html"]


def test_an_empty_list_offers_what_the_role_may_do(login):
    manager = text(get_page(login(Role.MANAGER), "/admin/customers/"))
    assert "No customers yet. Create the first one. Import a file." in manager
    viewer = text(get_page(login(Role.VIEWER), "/admin/customers/"))
    assert "No customers yet." in viewer and "Create the first one." not in viewer
