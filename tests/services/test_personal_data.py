"""An access request's archive: every kind of record, as stored in data.json and in
the customer's language in the CSVs, read from one moment of the database."""
from __future__ import annotations

from decimal import Decimal

import pytest

from admin_app.choices import AuditAction
from admin_app.extensions import db
from admin_app.models import AuditEvent, Customer, utcnow
from admin_app.services import ledger, personal_data
from admin_app.services.errors import DomainError

from ..personal_data_files import archive_of, column, document, full_customer, table

CSV_FILES = {section.file_name for section in personal_data.SECTIONS}


def test_archive_holds_a_readme_the_json_and_a_csv_per_kind_of_record():
    customer_id = full_customer()
    names = set(archive_of(customer_id, "es").namelist())
    assert names == {"README.txt", "data.json"} | CSV_FILES
    assert {"profile.csv", "addresses.csv", "orders.csv", "order_lines.csv", "wallets.csv",
            "wallet_movements.csv", "loyalty.csv", "invoices.csv", "offers.csv",
            "wishlist.csv", "messages.csv", "consents.csv", "audit_events.csv",
            "guests.csv", "merged_customers.csv"} == CSV_FILES


def test_json_holds_every_record_as_stored():
    customer_id = full_customer()
    data = document(archive_of(customer_id, "es"))
    assert data["format"] == personal_data.FORMAT
    assert data["customer_id"] == customer_id
    profile = data["profile"]
    assert (profile["first_name"], profile["email"], profile["phone"]) == (
        "Lucía", "lucia@example.es", "+34600111222")
    # Money twice: the stored minor units and a decimal string, with the currency.
    assert (profile["balance_minor"], profile["balance"], profile["currency"]) == (
        2000, "20.00", "EUR")
    assert profile["language"] == "es" and profile["marketing_opt_in"] is True
    assert profile["online_account"] is False  # whether they have one, never the hash
    assert "password_hash" not in profile and "search_text" not in profile
    movements = data["wallet_movements"]
    assert [(m["amount_minor"], m["amount"], m["kind"]) for m in movements] == [
        (2550, "25.50", "top_up"), (-550, "-5.50", "deduction")]
    assert movements[0]["created_at"].startswith(str(utcnow().year))  # ISO text
    # Their own order and the one they placed as a guest, with its lines.
    assert sorted(o["sale_code"] for o in data["orders"]) == ["T-GUEST-1", "T-LUCIA-1"]
    assert [(line["quantity"], line["unit_price"], line["line_total_minor"])
            for line in data["order_lines"]] == [(2, "12.50", 2500)]
    invoice = data["invoices"][0]
    assert (invoice["amount"], invoice["vat_rate_bp"], invoice["vat_rate"],
            invoice["billing_tax_id"]) == ("121.00", 2100, "21.00", "12345678Z")
    assert data["loyalty"][0]["points"] == 40
    assert [a["line1"] for a in data["addresses"]] == ["Gran Vía 2"]
    assert [w["sku"] for w in data["wishlist"]] == ["BUF-1"]
    assert [(o["offer"], o["kind"]) for o in data["offers"]] == [
        ("Rebajas de invierno", "redeemed")]
    assert [c["opted_in"] for c in data["consents"]] == [True]
    # Messages as sent: to whom, subject and body.
    assert {(m["recipient"], m["subject"]) for m in data["messages"]} >= {
        ("lucia@example.es", "Hola")}
    assert [g["name"] for g in data["guests"]] == ["Lucía M."]
    assert [m["surname"] for m in data["merged_customers"]] == ["Moreno Vieja"]
    # The trail about them, their wallets and orders; never who on the staff did it.
    kinds = {(e["object_type"], e["action"]) for e in data["audit_events"]}
    assert {("Customer", "create"), ("Wallet", "create"), ("Order", "create")} <= kinds
    assert all("user_email" not in event for event in data["audit_events"])
    assert {"Cliente", "Monedero", "Pedido", "Dirección"} <= set(
        column(table(archive_of(customer_id, "es"), "audit_events.csv"), "Tipo de registro"))


def test_csv_speaks_the_customers_language_with_money_as_decimals():
    customer_id = full_customer()
    archive = archive_of(customer_id, "es")
    profile = table(archive, "profile.csv")
    assert profile[0][:3] == ["Número de cliente", "Nombre", "Apellidos"]
    assert column(profile, "Saldo") == ["20.00"]
    assert column(profile, "Acepta marketing") == ["Sí"]
    # A value a spreadsheet would run is written so that it never runs.
    assert column(profile, "Notas") == ["'=HYPERLINK(\"http://evil.example\")"]
    movements = table(archive, "wallet_movements.csv")
    assert column(movements, "Importe") == ["25.50", "-5.50"]
    assert column(movements, "Tipo") == ["Recarga", "Deducción"]
    assert column(movements, "Motivo") == ["Gesto de cortesía", "Compra"]
    assert Decimal(column(table(archive, "invoices.csv"), "Importe")[0]) == Decimal("121.00")
    assert "'=1+2" in column(table(archive, "messages.csv"), "Mensaje")


def test_english_customer_gets_english_files():
    customer_id = full_customer()
    db.session.get(Customer, customer_id).language = "en"
    db.session.commit()
    archive = archive_of(customer_id, "en")
    assert table(archive, "profile.csv")[0][:3] == ["Customer number", "First name", "Surname"]
    assert column(table(archive, "wallet_movements.csv"), "Kind") == ["Top-up", "Deduction"]
    readme = archive.read("README.txt").decode("utf-8")
    assert readme.startswith("Your personal data")
    assert "wallet_movements.csv (2 rows): Every movement of your wallets' balance." in readme


def test_readme_says_what_each_file_holds_in_the_customers_language():
    customer_id = full_customer()
    readme = archive_of(customer_id, "es").read("README.txt").decode("utf-8")
    assert readme.startswith("Sus datos personales")
    assert f"cliente n.º {customer_id}" in readme
    assert "2026-12-06" in readme
    for name in CSV_FILES | {"data.json"}:
        assert f"{name}: " in readme or f"{name} (" in readme
    assert "wallet_movements.csv (2 filas): Cada movimiento del saldo de sus monederos." in readme


def test_export_is_recorded_with_counts_and_without_the_data():
    customer_id = full_customer()
    customer = db.session.get(Customer, customer_id)
    snapshot = personal_data.open_snapshot(db.engine)
    try:
        counts = personal_data.record_export(snapshot, customer, db.session)
        db.session.commit()
    finally:
        snapshot.close()
    assert counts["wallet_movements.csv"] == 2 and counts["profile.csv"] == 1
    event = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == AuditAction.PERSONAL_DATA_EXPORT)).one()
    assert (event.object_type, event.object_id) == ("Customer", str(customer_id))
    assert "wallet_movements.csv 2" in event.summary and "orders.csv 2" in event.summary
    assert "lucia" not in event.summary.lower() and "Moreno" not in event.summary
    assert event.changes is None


def test_a_tombstone_is_refused_and_names_the_survivor(make):
    survivor = make.customer("Ana", "Viva")
    tombstone = make.customer("Ana", "Fusionada", merged_into_id=survivor.id,
                              merged_at=utcnow())
    with pytest.raises(DomainError, match=f"customer #{survivor.id}"):
        personal_data.ensure_exportable(tombstone)
    personal_data.ensure_exportable(survivor)  # does not raise


def test_an_erased_customer_exports_what_is_left(make):
    customer = make.customer("Erased", "Erased", email=None, erased_at=utcnow())
    personal_data.ensure_exportable(customer)  # does not raise
    data = document(archive_of(customer.id, "en"))
    assert data["profile"]["erased_at"] is not None
    assert data["orders"] == []


def test_archive_is_one_moment_of_the_database(make):
    """A movement written while the archive is being made is not half in it: the
    counts, data.json and the CSVs all read the moment the snapshot began."""
    customer = make.customer("Ana", "Quieta")
    wallet = make.wallet(customer)
    ledger.add_balance(wallet, 100, actor=None, reason="Reward", idempotency_key="q-1")
    db.session.commit()
    snapshot = personal_data.open_snapshot(db.engine)
    counts = personal_data.count_records(snapshot, customer.id)
    ledger.add_balance(wallet, 200, actor=None, reason="Reward", idempotency_key="q-2")
    db.session.commit()
    data = b"".join(personal_data.zip_chunks(snapshot, customer.id, language="en",
                                             produced_at=utcnow(), counts=counts))
    import io
    import zipfile
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert counts["wallet_movements.csv"] == 1
    assert [m["amount_minor"] for m in document(archive)["wallet_movements"]] == [100]
    assert len(table(archive, "wallet_movements.csv")) == 2  # header and one row
    assert snapshot.closed
