"""A customer's personal data for an access request (GDPR arts. 15 and 20).

One ZIP: README.txt in the customer's language, data.json for programs, and a CSV
per kind of record with headers in the customer's language. Everything is read from
one consistent moment of the database (a snapshot transaction) and streamed: rows
are fetched in batches, written into the archive and sent, so a customer with
100,000 wallet movements costs what one batch costs.

Values in data.json are as stored: dates and times ISO 8601 (UTC), codes for
choices, true/false, and amounts twice: whole minor units (``*_minor``, as kept)
and a decimal text, with their currency code. The CSVs are for people: amounts as
decimals, choices and yes/no in words, formulas neutralised (services/exports.py).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Select,
    String,
    and_,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, aliased, scoped_session

from ..choices import (
    AuditAction,
    Channel,
    Choices,
    ConsentSource,
    InvoiceStatus,
    Language,
    LoyaltyTxKind,
    MovementReason,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    OfferEventKind,
    OrderStatus,
    OrderType,
    WalletStatus,
    WalletTxKind,
)
from ..config import default_currency
from ..models import (
    Address,
    AuditEvent,
    ConsentChange,
    Customer,
    CustomerGroup,
    DiscountCode,
    Guest,
    Invoice,
    LoyaltyTransaction,
    Notification,
    Offer,
    OfferEvent,
    Order,
    OrderLine,
    Outlet,
    Wallet,
    WalletTransaction,
    WishlistItem,
)
from . import audit, exports, notifications
from .errors import DomainError
from .zip_stream import ZipStream

FORMAT = "backoffice-personal-data/1"  # data.json's "format": raised when its shape changes
BATCH_ROWS = 1000  # rows fetched from the database at a time
# Stored integers that stand for decimals: money in minor units, rates in basis points.
SCALED_SUFFIXES = ("_minor", "_bp")
CONVENTIONS = {
    "times": "ISO 8601, UTC",
    "amounts": "each amount twice: <name>_minor is the stored whole number of minor units "
               "(cents), <name> the same amount as a decimal string; its currency code is "
               "in 'currency'",
    "rates": "<name>_bp in basis points (2100 = 21 %), <name> as a decimal percent string",
    "choices": "stored codes (the CSV files show them in words)",
}


class RecordType(Choices):
    """The kinds of record whose audit events are exported, named in words."""

    LABELS = {"Customer": _l("Customer"), "Wallet": _l("Wallet"), "Order": _l("Order"),
              "Address": _l("Address")}


class ExportRefused(DomainError):
    """This customer's data cannot be exported (a merged-away tombstone)."""


@dataclass(frozen=True)
class Field:
    """One column of a file: ``key`` names it in data.json and in the query (a scaled
    column is queried as key + suffix); ``label`` heads it in the CSV."""

    key: str
    label: Any  # a lazy string, translated into the customer's language
    choices: type[Choices] | None = None
    scaled: str | None = None  # "_minor" (money) or "_bp" (a rate): stored as an integer
    # Applied to each value as read: what staff may not hold even here (a live
    # password-reset link in a message would let whoever downloads take the account).
    masked: Callable[[Any], Any] | None = None

    @property
    def column(self) -> str:
        return self.key + (self.scaled or "")


@dataclass(frozen=True)
class Section:
    """One kind of record: a CSV file, and a key of data.json."""

    name: str
    about: Any  # what the file holds, for the README (lazy)
    fields: tuple[Field, ...]
    query: Callable[[int], Select]  # customer id -> the rows, labelled as the fields
    single: bool = False  # one record (the profile): an object in data.json, not a list

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"


def _money(key: str, label) -> Field:
    return Field(key, label, scaled="_minor")


# --- What is exported: one query per kind of record -------------------------------------

def _guest_ids(customer_id: int):
    return select(Guest.id).where(Guest.customer_id == customer_id)


def _their_orders(customer_id: int):
    """Orders they placed, and those of the guests they were before registering."""
    return or_(Order.customer_id == customer_id, Order.guest_id.in_(_guest_ids(customer_id)))


def _profile(customer_id: int) -> Select:
    return (select(Customer.id, Customer.first_name, Customer.surname, Customer.email,
                   Customer.phone, Customer.postcode, Customer.country, Customer.birthday,
                   Customer.card_number, Customer.tax_id, CustomerGroup.name.label("group"),
                   Customer.marketing_opt_in, Customer.loyalty_member, Customer.language,
                   Customer.channel, Customer.password_hash.is_not(None).label("online_account"),
                   Customer.sales_value_minor, Customer.orders_count, Customer.loyalty_points,
                   Customer.balance_minor, Customer.account_limit_minor,
                   cast(literal(default_currency()), String(3)).label("currency"),
                   Customer.notes, Customer.created_at, Customer.updated_at, Customer.erased_at)
            .outerjoin(CustomerGroup, CustomerGroup.id == Customer.group_id)
            .where(Customer.id == customer_id))


def _addresses(customer_id: int) -> Select:
    return (select(Address.id, Address.line1, Address.line2, Address.city, Address.postcode,
                   Address.country, Address.is_default)
            .where(Address.customer_id == customer_id).order_by(Address.id))


def _orders(customer_id: int) -> Select:
    return (select(Order.id, Order.sale_code, Order.created_at, Order.status, Order.order_type,
                   Outlet.name.label("outlet"), Order.total_minor, Order.currency,
                   Order.guest_id)
            .outerjoin(Outlet, Outlet.id == Order.outlet_id)
            .where(_their_orders(customer_id)).order_by(Order.created_at, Order.id))


def _order_lines(customer_id: int) -> Select:
    return (select(OrderLine.order_id, Order.sale_code, OrderLine.product, OrderLine.sku,
                   OrderLine.quantity, OrderLine.unit_price_minor,
                   (OrderLine.quantity * OrderLine.unit_price_minor).label("line_total_minor"),
                   Order.currency)
            .join(Order, Order.id == OrderLine.order_id)
            .where(_their_orders(customer_id))
            .order_by(Order.created_at, Order.id, OrderLine.id))


def _wallets(customer_id: int) -> Select:
    last_outlet = aliased(Outlet)
    return (select(Wallet.wallet_code, Wallet.status, Wallet.is_store_credit,
                   Outlet.name.label("outlet"), DiscountCode.code.label("discount_code"),
                   Wallet.sale_date, Wallet.expires_on, Wallet.created_at, Wallet.last_used_at,
                   last_outlet.name.label("last_used_outlet"), Wallet.balance_minor,
                   Wallet.currency)
            .outerjoin(Outlet, Outlet.id == Wallet.outlet_id)
            .outerjoin(last_outlet, last_outlet.id == Wallet.last_used_outlet_id)
            .outerjoin(DiscountCode, DiscountCode.id == Wallet.discount_code_id)
            .where(Wallet.customer_id == customer_id).order_by(Wallet.id))


def _wallet_movements(customer_id: int) -> Select:
    movement = WalletTransaction
    return (select(movement.id, Wallet.wallet_code, movement.created_at, movement.kind,
                   movement.amount_minor, movement.balance_after_minor, Wallet.currency,
                   movement.reason, movement.credit_expires_on, Outlet.name.label("outlet"),
                   Order.sale_code, movement.customer_notified)
            .join(Wallet, Wallet.id == movement.wallet_id)
            .outerjoin(Outlet, Outlet.id == movement.outlet_id)
            .outerjoin(Order, Order.id == movement.order_id)
            .where(Wallet.customer_id == customer_id)
            .order_by(movement.created_at, movement.id))


def _loyalty(customer_id: int) -> Select:
    movement = LoyaltyTransaction
    return (select(movement.id, movement.created_at, movement.kind, movement.points,
                   movement.balance_after, movement.reason)
            .where(movement.customer_id == customer_id)
            .order_by(movement.created_at, movement.id))


def _invoices(customer_id: int) -> Select:
    return (select(Invoice.series, Invoice.number, Order.sale_code, Invoice.issued_on,
                   Invoice.due_on, Invoice.status, Invoice.amount_minor, Invoice.currency,
                   Invoice.vat_rate_bp, Invoice.billing_name, Invoice.billing_address,
                   Invoice.billing_country, Invoice.billing_tax_id)
            .outerjoin(Order, Order.id == Invoice.order_id)
            .where(Invoice.customer_id == customer_id)
            .order_by(Invoice.issued_on, Invoice.number))


def _offers(customer_id: int) -> Select:
    return (select(Offer.title.label("offer"), OfferEvent.kind, OfferEvent.occurred_at)
            .join(Offer, Offer.id == OfferEvent.offer_id)
            .where(OfferEvent.customer_id == customer_id)
            .order_by(OfferEvent.occurred_at, OfferEvent.id))


def _wishlist(customer_id: int) -> Select:
    return (select(WishlistItem.product, WishlistItem.sku, WishlistItem.created_at)
            .where(WishlistItem.customer_id == customer_id)
            .order_by(WishlistItem.created_at, WishlistItem.id))


def _messages(customer_id: int) -> Select:
    message = Notification
    return (select(message.created_at, message.kind, message.channel, message.language,
                   message.recipient, message.subject, message.body, message.status,
                   message.sent_at)
            .where(message.customer_id == customer_id)
            .order_by(message.created_at, message.id))


def _consents(customer_id: int) -> Select:
    return (select(ConsentChange.at, ConsentChange.opted_in, ConsentChange.source)
            .where(ConsentChange.customer_id == customer_id)
            .order_by(ConsentChange.at, ConsentChange.id))


def _audit_events(customer_id: int) -> Select:
    """Events about them (and the customers merged into them), their wallets, orders
    and addresses, through the trail's (object_type, object_id) index. Who on the
    staff did each is left out: that is the staff member's data, not theirs."""
    def ids(column, *where):
        return select(cast(column, String)).where(*where)

    event = AuditEvent
    about = {  # the kinds of RecordType
        "Customer": ids(Customer.id, or_(Customer.id == customer_id,
                                         Customer.merged_into_id == customer_id)),
        "Wallet": ids(Wallet.id, Wallet.customer_id == customer_id),
        "Order": ids(Order.id, _their_orders(customer_id)),
        "Address": ids(Address.id, Address.customer_id == customer_id),
    }
    return (select(event.at, event.action, event.object_type, event.object_id, event.summary,
                   event.changes)
            .where(or_(*(and_(event.object_type == kind, event.object_id.in_(found))
                         for kind, found in about.items())))
            .order_by(event.id))


def _guests(customer_id: int) -> Select:
    return (select(Guest.id, Guest.name, Guest.email, Guest.phone, Guest.created_at,
                   Guest.converted_at)
            .where(Guest.customer_id == customer_id).order_by(Guest.id))


def _merged_customers(customer_id: int) -> Select:
    return (select(Customer.id, Customer.first_name, Customer.surname, Customer.email,
                   Customer.phone, Customer.postcode, Customer.birthday, Customer.card_number,
                   Customer.created_at, Customer.merged_at)
            .where(Customer.merged_into_id == customer_id).order_by(Customer.id))


CURRENCY = Field("currency", _l("Currency"))
CREATED = Field("created_at", _l("Date added"))

SECTIONS: tuple[Section, ...] = (
    Section("profile", _l("Your details as we keep them, with your figures."), (
        Field("id", _l("Customer number")), Field("first_name", _l("First name")),
        Field("surname", _l("Surname")), Field("email", _l("Email")),
        Field("phone", _l("Phone")), Field("postcode", _l("Postcode")),
        Field("country", _l("Country")), Field("birthday", _l("Birthday")),
        Field("card_number", _l("Card number")), Field("tax_id", _l("Tax ID (NIF/CIF)")),
        Field("group", _l("Group")), Field("marketing_opt_in", _l("Marketing opt-in")),
        Field("loyalty_member", _l("Loyalty member")),
        Field("language", _l("Language"), Language), Field("channel", _l("Channel"), Channel),
        Field("online_account", _l("Online store account")),
        _money("sales_value", _l("Sales value")), Field("orders_count", _l("Orders")),
        Field("loyalty_points", _l("Loyalty points")), _money("balance", _l("Balance")),
        _money("account_limit", _l("Account limit")), CURRENCY,
        Field("notes", _l("Notes")), CREATED, Field("updated_at", _l("Date updated")),
        Field("erased_at", _l("Personal data erased"))), _profile, single=True),
    Section("addresses", _l("Your delivery addresses."), (
        Field("id", _l("Address number")), Field("line1", _l("Address")),
        Field("line2", _l("Address (continued)")), Field("city", _l("City")),
        Field("postcode", _l("Postcode")), Field("country", _l("Country")),
        Field("is_default", _l("Default"))), _addresses),
    Section("orders", _l("Your orders: date, status, shop and total."), (
        Field("id", _l("Order number")), Field("sale_code", _l("Sale code")),
        Field("created_at", _l("Date")), Field("status", _l("Status"), OrderStatus),
        Field("order_type", _l("Order type"), OrderType), Field("outlet", _l("Outlet")),
        _money("total", _l("Total")), CURRENCY,
        Field("guest_id", _l("Placed as guest number"))), _orders),
    Section("order_lines", _l("What each order held: product, quantity and price."), (
        Field("order_id", _l("Order number")), Field("sale_code", _l("Sale code")),
        Field("product", _l("Product")), Field("sku", _l("SKU")),
        Field("quantity", _l("Quantity")), _money("unit_price", _l("Unit price")),
        _money("line_total", _l("Line total")), CURRENCY), _order_lines),
    Section("wallets", _l("Your wallets and gift cards, with their balance."), (
        Field("wallet_code", _l("Wallet ID")), Field("status", _l("Status"), WalletStatus),
        Field("is_store_credit", _l("Store credit")), Field("outlet", _l("Outlet")),
        Field("discount_code", _l("Discount code")), Field("sale_date", _l("Sale date")),
        Field("expires_on", _l("Expiration date")), CREATED,
        Field("last_used_at", _l("Last used")),
        Field("last_used_outlet", _l("Last used at outlet")),
        _money("balance", _l("Balance")), CURRENCY), _wallets),
    Section("wallet_movements", _l("Every movement of your wallets' balance."), (
        Field("id", _l("Movement number")), Field("wallet_code", _l("Wallet ID")),
        Field("created_at", _l("Date")), Field("kind", _l("Kind"), WalletTxKind),
        _money("amount", _l("Amount")), _money("balance_after", _l("Balance after")),
        CURRENCY, Field("reason", _l("Reason"), MovementReason),
        Field("credit_expires_on", _l("Credit expires on")), Field("outlet", _l("Outlet")),
        Field("sale_code", _l("Sale code")),
        Field("customer_notified", _l("Customer notified"))), _wallet_movements),
    Section("loyalty", _l("Every movement of your loyalty points."), (
        Field("id", _l("Movement number")), Field("created_at", _l("Date")),
        Field("kind", _l("Kind"), LoyaltyTxKind), Field("points", _l("Points")),
        Field("balance_after", _l("Points after")),
        Field("reason", _l("Reason"), MovementReason)), _loyalty),
    Section("invoices", _l("Your invoices for sales on account, as issued."), (
        Field("series", _l("Series")), Field("number", _l("Invoice number")),
        Field("sale_code", _l("Sale code")), Field("issued_on", _l("Issue date")),
        Field("due_on", _l("Due date")), Field("status", _l("Status"), InvoiceStatus),
        _money("amount", _l("Amount")), CURRENCY,
        Field("vat_rate", _l("VAT rate (%)"), scaled="_bp"),
        Field("billing_name", _l("Billing name")),
        Field("billing_address", _l("Billing address")),
        Field("billing_country", _l("Billing country")),
        Field("billing_tax_id", _l("Billing tax ID"))), _invoices),
    Section("offers", _l("Offers you claimed, redeemed or saved."), (
        Field("offer", _l("Offer")), Field("kind", _l("Kind"), OfferEventKind),
        Field("occurred_at", _l("Date"))), _offers),
    Section("wishlist", _l("Products you saved in the online store."), (
        Field("product", _l("Product")), Field("sku", _l("SKU")),
        Field("created_at", _l("Date"))), _wishlist),
    Section("messages", _l("Messages we sent or queued for you, as written."), (
        Field("created_at", _l("Date")), Field("kind", _l("Kind"), NotificationKind),
        Field("channel", _l("Channel"), NotificationChannel),
        Field("language", _l("Language"), Language), Field("recipient", _l("Sent to")),
        Field("subject", _l("Subject")),
        Field("body", _l("Message"), masked=notifications.text_for_staff),
        Field("status", _l("Status"), NotificationStatus), Field("sent_at", _l("Sent on"))),
        _messages),
    Section("consents", _l("Each change of your consent to marketing messages."), (
        Field("at", _l("Date")), Field("opted_in", _l("Marketing opt-in")),
        Field("source", _l("Source"), ConsentSource)), _consents),
    Section("audit_events", _l("Our record of each change made to your data, and when."), (
        Field("at", _l("Date")), Field("action", _l("Action"), AuditAction),
        Field("object_type", _l("Record type"), RecordType),
        Field("object_id", _l("Record number")),
        Field("summary", _l("Summary")), Field("changes", _l("Changes"))), _audit_events),
    Section("guests", _l("Purchases you made as a guest, before you registered."), (
        Field("id", _l("Guest number")), Field("name", _l("Name")),
        Field("email", _l("Email")), Field("phone", _l("Phone")), CREATED,
        Field("converted_at", _l("Registered on"))), _guests),
    Section("merged_customers", _l("Other customer records of yours, merged into this one."), (
        Field("id", _l("Customer number")), Field("first_name", _l("First name")),
        Field("surname", _l("Surname")), Field("email", _l("Email")),
        Field("phone", _l("Phone")), Field("postcode", _l("Postcode")),
        Field("birthday", _l("Birthday")), Field("card_number", _l("Card number")), CREATED,
        Field("merged_at", _l("Merged on"))), _merged_customers),
)


# --- Asking for it ----------------------------------------------------------------------

def ensure_exportable(customer: Customer) -> None:
    """A merged-away customer holds nothing: the customer it went into does."""
    if customer.is_tombstone:
        raise ExportRefused(_(
            "This customer was merged into customer #%(id)s, which now holds all their "
            "data: export the personal data of that customer instead.",
            id=customer.merged_into_id))


def open_snapshot(engine: Engine) -> Connection:
    """A connection that reads one moment of the database until it is closed, so
    the counts, data.json and the CSVs agree whatever is written meanwhile.
    PostgreSQL: a read-only REPEATABLE READ transaction. SQLite (WAL): a read
    transaction, whose snapshot is taken at its first read."""
    connection = engine.connect()
    try:
        if engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ",
                                         postgresql_readonly=True)
            connection.begin()
        else:
            connection.begin()
            # pysqlite opens a transaction only before a write: open it now.
            connection.exec_driver_sql("BEGIN")
    except BaseException:
        connection.close()
        raise
    return connection


def record_export(snapshot: Connection, customer: Customer,
                  session: Session | scoped_session) -> dict[str, int]:
    """The rows each file will hold, recorded in the audit trail (who, when, how
    many per file; never the data itself) in ``session``'s transaction."""
    ensure_exportable(customer)
    counts = count_records(snapshot, customer.id)
    summary = ", ".join(f"{name} {count}" for name, count in counts.items())
    audit.record(session, AuditAction.PERSONAL_DATA_EXPORT, object_type="Customer",
                 object_id=customer.id, summary=f"README.txt, data.json; {summary}")
    return counts


def count_records(connection: Connection, customer_id: int) -> dict[str, int]:
    """{"profile.csv": 1, "addresses.csv": 2, ...}."""
    return {section.file_name: connection.scalar(
                select(func.count()).select_from(section.query(customer_id).subquery())) or 0
            for section in SECTIONS}


def file_name(customer_id: int, when: datetime | date) -> str:
    return f"personal-data-customer-{customer_id}-{when:%Y-%m-%d}.zip"


# --- The archive ------------------------------------------------------------------------

def zip_chunks(snapshot: Connection, customer_id: int, *, language: str,
               produced_at: datetime, counts: dict[str, int]) -> Iterator[bytes]:
    """The archive's bytes, as they are written. Closes ``snapshot`` when done
    (finished or cut off)."""
    try:
        words = _Words(language, customer_id, produced_at, counts)
        archive = ZipStream()
        with archive.member("README.txt", produced_at) as out:
            out.write(words.readme.encode("utf-8"))
        with archive.member("data.json", produced_at) as out:
            for piece in _json_pieces(snapshot, customer_id, produced_at):
                out.write(piece.encode("utf-8"))
                yield from archive.ready()
        for section in SECTIONS:
            cells = words.csv_cells(section)
            rows = (cells(row) for row in _rows(snapshot, section, customer_id))
            with archive.member(section.file_name, produced_at) as out:
                for text in exports.csv_chunks(words.headers[section.name], rows):
                    out.write(text.encode("utf-8"))
                    yield from archive.ready()
        yield from archive.finish()
    finally:
        snapshot.close()


def _rows(connection: Connection, section: Section, customer_id: int) -> Iterator[tuple]:
    """The section's rows as tuples, its fields in order (the queries select them so)."""
    statement = section.query(customer_id).execution_options(yield_per=BATCH_ROWS)
    rows = iter(connection.execute(statement))
    masks = {index: field.masked for index, field in enumerate(section.fields) if field.masked}
    if not masks:
        return rows
    return (tuple(masks[i](value) if i in masks else value for i, value in enumerate(row))
            for row in rows)


Convert = Callable[[Any], Any]


def _kept_none(convert: Convert) -> Convert:
    return lambda value: None if value is None else convert(value)


def _column_types(section: Section) -> list:
    """The type of each field's column; fails loudly if a query and its fields disagree."""
    columns = list(section.query(0).selected_columns)
    if [column.key for column in columns] != [field.column for field in section.fields]:
        raise RuntimeError(f"{section.name}: the query's columns are not its fields")
    return [column.type for column in columns]


def _json_plan(section: Section) -> list[tuple[str, int, Convert | None]]:
    """(key, position in the row, conversion or None) for each key of a record."""
    plan: list[tuple[str, int, Convert | None]] = []
    for index, (field, kind) in enumerate(zip(section.fields, _column_types(section), strict=True)):
        if field.scaled:
            plan.append((field.column, index, None))
            plan.append((field.key, index, _kept_none(lambda value: str(_decimal(value)))))
        elif isinstance(kind, (Date, DateTime)):
            plan.append((field.key, index, _kept_none(lambda value: value.isoformat())))
        else:
            plan.append((field.key, index, None))
    return plan


def _json_pieces(connection: Connection, customer_id: int,
                 produced_at: datetime) -> Iterator[str]:
    """data.json in pieces of up to BATCH_ROWS records, never the document at once."""
    head = json.dumps({"format": FORMAT, "produced_at": produced_at.isoformat(),
                       "customer_id": customer_id, "conventions": CONVENTIONS},
                      ensure_ascii=False)
    yield head[:-1]  # the object stays open for the sections
    for section in SECTIONS:
        plan = _json_plan(section)
        records = ({key: value if convert is None else convert(value)
                    for key, index, convert in plan for value in (row[index],)}
                   for row in _rows(connection, section, customer_id))
        yield f',\n"{section.name}": '
        if section.single:
            yield json.dumps(next(records, None), ensure_ascii=False)
            continue
        separator = "["
        while batch := list(islice(records, BATCH_ROWS)):
            yield separator + json.dumps(batch, ensure_ascii=False)[1:-1]
            separator = ",\n"
        yield "[]" if separator == "[" else "]"
    yield "}\n"


def _decimal(value: int) -> Decimal:
    """1250 minor units -> 12.50; 2100 basis points -> 21.00 (percent)."""
    return Decimal(value).scaleb(-2)


class _Words:
    """Everything the archive says in the customer's language, translated once,
    before streaming starts: headers, choice labels, yes/no, the README."""

    def __init__(self, language: str, customer_id: int, produced_at: datetime,
                 counts: dict[str, int]) -> None:
        self.language = language
        with force_locale(language):
            self.headers = {section.name: [str(field.label) for field in section.fields]
                            for section in SECTIONS}
            self.labels = {field.choices: {value: str(label) for value, label
                                           in field.choices.LABELS.items()}
                           for section in SECTIONS for field in section.fields
                           if field.choices is not None}
            self.yes_no = {True: _("Yes"), False: _("No")}
            self.readme = _readme(customer_id, produced_at, counts)

    def csv_cells(self, section: Section) -> Callable[[tuple], list[exports.Cell]]:
        """row -> its CSV cells: money as decimals, choices and yes/no in words."""
        converts = [self._convert(field, kind)
                    for field, kind in zip(section.fields, _column_types(section), strict=True)]
        return lambda row: [value if convert is None or value is None else convert(value)
                            for value, convert in zip(row, converts, strict=True)]

    def _convert(self, field: Field, kind) -> Convert | None:
        if field.scaled:
            return _decimal
        if field.choices is not None:
            labels = dict(self.labels[field.choices])
            choices = field.choices

            def label(value):
                # A value outside the set (a merge's "Merged from #3 into #1") is
                # worded by its label() in the customer's language, once per value.
                if value not in labels:
                    with force_locale(self.language):
                        labels[value] = str(choices.label(value))
                return labels[value]
            return label
        if isinstance(kind, Boolean):
            return self.yes_no.__getitem__
        if isinstance(kind, JSON):
            return _changes_text if field.key == "changes" else (
                lambda value: json.dumps(value, ensure_ascii=False))
        return None


def _changes_text(changes) -> str:
    """An audit event's changes as a person reads them: "postcode: 28001 → 08002",
    money as decimals, the app's own bookkeeping left out (data.json has them all)."""
    if not isinstance(changes, dict):
        return json.dumps(changes, ensure_ascii=False)
    parts = []
    for name, pair in changes.items():
        if audit.is_internal(name) or not isinstance(pair, list) or len(pair) != 2:
            continue
        shown = [_changed_value(name, value) for value in pair]
        field = name.removesuffix("_minor")
        parts.append(f"{field}: {shown[0]} → {shown[1]}")
    return "; ".join(parts)


def _changed_value(name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if name.endswith("_minor") and isinstance(value, int) and not isinstance(value, bool):
        return str(_decimal(value))
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _readme(customer_id: int, produced_at: datetime, counts: dict[str, int]) -> str:
    """README.txt, in the language in force."""
    lines = [
        _("Your personal data"),
        "",
        _("The personal data we hold about you (customer #%(id)s), as it stood on "
          "%(date)s at %(time)s UTC.", id=customer_id, date=produced_at.date().isoformat(),
          time=produced_at.strftime("%H:%M")),
        "",
        _("Files in this archive:"),
        "",
        "README.txt: " + _("This text."),
        "data.json: " + _(
            "Everything below in one document, for programs. Dates and times are in "
            "ISO 8601 format, in UTC. Each amount appears twice: as the whole number of "
            "cents we keep (the fields whose names end in _minor) and as a decimal, with "
            "its currency code."),
    ]
    for section in SECTIONS:
        count = counts.get(section.file_name, 0)
        rows = ngettext("%(num)s row", "%(num)s rows", count)
        lines.append(f"{section.file_name} ({rows}): {section.about}")
    lines += [
        "",
        _("The CSV files open in any spreadsheet program: UTF-8 text, comma-separated, "
          "with a header row. Amounts are decimal numbers with a point (12.50), with "
          "their currency in a column of their own; dates are written YYYY-MM-DD and "
          "times YYYY-MM-DD HH:MM:SS, in UTC. A text that begins like a formula starts "
          "with an apostrophe, so that no spreadsheet runs it."),
        "",
    ]
    return "\r\n".join(lines)
