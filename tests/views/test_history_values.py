"""A record's History and the audit log show each stored value as the record's
own pages show it, in the reader's language: money (a 1.234,50 € top-up typed
the reader's way), related records by name with a link, choices by label, days
and times the reader's way; internal fields (submission keys) are left out."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import AdminUser, AuditEvent, WalletTransaction

from ..pages import get_page, hidden_value, table_rows, text

# What each reader types for 1.234,50 € and what every page then shows.
TOP_UP = {"en": ("1,234.50", "€1,234.50", "€0.00"), "es": ("1.234,50", "1234,50 €", "0,00 €")}
WORDS = {
    "en": {"balance": "Balance", "amount": "Amount", "by": "By", "customer": "Customer",
           "outlet": "Outlet", "kind": "Kind", "top_up": "Top-up", "group": "Group",
           "country": "Country", "spain": "Spain", "birthday": "Birthday", "day": "5/17/1990",
           "phone": "Phone", "key": "Submission key", "deleted": "deleted"},
    "es": {"balance": "Saldo", "amount": "Importe", "by": "Por", "customer": "Cliente",
           "outlet": "Tienda", "kind": "Tipo", "top_up": "Recarga", "group": "Grupo",
           "country": "País", "spain": "España", "birthday": "Cumpleaños", "day": "17/5/1990",
           "phone": "Teléfono", "key": "Clave de envío", "deleted": "eliminado"},
}
RAW = re.compile(r"123450|\d{4}-\d{2}-\d{2}T\d|\bNone\b")


@pytest.fixture(params=("en", "es"))
def language(request):
    return request.param


@pytest.fixture
def reader(admin_client, users, language):
    """The admin, reading in ``language``."""
    users[Role.ADMIN].language = language
    db.session.commit()
    return admin_client


@pytest.fixture
def topped_up(reader, make, language):
    """A wallet of Lucía Moreno's at Madrid Centro, topped up with 1.234,50 € through
    its page, typed as the reader writes amounts."""
    group = make.group("Clientes VIP")
    customer = make.customer("Lucía", "Moreno", group=group, country="ES",
                             phone="+34600111222", birthday=date(1990, 5, 17))
    wallet = make.wallet(customer, outlet=make.outlet("Madrid Centro"))
    url = f"/admin/wallets/add-balance/?id={wallet.id}"
    form = get_page(reader, url)
    response = reader.post_form(url, {"amount": TOP_UP[language][0], "reason": "Regalo",
                                      "idempotency_key": hidden_value(form, "idempotency_key")})
    assert response.status_code == 302
    return customer, wallet


def _history(page: str) -> str:
    return text(page.split('id="record-history"', 1)[1].split("</table>", 1)[0])


def _audit_row(client, object_type: str, object_id: int) -> dict:
    page = get_page(client, "/admin/audit/", flt0_object_type_equals=object_type,
                    flt1_record_equals=str(object_id))
    return table_rows(page)[0]  # the newest


def test_the_wallet_history_shows_the_top_up_in_money(reader, topped_up, language):
    _customer, wallet = topped_up
    typed, amount, zero = TOP_UP[language]
    words = WORDS[language]

    history = _history(get_page(reader, f"/admin/wallets/details/?id={wallet.id}"))

    assert f"{words['balance']}: {zero} → {amount}" in history
    assert not RAW.search(history), history
    # The list says the same amount the same way.
    (listed,) = table_rows(get_page(reader, "/admin/wallets/"))
    assert listed["balance_minor"] == amount


def test_the_audit_log_shows_the_movement_by_names_and_in_money(reader, topped_up, language):
    customer, wallet = topped_up
    _typed, amount, _zero = TOP_UP[language]
    words = WORDS[language]
    movement = db.session.scalar(select(WalletTransaction.id))
    admin = db.session.scalar(select(AdminUser).where(AdminUser.email == "admin@example.com"))

    row = _audit_row(reader, "WalletTransaction", movement)

    changes = row["changes"]
    assert f"{words['amount']}: — → {amount}" in changes
    assert f"{words['by']}: — → {admin.name}" in changes
    assert f"{words['kind']}: — → {words['top_up']}" in changes
    assert f'href="/admin/users/details/?id={admin.id}"' in row["changes_html"]
    assert f'href="/admin/wallets/details/?id={wallet.id}"' in row["changes_html"]
    assert words["key"] not in changes  # a submission key is the app's, not the reader's
    assert not RAW.search(changes), changes
    assert row["summary"] == f"{wallet.wallet_code} +{amount}"
    # Its time as the reader writes times, not ISO.
    assert re.search(r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}", changes)

    row = _audit_row(reader, "Wallet", wallet.id)
    assert f"{words['balance']}: " in row["changes"] and amount in row["changes"]
    assert not RAW.search(row["changes"])


def test_a_customer_history_shows_group_country_and_birthday_as_its_page_does(
        reader, topped_up, language):
    customer, _wallet = topped_up
    words = WORDS[language]
    _typed, amount, zero = TOP_UP[language]

    page = get_page(reader, f"/admin/customers/details/?id={customer.id}")
    history = _history(page)

    # The customer's balance follows the wallet's (on PostgreSQL a sum, kept as text).
    assert f"{words['balance']}: {zero} → {amount}" in history

    assert f"{words['group']}: — → Clientes VIP" in history
    assert f'href="/admin/groups/details/?id={customer.group_id}"' in page
    assert f"{words['country']}: — → {words['spain']}" in history
    assert f"{words['birthday']}: — → {words['day']}" in history
    assert f"{words['phone']}: — → +34 600 11 12 22" in history
    assert not RAW.search(history), history


def test_a_related_record_since_deleted_is_said_so(reader, make, language):
    group = make.group("Temporada")
    customer = make.customer("Bruno", "Otero", group=group)
    db.session.delete(group)
    db.session.commit()

    history = _history(get_page(reader, f"/admin/customers/details/?id={customer.id}"))

    # The name the group had, as the trail last knew it, not its number.
    assert f"{WORDS[language]['group']}: — → Temporada ({WORDS[language]['deleted']})" in history


def test_old_events_keep_their_submission_keys_out_of_sight(reader, topped_up, language):
    """Events written before keys were left out of the trail still hold one."""
    movement = db.session.scalar(select(WalletTransaction.id))
    db.session.add(AuditEvent(action="update", object_type="WalletTransaction",
                              object_id=str(movement),
                              changes={"idempotency_key": [None, "abc123:1"],
                                       "reason": ["Regalo", "Regalo de cumpleaños"]}))
    db.session.commit()

    row = _audit_row(reader, "WalletTransaction", movement)

    assert "Regalo de cumpleaños" in row["changes"]
    assert "abc123" not in row["changes"] and WORDS[language]["key"] not in row["changes"]
