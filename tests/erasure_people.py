"""A customer who has everything an erasure must deal with, built through the
services as staff would build it (so the audit trail, the consent log, the search
index and the import batches hold their values as they would in real life)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from admin_app.choices import DuplicateReason, NotificationKind, NotificationStatus, OfferEventKind
from admin_app.extensions import db
from admin_app.models import (
    Address,
    AdminUser,
    Customer,
    DuplicateGroup,
    DuplicateMember,
    DuplicateScan,
    Guest,
    ImportBatch,
    Offer,
    OfferEvent,
    WishlistItem,
)
from admin_app.services import imports, invoices, ledger, notifications
from tests import factories

FIRST_NAME = "Itziar"
OLD_SURNAME = "Echeverría"
SURNAME = "Zubiaurre"
EMAIL = "Itziar.Zubiaurre@Example.com"
PHONE = "+34611222333"
CARD = "CARD-777123"
TAX_ID = "12345678Z"
# What must be found nowhere after the erasure (but in the invoices kept).
ERASED_VALUES = (EMAIL, EMAIL.lower(), PHONE, PHONE.lstrip("+"), "611222333", OLD_SURNAME,
                 "echeverria", SURNAME, FIRST_NAME, CARD, TAX_ID)


@dataclass
class Everything:
    customer: Customer
    guest: Guest
    wallet_code: str
    invoice_id: int


def _key() -> str:
    return uuid.uuid4().hex


def customer_with_everything(admin: AdminUser) -> Everything:
    # Imported first, with a second row left out (their phone, a bad email) and a
    # later file, previewed and never applied, that names them again.
    content = (f"First name,Surname,Email,Phone\n{FIRST_NAME},{OLD_SURNAME},{EMAIL},{PHONE}\n"
               f"{FIRST_NAME},{OLD_SURNAME},not-an-email,{PHONE}\n").encode()
    batch, _plan = imports.preview("customers", "clientes.csv", content, actor=admin)
    db.session.commit()
    imports.apply(batch, actor=admin)
    db.session.commit()
    later, _plan = imports.preview("customers", "again.csv", content, actor=admin)
    db.session.commit()
    assert db.session.get(ImportBatch, later.id).content is not None

    customer = db.session.scalars(db.select(Customer).filter_by(phone=PHONE)).one()
    # Edited on their page: the trail keeps the old surname, the log the opt-in.
    customer.surname = SURNAME
    customer.postcode, customer.country, customer.birthday = "20001", "ES", date(1988, 4, 2)
    customer.card_number, customer.tax_id = CARD, TAX_ID
    customer.notes = f"Call {FIRST_NAME} on {PHONE} after six."
    customer.marketing_opt_in = True
    customer.loyalty_member = True
    customer.password_hash = "hash-of-a-password"
    customer.addresses.append(Address(line1="Calle Mayor 5", city="Donostia", postcode="20001",
                                      country="ES", is_default=True))
    customer.wishlist.append(WishlistItem(product="Rain jacket", sku="RJ-1"))
    offer = Offer(title="Spring sale")
    db.session.add(OfferEvent(offer=offer, customer=customer, kind=OfferEventKind.REDEEMED))
    db.session.commit()

    # Money in and out, points in and out: nothing left to hold the erasure back.
    wallet = ledger.store_credit_wallet(customer)
    db.session.commit()
    ledger.add_balance(wallet, 5000, actor=admin, reason="Welcome credit",
                       idempotency_key=_key(), notify=True)
    db.session.commit()
    ledger.add_balance(wallet, -5000, actor=admin, reason="Spent in store",
                       idempotency_key=_key())
    ledger.adjust_points(customer, 120, actor=admin, reason="Birthday", idempotency_key=_key())
    ledger.adjust_points(customer, -120, actor=admin, reason="Redeemed",
                         idempotency_key=_key())
    db.session.commit()
    order = factories.order(customer, total_minor=3000)
    invoices.set_account_limit(customer, 100000, actor=admin)
    invoice = invoices.create_on_account_sale(customer, 3000, actor=admin, order=order)
    db.session.commit()
    invoices.mark_paid(invoice, actor=admin)
    sent = notifications.queue(customer, kind=NotificationKind.BALANCE_CHANGED,
                               subject=f"{FIRST_NAME}, your balance changed",
                               body=f"Dear {FIRST_NAME} {SURNAME}, ...")
    db.session.commit()
    sent.status = NotificationStatus.SENT
    notifications.queue(customer, kind=NotificationKind.BALANCE_CHANGED,
                        subject="Your balance changed", body=f"Dear {FIRST_NAME}, ...")
    db.session.commit()

    # A guest with the same email (another case), who bought once; a blacklisted phone.
    guest = factories.guest(f"{FIRST_NAME} {SURNAME}", email=EMAIL.upper(), phone=PHONE)
    factories.order(guest=guest)
    factories.blacklist(PHONE, note="Refused deliveries")
    scan = DuplicateScan(groups_found=1)
    db.session.add(scan)
    db.session.flush()
    group = DuplicateGroup(scan_id=scan.id, reason=DuplicateReason.EMAIL, strength=0, size=2,
                           members=[DuplicateMember(customer_id=customer.id),
                                    DuplicateMember(guest_id=guest.id)])
    db.session.add(group)
    db.session.commit()
    return Everything(customer, guest, wallet.wallet_code, invoice.id)
