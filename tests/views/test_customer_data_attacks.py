"""What an attacker met on the customer-data pages, each written the way it was met:
an erased customer's mail still readable as a file, a live reset link in the access
export, money and points given to a tombstone or an erased customer, an erased record
given new personal data, another person's history rewritten by an erasure, and a merge
of thousands of ids or with a value that is no customer's number."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

import pytest
from sqlalchemy import select

from admin_app.choices import AuditAction, Role
from admin_app.extensions import db
from admin_app.models import AuditEvent, Customer, Notification, Wallet, utcnow
from admin_app.services import customer_accounts, ledger, mail_files, merging

from ..pages import get_page, hidden_value


@pytest.fixture
def nerea(make):
    return make.customer("Nerea", "Aguirre", email="nerea.aguirre@example.com",
                         phone="+34622333444", postcode="48001", language="es")


def _erase(admin_client, customer):
    response = admin_client.post_form(f"/admin/customers/erase/?id={customer.id}",
                                      {"confirmation": customer.email or customer.full_name})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    db.session.expire_all()


def test_an_erased_customers_mail_file_is_gone_and_the_outbox_names_no_one(
        admin_client, manager, nerea, drain):
    customer_accounts.request_password_reset(nerea, actor=None)
    drain()
    message = db.session.scalars(select(Notification)).one()
    assert mail_files.eml_path(message).is_file()

    _erase(admin_client, db.session.get(Customer, nerea.id))

    assert not mail_files.eml_path(message).exists()
    page = get_page(manager, f"/admin/notifications/details/?id={message.id}")
    assert "nerea.aguirre@example.com" not in page and "Nerea" not in page


def test_the_access_export_never_holds_a_live_reset_link(admin_client, manager, nerea):
    customer_accounts.request_password_reset(nerea, actor=None)
    db.session.commit()
    url = f"/admin/customers/personal-data/?id={nerea.id}"
    get_page(manager, url)
    archive = zipfile.ZipFile(io.BytesIO(manager.post_form(url).get_data()))
    for name in archive.namelist():
        content = archive.read(name).decode("utf-8-sig")
        assert "/account/reset/" not in content or "/account/reset/…" in content, name
        assert not any(part[:1].isalnum() for part in content.split("/account/reset/")[1:]), \
            name


def _tombstone(make):
    kept = make.customer("Ana", "Ruiz", email="ana@example.com")
    gone = make.customer("Ana", "Ruiz Vieja", loyalty_member=True)
    gone.merged_into_id, gone.merged_at = kept.id, utcnow()
    db.session.commit()
    return kept, gone


def _post_money(client, customer, page: str, **fields):
    url = f"/admin/customers/{page}/?id={customer.id}"
    form = get_page(client, url)
    return client.post_form(url, {"reason": "Goodwill", "idempotency_key": hidden_value(
        form, "idempotency_key"), **fields}, follow_redirects=True)


def test_a_tombstone_takes_no_money_and_no_points(manager, make):
    kept, gone = _tombstone(make)
    refused = _post_money(manager, gone, "add-balance", amount="5.00").get_data(as_text=True)
    assert f"was merged into customer #{kept.id}" in refused
    refused = _post_money(manager, gone, "adjust-points", points="10").get_data(as_text=True)
    assert f"was merged into customer #{kept.id}" in refused
    db.session.expire_all()
    assert db.session.scalar(select(Wallet).where(Wallet.customer_id == gone.id)) is None
    assert db.session.get(Customer, gone.id).loyalty_points == 0


def test_an_erased_customer_is_not_given_new_personal_data_nor_money(
        admin_client, manager, nerea):
    _erase(admin_client, nerea)
    edited = manager.post_form(f"/admin/customers/edit/?id={nerea.id}", {
        "first_name": "Revived", "surname": "Person", "email": "revived@example.com",
        "language": "en", "channel": "in_store"}, follow_redirects=True)
    assert "was erased: it is not edited" in edited.get_data(as_text=True)
    refused = _post_money(manager, nerea, "add-balance", amount="5.00").get_data(as_text=True)
    assert "was erased: they take no more money or points" in refused
    db.session.expire_all()
    erased = db.session.get(Customer, nerea.id)
    assert (erased.email, erased.balance_minor) == (None, 0)


def test_erasing_one_customer_keeps_another_persons_history_with_the_same_phone(
        admin_client, manager, make, nerea):
    sister = make.customer("Irati", "Aguirre", phone="+34622333444")  # the family's phone
    db.session.commit()
    _erase(admin_client, nerea)
    created = db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "Customer", AuditEvent.object_id == str(sister.id),
        AuditEvent.action == AuditAction.CREATE)).one()
    assert created.changes["phone"] == [None, "+34622333444"]


def test_a_merge_of_thousands_of_ids_is_refused_at_once(manager, make):
    ids = ",".join(str(i) for i in range(1, 1001))
    response = manager.get(f"/admin/customers/merge/?ids={ids}")
    assert response.status_code == 400
    assert "At most 20 customers are merged at once." in response.get_data(as_text=True)


def test_a_chosen_value_that_is_no_customers_number_is_refused(manager, make):
    old = make.customer("Marta", "Iglesias", email="marta@example.com")
    new = make.customer("Marta", "Iglesias Roca", email="marta.roca@example.com")
    db.session.commit()
    url = f"/admin/customers/merge/?ids={old.id},{new.id}"
    page = get_page(manager, url)
    response = manager.post_form(url, {
        "survivor": str(old.id),
        "fingerprint": re.search(r'name="fingerprint" value="([^"]+)"', page).group(1),
        "value-email": "18446744073709551616"})
    assert response.status_code in (400, 409)
    db.session.expire_all()
    assert db.session.get(Customer, new.id).merged_into_id is None


def test_a_tombstones_page_offers_no_money_buttons(manager, make):
    """The operator followed an old link and topped up the tombstone from its page."""
    _kept, gone = _tombstone(make)
    page = get_page(manager, f"/admin/customers/details/?id={gone.id}")
    for action in ("add-balance", "adjust-points", "account-limit"):
        assert f"/{action}/?id={gone.id}" not in page


def test_the_access_export_words_merge_movements_in_the_customers_language(
        manager, make, users):
    """The operator found "Merged from #1755" in a Spanish customer's loyalty.csv."""
    kept = make.customer("Marta", "Iglesias", language="es", loyalty_member=True,
                         created_at=datetime(2023, 1, 1))
    other = make.customer("Marta", "Iglesias Roca", language="es", loyalty_member=True)
    ledger.adjust_points(other, 75, actor=None, reason="Welcome", idempotency_key="x-merge")
    db.session.commit()
    shown = merging.plan(merging.customers_for([kept.id, other.id]), kept.id)
    merging.merge(shown.survivor, shown.others, {}, actor=users[Role.ADMIN],
                  expected=shown.fingerprint)
    db.session.commit()

    url = f"/admin/customers/personal-data/?id={kept.id}"
    get_page(manager, url)
    archive = zipfile.ZipFile(io.BytesIO(manager.post_form(url).get_data()))
    loyalty = archive.read("loyalty.csv").decode("utf-8-sig")
    assert f"Fusionado desde el n.º {other.id}" in loyalty


def test_the_access_exports_audit_file_reads_changes_as_decimals_not_json_in_cents(
        manager, make):
    """The operator found {"balance_minor": [8593, 12945]} in audit_events.csv."""
    ana = make.customer("Ana", "Ruiz", email="ana@example.com")
    ledger.add_balance(ledger.store_credit_wallet(ana), 4_250, actor=None, reason="Gift",
                       idempotency_key="x-audit-cents")
    db.session.commit()
    url = f"/admin/customers/personal-data/?id={ana.id}"
    get_page(manager, url)
    archive = zipfile.ZipFile(io.BytesIO(manager.post_form(url).get_data()))
    audit_file = archive.read("audit_events.csv").decode("utf-8-sig")
    assert "balance: 0.00 → 42.50" in audit_file
    assert "balance_minor" not in audit_file and "{" not in audit_file
    assert '"balance_minor": [0, 4250]' in archive.read("data.json").decode()
