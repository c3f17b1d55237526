"""Deterministic, realistic demo and test data, written with bulk inserts.

The same ``seed`` gives the same people, amounts and codes. Every cached figure
is consistent with its rows: a wallet's balance is the sum of its
transactions, a customer's balance the sum of their active wallets, points the
sum of their loyalty transactions, sales value and order count those of their
orders. Rows are built in Python and inserted in chunks (executemany), which
reaches a million customers in minutes.
"""
from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

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

CHUNK = 5_000
# What a seed writes in chunks, parents before children.
CHUNKED_MODELS = (Customer, Guest, Order, OrderLine, Wallet, WalletTransaction,
                  LoyaltyTransaction, Invoice, Address, WishlistItem, OfferEvent)
# The tables a seed fills in bulk (see database.bulk_load).
SEEDED_TABLES = [model.__tablename__ for model in (*CHUNKED_MODELS, BlacklistEntry)]

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


class _Writer:
    """Buffers rows per table and writes them in chunks."""

    def __init__(self, report: SeedReport, on_chunk=None) -> None:
        self.buffers: dict[type[IdModel], list[dict]] = {}
        self.report = report
        self.on_chunk = on_chunk

    def add(self, model: type[IdModel], row: dict) -> None:
        # Written only by flush(), parents first, so foreign keys always hold.
        self.buffers.setdefault(model, []).append(row)

    def flush(self, model: type[IdModel] | None = None) -> None:
        models = [model] if model else list(self.buffers)
        for m in models:
            rows = self.buffers.get(m)
            if rows:
                # Core executemany: no ORM bookkeeping per row (a million rows in minutes).
                db.session.execute(m.__table__.insert(), rows)
                self.report.add(m.__tablename__, len(rows))
                rows.clear()


def _next_id(model: type[IdModel]) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def seed(customers: int, *, seed: int = 42, today: date | None = None,
         tx_per_wallet: int = 3, wallets_per_customer: float = 0.5,
         on_chunk=None) -> SeedReport:
    """Add ``customers`` customers and their related data. The caller commits.

    Customers hold ``wallets_per_customer`` wallets on average (0.5: half hold
    one), each with ``tx_per_wallet`` movements.

    ``on_chunk`` (e.g. ``db.session.commit``) runs after each written chunk, so a
    large seed keeps the database's journal small.
    """
    rng = random.Random(seed)
    today = today or date.today()
    now = datetime.combine(today, datetime.min.time()) + timedelta(hours=12)
    report = SeedReport()
    out = _Writer(report, on_chunk)

    group_ids = _ensure_reference_rows(rng, today, report)
    outlet_ids = list(db.session.scalars(select(Outlet.id).order_by(Outlet.id)))
    wallet_codes = list(db.session.scalars(
        select(DiscountCode.id).where(DiscountCode.available_in_wallet).order_by(DiscountCode.id)
    ))
    offer_ids = list(db.session.scalars(select(Offer.id).order_by(Offer.id)))

    ids = {m: _next_id(m) for m in (Customer, Guest, Wallet, WalletTransaction, Order,
                                   OrderLine, LoyaltyTransaction, Invoice, BlacklistEntry)}
    invoice_number = (db.session.scalar(select(func.max(Invoice.number))) or 0) + 1
    terms = invoices.issue_terms()
    guests = max(1, customers // 10)
    first_customer = ids[Customer]
    blacklisted_phones: list[str] = []

    for offset in range(customers):
        cid = first_customer + offset
        first = rng.choice(FIRST_NAMES)
        surname = rng.choice(SURNAMES)
        city, postal_prefix, country = rng.choice(CITIES)
        created = now - timedelta(days=rng.randint(0, 3 * 365), minutes=rng.randint(0, 1439))
        loyalty = rng.random() < 0.6
        phone = spanish_mobile(cid) if rng.random() < 0.85 else None
        if phone and rng.random() < 0.004:
            blacklisted_phones.append(phone)
        customer: dict[str, Any] = {
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
            "group_id": rng.choice(group_ids) if rng.random() < 0.35 else None,
            "marketing_opt_in": rng.random() < 0.5,
            "loyalty_member": loyalty,
            "notes": None,
            "language": Language.ES if rng.random() < 0.7 else Language.EN,
            "channel": Channel.ONLINE if rng.random() < 0.4 else Channel.IN_STORE,
            "created_at": created,
            "updated_at": created,
            "account_limit_minor": (rng.choice((50_000, 100_000, 250_000))
                                    if rng.random() < 0.03 else None),
        }

        # Orders and lines.
        sales = orders = 0
        order_ids = []
        for _ in range(rng.choices((0, 1, 2, 3, 5), weights=(30, 30, 20, 12, 8))[0]):
            oid = ids[Order]
            ids[Order] += 1
            status = rng.choices(OrderStatus.values(), weights=(5, 20, 10, 55, 6, 4))[0]
            total = 0
            for _ in range(rng.randint(1, 3)):
                product, sku, price = rng.choice(PRODUCTS)
                quantity = rng.randint(1, 3)
                total += quantity * price
                out.add(OrderLine, {"id": ids[OrderLine], "order_id": oid, "product": product,
                                    "sku": sku, "quantity": quantity, "unit_price_minor": price})
                ids[OrderLine] += 1
            when = created + timedelta(days=rng.randint(0, max(0, (now - created).days)))
            out.add(Order, {
                "id": oid, "sale_code": f"S{oid:09d}", "customer_id": cid, "guest_id": None,
                "outlet_id": rng.choice(outlet_ids), "status": status, "total_minor": total,
                "order_type": rng.choice((OrderType.IN_STORE, OrderType.ONLINE, OrderType.PHONE)),
                "currency": "EUR", "created_at": min(when, now),
            })
            order_ids.append((oid, total, min(when, now)))
            if status not in (OrderStatus.CANCELLED, OrderStatus.RETURNED):
                sales += total
                orders += 1
        customer["sales_value_minor"] = sales
        customer["orders_count"] = orders

        # Loyalty points: earned on purchases, sometimes redeemed.
        points = 0
        if loyalty:
            for _ in range(rng.randint(0, 4)):
                earned = rng.randint(10, 400)
                points += earned
                out.add(LoyaltyTransaction, _loyalty_row(ids, cid, earned, points,
                        LoyaltyTxKind.EARNED, "Purchase", created, now, rng))
            if points > 50 and rng.random() < 0.3:
                redeemed = rng.randint(1, points)
                points -= redeemed
                out.add(LoyaltyTransaction, _loyalty_row(ids, cid, -redeemed, points,
                        LoyaltyTxKind.REDEEMED, "Reward", created, now, rng))
        customer["loyalty_points"] = points

        # Wallets with their ledgers.
        balance = 0
        for _ in range(_wallet_count(rng, wallets_per_customer)):
            wallet_balance, status = _seed_wallet(out, ids, rng, cid, outlet_ids, wallet_codes,
                                                  created, now, tx_per_wallet)
            if status == WalletStatus.ACTIVE:
                balance += wallet_balance
        customer["balance_minor"] = balance

        # A default address for some, and for every buyer on account: an invoice states
        # the buyer's billing address.
        buys_on_account = bool(customer["account_limit_minor"] and order_ids)
        address = None
        if rng.random() < 0.4 or buys_on_account:
            street = rng.choice(STREETS)
            address = {"customer_id": cid, "line1": f"{rng.randint(1, 200)} {street}",
                       "line2": None, "city": city, "postcode": customer["postcode"],
                       "country": country, "is_default": True}
            out.add(Address, address)

        # On-account invoices for customers with a limit, issued as the service issues them.
        if buys_on_account:
            oid, total, when = order_ids[0]
            status = rng.choice((InvoiceStatus.UNPAID, InvoiceStatus.PAID))
            if total > customer["account_limit_minor"]:
                status = InvoiceStatus.PAID  # unpaid on account never passes the limit
            out.add(Invoice, {
                "id": ids[Invoice], "number": invoice_number, "customer_id": cid, "order_id": oid,
                "amount_minor": max(total, 100), "issued_on": when.date(),
                "due_on": when.date() + timedelta(days=30), "status": status,
                **terms, **invoices.billing_details(
                    f"{first} {surname}", None, Address(**address) if address else None),
            })
            ids[Invoice] += 1
            invoice_number += 1

        if rng.random() < 0.15:
            product, sku, _price = rng.choice(PRODUCTS)
            out.add(WishlistItem, {"customer_id": cid, "product": product, "sku": sku,
                                   "created_at": created})
        if offer_ids and rng.random() < 0.2:
            out.add(OfferEvent, {"offer_id": rng.choice(offer_ids), "customer_id": cid,
                                 "kind": rng.choice(OfferEventKind.values()),
                                 "occurred_at": created + timedelta(days=rng.randint(0, 30))})
        customer.update(Customer.derived_fields(customer))  # bulk inserts skip model events
        out.add(Customer, customer)
        if offset % CHUNK == CHUNK - 1:
            # Parents before children: flush in dependency order.
            _flush_in_order(out)

    for offset in range(guests):
        gid = ids[Guest]
        ids[Guest] += 1
        first, surname = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        created = now - timedelta(days=rng.randint(0, 3 * 365))
        phone = spanish_mobile(50_000_000 + gid) if rng.random() < 0.8 else None
        if phone and rng.random() < 0.01:
            blacklisted_phones.append(phone)
        guest = {"id": gid, "name": f"{first} {surname}",
                 "email": f"guest{gid}@example.net" if rng.random() < 0.8 else None,
                 "phone": phone, "created_at": created}
        out.add(Guest, {**guest, **Guest.derived_fields(guest)})
        for _ in range(rng.randint(0, 2)):
            oid = ids[Order]
            ids[Order] += 1
            product, sku, price = rng.choice(PRODUCTS)
            out.add(Order, {"id": oid, "sale_code": f"S{oid:09d}", "customer_id": None,
                            "guest_id": gid, "outlet_id": rng.choice(outlet_ids),
                            "status": rng.choice(OrderStatus.values()), "total_minor": price,
                            "order_type": OrderType.ONLINE, "currency": "EUR",
                            "created_at": created})
            out.add(OrderLine, {"id": ids[OrderLine], "order_id": oid, "product": product,
                                "sku": sku, "quantity": 1, "unit_price_minor": price})
            ids[OrderLine] += 1
        if offset % CHUNK == CHUNK - 1:
            _flush_in_order(out)

    # Unsold gift wallets: no customer yet.
    for _ in range(max(1, customers // 50)):
        _seed_wallet(out, ids, rng, None, outlet_ids, wallet_codes, now - timedelta(days=90),
                     now, tx_per_wallet)

    _flush_in_order(out)
    if not blacklisted_phones and customers:
        # Small data sets still show a blacklisted customer.
        blacklisted_phones.append(spanish_mobile(first_customer))
    existing = set(db.session.scalars(select(BlacklistEntry.phone)))
    for phone in dict.fromkeys(blacklisted_phones):
        if phone not in existing:
            out.add(BlacklistEntry, {"id": ids[BlacklistEntry], "phone": phone,
                                     "reason": rng.choice(BlacklistReason.values()),
                                     "note": None, "added_by_id": None,
                                     "created_at": now - timedelta(days=rng.randint(0, 365))})
            ids[BlacklistEntry] += 1
    out.flush()
    _sync_sequences()
    return report


def _wallet_count(rng: random.Random, average: float) -> int:
    """The whole part of ``average``, plus one more with the fraction's probability."""
    whole = int(average)
    return whole + (1 if rng.random() < average - whole else 0)


def _flush_in_order(out: _Writer) -> None:
    for model in CHUNKED_MODELS:
        out.flush(model)
    if out.on_chunk is not None:
        out.on_chunk()


def _loyalty_row(ids, cid, points, balance_after, kind, reason, created, now, rng) -> dict:
    row = {"id": ids[LoyaltyTransaction], "customer_id": cid, "points": points,
           "balance_after": balance_after, "kind": kind, "reason": reason, "actor_id": None,
           "idempotency_key": f"seed-l-{ids[LoyaltyTransaction]}",
           "created_at": created + timedelta(days=rng.randint(0, max(0, (now - created).days)))}
    ids[LoyaltyTransaction] += 1
    return row


def _seed_wallet(out, ids, rng, customer_id, outlet_ids, discount_ids, created, now,
                 tx_per_wallet) -> tuple[int, str]:
    wid = ids[Wallet]
    ids[Wallet] += 1
    outlet = rng.choice(outlet_ids)
    status = WalletStatus.BLOCKED if rng.random() < 0.05 else WalletStatus.ACTIVE
    balance = 0
    when = created
    span = max(1, (now - created).days)
    for index in range(tx_per_wallet):
        when = min(now, when + timedelta(days=rng.randint(0, max(1, span // tx_per_wallet))))
        if index == 0 or balance == 0 or rng.random() < 0.55:
            amount = rng.choice((1000, 2000, 2500, 5000, 10000)) + rng.randint(0, 99)
            kind = WalletTxKind.TOP_UP
            reason = rng.choice(TOP_UP_REASONS)
        else:
            amount = -rng.randint(1, balance)
            kind = WalletTxKind.PAYMENT
            reason = "Purchase"
        balance += amount
        out.add(WalletTransaction, {
            "id": ids[WalletTransaction], "wallet_id": wid, "amount_minor": amount,
            "balance_after_minor": balance, "kind": kind, "reason": reason,
            "credit_expires_on": None, "outlet_id": outlet, "order_id": None, "actor_id": None,
            "customer_notified": False, "idempotency_key": f"seed-w-{ids[WalletTransaction]}",
            "created_at": when,
        })
        ids[WalletTransaction] += 1
    sale = created.date()
    out.add(Wallet, {
        "id": wid, "wallet_code": wallet_code_for(wid), "customer_id": customer_id,
        "outlet_id": outlet, "status": status,
        "discount_code_id": (rng.choice(discount_ids)
                             if discount_ids and rng.random() < 0.2 else None),
        "is_store_credit": False, "sale_date": sale, "expires_on": sale + timedelta(days=730),
        "created_at": created, "last_used_at": when if tx_per_wallet else None,
        "last_used_outlet_id": outlet if tx_per_wallet else None, "balance_minor": balance,
        "currency": "EUR",
    })
    return balance, status


def _ensure_reference_rows(rng: random.Random, today: date, report: SeedReport) -> list[int]:
    """Groups, outlets, discount codes and offers: created once, reused after."""
    if not db.session.scalar(select(func.count(CustomerGroup.id))):
        db.session.execute(insert(CustomerGroup), [
            {"name": name, "description": description} for name, description in GROUPS])
        report.add("customer_groups", len(GROUPS))
    if not db.session.scalar(select(func.count(Outlet.id))):
        db.session.execute(insert(Outlet), [
            {"code": code, "name": name, "channel": channel, "city": city}
            for code, name, channel, city in OUTLETS])
        report.add("outlets", len(OUTLETS))
    if not db.session.scalar(select(func.count(DiscountCode.id))):
        codes = []
        for code, kind, value, in_wallet in (
            ("WELCOME10", "percent", 10, True), ("VIP20", "percent", 20, True),
            ("STAFF30", "percent", 30, False), ("GIFT5", "fixed", 500, True),
            ("GIFT10", "fixed", 1000, True), ("SUMMER15", "percent", 15, False),
            ("BDAY20", "percent", 20, True), ("STUDENT10", "percent", 10, False),
            ("CORP25", "fixed", 2500, False), ("EXPIRED5", "percent", 5, True),
        ):
            expired = code.startswith("EXPIRED")
            codes.append({
                "code": code, "description": f"{code.title()} discount", "kind": kind,
                "value": value, "currency": "EUR", "active": not expired,
                "valid_from": today - timedelta(days=365),
                "valid_until": (today - timedelta(days=1) if expired
                                else today + timedelta(days=365)),
                "available_in_wallet": in_wallet,
            })
        db.session.execute(insert(DiscountCode), codes)
        report.add("discount_codes", len(codes))
    if not db.session.scalar(select(func.count(Offer.id))):
        db.session.execute(insert(Offer), [
            {"title": title, "description": description,
             "valid_from": today - timedelta(days=60), "valid_until": today + timedelta(days=60)}
            for title, description in OFFERS])
        report.add("offers", len(OFFERS))
    return list(db.session.scalars(select(CustomerGroup.id).order_by(CustomerGroup.id)))


def _sync_sequences() -> None:
    """Explicit ids leave PostgreSQL's sequences behind: move them past the rows."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in (Customer, Guest, Wallet, WalletTransaction, Order, OrderLine,
                  LoyaltyTransaction, Invoice, BlacklistEntry):
        table = model.__tablename__
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))
