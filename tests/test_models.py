"""The models and the database together: ledgers are append-only, and the
database's own constraints (unique, CHECK, NOT NULL, foreign keys) hold."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from admin_app.choices import LoyaltyTxKind, WalletTxKind
from admin_app.extensions import db
from admin_app.models import (
    AdminUser,
    Customer,
    CustomerGroup,
    Invoice,
    LedgerRowImmutable,
    LoyaltyTransaction,
    Order,
    Wallet,
    WalletTransaction,
)

# --- ledgers: appended, never updated or deleted ---------------------------------

@pytest.fixture
def wallet_tx(make):
    wallet = make.wallet(make.customer(), balance_minor=1500)
    tx = WalletTransaction(wallet=wallet, amount_minor=1500, balance_after_minor=1500,
                           kind=WalletTxKind.TOP_UP, reason="Gift card sale",
                           idempotency_key="w-1")
    db.session.add(tx)
    db.session.commit()
    return tx


@pytest.fixture
def loyalty_tx(make):
    customer = make.customer(loyalty_points=40)
    tx = LoyaltyTransaction(customer=customer, points=40, balance_after=40,
                            kind=LoyaltyTxKind.EARNED, reason="Purchase",
                            idempotency_key="l-1")
    db.session.add(tx)
    db.session.commit()
    return tx


def _stored(model, row_id):
    """The row as the database has it, bypassing the session's identity map."""
    db.session.expire_all()
    return db.session.execute(select(model.__table__).where(model.__table__.c.id == row_id)).first()


def test_ledger_rows_can_be_appended(wallet_tx, loyalty_tx):
    assert _stored(WalletTransaction, wallet_tx.id).amount_minor == 1500
    assert _stored(LoyaltyTransaction, loyalty_tx.id).points == 40


@pytest.mark.parametrize("fixture, field, value", [
    ("wallet_tx", "amount_minor", 9999),
    ("wallet_tx", "reason", "rewritten"),
    ("wallet_tx", "customer_notified", True),
    ("loyalty_tx", "points", 9999),
    ("loyalty_tx", "reason", "rewritten"),
])
def test_ledger_row_cannot_be_updated(request, fixture, field, value):
    tx = request.getfixturevalue(fixture)
    model, row_id = type(tx), tx.id
    before = _stored(model, row_id)
    setattr(tx, field, value)
    with pytest.raises(LedgerRowImmutable):
        db.session.commit()
    db.session.rollback()
    assert _stored(model, row_id) == before


@pytest.mark.parametrize("fixture", ["wallet_tx", "loyalty_tx"])
def test_ledger_row_cannot_be_deleted(request, fixture):
    tx = request.getfixturevalue(fixture)
    model, row_id = type(tx), tx.id
    before = _stored(model, row_id)
    db.session.delete(tx)
    with pytest.raises(LedgerRowImmutable):
        db.session.flush()
    db.session.rollback()
    assert _stored(model, row_id) == before
    assert db.session.scalar(select(func.count()).select_from(model)) == 1


@pytest.mark.parametrize("fixture", ["wallet_tx", "loyalty_tx"])
@pytest.mark.parametrize("operation", ["update", "delete"])
def test_ledger_rows_cannot_be_changed_by_orm_bulk_statements(request, fixture, operation):
    tx = request.getfixturevalue(fixture)
    model, row_id = type(tx), tx.id
    before = _stored(model, row_id)
    if operation == "update":
        statement = update(model).where(model.id == row_id).values(reason="rewritten")
    else:
        statement = delete(model).where(model.id == row_id)
    try:
        with pytest.raises(LedgerRowImmutable):
            db.session.execute(statement)
    finally:
        db.session.rollback()
        assert _stored(model, row_id) == before


# --- unique constraints -----------------------------------------------------------

def _refused(row) -> None:
    db.session.add(row)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_customer_email_is_unique(make):
    make.customer(email="ana@example.com")
    _refused(Customer(first_name="Ana", surname="Dos", email="ana@example.com"))


def test_customers_without_email_or_card_may_be_many(make):
    make.customer(email=None, card_number=None)
    make.customer(email=None, card_number=None)
    assert db.session.scalar(select(func.count(Customer.id))) == 2


def test_card_number_is_unique(make):
    make.customer(card_number="LC0000000001")
    _refused(Customer(first_name="Eva", surname="Dos", email="eva@example.com",
                      card_number="LC0000000001"))


def test_blacklist_phone_is_unique(make):
    make.blacklist("+34600111222")
    with pytest.raises(IntegrityError):
        make.blacklist("+34600111222")
    db.session.rollback()


def test_wallet_code_is_unique(make):
    make.wallet(wallet_code="ABCD-EFGH")
    _refused(Wallet(wallet_code="ABCD-EFGH"))


def test_wallet_gets_a_readable_code_by_default(make):
    codes = {make.wallet().wallet_code for _ in range(5)}
    assert len(codes) == 5
    for code in codes:
        assert len(code) == 9 and code[4] == "-"
        assert not set(code.replace("-", "")) & set("01OIL")


def test_invoice_number_is_unique(make):
    customer = make.customer()
    make.invoice(customer, number=1001)
    with pytest.raises(IntegrityError):
        make.invoice(customer, number=1001)
    db.session.rollback()


# --- CHECK constraints ------------------------------------------------------------

@pytest.mark.parametrize("build", [
    pytest.param(lambda: Order(sale_code="X1", status="lost"), id="order-status"),
    pytest.param(lambda: Order(sale_code="X1", order_type="teleport"), id="order-type"),
    pytest.param(lambda: AdminUser(email="x@example.com", name="X", password_hash="h",
                                   role="superuser"), id="user-role"),
    pytest.param(lambda: AdminUser(email="x@example.com", name="X", password_hash="h",
                                   language="fr"), id="user-language"),
    pytest.param(lambda: Wallet(status="frozen"), id="wallet-status"),
    pytest.param(lambda: Customer(first_name="A", surname="B", channel="fax"),
                 id="customer-channel"),
    pytest.param(lambda: Invoice(number=1, amount_minor=100, status="lost",
                                 issued_on=date(2026, 1, 1), due_on=date(2026, 1, 31)),
                 id="invoice-status"),
])
def test_unknown_choice_value_is_refused_by_the_database(build):
    _refused(build())


@pytest.mark.parametrize("kind", ["gift", "TOP_UP", ""])
def test_unknown_wallet_transaction_kind_is_refused(make, kind):
    wallet = make.wallet()
    _refused(WalletTransaction(wallet=wallet, amount_minor=100, balance_after_minor=100,
                               kind=kind, idempotency_key="k"))


def test_unknown_loyalty_transaction_kind_is_refused(make):
    customer = make.customer()
    _refused(LoyaltyTransaction(customer=customer, points=1, balance_after=1, kind="bonus",
                                idempotency_key="k"))


def test_negative_wallet_balance_is_refused(make):
    _refused(Wallet(balance_minor=-1))


def test_negative_wallet_balance_is_refused_on_update(make):
    wallet = make.wallet(balance_minor=100)
    wallet.balance_minor = -1
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(Wallet, wallet.id).balance_minor == 100


@pytest.mark.parametrize("fields", [
    {"balance_minor": -1},
    {"loyalty_points": -1},
], ids=["balance", "points"])
def test_negative_customer_figures_are_refused(fields):
    _refused(Customer(first_name="A", surname="B", **fields))


def test_zero_ledger_movement_is_refused(make):
    wallet = make.wallet()
    _refused(WalletTransaction(wallet=wallet, amount_minor=0, balance_after_minor=0,
                               kind=WalletTxKind.ADJUSTMENT, idempotency_key="zero"))


def test_every_known_choice_value_is_accepted(make):
    for kind in WalletTxKind.values():
        db.session.add(WalletTransaction(wallet=make.wallet(), amount_minor=1,
                                         balance_after_minor=1, kind=kind,
                                         idempotency_key=f"ok-{kind}"))
    db.session.commit()
    assert db.session.scalar(select(func.count(WalletTransaction.id))) == len(WalletTxKind.values())


# --- NOT NULL and foreign keys -------------------------------------------------------

def test_customer_first_name_is_required():
    _refused(Customer(first_name=None, surname="Sin Nombre", email="x@example.com"))


def test_customer_surname_is_required():
    _refused(Customer(first_name="Ana", surname=None, email="y@example.com"))


def test_foreign_keys_are_enforced(make):
    _refused(Customer(first_name="Ana", surname="B", group_id=987654))


def test_deleting_a_group_through_the_orm_keeps_its_customers_with_no_group(make):
    vip, staff = make.group("VIP"), make.group("Staff")
    members = [make.customer(group=vip).id for _ in range(2)]
    other = make.customer(group=staff).id
    db.session.expire_all()

    db.session.delete(db.session.get(CustomerGroup, vip.id))
    db.session.commit()
    db.session.expire_all()

    assert db.session.scalar(select(func.count(Customer.id))) == 3
    for customer_id in members:
        assert db.session.get(Customer, customer_id).group_id is None
    assert db.session.get(Customer, other).group_id == staff.id


def test_group_foreign_key_sets_null_in_the_database_itself(make):
    """A plain DELETE (no ORM bookkeeping) relies on ON DELETE SET NULL alone."""
    vip = make.group("VIP")
    member = make.customer(group=vip).id
    db.session.execute(delete(CustomerGroup).where(CustomerGroup.id == vip.id))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Customer, member).group_id is None


def test_deleting_a_customer_keeps_their_loyalty_ledger_unlinked(make, loyalty_tx):
    customer_id = loyalty_tx.customer_id
    db.session.execute(delete(Customer).where(Customer.id == customer_id))
    db.session.commit()
    row = _stored(LoyaltyTransaction, loyalty_tx.id)
    assert row is not None
    assert row.customer_id is None
    assert row.points == 40
