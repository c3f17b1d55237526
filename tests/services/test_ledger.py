"""The ledger service: the domain's money and points rules, on the real database."""
from __future__ import annotations

import itertools
import threading
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from admin_app.choices import LoyaltyTxKind, NotificationChannel, WalletStatus, WalletTxKind
from admin_app.extensions import db
from admin_app.models import (
    Customer,
    LedgerRowImmutable,
    LoyaltyTransaction,
    Notification,
    Wallet,
    WalletTransaction,
)
from admin_app.services import ledger
from admin_app.services.ledger import LedgerError

from ..pages import fresh, row_count

keys = (f"key-{n}" for n in itertools.count())
DAY = datetime(2026, 3, 1, 12, 0)


def add(wallet, amount, **kwargs):
    kwargs.setdefault("actor", None)
    kwargs.setdefault("reason", "Test")
    kwargs.setdefault("idempotency_key", next(keys))
    row = ledger.add_balance(wallet, amount, **kwargs)
    db.session.commit()
    return row


# -- add and deduct -------------------------------------------------------------------

def test_a_credit_writes_its_row_and_every_cached_figure(wallet, customer):
    row = add(wallet, 1250)
    assert (row.amount_minor, row.kind, row.balance_after_minor) == (
        1250, WalletTxKind.TOP_UP, 1250)
    assert fresh(Wallet, wallet.id).balance_minor == 1250
    assert fresh(Customer, customer.id).balance_minor == 1250
    assert ledger.verify() == []


def test_a_negative_amount_deducts(wallet, customer):
    add(wallet, 1000)
    row = add(wallet, -250)
    assert (row.amount_minor, row.kind, row.balance_after_minor) == (
        -250, WalletTxKind.DEDUCTION, 750)
    assert fresh(Customer, customer.id).balance_minor == 750


def test_customer_balance_counts_only_active_wallets(make, customer, wallet):
    other = make.wallet(customer)
    add(wallet, 1000)
    add(other, 500)
    ledger.set_wallet_status(other, WalletStatus.BLOCKED)
    db.session.commit()
    assert fresh(Customer, customer.id).balance_minor == 1000
    ledger.set_wallet_status(other, WalletStatus.ACTIVE)
    db.session.commit()
    assert fresh(Customer, customer.id).balance_minor == 1500
    assert ledger.verify() == []


def _refused(call, message_part: str):
    before = (row_count(WalletTransaction), row_count(LoyaltyTransaction), row_count(Notification))
    with pytest.raises(LedgerError) as refusal:
        call()
    db.session.rollback()
    assert message_part in str(refusal.value)
    assert (row_count(WalletTransaction), row_count(LoyaltyTransaction),
            row_count(Notification)) == before
    return refusal.value


def test_no_deduction_takes_the_balance_below_zero(wallet):
    add(wallet, 500)
    _refused(lambda: add(wallet, -501), "below zero")
    assert fresh(Wallet, wallet.id).balance_minor == 500


def test_a_blocked_wallet_takes_no_movement(make, customer):
    blocked = make.wallet(customer, status=WalletStatus.BLOCKED)
    _refused(lambda: add(blocked, 500), "blocked")
    _refused(lambda: add(blocked, -1), "blocked")


@pytest.mark.parametrize("amount", [0, 12.5, "1250", True, None, 10**12])
def test_zero_or_malformed_amounts_are_refused(wallet, amount):
    _refused(lambda: add(wallet, amount), "")


def test_a_reason_is_required(wallet):
    _refused(lambda: add(wallet, 100, reason="   "), "reason")


def test_an_expiry_date_in_the_past_or_on_a_debit_is_refused(wallet):
    add(wallet, 1000)
    _refused(lambda: add(wallet, 100, expires_on=date(2000, 1, 1)), "expiration")
    _refused(lambda: add(wallet, -100, expires_on=date(2999, 1, 1)), "expiration")


def test_the_same_idempotency_key_posts_once(wallet):
    first = add(wallet, 700, idempotency_key="form-1")
    again = add(wallet, 700, idempotency_key="form-1")
    assert again.id == first.id
    assert row_count(WalletTransaction) == 1
    assert fresh(Wallet, wallet.id).balance_minor == 700


def test_a_key_reused_for_another_movement_is_refused(make, customer, wallet):
    add(wallet, 700, idempotency_key="form-1")
    _refused(lambda: add(wallet, 900, idempotency_key="form-1"), "already used")
    _refused(lambda: add(make.wallet(customer), 700, idempotency_key="form-1"), "already used")


def test_ledger_rows_are_append_only(wallet):
    row = add(wallet, 100)
    row.reason = "rewritten"
    with pytest.raises(LedgerRowImmutable):
        db.session.commit()
    db.session.rollback()
    assert fresh(WalletTransaction, row.id).reason == "Test"


def test_payment_and_refund(wallet):
    add(wallet, 2000)
    ledger.pay(wallet, 1500, idempotency_key="pay-1")
    ledger.refund(wallet, 500, idempotency_key="refund-1")
    db.session.commit()
    kinds = db.session.execute(
        select(WalletTransaction.kind, WalletTransaction.amount_minor)
        .order_by(WalletTransaction.id)).all()
    assert kinds == [(WalletTxKind.TOP_UP, 2000), (WalletTxKind.PAYMENT, -1500),
                     (WalletTxKind.REFUND, 500)]
    assert fresh(Wallet, wallet.id).balance_minor == 1000
    _refused(lambda: ledger.pay(wallet, -5, idempotency_key="pay-2"), "")


def test_notify_queues_a_message_in_the_customers_language(wallet, customer):
    row = add(wallet, 1250, notify=True)
    note = db.session.scalars(select(Notification)).one()
    assert row.customer_notified is True
    assert (note.customer_id, note.language, note.channel) == (
        customer.id, "es", NotificationChannel.EMAIL)
    assert "12,50" in note.body and "€" in note.body  # the customer's locale, not ours


def test_an_unsold_wallet_takes_credit_without_a_customer(make):
    gift = make.wallet(None)
    row = add(gift, 2500, notify=True)
    assert row.customer_notified is False
    assert row_count(Notification) == 0
    assert ledger.verify() == []


def test_store_credit_wallet_is_created_once(customer):
    first = ledger.store_credit_wallet(customer)
    db.session.commit()
    again = ledger.store_credit_wallet(customer)
    assert first.id == again.id and first.is_store_credit and first.customer_id == customer.id


def test_the_same_movement_on_several_wallets_locks_owners_then_wallets_in_order(
        make, monkeypatch):
    early, late = make.customer("Abel"), make.customer("Zoe")  # ids in that order
    wallets = [make.wallet(late), make.wallet(early), make.wallet(None), make.wallet(early)]
    taken = []
    real_lock = ledger.lock_row

    def recording_lock(model, row_id):
        taken.append((model.__name__, row_id))
        return real_lock(model, row_id)

    monkeypatch.setattr(ledger, "lock_row", recording_lock)
    posted = ledger.add_balance_to_each(wallets, 500, actor=None, reason="Gift",
                                        idempotency_key="form-1")
    db.session.commit()
    gift, early_first, early_second, late_one = wallets[2], wallets[1], wallets[3], wallets[0]
    # Whatever order the page gives: unowned first, then each owner by id and its wallets.
    assert taken == [("Wallet", gift.id),
                     ("Customer", early.id), ("Wallet", early_first.id),
                     ("Customer", early.id), ("Wallet", early_second.id),
                     ("Customer", late.id), ("Wallet", late_one.id)]
    assert [row.wallet_id for row in posted] == [w.id for w in
                                                 (gift, early_first, early_second, late_one)]
    assert [row.idempotency_key for row in posted] == [f"form-1:{row.wallet_id}"
                                                      for row in posted]
    assert fresh(Customer, early.id).balance_minor == 1000


def test_the_same_movement_on_several_wallets_posts_once_when_sent_again(make):
    wallets = [make.wallet(make.customer()), make.wallet(make.customer())]
    for _attempt in range(2):
        ledger.add_balance_to_each(wallets, 300, actor=None, reason="Gift",
                                   idempotency_key="form-2")
        db.session.commit()
    assert row_count(WalletTransaction) == 2
    assert [fresh(Wallet, w.id).balance_minor for w in wallets] == [300, 300]


# -- expiry ---------------------------------------------------------------------------

def test_expired_credit_is_not_available_and_expiry_removes_only_its_unspent_part(wallet, customer):
    add(wallet, 1000, expires_on=date(2026, 3, 10), now=DAY)            # expires
    add(wallet, 500, now=DAY + timedelta(days=1))                      # never expires
    add(wallet, -600, now=DAY + timedelta(days=2))                     # spends the oldest first
    state = ledger.credit_state(fresh(Wallet, wallet.id), date(2026, 3, 10))
    assert state.available_minor == 900                                # still valid that day
    state = ledger.credit_state(fresh(Wallet, wallet.id), date(2026, 3, 11))
    assert (state.available_minor, state.expired_unspent_minor) == (500, 400)

    _refused(lambda: add(wallet, -501, now=datetime(2026, 3, 11, 9)), "below zero")
    row = ledger.expire_wallet(wallet, now=datetime(2026, 3, 11, 9))
    db.session.commit()
    assert (row.kind, row.amount_minor, row.balance_after_minor) == (WalletTxKind.EXPIRY, -400, 500)
    assert fresh(Customer, customer.id).balance_minor == 500
    assert ledger.expire_wallet(wallet, now=datetime(2026, 3, 12, 9)) is None
    assert ledger.credit_state(fresh(Wallet, wallet.id), date(2026, 4, 1)).available_minor == 500
    assert ledger.verify() == []


def test_wallets_with_expired_credit_are_found(make, customer, wallet):
    other = make.wallet(customer)
    add(wallet, 1000, expires_on=date(2026, 3, 10), now=DAY)
    add(other, 1000, now=DAY)
    assert ledger.wallets_with_expired_credit(date(2026, 3, 10)) == []
    assert ledger.wallets_with_expired_credit(date(2026, 3, 11)) == [wallet.id]


# -- loyalty points ----------------------------------------------------------------------

def test_points_adjustment_writes_the_row_and_the_customer_figure(customer):
    ledger.adjust_points(customer, 120, actor=None, reason="Goodwill", idempotency_key="p-1")
    row = ledger.adjust_points(customer, -20, actor=None, reason="Correction",
                               idempotency_key="p-2")
    db.session.commit()
    assert (row.points, row.balance_after, row.kind) == (-20, 100, LoyaltyTxKind.ADJUSTMENT)
    assert fresh(Customer, customer.id).loyalty_points == 100
    ledger.adjust_points(customer, -20, actor=None, reason="Correction", idempotency_key="p-2")
    assert row_count(LoyaltyTransaction) == 2
    assert ledger.verify() == []


def test_points_never_go_below_zero_and_non_members_are_refused(make, customer):
    ledger.adjust_points(customer, 10, actor=None, reason="Goodwill", idempotency_key="p-1")
    db.session.commit()
    _refused(lambda: ledger.adjust_points(customer, -11, actor=None, reason="x",
                                          idempotency_key="p-2"), "below zero")
    outsider = make.customer(loyalty_member=False)
    _refused(lambda: ledger.adjust_points(outsider, 10, actor=None, reason="x",
                                          idempotency_key="p-3"), "not a loyalty")
    _refused(lambda: ledger.adjust_points(customer, 0, actor=None, reason="x",
                                          idempotency_key="p-4"), "")


# -- verify ------------------------------------------------------------------------------

def test_verify_names_each_figure_that_differs_from_its_ledger(wallet, customer):
    add(wallet, 1000)
    db.session.execute(Wallet.__table__.update().values(balance_minor=999))
    db.session.execute(Customer.__table__.update().values(loyalty_points=5))
    db.session.commit()
    found = {(m.what, m.row_id) for m in ledger.verify()}
    assert found == {("wallet", wallet.id), ("customer points", customer.id),
                     ("customer balance", customer.id)}


# -- concurrency ---------------------------------------------------------------------------

@pytest.mark.slow
def test_concurrent_adds_and_deducts_lose_nothing(app, wallet, customer):
    add(wallet, 100_000)
    amounts = [(n % 7 + 1) * 100 if n % 2 else -((n % 5 + 1) * 50) for n in range(200)]
    errors = []
    wallet_id = wallet.id  # each thread reads through its own session

    def worker(share):
        with app.app_context():
            for amount in share:
                try:
                    ledger.add_balance(db.session.get(Wallet, wallet_id), amount, actor=None,
                                       reason="Concurrent", idempotency_key=next(keys))
                    db.session.commit()
                except Exception as error:  # any failure here is a lost movement
                    db.session.rollback()
                    errors.append(repr(error))
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(amounts[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert fresh(Wallet, wallet.id).balance_minor == 100_000 + sum(amounts)
    assert fresh(Customer, customer.id).balance_minor == 100_000 + sum(amounts)
    assert row_count(WalletTransaction) == 201
    assert ledger.verify() == []


# -- property: any sequence keeps every rule ---------------------------------------------------

operation = st.one_of(
    st.tuples(st.just("add"), st.integers(1, 5_000), st.booleans()),
    st.tuples(st.just("deduct"), st.integers(1, 5_000), st.just(False)),
    st.tuples(st.just("points"), st.integers(-300, 300).filter(bool), st.just(False)),
    st.tuples(st.just("expire"), st.just(0), st.just(False)),
    st.tuples(st.just("block"), st.just(0), st.just(False)),
)


@pytest.mark.slow
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(operation, st.integers(0, 20)), min_size=1, max_size=25))
def test_any_sequence_of_movements_keeps_the_domain_rules(make, steps):
    customer = make.customer(loyalty_member=True)
    wallets = [make.wallet(customer), make.wallet(customer)]
    now = DAY
    for index, ((kind, value, expiring), days) in enumerate(steps):
        now += timedelta(days=days)
        target = wallets[index % 2]
        before = (row_count(WalletTransaction), row_count(LoyaltyTransaction))
        try:
            if kind == "add":
                add(target, value, now=now,
                    expires_on=(now + timedelta(days=5)).date() if expiring else None)
            elif kind == "deduct":
                add(target, -value, now=now)
            elif kind == "points":
                ledger.adjust_points(customer, value, actor=None, reason="p",
                                     idempotency_key=next(keys), now=now)
            elif kind == "expire":
                ledger.expire_wallet(target, now=now)
            else:
                ledger.set_wallet_status(target, WalletStatus.BLOCKED
                                         if fresh(Wallet, target.id).status == "active"
                                         else WalletStatus.ACTIVE)
            db.session.commit()
        except LedgerError:
            db.session.rollback()
            # A refusal writes nothing.
            assert (row_count(WalletTransaction), row_count(LoyaltyTransaction)) == before
        db.session.expire_all()
        for w in wallets:
            assert w.balance_minor >= 0
            assert ledger.credit_state(w, now.date()).available_minor <= w.balance_minor
        assert customer.loyalty_points >= 0
        assert ledger.verify() == []
