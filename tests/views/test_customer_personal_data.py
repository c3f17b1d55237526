"""Export personal data (an access request) from a customer's page: managers and up,
asked first, downloaded by a CSRF-checked POST, recorded in the audit trail, in the
customer's language whoever downloads it, streamed in constant memory."""
from __future__ import annotations

import csv
import io
import tempfile
import time
import tracemalloc
import zipfile
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from admin_app.choices import AuditAction, Role, WalletTxKind
from admin_app.extensions import db
from admin_app.models import AuditEvent, Customer, Wallet, WalletTransaction, utcnow
from admin_app.services import ledger

from ..pages import get_page, speak, text
from ..personal_data_files import column, document, full_customer, table

URL = "/admin/customers/personal-data/?id={}"
MOVEMENTS = 100_000
MEMORY_BOUND = 30 * 1024 * 1024


def exports_recorded() -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.PERSONAL_DATA_EXPORT)))


def download(client, customer_id: int):
    """The POST's response, read whole and closed."""
    response = client.post_form(URL.format(customer_id))
    body = response.get_data()
    response.close()
    return response, body


def test_the_page_says_what_the_zip_holds_and_asks_first(manager, users):
    customer_id = full_customer()
    page = get_page(manager, URL.format(customer_id))
    assert "Download everything kept about Lucía Moreno" in text(page)
    assert "customer's language (Español)" in text(page)
    assert "wallet_movements.csv" in page and "consents.csv" in page
    assert 'name="csrf_token"' in page and 'method="POST"' in page
    assert exports_recorded() == []  # asking records nothing
    speak(users[Role.MANAGER], "es")
    page = get_page(manager, URL.format(customer_id))
    assert "¿Descargar en un archivo ZIP todo lo que se guarda de Lucía Moreno" in text(page)
    assert "Descargar el archivo ZIP" in page


def test_the_customer_page_links_to_it(manager, make):
    customer = make.customer()
    page = get_page(manager, f"/admin/customers/details/?id={customer.id}")
    assert f'href="/admin/customers/personal-data/?id={customer.id}"' in page


def test_a_manager_downloads_the_zip_in_the_customers_language(manager, users):
    customer_id = full_customer()  # Lucía reads Spanish; the manager reads English
    response, body = download(manager, customer_id)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    today = utcnow().date().isoformat()
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="personal-data-customer-{customer_id}-{today}.zip"')
    assert "no-store" in response.headers["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    profile = table(archive, "profile.csv")
    assert profile[0][1:3] == ["Nombre", "Apellidos"]
    assert column(profile, "Saldo") == ["20.00"]
    assert column(profile, "Notas") == ["'=HYPERLINK(\"http://evil.example\")"]
    assert archive.read("README.txt").decode("utf-8").startswith("Sus datos personales")
    data = document(archive)
    assert data["profile"]["balance_minor"] == 2000
    assert len(data["wallet_movements"]) == 2
    # Recorded: who, about whom, how many rows per file.
    [event] = exports_recorded()
    assert (event.user_id, event.object_type, event.object_id) == (
        users[Role.MANAGER].id, "Customer", str(customer_id))
    assert "wallet_movements.csv 2" in event.summary
    # The export is in the trail before the download; the ZIP reads the moment before.
    actions = {event["action"] for event in data["audit_events"]}
    assert "create" in actions and AuditAction.PERSONAL_DATA_EXPORT not in actions


def test_an_admin_may_export_too(admin_client, make):
    customer = make.customer(language="en")
    response, body = download(admin_client, customer.id)
    assert response.status_code == 200
    assert table(zipfile.ZipFile(io.BytesIO(body)), "profile.csv")[0][1] == "First name"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_viewers_and_operators_are_refused(login, make, role):
    customer = make.customer()
    client = login(role)
    assert client.get(URL.format(customer.id)).status_code == 403
    assert client.post_form(URL.format(customer.id)).status_code == 403
    assert exports_recorded() == []


def test_anonymous_is_sent_to_login(client, make):
    customer = make.customer()
    response = client.get(URL.format(customer.id))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(URL.format(customer.id))
    assert response.status_code in (302, 400) and exports_recorded() == []


def test_a_post_without_csrf_token_downloads_nothing(manager, make):
    customer = make.customer()
    response = manager.post(URL.format(customer.id), data={})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert exports_recorded() == []


def test_an_unknown_customer_is_not_found(manager):
    assert manager.get(URL.format(999999)).status_code == 404
    assert manager.get("/admin/customers/personal-data/?id=abc").status_code == 404


def test_a_tombstone_is_refused_with_a_link_to_the_survivor(manager, make):
    survivor = make.customer("Ana", "Viva")
    tombstone = make.customer("Ana", "Fusionada", merged_into_id=survivor.id,
                              merged_at=utcnow())
    page = get_page(manager, URL.format(tombstone.id))
    assert f'href="/admin/customers/personal-data/?id={survivor.id}"' in page
    assert 'id="personal-data"' not in page  # no download button
    response = manager.post_form(URL.format(tombstone.id))
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert f"merged into customer #{survivor.id}" in text(response.get_data(as_text=True))
    assert exports_recorded() == []


def test_an_erased_customer_exports_what_is_left(manager, make):
    customer = make.customer("Erased", "Erased", email=None, erased_at=utcnow())
    response, body = download(manager, customer.id)
    assert response.status_code == 200
    assert document(zipfile.ZipFile(io.BytesIO(body)))["profile"]["erased_at"]


def add_movements(wallet: Wallet, count: int) -> int:
    """``count`` movements of 1.00 each, written in bulk as the ledger would have
    written them one by one (balance after each, the wallet's balance their sum)."""
    start = datetime(2020, 1, 1)
    table_ = WalletTransaction.__table__
    for first in range(0, count, 10_000):
        db.session.execute(table_.insert(), [
            {"wallet_id": wallet.id, "amount_minor": 100, "balance_after_minor": 100 * (n + 1),
             "kind": WalletTxKind.TOP_UP, "reason": "=SUM(A1:A9)" if n == 0 else "Reward",
             "idempotency_key": f"bulk-{wallet.id}-{n}", "customer_notified": False,
             "created_at": start + timedelta(minutes=n)}
            for n in range(first, min(first + 10_000, count))])
    wallet.balance_minor = 100 * count
    wallet.customer.balance_minor = 100 * count
    db.session.commit()
    return 100 * count


@pytest.mark.slow
def test_a_hundred_thousand_movements_export_in_constant_memory(manager, make):
    customer = make.customer("Mucho", "Movimiento", language="es")
    wallet = make.wallet(customer)
    add_movements(wallet, MOVEMENTS)
    assert ledger.verify() == []
    customer_id = customer.id
    db.session.expunge_all()  # what the test holds is not what the export costs
    with tempfile.TemporaryFile() as file:
        began = time.monotonic()
        tracemalloc.start()
        try:
            response = manager.post_form(URL.format(customer_id))
            for chunk in response.response:
                file.write(chunk)
            response.close()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        seconds = time.monotonic() - began
        print(f"\n{MOVEMENTS} movements: {file.tell() / 1e6:.1f} MB ZIP, "
              f"peak {peak / 1e6:.1f} MB traced, {seconds:.1f} s")
        assert response.status_code == 200
        assert peak < MEMORY_BOUND
        file.seek(0)
        archive = zipfile.ZipFile(file)
        with archive.open("wallet_movements.csv") as member:
            reader = csv.reader(io.TextIOWrapper(member, encoding="utf-8-sig", newline=""))
            header = next(reader)
            rows = sum(1 for _row in reader)
        assert rows == MOVEMENTS
        assert header[4] == "Importe"
        with archive.open("wallet_movements.csv") as member:
            lines = io.TextIOWrapper(member, encoding="utf-8-sig", newline="")
            next(lines)
            first = next(csv.reader(lines))
        assert (first[4], first[7]) == ("1.00", "'=SUM(A1:A9)")
        assert archive.testzip() is None
    [event] = exports_recorded()
    assert f"wallet_movements.csv {MOVEMENTS}" in event.summary
    assert db.session.get(Customer, customer_id).balance_minor == 100 * MOVEMENTS
