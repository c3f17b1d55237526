"""The invoices service: account limits, on-account sales, numbering, paying and voiding,
on the real database (SQLite, or PostgreSQL with TEST_DATABASE_URL), threads included."""
from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from sqlalchemy import select

from admin_app.choices import InvoiceStatus, Role
from admin_app.extensions import db
from admin_app.models import AdminUser, Customer, Invoice
from admin_app.services import customers, invoices
from admin_app.services.errors import DomainError
from admin_app.services.invoices import InvoiceError

from ..pages import fresh, row_count


@pytest.fixture
def manager(users):
    """Here the manager user who acts (services take the user, not a client)."""
    return users[Role.MANAGER]


@pytest.fixture
def buyer(make):
    return make.customer("Lucía", "Núñez", account_limit_minor=100_000)


def sell(customer, amount, actor, **kwargs) -> Invoice:
    invoice = invoices.create_on_account_sale(customer, amount, actor=actor, **kwargs)
    db.session.commit()
    return invoice


# -- the account limit ---------------------------------------------------------------------

def test_manager_sets_changes_and_removes_a_limit(make, manager):
    customer = make.customer()
    invoices.set_account_limit(customer, 50_000, actor=manager)
    db.session.commit()
    assert fresh(Customer, customer.id).account_limit_minor == 50_000
    invoices.set_account_limit(customer, 0, actor=manager)
    db.session.commit()
    assert fresh(Customer, customer.id).account_limit_minor == 0
    invoices.set_account_limit(customer, None, actor=manager)
    db.session.commit()
    assert fresh(Customer, customer.id).account_limit_minor is None


@pytest.mark.parametrize("bad", [-1, 12.5, "100", True])
def test_limit_that_is_not_a_whole_non_negative_amount_is_refused(buyer, manager, bad):
    with pytest.raises(InvoiceError):
        invoices.set_account_limit(buyer, bad, actor=manager)
    db.session.rollback()
    assert fresh(Customer, buyer.id).account_limit_minor == 100_000


def test_limit_cannot_go_below_what_is_owed(buyer, manager):
    sell(buyer, 60_000, manager)
    with pytest.raises(InvoiceError, match="owes €600.00 on account") as error:
        invoices.set_account_limit(buyer, 59_999, actor=manager)
    assert "cannot be lower" in str(error.value)
    db.session.rollback()
    assert fresh(Customer, buyer.id).account_limit_minor == 100_000
    invoices.set_account_limit(buyer, 60_000, actor=manager)  # exactly what is owed: fine
    db.session.commit()
    assert fresh(Customer, buyer.id).account_limit_minor == 60_000


def test_limit_cannot_be_removed_while_something_is_owed(buyer, manager):
    invoice = sell(buyer, 1_000, manager)
    with pytest.raises(InvoiceError, match="cannot be removed"):
        invoices.set_account_limit(buyer, None, actor=manager)
    db.session.rollback()
    invoices.mark_paid(invoice, actor=manager)
    invoices.set_account_limit(buyer, None, actor=manager)
    db.session.commit()
    assert fresh(Customer, buyer.id).account_limit_minor is None


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_roles_below_manager_change_nothing_on_account(buyer, users, role):
    actor = users[role]
    with pytest.raises(InvoiceError, match="role"):
        invoices.set_account_limit(buyer, 1, actor=actor)
    with pytest.raises(InvoiceError, match="role"):
        invoices.create_on_account_sale(buyer, 100, actor=actor)
    db.session.rollback()
    invoice = sell(buyer, 100, users[Role.ADMIN])
    for change in (invoices.mark_paid, invoices.void):
        with pytest.raises(InvoiceError, match="role"):
            change(invoice, actor=actor)
    db.session.rollback()
    assert fresh(Invoice, invoice.id).status == InvoiceStatus.UNPAID
    assert fresh(Customer, buyer.id).account_limit_minor == 100_000


# -- on-account sales -----------------------------------------------------------------------

def test_sale_within_the_limit_issues_an_unpaid_invoice(buyer, manager, make):
    order = make.order(buyer, total_minor=25_000)
    invoice = sell(buyer, 25_000, manager, order=order, issued_on=date(2026, 11, 22))
    saved = fresh(Invoice, invoice.id)
    assert (saved.number, saved.customer_id, saved.order_id) == (1, buyer.id, order.id)
    assert saved.amount_minor == 25_000 and saved.currency == "EUR"
    assert saved.status == InvoiceStatus.UNPAID
    assert (saved.issued_on, saved.due_on) == (date(2026, 11, 22), date(2026, 12, 22))
    assert invoices.unpaid_total(buyer) == 25_000


def test_due_date_given_or_from_the_payment_term(buyer, manager):
    given = sell(buyer, 100, manager, issued_on=date(2026, 1, 10), due_on=date(2026, 1, 10))
    term = sell(buyer, 100, manager, issued_on=date(2026, 1, 10), due_days=7)
    assert fresh(Invoice, given.id).due_on == date(2026, 1, 10)
    assert fresh(Invoice, term.id).due_on == date(2026, 1, 17)
    with pytest.raises(InvoiceError, match="before the issue date"):
        invoices.create_on_account_sale(buyer, 100, actor=manager, issued_on=date(2026, 1, 10),
                                        due_on=date(2026, 1, 9))
    with pytest.raises(InvoiceError, match="cannot be negative"):
        invoices.create_on_account_sale(buyer, 100, actor=manager, due_days=-1)


def test_sale_up_to_the_limit_exactly_is_accepted(buyer, manager):
    sell(buyer, 40_000, manager)
    sell(buyer, 60_000, manager)
    assert invoices.unpaid_total(buyer) == 100_000


def test_sale_past_the_limit_is_refused_and_writes_nothing(buyer, manager):
    sell(buyer, 70_000, manager)
    with pytest.raises(InvoiceError) as error:
        invoices.create_on_account_sale(buyer, 30_001, actor=manager)
    message = str(error.value)
    assert "past their account limit of €1,000.00" in message
    assert "owe €700.00" in message and "€300.00 more" in message
    assert not db.session.new  # nothing staged...
    db.session.commit()        # ...so committing now writes nothing either
    assert row_count(Invoice) == 1
    assert invoices.unpaid_total(buyer) == 70_000


def test_customer_without_a_limit_cannot_buy_on_account(make, manager):
    customer = make.customer()
    with pytest.raises(InvoiceError, match="no account limit"):
        invoices.create_on_account_sale(customer, 1, actor=manager)
    db.session.rollback()
    assert row_count(Invoice) == 0


def test_zero_limit_allows_nothing(make, manager):
    customer = make.customer(account_limit_minor=0)
    with pytest.raises(InvoiceError, match="past their account limit"):
        invoices.create_on_account_sale(customer, 1, actor=manager)


def test_paid_and_void_invoices_free_the_limit(buyer, manager):
    paid = sell(buyer, 100_000, manager)
    with pytest.raises(InvoiceError):
        invoices.create_on_account_sale(buyer, 1, actor=manager)
    db.session.rollback()
    invoices.mark_paid(paid, actor=manager)
    db.session.commit()
    voided = sell(buyer, 100_000, manager)
    invoices.void(voided, actor=manager)
    db.session.commit()
    sell(buyer, 100_000, manager)
    assert invoices.unpaid_total(buyer) == 100_000


@pytest.mark.parametrize("amount", [0, -100, 12.5, "100", True, None, 10**12])
def test_amount_must_be_positive_whole_cents(buyer, manager, amount):
    with pytest.raises(InvoiceError):
        invoices.create_on_account_sale(buyer, amount, actor=manager)
    db.session.rollback()
    assert row_count(Invoice) == 0


def test_order_must_be_the_customers_and_not_invoiced_yet(buyer, manager, make):
    other = make.customer()
    with pytest.raises(InvoiceError, match="is not an order of Lucía Núñez"):
        invoices.create_on_account_sale(buyer, 100, actor=manager, order=make.order(other))
    db.session.rollback()
    order = make.order(buyer, total_minor=1_000)
    with pytest.raises(InvoiceError, match=r"more than the total of order .* \(€10.00\)"):
        invoices.create_on_account_sale(buyer, 1_001, actor=manager, order=order)
    db.session.rollback()
    first = sell(buyer, 100, manager, order=order)
    with pytest.raises(InvoiceError, match="already on invoice A-000001"):
        invoices.create_on_account_sale(buyer, 100, actor=manager, order=order)
    db.session.rollback()
    invoices.void(first, actor=manager)  # a voided invoice frees its order
    db.session.commit()
    assert fresh(Invoice, sell(buyer, 100, manager, order=order).id).number == 2


# -- numbering --------------------------------------------------------------------------------

def test_numbers_are_sequential_across_customers(buyer, manager, make):
    other = make.customer(account_limit_minor=100_000)
    numbers = [sell(c, 100, manager).number for c in (buyer, other, buyer, other)]
    assert numbers == [1, 2, 3, 4]


def test_numbers_are_never_reused_after_void_or_payment(buyer, manager):
    first, second, third = (sell(buyer, 100, manager) for _ in range(3))
    invoices.void(third, actor=manager)
    invoices.mark_paid(second, actor=manager)
    db.session.commit()
    assert sell(buyer, 100, manager).number == 4


def test_numbering_continues_after_existing_invoices(buyer, manager, make):
    make.invoice(buyer, number=41, amount_minor=100)
    assert sell(buyer, 100, manager).number == 42


def test_a_refused_or_rolled_back_sale_leaves_no_gap(buyer, manager):
    sell(buyer, 100, manager)
    invoices.create_on_account_sale(buyer, 100, actor=manager)
    db.session.rollback()
    with pytest.raises(InvoiceError):
        invoices.create_on_account_sale(buyer, 10**8, actor=manager)
    db.session.rollback()
    assert sell(buyer, 100, manager).number == 2


def test_invoices_cannot_be_deleted(buyer, manager):
    invoice = sell(buyer, 100, manager)
    db.session.delete(invoice)
    with pytest.raises(DomainError, match="void it instead"):
        db.session.flush()
    db.session.rollback()
    assert row_count(Invoice) == 1


def test_customer_holding_unpaid_invoices_cannot_be_deleted(buyer, manager):
    invoice = sell(buyer, 100, manager)
    with pytest.raises(DomainError, match="unpaid on-account"):
        customers.ensure_deletable(buyer)
    invoices.mark_paid(invoice, actor=manager)
    customers.ensure_deletable(buyer)


# -- paying and voiding ----------------------------------------------------------------------

def test_only_unpaid_invoices_are_paid_or_voided(buyer, manager):
    paid, voided = sell(buyer, 100, manager), sell(buyer, 100, manager)
    invoices.mark_paid(paid, actor=manager)
    invoices.void(voided, actor=manager)
    db.session.commit()
    for invoice in (paid, voided):
        for change in (invoices.mark_paid, invoices.void):
            with pytest.raises(InvoiceError, match="only an unpaid invoice"):
                change(invoice, actor=manager)
            db.session.rollback()
    assert fresh(Invoice, paid.id).status == InvoiceStatus.PAID
    assert fresh(Invoice, voided.id).status == InvoiceStatus.VOID


def test_several_invoices_change_in_id_order_all_or_none(buyer, manager, monkeypatch):
    first, second, third = (sell(buyer, 100, manager) for _n in range(3))
    taken = []
    real_lock = invoices.lock_row

    def recording_lock(model, row_id):
        taken.append(row_id)
        return real_lock(model, row_id)

    monkeypatch.setattr(invoices, "lock_row", recording_lock)
    assert invoices.mark_each_paid([third.id, first.id, 999_999], actor=manager) == 2
    db.session.commit()
    assert taken == [first.id, third.id]  # in id order, whatever the page sent
    assert fresh(Invoice, third.id).status == InvoiceStatus.PAID
    # One refusal (the first is paid already) and the caller rolls back: none is voided.
    with pytest.raises(InvoiceError):
        invoices.void_each([second.id, first.id], actor=manager)
    db.session.rollback()
    assert fresh(Invoice, second.id).status == InvoiceStatus.UNPAID
    assert invoices.void_each([second.id], actor=manager) == 1


def test_customer_invoices_newest_first(buyer, manager, make):
    other = make.customer(account_limit_minor=100_000)
    mine = [sell(buyer, 100, manager) for _ in range(3)]
    sell(other, 100, manager)
    assert [i.id for i in invoices.customer_invoices(buyer)] == [i.id for i in reversed(mine)]
    assert [i.id for i in invoices.customer_invoices(buyer, limit=2)] == [mine[2].id, mine[1].id]
    assert invoices.customer_invoices(other)[0].number == 4


# -- concurrency: each thread has its own app context, session and connection ------------------

def _in_threads(app, work, count_: int) -> list:
    """Run ``work(index)`` in ``count_`` threads at once; returns results or exceptions."""
    results: list = [None] * count_
    start = threading.Barrier(count_)

    def run(index):
        with app.app_context():
            try:
                start.wait()
                results[index] = work(index)
                db.session.commit()
            except Exception as error:  # reported to the test, which asserts on it
                db.session.rollback()
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count_)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_sales_for_different_customers_get_distinct_sequential_numbers(
        app, make, users):
    manager_id = users[Role.MANAGER].id
    ids = [make.customer(account_limit_minor=100_000).id for _ in range(6)]

    def work(index):
        customer = db.session.get(Customer, ids[index])
        actor = db.session.get(AdminUser, manager_id)
        return invoices.create_on_account_sale(customer, 1_000, actor=actor).number

    results = _in_threads(app, work, len(ids))
    assert all(isinstance(r, int) for r in results), results
    assert sorted(results) == list(range(1, len(ids) + 1))
    assert sorted(db.session.scalars(select(Invoice.number))) == list(range(1, len(ids) + 1))


def test_a_sale_waits_for_a_slower_one_holding_the_numbering(app, make, users):
    """The first sale takes its number and waits before committing; the second, for another
    customer, must wait and then take the next number, not the same one."""
    manager_id = users[Role.MANAGER].id
    first_id, second_id = (make.customer(account_limit_minor=10_000).id for _ in range(2))
    numbered = threading.Event()
    results: dict = {}

    def slow():
        with app.app_context():
            actor = db.session.get(AdminUser, manager_id)
            invoice = invoices.create_on_account_sale(
                db.session.get(Customer, first_id), 500, actor=actor)
            results["slow"] = invoice.number
            numbered.set()
            time.sleep(0.5)  # hold the locks a while
            db.session.commit()
            db.session.remove()

    def fast():
        numbered.wait(10)
        with app.app_context():
            actor = db.session.get(AdminUser, manager_id)
            invoice = invoices.create_on_account_sale(
                db.session.get(Customer, second_id), 500, actor=actor)
            results["fast"] = invoice.number
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=slow), threading.Thread(target=fast)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == {"slow": 1, "fast": 2}


def test_concurrent_sales_for_one_customer_never_pass_the_limit(app, make, users):
    manager_id = users[Role.MANAGER].id
    customer_id = make.customer(account_limit_minor=10_000).id

    def work(index):
        return invoices.create_on_account_sale(
            db.session.get(Customer, customer_id), 3_000,
            actor=db.session.get(AdminUser, manager_id)).number

    results = _in_threads(app, work, 5)
    sold = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, InvoiceError)]
    assert len(sold) == 3 and len(refused) == 2, results
    assert sorted(sold) == [1, 2, 3]
    assert invoices.unpaid_total(db.session.get(Customer, customer_id)) == 9_000


def test_concurrent_pay_and_void_of_one_invoice_only_one_wins(app, buyer, manager, users):
    invoice_id = sell(buyer, 100, manager).id
    admin_id = users[Role.ADMIN].id
    changes = [invoices.mark_paid, invoices.void] * 2

    def work(index):
        return changes[index](db.session.get(Invoice, invoice_id),
                              actor=db.session.get(AdminUser, admin_id)).status

    results = _in_threads(app, work, len(changes))
    won = [r for r in results if isinstance(r, str)]
    assert len(won) == 1, results
    assert all(isinstance(r, InvoiceError) for r in results if not isinstance(r, str))
    assert fresh(Invoice, invoice_id).status == won[0]


def test_invoices_outlive_a_deleted_customer_and_keep_their_numbers(buyer, manager, make):
    invoice = sell(buyer, 100, manager, order=make.order(buyer))
    invoices.mark_paid(invoice, actor=manager)
    db.session.commit()
    customers.ensure_deletable(buyer)
    db.session.delete(buyer)
    db.session.commit()
    kept = fresh(Invoice, invoice.id)
    assert kept is not None and kept.customer_id is None and kept.number == 1
    assert sell(make.customer(account_limit_minor=500), 100, manager).number == 2
