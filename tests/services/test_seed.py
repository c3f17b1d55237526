"""The demo data: deterministic, and every cached figure agrees with its rows."""
from __future__ import annotations

import multiprocessing
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from admin_app.choices import (
    InvoiceStatus,
    LoyaltyTxKind,
    OrderStatus,
    WalletStatus,
    WalletTxKind,
)
from admin_app.extensions import db
from admin_app.models import (
    WALLET_CODE_ALPHABET,
    BlacklistEntry,
    Customer,
    CustomerGroup,
    DiscountCode,
    Guest,
    Invoice,
    LoyaltyTransaction,
    Order,
    OrderLine,
    Outlet,
    Wallet,
    WalletTransaction,
)
from admin_app.services import invoices
from admin_app.services import seed as seed_module
from admin_app.services.emails import normalise_email
from admin_app.services.phones import normalise_phone
from admin_app.services.seed import seed

from ..pages import empty_tables, row_count

TODAY = date(2026, 3, 15)
NOT_COUNTED = (OrderStatus.CANCELLED, OrderStatus.RETURNED)
CODE = re.compile(rf"^[{WALLET_CODE_ALPHABET}]{{4}}-[{WALLET_CODE_ALPHABET}]{{4}}$")


def _rows(statement) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(statement)]


def _snapshot() -> dict:
    """What a person would see of the seeded data, without database ids of reference rows."""
    group_names = dict(db.session.execute(select(CustomerGroup.id, CustomerGroup.name)).all())
    return {
        "customers": [
            (c.first_name, c.surname, c.email, c.phone, c.card_number, c.postcode, c.country,
             c.birthday, group_names.get(c.group_id), c.language, c.channel,
             c.balance_minor, c.loyalty_points, c.orders_count, c.sales_value_minor,
             c.account_limit_minor, c.created_at)
            for c in db.session.scalars(select(Customer).order_by(Customer.id))
        ],
        "wallets": [
            (w.wallet_code, w.status, w.balance_minor, w.customer_id is None, w.sale_date)
            for w in db.session.scalars(select(Wallet).order_by(Wallet.id))
        ],
        "wallet_transactions": _rows(
            select(WalletTransaction.amount_minor, WalletTransaction.kind,
                   WalletTransaction.reason).order_by(WalletTransaction.id)),
        "orders": _rows(
            select(Order.sale_code, Order.status, Order.total_minor).order_by(Order.id)),
        "guests": list(db.session.scalars(select(Guest.name).order_by(Guest.id))),
        "blacklist": list(db.session.scalars(
            select(BlacklistEntry.phone).order_by(BlacklistEntry.id))),
        "invoices": _rows(
            select(Invoice.number, Invoice.amount_minor, Invoice.status).order_by(Invoice.id)),
    }


def assert_invariants() -> None:
    """Every rule the seeded data must keep, checked row by row."""
    db.session.expire_all()
    wallets = list(db.session.scalars(select(Wallet)))
    assert wallets, "the seed writes wallets"
    _assert_wallets_agree_with_their_ledgers(wallets)
    _assert_customers_agree_with_their_rows(wallets)
    _assert_orders_total_their_lines()
    _assert_phones_are_stored_normalised()

    # Only discount codes available in wallet are linked to wallets.
    linked = db.session.scalars(
        select(DiscountCode).join(Wallet, Wallet.discount_code_id == DiscountCode.id)
    )
    assert all(code.available_in_wallet for code in linked)


def _by(column, rows) -> defaultdict:
    """``rows`` grouped by the value of ``column`` (in their order)."""
    grouped = defaultdict(list)
    for row in rows:
        grouped[getattr(row, column)].append(row)
    return grouped


def _assert_wallets_agree_with_their_ledgers(wallets: list[Wallet]) -> None:
    movements = _by("wallet_id", db.session.scalars(
        select(WalletTransaction).order_by(WalletTransaction.id)))
    for wallet in wallets:
        rows = movements[wallet.id]
        assert rows, f"wallet {wallet.wallet_code} has no history"
        # Each wallet's balance is the sum of its ledger and the last balance_after.
        assert wallet.balance_minor == sum(tx.amount_minor for tx in rows), wallet.wallet_code
        assert wallet.balance_minor == rows[-1].balance_after_minor, wallet.wallet_code
        _assert_movements_keep_a_running_balance(rows)
        assert wallet.balance_minor >= 0
        assert CODE.match(wallet.wallet_code), wallet.wallet_code
    codes = [w.wallet_code for w in wallets]
    assert len(codes) == len(set(codes)), "wallet codes are unique"


def _assert_movements_keep_a_running_balance(rows: list[WalletTransaction]) -> None:
    running = 0
    for tx in rows:
        running += tx.amount_minor
        assert tx.balance_after_minor == running
        assert running >= 0, "no movement takes a wallet below zero"
        assert tx.amount_minor != 0
        assert (tx.amount_minor > 0) == (tx.kind in (WalletTxKind.TOP_UP, WalletTxKind.REFUND,
                                                     WalletTxKind.ADJUSTMENT))


def _assert_customers_agree_with_their_rows(wallets: list[Wallet]) -> None:
    """Customers' cached figures, and the form of what they hold."""
    active_balance = defaultdict(int)
    for wallet in wallets:
        if wallet.customer_id is not None and wallet.status == WalletStatus.ACTIVE:
            active_balance[wallet.customer_id] += wallet.balance_minor
    points = _by("customer_id", db.session.scalars(
        select(LoyaltyTransaction).order_by(LoyaltyTransaction.id)))
    orders = _by("customer_id", db.session.scalars(select(Order)))

    customers = list(db.session.scalars(select(Customer)))
    assert customers
    for c in customers:
        assert c.balance_minor == active_balance[c.id], c.id
        _assert_points_agree_with_their_ledger(c, points[c.id])
        counted = [o for o in orders[c.id] if o.status not in NOT_COUNTED]
        assert c.orders_count == len(counted), c.id
        assert c.sales_value_minor == sum(o.total_minor for o in counted), c.id
        if c.phone is not None:
            assert c.phone.startswith("+")
            assert normalise_phone(c.phone) == c.phone, c.phone
        if c.email is not None:
            assert normalise_email(c.email) == c.email, c.email
        assert c.first_name and c.surname


def _assert_points_agree_with_their_ledger(c: Customer, rows: list[LoyaltyTransaction]) -> None:
    assert c.loyalty_points == sum(tx.points for tx in rows), c.id
    running = 0
    for tx in rows:
        running += tx.points
        assert tx.balance_after == running
        assert running >= 0
        assert (tx.points > 0) == (tx.kind == LoyaltyTxKind.EARNED)
    if rows:
        assert c.loyalty_points == rows[-1].balance_after


def _assert_orders_total_their_lines() -> None:
    """Orders: totals are the sum of their lines; one buyer at most."""
    lines = defaultdict(int)
    for line in db.session.scalars(select(OrderLine)):
        lines[line.order_id] += line.quantity * line.unit_price_minor
    for order in db.session.scalars(select(Order)):
        assert order.total_minor == lines[order.id], order.sale_code
        assert order.customer_id is None or order.guest_id is None


def _assert_phones_are_stored_normalised() -> None:
    for guest in db.session.scalars(select(Guest)):
        if guest.phone is not None:
            assert normalise_phone(guest.phone) == guest.phone, guest.phone
    for entry in db.session.scalars(select(BlacklistEntry)):
        assert normalise_phone(entry.phone) == entry.phone


def test_seed_creates_the_asked_number_of_customers_and_reports_what_it_wrote():
    report = seed(40, seed=3, today=TODAY)
    db.session.commit()
    assert row_count(Customer) == 40
    assert row_count(Guest) == 4
    models = (Customer, Guest, Order, OrderLine, Wallet, WalletTransaction, LoyaltyTransaction,
              Invoice, BlacklistEntry, CustomerGroup, Outlet, DiscountCode)
    for model in models:
        assert report.counts.get(model.__tablename__, 0) == row_count(model), model.__tablename__
    assert row_count(BlacklistEntry) >= 1, "small data sets still show a blacklisted customer"
    assert row_count(Wallet.__table__) > row_count(Customer) // 50  # includes unsold gift wallets
    assert db.session.scalar(select(func.count(Wallet.id)).where(Wallet.customer_id.is_(None)))


@pytest.mark.parametrize("customers, seed_value, tx_per_wallet", [
    (60, 42, 3),
    (50, 11, 1),
    (40, 5, 6),
])
def test_every_cached_figure_agrees_with_its_rows(customers, seed_value, tx_per_wallet):
    seed(customers, seed=seed_value, today=TODAY, tx_per_wallet=tx_per_wallet)
    db.session.commit()
    assert_invariants()


def test_same_seed_gives_the_same_data_on_a_fresh_database():
    seed(40, seed=7, today=TODAY)
    db.session.commit()
    first = _snapshot()
    assert len(first["customers"]) == 40

    empty_tables()
    assert row_count(Customer) == 0
    seed(40, seed=7, today=TODAY)
    db.session.commit()
    second = _snapshot()

    for key in first:
        assert second[key] == first[key], key


def test_another_seed_gives_other_people():
    seed(30, seed=1, today=TODAY)
    db.session.commit()
    first = _snapshot()
    empty_tables()
    seed(30, seed=2, today=TODAY)
    db.session.commit()
    second = _snapshot()
    names = lambda snap: [(c[0], c[1], c[2]) for c in snap["customers"]]  # noqa: E731
    assert names(first) != names(second)


def test_seeding_twice_appends_with_continuing_ids():
    seed(30, seed=1, today=TODAY)
    db.session.commit()
    first_max = {m: db.session.scalar(select(func.max(m.id)))
                 for m in (Customer, Guest, Wallet, WalletTransaction, Order, Invoice)}
    reference = (row_count(CustomerGroup), row_count(Outlet), row_count(DiscountCode))

    report = seed(30, seed=1, today=TODAY)  # the same seed again: no clash on any unique value
    db.session.commit()

    assert row_count(Customer) == 60
    assert row_count(Guest) == 6
    # Reference rows are created once and reused.
    assert (row_count(CustomerGroup), row_count(Outlet), row_count(DiscountCode)) == reference
    assert "customer_groups" not in report.counts
    new_ids = list(db.session.scalars(
        select(Customer.id).where(Customer.id > first_max[Customer]).order_by(Customer.id)))
    assert new_ids == list(range(first_max[Customer] + 1, first_max[Customer] + 31))
    assert db.session.scalar(select(func.min(Wallet.id)).where(Wallet.id > first_max[Wallet])) \
        == first_max[Wallet] + 1
    emails = list(db.session.scalars(select(Customer.email).where(Customer.email.is_not(None))))
    assert len(emails) == len(set(emails))
    phones = list(db.session.scalars(select(BlacklistEntry.phone)))
    assert len(phones) == len(set(phones))
    assert_invariants()


def test_after_seeding_normal_inserts_get_fresh_ids(make):
    """On PostgreSQL the sequences are moved past the seeded rows."""
    seed(20, seed=4, today=TODAY)
    db.session.commit()
    seed(10, seed=5, today=TODAY)
    db.session.commit()
    top = {m: db.session.scalar(select(func.max(m.id)))
           for m in (Customer, Guest, Wallet, WalletTransaction, Order, OrderLine,
                     LoyaltyTransaction, Invoice, BlacklistEntry)}

    customer = make.customer("Nueva", "Cliente")
    guest = make.guest("Invitado")
    wallet = make.wallet(customer)
    order = make.order(customer)
    next_number = (db.session.scalar(select(func.max(Invoice.number))) or 0) + 1
    invoice = make.invoice(customer, number=next_number)
    entry = make.blacklist("+34699999999")
    line = OrderLine(order=order, product="Scarf", sku="SC-1", quantity=1, unit_price_minor=1000)
    tx = WalletTransaction(wallet=wallet, amount_minor=500, balance_after_minor=500,
                           kind=WalletTxKind.TOP_UP, idempotency_key="after-seed-w")
    points = LoyaltyTransaction(customer=customer, points=5, balance_after=5,
                                kind=LoyaltyTxKind.EARNED, idempotency_key="after-seed-l")
    db.session.add_all([line, tx, points])
    db.session.commit()

    for row in (customer, guest, wallet, order, invoice, entry, line, tx, points):
        assert row.id > (top[type(row)] or 0), type(row).__name__


def test_invoice_data_keeps_to_its_status_values():
    seed(300, seed=34, today=TODAY)
    db.session.commit()
    statuses = set(db.session.scalars(select(Invoice.status)))
    assert statuses <= {InvoiceStatus.UNPAID, InvoiceStatus.PAID, InvoiceStatus.VOID}
    numbers = list(db.session.scalars(select(Invoice.number).order_by(Invoice.id)))
    assert numbers == sorted(set(numbers)), "invoice numbers are sequential and never reused"


def test_unpaid_on_account_total_never_passes_the_account_limit():
    seed(300, seed=34, today=TODAY)
    db.session.commit()
    rows = db.session.execute(
        select(Customer.id, Customer.account_limit_minor, func.sum(Invoice.amount_minor))
        .join(Invoice, Invoice.customer_id == Customer.id)
        .where(Invoice.status == InvoiceStatus.UNPAID)
        .group_by(Customer.id, Customer.account_limit_minor)
    ).all()
    assert rows, "the data set has unpaid invoices"
    over = [(cid, limit, unpaid) for cid, limit, unpaid in rows
            if limit is None or unpaid > limit]
    assert over == []


def test_seed_dates_follow_today():
    seed(20, seed=9, today=TODAY)
    db.session.commit()
    newest = db.session.scalar(select(func.max(Customer.created_at)))
    oldest = db.session.scalar(select(func.min(Customer.created_at)))
    assert newest.date() <= TODAY
    assert oldest.date() >= TODAY - timedelta(days=3 * 365 + 1)


def test_seeded_invoices_are_issued_as_the_service_issues_them(app):
    seed(300, seed=34, today=TODAY)
    db.session.commit()
    issued = list(db.session.scalars(select(Invoice)))
    assert issued, "the data set has invoices"
    for invoice in issued:
        assert invoice.series == app.config["INVOICE_SERIES"]
        assert invoice.vat_rate_bp == 2100
        customer = invoice.customer
        assert invoice.billing_name == customer.full_name
        # Every demo buyer has a billing address, copied as the service copies it.
        assert customer.addresses
        expected = Invoice()
        invoices.bill_to(expected, customer)
        assert (invoice.billing_address, invoice.billing_country) == (
            expected.billing_address, expected.billing_country)
        assert invoice.billing_address


def test_the_seed_says_how_far_it_is_after_each_chunk(monkeypatch):
    monkeypatch.setattr(seed_module, "CHUNK", 10)
    written = []
    seed(30, seed=1, today=TODAY, on_chunk=written.append)
    # Customers in chunks of 10, then the 3 guests: the command's progress bar.
    assert written == [10, 20, 30, 33] and written[-1] == seed_module.people_in(30)


@pytest.fixture
def drawn_apart(monkeypatch):
    """Seeds of any size draw their rows in a second process, as a large one does."""
    monkeypatch.setattr(seed_module, "DRAW_APART_FROM", 1)
    monkeypatch.setattr(seed_module, "CHUNK", 10)


def test_rows_drawn_in_a_second_process_are_the_rows_drawn_in_this_one(monkeypatch):
    monkeypatch.setattr(seed_module, "CHUNK", 10)
    written = []
    in_this_one = seed(35, seed=7, today=TODAY)
    db.session.commit()
    first = _snapshot()
    empty_tables()
    monkeypatch.setattr(seed_module, "DRAW_APART_FROM", 1)
    apart = seed(35, seed=7, today=TODAY, on_chunk=written.append)
    db.session.commit()
    assert _snapshot() == first
    assert apart.counts == in_this_one.counts
    assert written == [10, 20, 30, 38]  # customers by ten, then the rest
    assert_invariants()
    assert not multiprocessing.active_children()


def test_a_failure_while_drawing_apart_reaches_the_caller_after_the_chunks_before_it(
        drawn_apart, monkeypatch):
    def no_guest(run) -> None:
        raise ValueError("no guest today")

    monkeypatch.setattr(seed_module, "_guest", no_guest)
    written = []
    with pytest.raises(RuntimeError, match="ValueError: no guest today"):
        seed(30, seed=1, today=TODAY, on_chunk=written.append)
    assert written == [10, 20, 30]
    assert row_count(Customer) == 30 and row_count(Guest) == 0
    assert not multiprocessing.active_children()


def test_a_failed_write_stops_the_process_drawing_the_rows(drawn_apart):
    written = []

    def commit(people: int) -> None:
        written.append(people)
        if people == 20:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        seed(100_000, seed=1, today=TODAY, on_chunk=commit)
    assert written == [10, 20]
    assert not multiprocessing.active_children()


@pytest.mark.parametrize("apart", [False, True], ids=["in this process", "in a second one"])
def test_a_builder_that_reads_the_database_is_refused_whatever_the_seeds_size(
        monkeypatch, apart):
    # The rows may be drawn in a second process whose connections are the writer's.
    monkeypatch.setattr(seed_module, "DRAW_APART_FROM", 1 if apart else 10**9)

    def wish_from_the_database(run, customer) -> None:
        db.session.scalar(select(func.count(Customer.id)))

    monkeypatch.setattr(seed_module, "_wishlist_item", wish_from_the_database)
    with pytest.raises(RuntimeError, match="drawn without the database"):
        seed(5, seed=1, today=TODAY)
    db.session.rollback()
    assert row_count(Customer) == 0


def test_a_large_seed_draws_its_rows_in_another_process(monkeypatch, tmp_path):
    monkeypatch.setattr(seed_module, "DRAW_APART_FROM", 1)
    drawn_by = tmp_path / "pids"
    build_customer = seed_module._customer

    def noting_the_process(run) -> None:
        with drawn_by.open("a") as file:
            file.write(f"{os.getpid()}\n")
        build_customer(run)

    monkeypatch.setattr(seed_module, "_customer", noting_the_process)
    seed(3, seed=1, today=TODAY)
    assert set(drawn_by.read_text().split()) - {str(os.getpid())}
    assert len(drawn_by.read_text().split()) == 3


def _processes_naming(text: str) -> list[int]:
    """The live processes whose environment holds ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                environment = (entry / "environ").read_bytes().decode(errors="replace")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if text in environment and state != "Z":
                found.append(int(entry.name))
    return found


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _seed_command_drawing_apart(tmp_path):
    """``flask seed`` as an operator runs it, without a terminal, large enough to draw
    its rows in a second process, once that process runs: (the command, the
    drawing process's pid, the file its messages go to)."""
    database = f"sqlite:///{tmp_path / 'seed.db'}"
    environment = {**os.environ, "DATABASE_URL": database}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], env=environment, check=True,
                   capture_output=True)
    messages = tmp_path / "messages.txt"
    with messages.open("w") as stderr:
        command = subprocess.Popen(  # noqa: S603 - our own command, a fixed argument list
            [*flask, "seed", "--customers", str(seed_module.DRAW_APART_FROM * 3)],
            env=environment, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        drawers = [pid for pid in _processes_naming(str(tmp_path)) if pid != command.pid
                   and _parent_of(pid) == command.pid]
        if drawers and _customers_in(tmp_path / "seed.db"):  # a chunk or more written
            return command, drawers[0], messages
        time.sleep(0.1)
    command.kill()
    pytest.fail("the seed never started drawing its rows apart")


def _customers_in(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*) FROM customers").fetchone()[0]


def _left_running(tmp_path) -> list[int]:
    deadline = time.monotonic() + 15
    while _processes_naming(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _processes_naming(str(tmp_path))
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return left


ON_LINUX = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")


@pytest.mark.slow
@ON_LINUX
def test_a_killed_seed_leaves_no_process_drawing_its_rows(tmp_path):
    # Killed as the kernel's out-of-memory killer or a service manager would.
    command, _drawer, _messages = _seed_command_drawing_apart(tmp_path)
    command.kill()
    command.wait()
    assert not _left_running(tmp_path)


def _schema_of(path: Path) -> set:
    with sqlite3.connect(path) as connection:
        return set(connection.execute("SELECT type, name FROM sqlite_master"))


@pytest.mark.slow
@ON_LINUX
def test_the_next_seed_puts_back_what_a_killed_one_set_aside(tmp_path):
    command, _drawer, _messages = _seed_command_drawing_apart(tmp_path)
    command.kill()
    command.wait()
    _left_running(tmp_path)
    database = tmp_path / "seed.db"
    fresh = tmp_path / "fresh.db"
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                   env={**os.environ, "DATABASE_URL": f"sqlite:///{fresh}"}, check=True,
                   capture_output=True)
    assert _schema_of(database) < _schema_of(fresh)  # its indexes and triggers set aside

    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "seed", "--customers", "5"],
                   env={**os.environ, "DATABASE_URL": f"sqlite:///{database}"}, check=True,
                   capture_output=True)
    assert _schema_of(database) == _schema_of(fresh)
    assert not list(tmp_path.glob("*.bulk-load-aside.json"))
    with sqlite3.connect(database) as connection:
        indexed = connection.execute(
            "SELECT count(*) FROM customers_search WHERE customers_search MATCH 'garc'").fetchone()
        stored = connection.execute(
            "SELECT count(*) FROM customers WHERE search_text LIKE '%garc%'").fetchone()
    assert indexed == stored and stored[0] > 0


@pytest.mark.slow
@ON_LINUX
def test_a_seed_whose_drawing_process_is_killed_stops_and_says_so(tmp_path):
    command, drawer, messages = _seed_command_drawing_apart(tmp_path)
    os.kill(drawer, signal.SIGKILL)
    try:
        assert command.wait(timeout=30) == 1
    finally:
        command.kill()
    assert "The process drawing the seed's rows stopped (exit code -9)." in messages.read_text()
    assert not _left_running(tmp_path)


def test_a_points_history_reads_in_order_its_latest_total_last():
    # An operator reads a customer's points history newest first: the newest row's
    # "balance after" is the customer's points.
    seed(60, seed=4, today=TODAY)
    db.session.commit()
    histories = defaultdict(list)
    for row in db.session.scalars(select(LoyaltyTransaction).order_by(LoyaltyTransaction.id)):
        histories[row.customer_id].append(row)
    assert len(histories) > 10
    for customer_id, rows in histories.items():
        assert [row.created_at for row in rows] == sorted(row.created_at for row in rows)
        points = db.session.get(Customer, customer_id).loyalty_points
        assert rows[-1].balance_after == points
