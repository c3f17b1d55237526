"""Reading an access request's ZIP back, for the personal data tests."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime

from admin_app.extensions import db
from admin_app.models import Address, Offer, OfferEvent, OrderLine, WishlistItem, utcnow
from admin_app.services import ledger, notifications, personal_data

from . import factories as make

PRODUCED_AT = datetime(2026, 12, 6, 10, 30)


def archive_of(customer_id: int, language: str) -> zipfile.ZipFile:
    """The customer's archive, made by the service the page streams."""
    snapshot = personal_data.open_snapshot(db.engine)
    counts = personal_data.count_records(snapshot, customer_id)
    data = b"".join(personal_data.zip_chunks(snapshot, customer_id, language=language,
                                             produced_at=PRODUCED_AT, counts=counts))
    return zipfile.ZipFile(io.BytesIO(data))


def document(archive: zipfile.ZipFile) -> dict:
    return json.loads(archive.read("data.json").decode("utf-8"))


def table(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    """A CSV of the archive as rows of cells, the header first (its BOM checked)."""
    text = archive.read(name).decode("utf-8")
    assert text.startswith("\ufeff"), f"{name} has no BOM"
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def column(rows: list[list[str]], header: str) -> list[str]:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


def full_customer():
    """Lucía, reading Spanish, with one record of every kind; returns her id."""
    customer = make.customer("Lucía", "Moreno", language="es", email="lucia@example.es",
                             phone="+34600111222", postcode="28013", country="ES",
                             notes="=HYPERLINK(\"http://evil.example\")", loyalty_member=True)
    customer.addresses.append(Address(line1="Gran Vía 2", city="Madrid", postcode="28013",
                                      country="ES", is_default=True))
    customer.wishlist.append(WishlistItem(product="Bufanda", sku="BUF-1"))
    offer = Offer(title="Rebajas de invierno")
    customer.offer_events.append(OfferEvent(offer=offer, kind="redeemed"))
    customer.marketing_opt_in = True  # a consent change, from a form
    db.session.commit()
    order = make.order(customer, total_minor=4599, sale_code="T-LUCIA-1")
    order.lines.append(OrderLine(product="Bufanda", sku="BUF-1", quantity=2,
                                 unit_price_minor=1250))
    guest = make.guest("Lucía M.", email="lucia@example.es", customer_id=customer.id,
                       converted_at=utcnow())
    make.order(guest=guest, total_minor=999, sale_code="T-GUEST-1")
    make.customer("Lucía", "Moreno Vieja", merged_into_id=customer.id, merged_at=utcnow())
    make.invoice(customer, amount_minor=12100, billing_name="Lucía Moreno",
                 billing_tax_id="12345678Z", vat_rate_bp=2100, series="A")
    wallet = make.wallet(customer)
    ledger.add_balance(wallet, 2550, actor=None, reason="Goodwill gesture",
                       idempotency_key="lucia-1", notify=True)
    ledger.add_balance(wallet, -550, actor=None, reason="Purchase", idempotency_key="lucia-2")
    ledger.adjust_points(customer, 40, actor=None, reason="Reward", idempotency_key="lucia-p")
    notifications.queue(customer, kind="balance_changed", subject="Hola", body="=1+2")
    db.session.commit()
    return customer.id
