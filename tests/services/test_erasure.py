"""Erasing a customer's personal data: refused while they hold anything, and then
every personal value gone but the amounts, dates and invoices the law keeps."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from admin_app.choices import (
    AuditAction,
    ConsentSource,
    InvoiceStatus,
    NotificationStatus,
    Role,
    WalletStatus,
)
from admin_app.database import dialect
from admin_app.extensions import db
from admin_app.models import (
    Address,
    AuditEvent,
    BlacklistEntry,
    ConsentChange,
    Customer,
    DuplicateMember,
    Guest,
    ImportBatch,
    ImportChange,
    Invoice,
    LoyaltyTransaction,
    Notification,
    Order,
    WalletTransaction,
    WishlistItem,
)
from admin_app.services import audit, erasure, ledger, search, sharing
from admin_app.services.erasure import ErasureRefused
from tests.erasure_people import EMAIL, PHONE, SURNAME, customer_with_everything


def _erase(customer, actor=None):
    report = erasure.erase(customer, actor)
    db.session.commit()
    return report


def test_a_balance_points_and_unpaid_invoices_each_refuse_with_their_amount(make):
    customer = make.customer("Ana", "Sáez", loyalty_points=40)
    make.wallet(customer, balance_minor=1250, wallet_code="ABCD-EFGH")
    make.wallet(customer, balance_minor=300, status=WalletStatus.BLOCKED, wallet_code="JKLM-NPQR")
    make.invoice(customer, amount_minor=2000)
    make.invoice(customer, amount_minor=500)
    make.invoice(customer, amount_minor=900, status=InvoiceStatus.PAID)
    reasons = erasure.refusals(customer)
    assert reasons == ["Wallet ABCD-EFGH holds a balance of €12.50.",
                       "Wallet JKLM-NPQR holds a balance of €3.00.",
                       "The customer holds 40 loyalty points.",
                       "2 unpaid invoices come to €25.00."]
    with pytest.raises(ErasureRefused) as refused:
        erasure.erase(customer, None)
    assert "€12.50" in str(refused.value)
    db.session.rollback()
    assert db.session.get(Customer, customer.id).surname == "Sáez"


def test_a_tombstone_and_an_erased_customer_are_refused(make):
    survivor = make.customer("Ana", "Pons")
    tombstone = make.customer("Ana", "Pons", merged_into_id=survivor.id)
    assert erasure.refusals(tombstone) == [
        f"This customer was merged into customer #{survivor.id}: erase that customer instead."]
    _erase(survivor)
    assert "already erased" in erasure.refusals(survivor)[0]
    with pytest.raises(ErasureRefused):
        erasure.erase(survivor, None)


def test_erasing_clears_every_field_and_keeps_amounts_and_dates(make, users):
    admin = users[Role.ADMIN]
    everything = customer_with_everything(admin)
    customer = everything.customer
    customer_id, orders_before = customer.id, customer.orders_count
    report = _erase(customer, admin)

    customer = db.session.get(Customer, customer_id)
    assert (customer.first_name, customer.surname) == ("Erased", f"#{customer_id}")
    for name in erasure.CUSTOMER_FIELDS_CLEARED:
        assert getattr(customer, name) is None, name
    assert customer.erased_at is not None and customer.marketing_opt_in is False
    assert customer.email_key is None and "zubiaurre" not in customer.search_text
    assert customer.orders_count == orders_before and customer.balance_minor == 0
    assert report.removed["addresses"] == 1 and report.removed["wishlist_items"] == 1
    assert report.removed["guests"] == 1 and report.removed["blacklist_entries"] == 1
    assert report.removed["messages"] == 3 and report.removed["import_rows"] >= 2
    assert report.kept == {"orders": 2, "wallet_movements": 2, "loyalty_movements": 2,
                           "invoices": 1, "offer_events": 1}
    assert db.session.scalar(select(db.func.count(Address.id))) == 0
    assert db.session.scalar(select(db.func.count(WishlistItem.id))) == 0
    assert db.session.scalar(select(db.func.count(BlacklistEntry.id))) == 0
    assert db.session.scalar(select(db.func.count(DuplicateMember.id))) == 0
    assert db.session.scalar(select(db.func.count(WalletTransaction.id))) == 2
    assert db.session.scalar(select(db.func.count(LoyaltyTransaction.id))) == 2
    assert db.session.scalar(select(db.func.count(Order.id))) == 2
    assert ledger.verify() == []
    invoice = db.session.get(Invoice, everything.invoice_id)
    assert SURNAME in invoice.billing_name and invoice.amount_minor == 3000


def test_messages_keep_their_dates_and_one_not_sent_never_goes(make, users):
    everything = customer_with_everything(users[Role.ADMIN])
    _erase(everything.customer)
    messages = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(m.recipient, m.subject, m.body) for m in messages] == [("erased",) * 3] * 3
    # The ledger's "balance changed" and the last one were still queued.
    assert [m.status for m in messages] == [NotificationStatus.NOT_SENDABLE,
                                            NotificationStatus.SENT,
                                            NotificationStatus.NOT_SENDABLE]
    assert all(m.created_at for m in messages)


def test_a_customer_who_is_also_a_guest_erases_the_guest_and_keeps_its_orders(make):
    customer = make.customer("Jon", "Arrieta", email="jon@example.com", phone="+34600999888")
    by_email = make.guest("Jon A.", email="JON@example.com")
    by_phone = make.guest("J. Arrieta", phone="+34600999888")
    converted = make.guest("Jon", customer_id=customer.id)
    stranger = make.guest("Miren", email="miren@example.com")
    make.order(guest=by_email)
    _erase(customer)
    for guest in (by_email, by_phone, converted):
        guest = db.session.get(Guest, guest.id)
        assert (guest.name, guest.email, guest.phone, guest.email_key) == (
            "Erased", None, None, None)
        assert "jon" not in guest.search_text
    assert db.session.get(Guest, stranger.id).email == "miren@example.com"
    assert db.session.scalar(select(db.func.count(Order.id)).where(
        Order.guest_id == by_email.id)) == 1


def test_customers_merged_into_them_are_erased_too(make):
    survivor = make.customer("Ane", "Goikoetxea", email="ane@example.com")
    merged = make.customer("Ane", "Goikoetxea", email="ane.g@example.com",
                           merged_into_id=survivor.id)
    report = _erase(survivor)
    merged = db.session.get(Customer, merged.id)
    assert merged.email is None and merged.surname == f"#{merged.id}"
    assert report.removed["merged_customers"] == 1


def test_the_consent_log_keeps_its_rows_and_gains_the_erasure(make):
    customer = make.customer("Leire", "Olano")
    assert customer.marketing_opt_in is False  # loaded: the log compares with it
    customer.marketing_opt_in = True
    db.session.commit()
    _erase(customer)
    log = db.session.scalars(select(ConsentChange).order_by(ConsentChange.id)).all()
    assert [(c.opted_in, c.source) for c in log] == [
        (True, ConsentSource.FORM), (False, ConsentSource.ERASURE)]
    other = make.customer("Unai", "Olano")
    _erase(other)
    assert db.session.scalars(select(ConsentChange.source).where(
        ConsentChange.customer_id == other.id)).all() == [ConsentSource.ERASURE]


def test_audit_events_about_them_hold_erased_and_the_erasure_holds_counts_only(users):
    admin = users[Role.ADMIN]
    everything = customer_with_everything(admin)
    customer_id = everything.customer.id
    _erase(everything.customer, admin)
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "Customer", AuditEvent.object_id == str(customer_id))
        .order_by(AuditEvent.id)).all()
    created = events[0]
    assert created.changes["email"] == [None, "erased"]
    assert created.changes["first_name"] == [None, "erased"]
    assert {event.summary for event in events[:-1]} <= {None, "erased"}
    assert any(event.summary == "erased" for event in events)
    erased = events[-1]
    assert erased.action == AuditAction.ERASURE and erased.user_id == admin.id
    assert erased.changes["removed_addresses"] == [None, 1]
    assert erased.changes["kept_invoices"] == [None, 1]
    written = json.dumps([erased.summary, erased.changes], ensure_ascii=False).lower()
    for value in (EMAIL.lower(), PHONE, SURNAME.lower(), "itziar"):
        assert value not in written


def test_import_batches_lose_their_rows_and_files(users):
    admin = users[Role.ADMIN]
    everything = customer_with_everything(admin)
    report = _erase(everything.customer, admin)
    batches = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id)).all()
    assert [b.content for b in batches] == [None, None]
    assert batches[0].rejected_rows["rows"] == []
    assert batches[1].read_rows["rows"] == []
    change = db.session.scalars(select(ImportChange)).one()
    assert change.after["email"] == "erased" and change.record_id == everything.customer.id
    assert report.removed["import_files"] == 2 and report.removed["import_changes"] == 1


def test_share_links_to_their_wallets_stop_working(make):
    customer = make.customer("Mikel", "Etxeberria")
    wallet = make.wallet(customer)
    link = sharing.read_share_link(sharing.make_share_token(wallet))
    assert sharing.shared_wallet(link) == wallet
    _erase(customer)
    with pytest.raises(sharing.SharedWalletGone):
        sharing.shared_wallet(link)


def test_the_search_finds_them_no_more(make):
    customer = make.customer("Garazi", "Uranga", email="garazi@example.com")
    model_matches = search.matches(Customer, "uranga", None, dialect())
    assert db.session.scalars(select(Customer.id).where(model_matches)).all() == [customer.id]
    _erase(customer)
    assert db.session.scalars(select(Customer.id).where(
        search.matches(Customer, "uranga", None, dialect()))).all() == []
    if dialect() == "sqlite":
        assert db.session.execute(text(
            "SELECT rowid FROM customers_search WHERE customers_search MATCH '\"uranga\"'")
        ).all() == []


@pytest.mark.parametrize("typed, expected", [
    ("itziar.zubiaurre@example.com", True), ("  ITZIAR.Zubiaurre@Example.COM ", True),
    ("itziar@example.com", False), ("", False), (None, False)])
def test_the_confirmation_is_the_email_in_any_case(make, typed, expected):
    customer = make.customer("Itziar", "Zubiaurre", email=EMAIL)
    assert erasure.confirms(customer, typed) is expected


def test_without_an_email_the_confirmation_is_the_full_name(make):
    customer = make.customer("María José", "de la Fuente", email=None)
    assert erasure.confirms(customer, "maría josé  de la fuente")
    assert not erasure.confirms(customer, "María José")


def test_an_address_deleted_before_leaves_nothing_in_the_trail(make):
    customer = make.customer("Ainhoa", "Larrañaga")
    other = make.customer("Peio", "Sarasola")
    customer.addresses.append(Address(line1="Paseo Nuevo 12", city="Donostia"))
    other.addresses.append(Address(line1="Calle Larga 3", city="Bilbao"))
    db.session.commit()
    address_id = customer.addresses[0].id
    db.session.delete(customer.addresses[0])  # deleted by staff, long before the request
    db.session.commit()
    _erase(customer)
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "Address", AuditEvent.object_id == str(address_id))).all()
    assert [e.action for e in events] == [AuditAction.CREATE, AuditAction.DELETE]
    for event in events:
        assert "Paseo Nuevo" not in json.dumps([event.summary, event.changes])
        assert event.changes["customer_id"] in ([None, customer.id], [customer.id, None])
    untouched = db.session.scalars(select(AuditEvent.summary).where(
        AuditEvent.object_type == "Address", AuditEvent.object_id != str(address_id))).all()
    assert untouched == ["Calle Larga 3, Bilbao"]


def test_a_namesake_keeps_their_trail_and_any_event_holding_the_email_loses_it(make):
    customer = make.customer("Ana", "Ruiz", email="ana.ruiz@example.com")
    namesake = make.customer("Ana", "Ruiz", email="ana.otra@example.com")
    audit.record(db.session, AuditAction.EXPORT, object_type="ImportBatch", object_id=1,
                 summary="Sent to ANA.RUIZ@example.com",
                 changes={"note": [None, "for ana.ruiz@example.com"], "rows": [None, 3],
                          "who": [None, "Ana Ruiz"]})
    db.session.commit()
    _erase(customer)
    kept = db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "Customer", AuditEvent.object_id == str(namesake.id))).one()
    assert kept.summary == "Ana Ruiz" and kept.changes["email"] == [None, "ana.otra@example.com"]
    export = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.EXPORT)).one()
    assert export.summary == "erased"
    # The email goes; a name alone may be anyone's, and the count is no one's.
    assert export.changes == {"note": [None, "erased"], "rows": [None, 3],
                              "who": [None, "Ana Ruiz"]}
