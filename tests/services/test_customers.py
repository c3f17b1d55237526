"""Deleting a customer who still holds money, points or unpaid invoices is refused."""
from __future__ import annotations

import pytest

from admin_app.choices import InvoiceStatus, WalletStatus
from admin_app.services.customers import ensure_deletable, reasons_not_deletable
from admin_app.services.errors import DomainError


def test_customer_with_nothing_held_may_be_deleted(make):
    customer = make.customer("Ana", "Vacía")
    assert reasons_not_deletable(customer) == []
    ensure_deletable(customer)  # does not raise


def test_customer_with_empty_wallets_may_be_deleted(make):
    customer = make.customer()
    make.wallet(customer, balance_minor=0)
    make.wallet(customer, balance_minor=0, status=WalletStatus.BLOCKED)
    assert reasons_not_deletable(customer) == []
    ensure_deletable(customer)  # does not raise


def test_cached_balance_refuses_deletion_and_names_the_reason(make):
    customer = make.customer("Lucía", "García", balance_minor=2500)
    with pytest.raises(DomainError) as caught:
        ensure_deletable(customer)
    message = str(caught.value)
    assert "Lucía García" in message
    assert "cannot be deleted" in message
    assert "wallet balance" in message


def test_wallet_holding_money_refuses_deletion(make):
    # The cached figure says 0 but a wallet holds money: the wallet decides.
    customer = make.customer(balance_minor=0)
    make.wallet(customer, balance_minor=1)
    with pytest.raises(DomainError) as caught:
        ensure_deletable(customer)
    assert "wallet balance" in str(caught.value)


def test_blocked_wallet_holding_money_also_refuses_deletion(make):
    # A blocked wallet is not spendable, but its money must not be dropped either.
    customer = make.customer()
    make.wallet(customer, balance_minor=700, status=WalletStatus.BLOCKED)
    with pytest.raises(DomainError) as caught:
        ensure_deletable(customer)
    assert "wallet balance" in str(caught.value)


def test_loyalty_points_refuse_deletion_and_say_how_many(make):
    customer = make.customer(loyalty_points=37)
    with pytest.raises(DomainError) as caught:
        ensure_deletable(customer)
    message = str(caught.value)
    assert "loyalty points" in message
    assert "37" in message
    assert "wallet balance" not in message


def test_unpaid_invoice_refuses_deletion(make):
    customer = make.customer()
    make.invoice(customer, status=InvoiceStatus.UNPAID)
    make.invoice(customer, status=InvoiceStatus.UNPAID)
    with pytest.raises(DomainError) as caught:
        ensure_deletable(customer)
    message = str(caught.value)
    assert "unpaid" in message
    assert "2 unpaid" in message


@pytest.mark.parametrize("statuses", [
    (InvoiceStatus.PAID,),
    (InvoiceStatus.VOID,),
    (InvoiceStatus.PAID, InvoiceStatus.VOID, InvoiceStatus.PAID),
])
def test_only_paid_or_void_invoices_allow_deletion(make, statuses):
    customer = make.customer()
    for status in statuses:
        make.invoice(customer, status=status)
    assert reasons_not_deletable(customer) == []
    ensure_deletable(customer)


def test_message_lists_every_reason_at_once(make):
    customer = make.customer("Hugo", "Pérez", balance_minor=1000, loyalty_points=5)
    make.wallet(customer, balance_minor=1000)
    make.invoice(customer, status=InvoiceStatus.UNPAID)
    make.invoice(customer, status=InvoiceStatus.PAID)
    assert len(reasons_not_deletable(customer)) == 3
    with pytest.raises(DomainError) as caught:
        ensure_deletable(customer)
    message = str(caught.value)
    assert "Hugo Pérez" in message
    assert "wallet balance" in message
    assert "5 loyalty points" in message
    assert "1 unpaid" in message


def test_other_customers_money_and_invoices_do_not_count(make):
    customer = make.customer()
    other = make.customer(balance_minor=900, loyalty_points=10)
    make.wallet(other, balance_minor=900)
    make.invoice(other, status=InvoiceStatus.UNPAID)
    make.wallet(None, balance_minor=5000)  # an unsold gift wallet
    ensure_deletable(customer)
    with pytest.raises(DomainError):
        ensure_deletable(other)
