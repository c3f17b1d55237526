"""Deterministic, realistic demo and test data, written with bulk inserts.

The same ``seed`` gives the same people, amounts and codes. Every cached figure
is consistent with its rows: a wallet's balance is the sum of its
transactions, a customer's balance the sum of their active wallets, points the
sum of their loyalty transactions, sales value and order count those of their
orders. Rows are built in Python, one small builder per entity drawing from
one random source in a fixed order, and inserted in chunks (services/bulk_rows:
COPY or multi-row INSERTs), which reaches a million customers in minutes. A
large seed draws its rows in a second process while this one writes them.
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import random
import threading
import traceback
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import event, func, insert, select, text

from ..choices import (
    BlacklistReason,
    Channel,
    InvoiceStatus,
    Language,
    LoyaltyTxKind,
    OfferEventKind,
    OrderStatus,
    OrderType,
    WalletStatus,
    WalletTxKind,
)
from ..config import default_currency
from ..database import dialect
from ..extensions import db
from ..models import (
    WALLET_CODE_ALPHABET,
    Address,
    BlacklistEntry,
    Customer,
    CustomerGroup,
    DiscountCode,
    Guest,
    IdModel,
    Invoice,
    LoyaltyTransaction,
    Offer,
    OfferEvent,
    Order,
    OrderLine,
    Outlet,
    Wallet,
    WalletTransaction,
    WishlistItem,
)
from . import invoices
from .bulk_rows import insert_rows
from .orders import NOT_SALES

CHUNK = 5_000  # customers (or guests) per chunk of rows written
# Every model a seed writes rows of, parents before children: a chunk's rows are
# written in this order, so foreign keys always hold. A new seeded model goes here.
WRITE_ORDER = (Customer, Guest, Order, OrderLine, Wallet, WalletTransaction,
               LoyaltyTransaction, Invoice, Address, WishlistItem, OfferEvent, BlacklistEntry)
# The tables whose ids a seed hands out itself (see _Run.next_id).
NUMBERED_MODELS = (Customer, Guest, Wallet, WalletTransaction, Order, OrderLine,
                   LoyaltyTransaction, Invoice, BlacklistEntry)
# The tables a seed fills in bulk (see database.bulk_load).
SEEDED_TABLES = [model.__tablename__ for model in WRITE_ORDER]
# From this many customers, a seed draws its rows in a second process while this
# one writes them (for fewer, starting that process costs more than it saves);
# chunks drawn and not yet written wait, up to CHUNKS_AHEAD of them.
DRAW_APART_FROM = 20_000
CHUNKS_AHEAD = 2

FIRST_NAMES = (
    "Lucía", "Daniel", "Paula", "Noah", "Martín", "Carmen", "Julia", "Hugo", "Sofía", "Pablo",
    "Emma", "Olivia", "Liam", "Mateo", "Valeria", "Alejandro", "Elena", "Diego", "Sara",
    "Javier", "Marta", "Ana", "Laura", "David", "Irene", "Adrián", "Claudia", "Oliver",
    "Amelia", "George", "Isla", "Jack", "Mía", "Leo", "Nora", "Álvaro", "Inés", "Jorge",
)
SURNAMES = (
    "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez",
    "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez",
    "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos",
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
)
CITIES = (
    ("Madrid", "28", "ES"), ("Barcelona", "08", "ES"), ("Valencia", "46", "ES"),
    ("Sevilla", "41", "ES"), ("Zaragoza", "50", "ES"), ("Málaga", "29", "ES"),
    ("Bilbao", "48", "ES"), ("London", "SW1", "GB"), ("Lisboa", "1000", "PT"),
)
STREETS = ("Calle Mayor", "Gran Vía", "Avenida de la Constitución", "Calle Real",
           "Paseo del Prado", "High Street", "Rua Augusta")
GROUPS = (
    ("VIP", "Customers with the highest yearly spend"),
    ("Mayoristas", "Wholesale buyers with on-account terms"),
    ("Staff", "Employees and their families"),
    ("Newsletter", "Signed up online for news and offers"),
    ("Students", "Student discount card holders"),
    ("Corporate", "Company accounts"),
)
OUTLETS = (
    ("MAD01", "Madrid Centro", Channel.IN_STORE, "Madrid"),
    ("MAD02", "Madrid Norte", Channel.IN_STORE, "Madrid"),
    ("BCN01", "Barcelona Diagonal", Channel.IN_STORE, "Barcelona"),
    ("VLC01", "Valencia Ruzafa", Channel.IN_STORE, "Valencia"),
    ("SVQ01", "Sevilla Triana", Channel.IN_STORE, "Sevilla"),
    ("BIO01", "Bilbao Abando", Channel.IN_STORE, "Bilbao"),
    ("WEB", "Online shop", Channel.ONLINE, None),
    ("APP", "Mobile app", Channel.ONLINE, None),
)
PRODUCTS = (
    ("Linen shirt", "SH-LIN", 3995), ("Denim jacket", "JK-DEN", 7950),
    ("Leather belt", "BL-LEA", 2500), ("Wool scarf", "SC-WOO", 1999),
    ("Canvas sneakers", "SN-CAN", 5490), ("Cotton T-shirt", "TS-COT", 1295),
    ("Rain coat", "CT-RAI", 11900), ("Sunglasses", "SG-CLA", 3450),
    ("Backpack", "BP-URB", 4990), ("Gift card", "GC-STD", 2500),
)
OFFERS = (
    ("Birthday 20% off", "A fifth off one item in the birthday month"),
    ("Double points weekend", "Twice the loyalty points on every purchase"),
    ("Free shipping", "Free delivery on online orders"),
    ("Summer sale preview", "Early access to the summer sale"),
    ("Refer a friend", "Credit for both when a friend signs up"),
)
# Code, kind, value and whether wallets may carry it; EXPIRED... codes have expired.
DISCOUNT_CODES = (
    ("WELCOME10", "percent", 10, True), ("VIP20", "percent", 20, True),
    ("STAFF30", "percent", 30, False), ("GIFT5", "fixed", 500, True),
    ("GIFT10", "fixed", 1000, True), ("SUMMER15", "percent", 15, False),
    ("BDAY20", "percent", 20, True), ("STUDENT10", "percent", 10, False),
    ("CORP25", "fixed", 2500, False), ("EXPIRED5", "percent", 5, True),
)
# Stored in English, shown in the reader's language (choices.MovementReason).
TOP_UP_REASONS = ("Gift card sale", "Refund as store credit", "Campaign credit",
                  "Goodwill gesture", "Returned item")


@dataclass
class SeedReport:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


def _ascii(value: str) -> str:
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()


def wallet_code_for(number: int) -> str:
    """A unique, readable wallet ID from a number: a bijection onto 8 characters."""
    base = len(WALLET_CODE_ALPHABET)
    space = base ** 8
    # Multiplying by a number coprime with the space scatters neighbours.
    n = (number * 2_654_435_761 + 97_531) % space
    chars = []
    for _ in range(8):
        n, digit = divmod(n, base)
        chars.append(WALLET_CODE_ALPHABET[digit])
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


def spanish_mobile(number: int) -> str:
    """A valid Spanish mobile number in E.164, distinct for each ``number`` < 10**8."""
    return f"+346{(number * 48_271) % 100_000_000:08d}"


# A chunk: rows by model, and how many people (customers, then guests) are drawn
# once it is written.
Chunk = tuple[dict[type[IdModel], list[dict]], int]


class _Rows:
    """The rows drawn since the last chunk, by model."""

    def __init__(self) -> None:
        self.buffers: dict[type[IdModel], list[dict]] = {}
        self.people = 0  # customers and guests drawn so far

    def add(self, model: type[IdModel], row: dict) -> None:
        self.buffers.setdefault(model, []).append(row)

    def take(self) -> Chunk:
        """The rows drawn since the last chunk, as a chunk; the buffers start empty."""
        chunk, self.buffers = self.buffers, {}
        return chunk, self.people


def _write_chunk(chunk: Chunk, report: SeedReport,
                 on_chunk: Callable[[int], None] | None) -> None:
    """Insert a chunk's rows, parents before children, then tell ``on_chunk`` how
    many people are written."""
    rows, people = chunk
    for model in sorted(rows, key=_write_place):
        # Past SQLAlchemy's per-row work (COPY on PostgreSQL): see bulk_rows.
        insert_rows(model.__table__, rows[model])
        report.add(model.__tablename__, len(rows[model]))
    if on_chunk is not None:
        on_chunk(people)


def _write_place(model: type[IdModel]) -> int:
    if model not in WRITE_ORDER:
        raise LookupError(f"The seed drew rows of {model.__name__}, which is not in "
                          "seed.WRITE_ORDER: add it there, after the models it refers to.")
    return WRITE_ORDER.index(model)


class _Draws(random.Random):
    """The seed's random source. ``randint`` and ``choice`` take one ``random()``
    each (the standard ones draw bits until a value fits, exactly uniform, and
    were a third of a million-customer seed); the tiny bias is no matter for
    demo data. The same seed still gives the same draws."""

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]


@dataclass
class _Run:
    """What the builders of one seed share. Every random draw comes from ``rng`` in
    a fixed order, so the same seed number gives the same rows."""

    rng: _Draws
    now: datetime
    out: _Rows
    next_ids: dict[type[IdModel], int]
    next_invoice_number: int
    invoice_terms: dict
    group_ids: list[int]
    outlet_ids: list[int]
    wallet_discount_ids: list[int]  # discount codes available in wallet
    offer_ids: list[int]
    currency: str
    tx_per_wallet: int
    wallets_per_customer: float
    blacklisted_already: set[str]  # phones on the blacklist before the seed
    blacklisted_phones: list[str] = field(default_factory=list)

    def next_id(self, model: type[IdModel]) -> int:
        value = self.next_ids[model]
        self.next_ids[model] += 1
        return value

    def invoice_number(self) -> int:
        value = self.next_invoice_number
        self.next_invoice_number += 1
        return value

    def date_after(self, start: datetime) -> datetime:
        """A random day from ``start`` up to now, at the same time of day."""
        return start + timedelta(days=self.rng.randint(0, max(0, (self.now - start).days)))


def seed(customers: int, *, seed: int = 42, today: date | None = None,
         tx_per_wallet: int = 3, wallets_per_customer: float = 0.5,
         on_chunk: Callable[[int], None] | None = None) -> SeedReport:
    """Add ``customers`` customers and their related data. The caller commits.

    Customers hold ``wallets_per_customer`` wallets on average (0.5: half hold
    one), each with ``tx_per_wallet`` movements; a tenth as many guests, and a
    fiftieth as many unsold gift wallets, come with them.

    ``on_chunk(people)`` runs after each written chunk with the number of people
    (customers, then guests) written so far, of ``people_in(customers)``: the
    caller commits there, so that a large seed keeps the database's journal small,
    and shows its progress.
    """
    today = today or date.today()
    report = SeedReport()
    _reference_rows(today, report)
    run = _start(seed, today, tx_per_wallet, wallets_per_customer)
    first_customer = run.next_ids[Customer]

    def draw() -> Iterator[Chunk]:
        """Every row of the seed, chunk by chunk, in a fixed order. It may run in a
        second process: no database here (see _draw_apart)."""
        yield from _in_chunks(run, customers, _customer)
        yield from _in_chunks(run, guests_for(customers), _guest)
        for _ in range(max(1, customers // 50)):
            _wallet(run, None, run.now - timedelta(days=90))  # unsold gift wallets
        # Small data sets still show a blacklisted customer.
        _blacklist(run, spanish_mobile(first_customer) if customers else None)
        yield run.out.take()

    chunks = _drawn_apart(draw) if customers >= DRAW_APART_FROM else _drawn_here(draw)
    for chunk in chunks:
        _write_chunk(chunk, report, on_chunk)
    _sync_sequences()
    return report


def _drawn_here(draw: Callable[[], Iterator[Chunk]]) -> Iterator[Chunk]:
    """The chunks of ``draw``, drawn in this process between writes, with statements
    refused while drawing as they are in the second process (a builder that reads
    the database fails on a small seed too, not only on a large one)."""
    drawing = draw()
    while True:
        event.listen(db.engine, "before_cursor_execute", _refuse_statement)
        try:
            chunk = next(drawing, None)
        finally:
            event.remove(db.engine, "before_cursor_execute", _refuse_statement)
        if chunk is None:
            return
        yield chunk


def _drawn_apart(draw: Callable[[], Iterator[Chunk]]) -> Iterator[Chunk]:
    """The chunks of ``draw``, drawn in a second process while this one writes the
    ones before, so that building rows in Python and storing them use a core each.
    The process is forked: it starts with the seed's state. It hands its chunks
    over a pipe (see _draw_apart); each end belongs to one process only, so when
    either process ends (finished, failed, killed) the other's next read or write
    fails at once rather than wait for ever."""
    if "fork" not in multiprocessing.get_all_start_methods():
        yield from _drawn_here(draw)
        return
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    drawer = context.Process(target=_draw_apart, args=(draw, reader, writer),
                             name="seed-rows", daemon=True)
    drawer.start()
    writer.close()
    try:
        while True:
            try:
                item = reader.recv()
            except (EOFError, OSError):  # OSError: it ended half way through a chunk
                drawer.join()
                raise RuntimeError("The process drawing the seed's rows stopped "
                                   f"(exit code {drawer.exitcode}).") from None
            if item is None:
                return
            if isinstance(item, str):
                raise RuntimeError(f"Drawing the seed's rows failed:\n{item}")
            yield item
    finally:
        reader.close()
        drawer.kill()  # done already, or not to go on past a failed write
        drawer.join()


def _draw_apart(draw: Callable[[], Iterator[Chunk]], reader, writer) -> None:
    """The drawing process: each chunk, then None; or the failure's traceback. A
    thread sends what is drawn, so that drawing goes on while a chunk waits to be
    read (up to CHUNKS_AHEAD of them); this process ends as soon as the writing
    one is gone (a send fails). The database connections it inherited are the
    writer's: a statement here is refused, and fails the seed saying why."""
    reader.close()
    event.listen(db.engine, "before_cursor_execute", _refuse_statement)
    drawn: queue.Queue = queue.Queue(maxsize=CHUNKS_AHEAD)

    def send_what_is_drawn() -> None:
        while True:
            item = drawn.get()
            try:
                writer.send(item)
            except (BrokenPipeError, ConnectionResetError):
                os._exit(1)  # the writing process is gone: nothing left to draw for
            if not isinstance(item, tuple):  # the end, or a failure
                return

    sender = threading.Thread(target=send_what_is_drawn, name="seed-rows-sender")
    sender.start()
    try:
        for chunk in draw():
            drawn.put(chunk)
        drawn.put(None)
    except BaseException:
        drawn.put(traceback.format_exc())
    sender.join()


def _refuse_statement(*_args, **_kwargs) -> None:
    raise RuntimeError("The seed's rows are drawn without the database (they may be "
                       "drawn in a second process, whose connections are the writer's): "
                       "read what they need in _start.")


def guests_for(customers: int) -> int:
    """A tenth as many guests as customers (one at least)."""
    return max(1, customers // 10)


def people_in(customers: int) -> int:
    """How many people a seed of ``customers`` writes: its progress counts them."""
    return customers + guests_for(customers)


def _start(seed: int, today: date, tx_per_wallet: int, wallets_per_customer: float) -> _Run:
    """A seed's shared state: the ids after the rows already there, the reference rows."""
    return _Run(
        rng=_Draws(seed),
        now=datetime.combine(today, datetime.min.time()) + timedelta(hours=12),
        out=_Rows(),
        next_ids={model: _next_id(model) for model in NUMBERED_MODELS},
        next_invoice_number=(db.session.scalar(select(func.max(Invoice.number))) or 0) + 1,
        invoice_terms=invoices.issue_terms(),
        group_ids=_ids(CustomerGroup.id),
        outlet_ids=_ids(Outlet.id),
        wallet_discount_ids=_ids(DiscountCode.id, DiscountCode.available_in_wallet),
        offer_ids=_ids(Offer.id),
        currency=default_currency(),
        tx_per_wallet=tx_per_wallet,
        wallets_per_customer=wallets_per_customer,
        blacklisted_already=set(db.session.scalars(select(BlacklistEntry.phone))),
    )


def _ids(column, *where) -> list[int]:
    return list(db.session.scalars(select(column).where(*where).order_by(column)))


def _next_id(model: type[IdModel]) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _in_chunks(run: _Run, count: int, build: Callable[[_Run], None]) -> Iterator[Chunk]:
    """``build`` ``count`` times, a chunk of the rows drawn after every CHUNK."""
    for offset in range(count):
        build(run)
        run.out.people += 1
        if offset % CHUNK == CHUNK - 1:
            yield run.out.take()


# Customers and what they hold.

def _customer(run: _Run) -> None:
    """A customer with their orders, points, wallets, address, invoice, wishlist
    and offers; each cached figure is computed from the rows written with it."""
    customer, city = _customer_row(run, run.next_id(Customer))
    orders = _customer_orders(run, customer)
    customer["loyalty_points"] = _loyalty(run, customer)
    customer["balance_minor"] = _customer_wallets(run, customer)
    # An invoice states the buyer's billing address: every buyer on account has one.
    buys_on_account = bool(customer["account_limit_minor"] and orders)
    address = _address(run, customer, city, always=buys_on_account)
    if buys_on_account:
        _invoice(run, customer, orders[0], address)
    _wishlist_item(run, customer)
    _offer_event(run, customer)
    customer.update(Customer.derived_fields(customer))  # bulk inserts skip model events
    run.out.add(Customer, customer)


def _customer_row(run: _Run, cid: int) -> tuple[dict[str, Any], str]:
    """The customer's own row (figures still to come) and the city they live in."""
    rng = run.rng
    first = rng.choice(FIRST_NAMES)
    surname = rng.choice(SURNAMES)
    city, postal_prefix, country = rng.choice(CITIES)
    created = run.now - timedelta(days=rng.randint(0, 3 * 365), minutes=rng.randint(0, 1439))
    loyalty = rng.random() < 0.6
    phone = spanish_mobile(cid) if rng.random() < 0.85 else None
    if phone and rng.random() < 0.004:
        run.blacklisted_phones.append(phone)
    return {
        "id": cid,
        "first_name": first,
        "surname": surname,
        "email": (f"{_ascii(first)}.{_ascii(surname)}{cid}@example.com"
                  if rng.random() < 0.95 else None),
        "phone": phone,
        "postcode": f"{postal_prefix}{rng.randint(0, 999):03d}",
        "country": country,
        "birthday": date(1940, 1, 1) + timedelta(days=rng.randint(0, 365 * 65)),
        "card_number": f"LC{cid:010d}" if loyalty else None,
        "group_id": rng.choice(run.group_ids) if rng.random() < 0.35 else None,
        "marketing_opt_in": rng.random() < 0.5,
        "loyalty_member": loyalty,
        "notes": None,
        "language": Language.ES if rng.random() < 0.7 else Language.EN,
        "channel": Channel.ONLINE if rng.random() < 0.4 else Channel.IN_STORE,
        "created_at": created,
        "updated_at": created,
        "account_limit_minor": (rng.choice((50_000, 100_000, 250_000))
                                if rng.random() < 0.03 else None),
    }, city


def _customer_orders(run: _Run, customer: dict[str, Any]) -> list[tuple[int, int, datetime]]:
    """The customer's orders, as (id, total, date); sets their sales value and order
    count from the orders neither cancelled nor returned."""
    rng = run.rng
    placed = []
    customer["sales_value_minor"] = customer["orders_count"] = 0
    for _ in range(rng.choices((0, 1, 2, 3, 5), weights=(30, 30, 20, 12, 8))[0]):
        oid = run.next_id(Order)
        status = rng.choices(OrderStatus.values(), weights=(5, 20, 10, 55, 6, 4))[0]
        total = _order_lines(run, oid)
        when = run.date_after(customer["created_at"])
        outlet_id = rng.choice(run.outlet_ids)
        order_type = rng.choice((OrderType.IN_STORE, OrderType.ONLINE, OrderType.PHONE))
        run.out.add(Order, _order_row(oid, (customer["id"], None), outlet_id, status, total,
                                      order_type, when, run.currency))
        placed.append((oid, total, when))
        if status not in NOT_SALES:
            customer["sales_value_minor"] += total
            customer["orders_count"] += 1
    return placed


def _order_row(oid: int, buyer: tuple[int | None, int | None], outlet_id: int, status: str,
               total: int, order_type: str, created_at: datetime,
               currency: str) -> dict[str, Any]:
    """An order's row; ``buyer`` is (customer id, guest id), one of them None."""
    customer_id, guest_id = buyer
    return {"id": oid, "sale_code": f"S{oid:09d}", "customer_id": customer_id,
            "guest_id": guest_id, "outlet_id": outlet_id, "status": status,
            "total_minor": total, "order_type": order_type, "currency": currency,
            "created_at": created_at}


def _order_lines(run: _Run, oid: int) -> int:
    """One to three lines of an order; returns their total."""
    total = 0
    for _ in range(run.rng.randint(1, 3)):
        product, sku, price = run.rng.choice(PRODUCTS)
        quantity = run.rng.randint(1, 3)
        total += quantity * price
        _order_line(run, oid, product, sku, quantity, price)
    return total


def _order_line(run: _Run, oid: int, product: str, sku: str, quantity: int,
                price: int) -> None:
    run.out.add(OrderLine, {"id": run.next_id(OrderLine), "order_id": oid, "product": product,
                            "sku": sku, "quantity": quantity, "unit_price_minor": price})


def _loyalty(run: _Run, customer: dict[str, Any]) -> int:
    """A member's points movements: earned on purchases, sometimes redeemed, their
    dates in the order of their running totals. Returns the points they leave."""
    if not customer["loyalty_member"]:
        return 0
    rng = run.rng
    points = 0
    movements = []
    for _ in range(rng.randint(0, 4)):
        earned = rng.randint(10, 400)
        points += earned
        movements.append(
            _points_movement(run, customer, earned, points, LoyaltyTxKind.EARNED, "Purchase"))
    if points > 50 and rng.random() < 0.3:
        redeemed = rng.randint(1, points)
        points -= redeemed
        movements.append(
            _points_movement(run, customer, -redeemed, points, LoyaltyTxKind.REDEEMED, "Reward"))
    # Each date is drawn apart: sorted, the history reads in order, newest total last.
    for movement, day in zip(movements, sorted(m["created_at"] for m in movements), strict=True):
        movement["created_at"] = day
    return points


def _points_movement(run: _Run, customer: dict[str, Any], points: int, balance_after: int,
                     kind: str, reason: str) -> dict[str, Any]:
    tx_id = run.next_id(LoyaltyTransaction)
    movement = {
        "id": tx_id, "customer_id": customer["id"], "points": points,
        "balance_after": balance_after, "kind": kind, "reason": reason, "actor_id": None,
        "idempotency_key": f"seed-l-{tx_id}", "created_at": run.date_after(customer["created_at"]),
    }
    run.out.add(LoyaltyTransaction, movement)
    return movement


def _customer_wallets(run: _Run, customer: dict[str, Any]) -> int:
    """The customer's wallets; returns their balance (that of the active ones)."""
    balance = 0
    for _ in range(_wallet_count(run.rng, run.wallets_per_customer)):
        wallet_balance, status = _wallet(run, customer["id"], customer["created_at"])
        if status == WalletStatus.ACTIVE:
            balance += wallet_balance
    return balance


def _wallet_count(rng: random.Random, average: float) -> int:
    """The whole part of ``average``, plus one more with the fraction's probability."""
    whole = int(average)
    return whole + (1 if rng.random() < average - whole else 0)


def _address(run: _Run, customer: dict[str, Any], city: str, *,
             always: bool) -> dict[str, Any] | None:
    """A default address for some customers (every one when ``always``)."""
    rng = run.rng
    if not (rng.random() < 0.4 or always):
        return None
    street = rng.choice(STREETS)
    address = {"customer_id": customer["id"], "line1": f"{rng.randint(1, 200)} {street}",
               "line2": None, "city": city, "postcode": customer["postcode"],
               "country": customer["country"], "is_default": True}
    run.out.add(Address, address)
    return address


def _invoice(run: _Run, customer: dict[str, Any], order: tuple[int, int, datetime],
             address: dict[str, Any] | None) -> None:
    """An on-account invoice for ``order``, issued as the invoices service issues one."""
    oid, total, when = order
    status = run.rng.choice((InvoiceStatus.UNPAID, InvoiceStatus.PAID))
    if total > customer["account_limit_minor"]:
        status = InvoiceStatus.PAID  # unpaid on account never passes the limit
    buyer = f"{customer['first_name']} {customer['surname']}"
    run.out.add(Invoice, {
        "id": run.next_id(Invoice), "number": run.invoice_number(), "customer_id": customer["id"],
        "order_id": oid, "amount_minor": max(total, 100), "issued_on": when.date(),
        "due_on": when.date() + timedelta(days=30), "status": status, **run.invoice_terms,
        **invoices.billing_details(buyer, None, Address(**address) if address else None),
    })


def _wishlist_item(run: _Run, customer: dict[str, Any]) -> None:
    if run.rng.random() < 0.15:
        product, sku, _price = run.rng.choice(PRODUCTS)
        run.out.add(WishlistItem, {"customer_id": customer["id"], "product": product,
                                   "sku": sku, "created_at": customer["created_at"]})


def _offer_event(run: _Run, customer: dict[str, Any]) -> None:
    rng = run.rng
    if run.offer_ids and rng.random() < 0.2:
        run.out.add(OfferEvent, {
            "offer_id": rng.choice(run.offer_ids), "customer_id": customer["id"],
            "kind": rng.choice(OfferEventKind.values()),
            "occurred_at": customer["created_at"] + timedelta(days=rng.randint(0, 30))})


# Wallets and their ledgers.

def _wallet(run: _Run, customer_id: int | None, created: datetime) -> tuple[int, str]:
    """A wallet (unsold when ``customer_id`` is None) with its movements; returns its
    balance and status."""
    rng = run.rng
    wid = run.next_id(Wallet)
    outlet = rng.choice(run.outlet_ids)
    status = WalletStatus.BLOCKED if rng.random() < 0.05 else WalletStatus.ACTIVE
    balance, last_used = _wallet_movements(run, wid, outlet, created)
    discount_ids = run.wallet_discount_ids
    sale = created.date()
    run.out.add(Wallet, {
        "id": wid, "wallet_code": wallet_code_for(wid), "customer_id": customer_id,
        "outlet_id": outlet, "status": status,
        "discount_code_id": (rng.choice(discount_ids)
                             if discount_ids and rng.random() < 0.2 else None),
        "is_store_credit": False, "sale_date": sale, "expires_on": sale + timedelta(days=730),
        "created_at": created, "last_used_at": last_used if run.tx_per_wallet else None,
        "last_used_outlet_id": outlet if run.tx_per_wallet else None, "balance_minor": balance,
        "currency": run.currency,
    })
    return balance, status


def _wallet_movements(run: _Run, wid: int, outlet: int,
                      created: datetime) -> tuple[int, datetime]:
    """Top-ups and payments, spread from ``created`` to now, never below zero; returns
    the balance they leave and the date of the last one."""
    rng = run.rng
    balance = 0
    when = created
    # Days between movements: up to an equal share of the wallet's life so far.
    step = max(1, max(1, (run.now - created).days) // max(1, run.tx_per_wallet))
    for index in range(run.tx_per_wallet):
        when = min(run.now, when + timedelta(days=rng.randint(0, step)))
        if index == 0 or balance == 0 or rng.random() < 0.55:
            amount = rng.choice((1000, 2000, 2500, 5000, 10000)) + rng.randint(0, 99)
            kind, reason = WalletTxKind.TOP_UP, rng.choice(TOP_UP_REASONS)
        else:
            amount = -rng.randint(1, balance)
            kind, reason = WalletTxKind.PAYMENT, "Purchase"
        balance += amount
        tx_id = run.next_id(WalletTransaction)
        run.out.add(WalletTransaction, {
            "id": tx_id, "wallet_id": wid, "amount_minor": amount,
            "balance_after_minor": balance, "kind": kind, "reason": reason,
            "credit_expires_on": None, "outlet_id": outlet, "order_id": None, "actor_id": None,
            "customer_notified": False, "idempotency_key": f"seed-w-{tx_id}",
            "created_at": when,
        })
    return balance, when


# Guests and the blacklist.

def _guest(run: _Run) -> None:
    """A guest, with up to two orders of one item."""
    rng = run.rng
    gid = run.next_id(Guest)
    first, surname = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    created = run.now - timedelta(days=rng.randint(0, 3 * 365))
    phone = spanish_mobile(50_000_000 + gid) if rng.random() < 0.8 else None
    if phone and rng.random() < 0.01:
        run.blacklisted_phones.append(phone)
    guest = {"id": gid, "name": f"{first} {surname}",
             "email": f"guest{gid}@example.net" if rng.random() < 0.8 else None,
             "phone": phone, "created_at": created}
    run.out.add(Guest, {**guest, **Guest.derived_fields(guest)})
    for _ in range(rng.randint(0, 2)):
        oid = run.next_id(Order)
        product, sku, price = rng.choice(PRODUCTS)
        outlet_id = rng.choice(run.outlet_ids)
        status = rng.choice(OrderStatus.values())
        run.out.add(Order, _order_row(oid, (None, gid), outlet_id, status, price,
                                      OrderType.ONLINE, created, run.currency))
        _order_line(run, oid, product, sku, 1, price)


def _blacklist(run: _Run, fallback: str | None) -> None:
    """The phones drawn for the blacklist (``fallback`` when none was), once each."""
    rng = run.rng
    phones = run.blacklisted_phones or ([fallback] if fallback else [])
    for phone in dict.fromkeys(phones):
        if phone not in run.blacklisted_already:
            run.out.add(BlacklistEntry, {
                "id": run.next_id(BlacklistEntry), "phone": phone,
                "reason": rng.choice(BlacklistReason.values()), "note": None,
                "added_by_id": None, "created_at": run.now - timedelta(days=rng.randint(0, 365))})


# Reference rows: created once, reused by every later seed.

def _reference_rows(today: date, report: SeedReport) -> None:
    _insert_once(CustomerGroup, report, lambda: [
        {"name": name, "description": description} for name, description in GROUPS])
    _insert_once(Outlet, report, lambda: [
        {"code": code, "name": name, "channel": channel, "city": city}
        for code, name, channel, city in OUTLETS])
    _insert_once(DiscountCode, report, lambda: _discount_codes(today))
    _insert_once(Offer, report, lambda: [
        {"title": title, "description": description,
         "valid_from": today - timedelta(days=60), "valid_until": today + timedelta(days=60)}
        for title, description in OFFERS])


def _insert_once(model: type[IdModel], report: SeedReport,
                 rows: Callable[[], list[dict[str, Any]]]) -> None:
    """Insert ``rows()`` unless ``model``'s table has rows already."""
    if db.session.scalar(select(func.count(model.id))):
        return
    made = rows()
    db.session.execute(insert(model), made)
    report.add(model.__tablename__, len(made))


def _discount_codes(today: date) -> list[dict[str, Any]]:
    codes = []
    for code, kind, value, in_wallet in DISCOUNT_CODES:
        expired = code.startswith("EXPIRED")
        codes.append({
            "code": code, "description": f"{code.title()} discount", "kind": kind,
            "value": value, "currency": default_currency(), "active": not expired,
            "valid_from": today - timedelta(days=365),
            "valid_until": today - timedelta(days=1) if expired else today + timedelta(days=365),
            "available_in_wallet": in_wallet,
        })
    return codes


def _sync_sequences() -> None:
    """Explicit ids leave PostgreSQL's sequences behind: move them past the rows."""
    if dialect() != "postgresql":
        return
    for model in NUMBERED_MODELS:
        table = model.__tablename__
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))
