"""The domain's tables (see the domain description): typed SQLAlchemy 2.x models.

Money is always an integer number of minor units (``*_minor`` columns) plus a
currency code. Timestamps are naive UTC. Methods may change state; none commits.
"""
from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import ClassVar, Protocol

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    exists,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, column_property, mapped_column, relationship

from .choices import (
    AuditAction,
    BlacklistReason,
    Channel,
    ConsentSource,
    DiscountKind,
    DuplicateReason,
    ImportAction,
    ImportStatus,
    InvoiceStatus,
    JobStatus,
    Language,
    LoyaltyTxKind,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    OfferEventKind,
    OrderStatus,
    OrderType,
    Role,
    WalletStatus,
    WalletTxKind,
)
from .config import default_currency
from .extensions import db
from .i18n import money
from .passwords import hash_password, password_matches
from .services import search
from .services.errors import ValidationError
from .storable import text_length

# Characters that cannot be confused when read aloud or typed (no 0/O, 1/I/L).
WALLET_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


# What one and several records of a model with no view of its own are called (the
# audit log names them so); a model that has a view is named by its view instead.
Nouns = tuple[LazyString, LazyString]


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_wallet_code() -> str:
    raw = "".join(secrets.choice(WALLET_CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def name_sort_key(first_name: str | None, surname: str | None) -> str:
    """Surname then first name, folded for case and accents, so that "Álvarez" sorts
    before "Castro" and "de la Fuente" among the Ds, as staff expect."""
    return f"{search.fold(surname)} {search.fold(first_name)}"[:200]


def email_key(email: str | None) -> str | None:
    """An email folded for case and accents ("José@X.es" -> "jose@x.es"), or None."""
    return search.fold(email)[:254] or None


def month_day(day: date | str | None) -> int | None:
    """month * 100 + day (1220 for 20 December), or None: a date's place in any year."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return day.month * 100 + day.day if day else None


class IdModel(Protocol):
    """For code that takes a model class as a parameter (``type[IdModel]``): every
    model here has its mapped table and an integer primary key ``id``."""

    __table__: ClassVar[Table]
    __tablename__: ClassVar[str]
    # A class-level descriptor, as on the models: int on a row, a column on the class.
    id: ClassVar[Mapped[int]]


class Searchable:
    """A model found by a fast substring search over ``search_fields`` (see
    services/search.py): its ``search_text`` is kept by the events below, and
    by ``derived_fields`` where rows are inserted in bulk."""

    search_fields: tuple[str, ...] = ()
    # PostgreSQL: the model's search table (search_table_for below), if it has one.
    search_table: ClassVar[Table | None] = None
    # A server default too: the column was added to tables that had rows.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))

    @classmethod
    def derived_fields(cls, values: dict) -> dict:
        """The columns computed from a row's own values (a dict of column: value)."""
        return {"search_text": search.search_text(*(values.get(f) for f in cls.search_fields))}


def trigram_index(table: str):
    """PostgreSQL's index for ``LIKE '%word%'`` on a search text (SQLite has its
    FTS5 table instead, made by the migration)."""
    return Index(f"ix_{table}_search_text", "search_text", postgresql_using="gin",
                 postgresql_ops={"search_text": "gin_trgm_ops"}).ddl_if(dialect="postgresql")


# The search tables: made by their migration on PostgreSQL only, never by create_all.
SEARCH_TABLES = MetaData()


def search_table_for(source: Table, key: str, *more: str) -> Table:
    """PostgreSQL's narrow copy of a searchable table: its rows' id, ``key`` (the
    list's order, a NOT NULL text), ``more`` (the other columns a list's query
    reads: customers' merged_into_id) and search text, with a trigram index of
    its own. A search with tens of thousands of matches reads each match's row
    to check it; here a row is a seventh of a customer's, so a search without
    filters in an order of its columns reads it alone, three to five times
    faster (services/search_table_pages.py). Searches with filters, or in
    another order, read the table's own rows through its own trigram index.
    Kept in step by triggers that its migration writes by hand, whatever
    writes the rows (the ORM, COPY, a plain UPDATE); ``key`` must be a NOT NULL
    text. tests/test_migrations.py checks the migration against it."""
    columns = [Column(name, source.c[name].type, nullable=source.c[name].nullable)
               for name in ("id", key, *more, "search_text")]
    columns[0].primary_key = True
    name = search.search_table_name(source.name)
    # The walk in the list's order tests each row's text from this index alone.
    in_order = Index(f"ix_{name}_{key}_id", key, "id", *more, postgresql_include=["search_text"])
    return Table(
        name, SEARCH_TABLES, *columns,
        Index(f"ix_{name}_search_text", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
        in_order, info={"in_list_order": in_order.name})


def search_table_of(table: str) -> Table | None:
    """The search table of the table named ``table`` (PostgreSQL), if it has one."""
    return SEARCH_TABLES.tables.get(search.search_table_name(table))


def key_by_id_index(table: str, key: str, *more: str):
    """SQLite's index (id, key, *more) of a searchable table: a search's matches,
    collected to be sorted by ``key`` (a NOT NULL text), read their keys from it
    rather than each match's whole row (views/searching.py, _keys_from_index);
    ``more``: the other columns the list's query reads (customers: merged_into_id).
    PostgreSQL must read each match's row to check it anyway. Its name has
    "_search_", which keeps it out of autogenerate's comparisons, as the search
    indexes are: its migration is written by hand, and ends with ANALYZE of it
    (SQLite's planner takes it only with statistics; database.table_grew keeps
    them after a large import)."""
    return Index(search.key_by_id_index_name(table, key), "id", key, *more).ddl_if(
        dialect="sqlite")


def choice_column(choices, length: int, **kwargs):
    """A short string column limited to the values of a ``Choices`` set.

    The set is kept in ``info`` so views label values and filters offer them,
    and a CHECK constraint (added as its model is mapped) guards the database.
    """
    return mapped_column(String(length), info={"choices": choices}, **kwargs)


@event.listens_for(db.Model, "after_mapper_constructed", propagate=True)
def _check_choice_columns(mapper, model) -> None:
    # On every model as it is mapped, wherever it is defined: a CHECK constraint
    # per choice column of its table ("ck_<table>_<column>_valid").
    if mapper.single:
        return  # single-table inheritance: the parent's mapper did the table
    table = mapper.local_table
    for column in table.columns:
        choices = column.info.get("choices")
        if choices is not None:
            table.append_constraint(
                CheckConstraint(choices.check_sql(column.name), name=f"{column.name}_valid"))


def long_text(length: int) -> String:
    """Free text people type (notes, descriptions): at most ``length`` characters.

    PostgreSQL enforces it as VARCHAR(n). SQLite keeps the TEXT it had (changing a
    declared type there rebuilds the table, and customers cannot be rebuilt under
    their foreign keys); ``_refuse_too_long_text`` below checks every flush on both.
    Forms take their maximum from the same length (see views/conventions.py).
    """
    return String(length).with_variant(Text(), "sqlite")


class AdminUser(UserMixin, db.Model):
    __tablename__ = "admin_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = choice_column(Role, 20, default=Role.VIEWER)
    language: Mapped[str] = choice_column(Language, 5, default=Language.EN)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Part of every session's user id: raising it ends all the user's sessions on
    # every app server (logout, a new password, deactivation; see services/users.py).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version or 0}"

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        return password_matches(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    def __str__(self) -> str:
        return self.name or self.email


class CustomerGroup(db.Model):
    __tablename__ = "customer_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(long_text(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    customers: Mapped[list[Customer]] = relationship(
        back_populates="group", passive_deletes=True, lazy="dynamic"
    )

    def __str__(self) -> str:
        return self.name


class Customer(Searchable, db.Model):
    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint("loyalty_points >= 0", name="points_not_negative"),
        CheckConstraint("balance_minor >= 0", name="balance_not_negative"),
        # The default order, alone and within the filters staff use most. Each ends
        # with merged_into_id: lists leave tombstones out, and a deep page is still
        # read from the index alone.
        Index("ix_customers_sort_name_id", "sort_name", "id", "merged_into_id"),
        Index("ix_customers_group_id_sort_name", "group_id", "sort_name", "id", "merged_into_id"),
        Index("ix_customers_created_at_sort_name", "created_at", "sort_name", "id",
              "merged_into_id"),
        # The list's other sorts, and its filters that match many customers (their
        # capped count and first page read from the index alone).
        *(Index(f"ix_customers_{column}_id", column, "id", "merged_into_id") for column in (
            "postcode", "sales_value_minor", "orders_count", "loyalty_points", "balance_minor",
            # Also the unique card_number's: PostgreSQL puts the customers without a
            # card first when descending, and only this index holds them by id.
            "card_number")),
        *(Index(f"ix_customers_{column}_sort_name", column, "sort_name", "id", "merged_into_id")
          for column in ("marketing_opt_in", "loyalty_member", "country", "birthday",
                         "birthday_month_day", "phone")),
        # Only tombstones: the customers merged into one are found by it, and a list's
        # "not merged" is never planned through it (it would sort every customer).
        Index("ix_customers_merged_into_id", "merged_into_id",
              sqlite_where=text("merged_into_id IS NOT NULL"),
              postgresql_where=text("merged_into_id IS NOT NULL")),
        trigram_index("customers"),
        key_by_id_index("customers", "sort_name", "merged_into_id"),
    )
    search_fields = ("first_name", "surname", "email", "phone", "postcode", "card_number")

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(80))
    surname: Mapped[str] = mapped_column(String(120))
    # name_sort_key(first_name, surname), kept by the events below: the default order.
    sort_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    postcode: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166 alpha-2
    birthday: Mapped[date | None] = mapped_column(Date)
    # month * 100 + day of the birthday (1220 for 20 December), kept by the events
    # below: "birthday, any year" is a range of it, read through its index.
    birthday_month_day: Mapped[int | None] = mapped_column(Integer)
    card_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    tax_id: Mapped[str | None] = mapped_column(String(32))  # NIF/CIF or VAT number, for invoices
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_groups.id", ondelete="SET NULL")
    )
    marketing_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    loyalty_member: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(long_text(4000))
    language: Mapped[str] = choice_column(Language, 5, default=Language.EN)
    channel: Mapped[str] = choice_column(Channel, 20, default=Channel.IN_STORE)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # Figures that lists sort on, kept on the row by the code that changes them.
    sales_value_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    orders_count: Mapped[int] = mapped_column(Integer, default=0)
    loyalty_points: Mapped[int] = mapped_column(BigInteger, default=0)
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    account_limit_minor: Mapped[int | None] = mapped_column(BigInteger)
    # The online store's account: a password hash (never shown), and the secret of
    # the one password reset link that may still be used (a newer link replaces it).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_reset_nonce: Mapped[str | None] = mapped_column(String(64))
    # The email folded for case and accents, kept by the events below: what the
    # duplicates scan groups by (services/duplicates.py).
    email_key: Mapped[str | None] = mapped_column(String(254), index=True)
    # A tombstone: merged into another customer (services/merging.py), which holds
    # everything this one had; old links still land here and point there.
    # No foreign key: adding one to a populated SQLite customers table means rebuilding
    # it under every table that points to it; services/merging.py keeps it right.
    merged_into_id: Mapped[int | None] = mapped_column(Integer)
    merged_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Personal data erased on request (services/erasure.py): amounts and dates stay.
    erased_at: Mapped[datetime | None] = mapped_column(DateTime)

    group: Mapped[CustomerGroup | None] = relationship(back_populates="customers")
    merged_into: Mapped[Customer | None] = relationship(
        primaryjoin="foreign(Customer.merged_into_id) == remote(Customer.id)", viewonly=True)
    wallets: Mapped[list[Wallet]] = relationship(
        back_populates="customer", lazy="dynamic", passive_deletes=True
    )
    orders: Mapped[list[Order]] = relationship(
        back_populates="customer", lazy="dynamic", passive_deletes=True
    )
    addresses: Mapped[list[Address]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )
    wishlist: Mapped[list[WishlistItem]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )
    offer_events: Mapped[list[OfferEvent]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )
    invoices: Mapped[list[Invoice]] = relationship(
        back_populates="customer", lazy="dynamic", passive_deletes=True
    )

    @classmethod
    def derived_fields(cls, values: dict) -> dict:
        return {**super().derived_fields(values),
                "sort_name": name_sort_key(values.get("first_name"), values.get("surname")),
                "email_key": email_key(values.get("email")),
                "birthday_month_day": month_day(values.get("birthday"))}

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.surname}"

    @property
    def is_tombstone(self) -> bool:
        """Merged into another customer: kept only so that old links resolve."""
        return self.merged_into_id is not None

    def __str__(self) -> str:
        return self.full_name


# A million rows, whose common surnames match tens of thousands.
Customer.search_table = search_table_for(Customer.__table__, "sort_name", "merged_into_id")


class Guest(Searchable, db.Model):
    __tablename__ = "guests"
    __table_args__ = (trigram_index("guests"),)
    search_fields = ("name", "email", "phone")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    email_key: Mapped[str | None] = mapped_column(String(254), index=True)  # as on Customer
    # Made a customer (services/guest_conversion.py): the guest stays as a
    # tombstone pointing to the customer that now holds its orders.
    # No foreign key, as for Customer.merged_into_id (services/guest_conversion.py).
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    converted_at: Mapped[datetime | None] = mapped_column(DateTime)

    orders: Mapped[list[Order]] = relationship(back_populates="guest", lazy="dynamic")
    customer: Mapped[Customer | None] = relationship(
        primaryjoin="foreign(Guest.customer_id) == Customer.id", viewonly=True)

    @classmethod
    def derived_fields(cls, values: dict) -> dict:
        return {**super().derived_fields(values), "email_key": email_key(values.get("email"))}

    def __str__(self) -> str:
        return self.name


class BlacklistEntry(db.Model):
    __tablename__ = "blacklist"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    reason: Mapped[str] = choice_column(BlacklistReason, 30)
    note: Mapped[str | None] = mapped_column(long_text(1000))
    added_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    added_by: Mapped[AdminUser | None] = relationship()

    def __str__(self) -> str:
        return self.phone


class Outlet(db.Model):
    __tablename__ = "outlets"
    record_nouns: ClassVar[Nouns] = (_l("outlet"), _l("outlets"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    channel: Mapped[str] = choice_column(Channel, 20, default=Channel.IN_STORE)
    city: Mapped[str | None] = mapped_column(String(80))

    def __str__(self) -> str:
        return self.name


class DiscountCode(db.Model):
    __tablename__ = "discount_codes"
    __table_args__ = (
        CheckConstraint("value > 0", name="value_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str | None] = mapped_column(long_text(1000))
    kind: Mapped[str] = choice_column(DiscountKind, 10, default=DiscountKind.PERCENT)
    # Whole percent for "percent", minor units for "fixed".
    value: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default=default_currency)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    available_in_wallet: Mapped[bool] = mapped_column(Boolean, default=False)

    def __str__(self) -> str:
        return self.code


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(
            "customer_id IS NULL OR guest_id IS NULL", name="one_buyer"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_code: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    guest_id: Mapped[int | None] = mapped_column(ForeignKey("guests.id"), index=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"), index=True)
    order_type: Mapped[str] = choice_column(OrderType, 20, default=OrderType.IN_STORE)
    status: Mapped[str] = choice_column(OrderStatus, 20, default=OrderStatus.PLACED)
    total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default=default_currency)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    customer: Mapped[Customer | None] = relationship(back_populates="orders")
    guest: Mapped[Guest | None] = relationship(back_populates="orders")
    outlet: Mapped[Outlet | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan"
    )

    @property
    def buyer(self) -> Customer | Guest | None:
        """Who bought: the registered customer, or the guest who did not register."""
        return self.customer or self.guest

    def __str__(self) -> str:
        return self.sale_code


class OrderLine(db.Model):
    __tablename__ = "order_lines"
    record_nouns: ClassVar[Nouns] = (_l("order line"), _l("order lines"))
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    product: Mapped[str] = mapped_column(String(160))
    sku: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def line_total_minor(self) -> int:
        return self.quantity * self.unit_price_minor

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"


class Address(db.Model):
    __tablename__ = "addresses"
    record_nouns: ClassVar[Nouns] = (_l("address"), _l("addresses"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    line1: Mapped[str] = mapped_column(String(160))
    line2: Mapped[str | None] = mapped_column(String(160))
    city: Mapped[str] = mapped_column(String(80))
    postcode: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(2))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    customer: Mapped[Customer] = relationship(back_populates="addresses")

    def __str__(self) -> str:
        return ", ".join(p for p in (self.line1, self.postcode, self.city) if p)


class WishlistItem(db.Model):
    __tablename__ = "wishlist_items"
    record_nouns: ClassVar[Nouns] = (_l("wishlist item"), _l("wishlist items"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    product: Mapped[str] = mapped_column(String(160))
    sku: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="wishlist")

    def __str__(self) -> str:
        return self.product


class Offer(db.Model):
    __tablename__ = "offers"
    record_nouns: ClassVar[Nouns] = (_l("offer"), _l("offers"))

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str | None] = mapped_column(long_text(2000))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)

    def __str__(self) -> str:
        return self.title


class OfferEvent(db.Model):
    __tablename__ = "offer_events"
    # The customer list's "offer redeemed" filter finds a range's customers in it alone.
    __table_args__ = (Index("ix_offer_events_occurred_at_kind", "occurred_at", "kind",
                            "customer_id"),)
    record_nouns: ClassVar[Nouns] = (_l("offer event"), _l("offer events"))

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = choice_column(OfferEventKind, 20)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    offer: Mapped[Offer] = relationship()
    customer: Mapped[Customer] = relationship(back_populates="offer_events")

    def __str__(self) -> str:
        return f"{self.offer} ({OfferEventKind.label(self.kind)})"


class Wallet(db.Model):
    __tablename__ = "wallets"
    __table_args__ = (
        CheckConstraint("balance_minor >= 0", name="balance_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wallet_code: Mapped[str] = mapped_column(String(12), unique=True, default=new_wallet_code)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"), index=True)
    status: Mapped[str] = choice_column(WalletStatus, 10, default=WalletStatus.ACTIVE)
    discount_code_id: Mapped[int | None] = mapped_column(ForeignKey("discount_codes.id"))
    is_store_credit: Mapped[bool] = mapped_column(Boolean, default=False)
    sale_date: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"))
    # Cached sum of the wallet's transactions; changed only by the ledger service.
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default=default_currency)

    customer: Mapped[Customer | None] = relationship(back_populates="wallets")
    outlet: Mapped[Outlet | None] = relationship(foreign_keys=[outlet_id])
    last_used_outlet: Mapped[Outlet | None] = relationship(foreign_keys=[last_used_outlet_id])
    discount_code: Mapped[DiscountCode | None] = relationship()
    transactions: Mapped[list[WalletTransaction]] = relationship(
        back_populates="wallet", lazy="dynamic"
    )

    def __str__(self) -> str:
        return self.wallet_code


class WalletTransaction(db.Model):
    """One movement of a wallet's balance: appended, never updated or deleted."""

    __tablename__ = "wallet_transactions"
    __table_args__ = (
        # Only an owner change records no amount (the wallet changed hands, whole).
        CheckConstraint("amount_minor <> 0 OR kind = 'owner_change'", name="amount_not_zero"),
        Index("ix_wallet_transactions_wallet_id_created_at", "wallet_id", "created_at"),
        # The history's order, newest first, ties by id: one index walk for page 1.
        Index("ix_wallet_transactions_created_at_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallets.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    balance_after_minor: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = choice_column(WalletTxKind, 20)
    reason: Mapped[str | None] = mapped_column(String(255))
    credit_expires_on: Mapped[date | None] = mapped_column(Date)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("admin_users.id"))
    customer_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    wallet: Mapped[Wallet] = relationship(back_populates="transactions")
    outlet: Mapped[Outlet | None] = relationship()
    order: Mapped[Order | None] = relationship()
    actor: Mapped[AdminUser | None] = relationship()

    def __str__(self) -> str:
        # The amount as people read it (+1234,50 €), never in cents.
        sign = "+" if self.amount_minor > 0 else ""
        amount = money(self.amount_minor, self.wallet.currency if self.wallet else None)
        return f"{self.wallet or '—'} {sign}{amount}"


class LoyaltyTransaction(db.Model):
    """One movement of a customer's points: appended, never updated or deleted."""

    __tablename__ = "loyalty_transactions"
    __table_args__ = (
        CheckConstraint("points <> 0", name="points_not_zero"),
        Index("ix_loyalty_transactions_customer_id_created_at", "customer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Kept (unlinked) when a customer is deleted: the ledger is never rewritten.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    points: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = choice_column(LoyaltyTxKind, 20)
    reason: Mapped[str | None] = mapped_column(String(255))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("admin_users.id"))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    customer: Mapped[Customer | None] = relationship()
    actor: Mapped[AdminUser | None] = relationship()

    def __str__(self) -> str:
        return f"{self.customer or self.customer_id or '—'} {self.points:+d}"


class Invoice(db.Model):
    """An on-account sale: the customer pays later. Numbers are never reused."""

    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default=default_currency)
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = choice_column(InvoiceStatus, 10, default=InvoiceStatus.UNPAID)
    # As issued, whatever changes later (settings, the customer's record, an erasure).
    series: Mapped[str | None] = mapped_column(String(10))
    vat_rate_bp: Mapped[int | None] = mapped_column(Integer)  # 2100 is 21 %
    billing_name: Mapped[str | None] = mapped_column(String(200))
    billing_address: Mapped[str | None] = mapped_column(Text)  # lines, without the country
    billing_country: Mapped[str | None] = mapped_column(String(2))
    billing_tax_id: Mapped[str | None] = mapped_column(String(32))

    customer: Mapped[Customer | None] = relationship(back_populates="invoices")
    order: Mapped[Order | None] = relationship()

    def __str__(self) -> str:
        # The series and number together, as the invoice states them: A-000066.
        number = f"{self.number:06d}"
        return f"{self.series}-{number}" if self.series else number


class Notification(db.Model):
    """An outbox row: a message for a customer, written in the same transaction as
    the change it tells of, delivered by the worker (services/mail_delivery.py)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_next_attempt_at", "status",
                            "next_attempt_at"),)
    record_nouns: ClassVar[Nouns] = (_l("message"), _l("messages"))
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = choice_column(NotificationKind, 20,
                                      default=NotificationKind.BALANCE_CHANGED)
    channel: Mapped[str] = choice_column(NotificationChannel, 10, default=NotificationChannel.EMAIL)
    language: Mapped[str] = choice_column(Language, 5, default=Language.EN)
    recipient: Mapped[str | None] = mapped_column(String(254))  # the address or number used
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = choice_column(NotificationStatus, 12, default=NotificationStatus.QUEUED)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # Delivery: tries so far, the last error, when the next try is due, when the
    # current try began (a try left "sending" by a killed worker is found by it), and
    # the Message-ID every try reuses, so that a resent message is recognisably the same.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    sending_since: Mapped[datetime | None] = mapped_column(DateTime)
    resent_in_doubt: Mapped[bool] = mapped_column(Boolean, default=False)
    message_id: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)  # filtered on

    customer: Mapped[Customer] = relationship()

    def __str__(self) -> str:
        return self.subject


class Job(db.Model):
    """Long work the worker does for a person (applying or undoing a large import...):
    where it stands, readable by every app server for the progress bar."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_subject", "subject_type", "subject_id"),)
    record_nouns: ClassVar[Nouns] = (_l("job"), _l("jobs"))
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # the task's name: import_apply...
    subject_type: Mapped[str | None] = mapped_column(String(60))  # ImportBatch...
    subject_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = choice_column(JobStatus, 12, default=JobStatus.QUEUED)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)  # last progress written
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # runs begun (a resume adds one)
    outcome: Mapped[str | None] = mapped_column(Text)  # what the person is told at the end

    created_by: Mapped[AdminUser | None] = relationship()

    def __str__(self) -> str:
        return f"{self.kind} #{self.id}"


class ScheduledRun(db.Model):
    """One period's run of a scheduled job (admin_app/jobs/schedule.py): the unique key
    makes the run happen once per period however many workers look."""

    __tablename__ = "scheduled_runs"
    __table_args__ = (UniqueConstraint("name", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    period: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # when queued
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(Text)


class ImportBatch(db.Model):
    """One uploaded file: previewed, then applied (or discarded), and perhaps undone.

    The file and its rows as read are kept until it is applied, so that the
    preview and the confirmation see the same rows whichever app server answers.
    """

    __tablename__ = "import_batches"
    record_nouns: ClassVar[Nouns] = (_l("import"), _l("imports"))
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # what is imported: customers, guests...
    file_name: Mapped[str] = mapped_column(String(255))
    # Loaded when read (up to 40 MB each): a job locks its batch at every chunk.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    read_rows: Mapped[dict | None] = mapped_column(JSON, deferred=True)  # as read and checked
    # Kept after applying: the invalid rows' cells and reasons, to list and download.
    rejected_rows: Mapped[dict | None] = mapped_column(JSON)
    all_or_nothing: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = choice_column(ImportStatus, 12, default=ImportStatus.PREVIEWED)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_created: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_invalid: Mapped[int] = mapped_column(Integer, default=0)

    created_by: Mapped[AdminUser | None] = relationship()
    changes: Mapped[list[ImportChange]] = relationship(
        back_populates="batch", cascade="all, delete-orphan", order_by="ImportChange.id")

    def __str__(self) -> str:
        return self.file_name


class ImportChange(db.Model):
    """What an applied import did to one record, so that it can be undone."""

    __tablename__ = "import_changes"
    # Found by record too: a merge re-points them, an erasure scrubs them.
    __table_args__ = (Index("ix_import_changes_record_id", "record_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True)
    record_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = choice_column(ImportAction, 10)
    line: Mapped[int] = mapped_column(Integer)
    before: Mapped[dict | None] = mapped_column(JSON)  # changed fields, as they were
    after: Mapped[dict] = mapped_column(JSON)  # the same fields, as the import left them

    batch: Mapped[ImportBatch] = relationship(back_populates="changes")


class ConsentChange(db.Model):
    """A change of a customer's marketing opt-in: when, from where, by whom
    (services/consent.py). Kept with the customer; the opt-in column is the current state."""

    __tablename__ = "consent_changes"
    __table_args__ = (Index("ix_consent_changes_customer_id_at", "customer_id", "at"),)
    record_nouns: ClassVar[Nouns] = (_l("consent change"), _l("consent changes"))
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    opted_in: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = choice_column(ConsentSource, 10)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    customer: Mapped[Customer] = relationship()
    actor: Mapped[AdminUser | None] = relationship()

    def __str__(self) -> str:
        return f"{self.customer_id} {ConsentSource.label(self.source)}"


class DuplicateScan(db.Model):
    """One run of the duplicates scan (services/duplicates.py): its groups replace
    the previous run's, and the page shows how old they are."""

    __tablename__ = "duplicate_scans"
    record_nouns: ClassVar[Nouns] = (_l("duplicates scan"), _l("duplicates scans"))
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    groups_found: Mapped[int] = mapped_column(Integer, default=0)


class DuplicateGroup(db.Model):
    """Customers (and guests) that look like one person, and why."""

    __tablename__ = "duplicate_groups"
    __table_args__ = (Index("ix_duplicate_groups_scan_strength", "scan_id", "strength", "id"),)
    record_nouns: ClassVar[Nouns] = (_l("duplicate group"), _l("duplicate groups"))
    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("duplicate_scans.id", ondelete="CASCADE"))
    reason: Mapped[str] = choice_column(DuplicateReason, 20)
    strength: Mapped[int] = mapped_column(Integer)  # DuplicateReason.strength: 0 is strongest
    size: Mapped[int] = mapped_column(Integer)

    members: Mapped[list[DuplicateMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan", passive_deletes=True)


class DuplicateMember(db.Model):
    """One customer or one guest of a duplicate group."""

    __tablename__ = "duplicate_members"
    __table_args__ = (CheckConstraint("(customer_id IS NULL) <> (guest_id IS NULL)",
                                      name="customer_or_guest"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("duplicate_groups.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    guest_id: Mapped[int | None] = mapped_column(
        ForeignKey("guests.id", ondelete="CASCADE"), index=True)

    group: Mapped[DuplicateGroup] = relationship(back_populates="members")
    customer: Mapped[Customer | None] = relationship()
    guest: Mapped[Guest | None] = relationship()


class AuditEvent(db.Model):
    """Who did what, when, from where, to which record, and what changed.

    Written in the same transaction as the change (see services/audit.py);
    never changed or deleted afterwards.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)  # UTC
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_users.id", ondelete="SET NULL"), index=True)
    user_email: Mapped[str | None] = mapped_column(String(254))  # kept if the user goes
    ip: Mapped[str | None] = mapped_column(String(45))
    action: Mapped[str] = choice_column(AuditAction, 20)
    object_type: Mapped[str | None] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(40))
    summary: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict | None] = mapped_column(JSON)  # field -> [before, after]

    user: Mapped[AdminUser | None] = relationship()

    def __str__(self) -> str:
        return f"{self.action} {self.object_type or ''} {self.object_id or ''}".strip()


# Derived figures read in lists: computed by the database in the same query.
Customer.is_blacklisted = column_property(
    exists().where(BlacklistEntry.phone == Customer.phone).correlate_except(BlacklistEntry)
)
Guest.is_blacklisted = column_property(
    exists().where(BlacklistEntry.phone == Guest.phone).correlate_except(BlacklistEntry)
)
Guest.orders_count = column_property(
    select(func.count(Order.id)).where(Order.guest_id == Guest.id).correlate_except(Order)
    .scalar_subquery()
)
# Deferred: a customer row loads its group without counting the group's
# customers (a count per row made the customer list and export crawl).
CustomerGroup.customers_count = column_property(
    select(func.count(Customer.id)).where(Customer.group_id == CustomerGroup.id)
    .correlate_except(Customer).scalar_subquery(),
    deferred=True,
)


class DashboardSnapshot(db.Model):
    """The home page's figures as last computed (services/dashboard.py): one row,
    read by every app server until it is too old."""

    __tablename__ = "dashboard_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    figures: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(DateTime)


def not_tombstones(model) -> list:
    """The conditions that leave out a model's tombstones (a customer merged away, a
    guest made a customer): kept so old links resolve, never found, matched or chosen."""
    if model is Customer:
        return [Customer.merged_into_id.is_(None)]
    if model is Guest:
        return [Guest.customer_id.is_(None)]
    return []


def current_customers() -> list:
    """The conditions for customers a person may still act on as a whole (merge,
    attach a guest to, list as a duplicate): neither merged away nor erased."""
    return [*not_tombstones(Customer), Customer.erased_at.is_(None)]


class LedgerRowImmutable(RuntimeError):
    """Raised when code tries to change or remove a ledger row."""


def _refuse_ledger_change(mapper, connection, target) -> None:
    raise LedgerRowImmutable(f"{type(target).__name__} rows are append-only")


LEDGER_MODELS = (WalletTransaction, LoyaltyTransaction)
# Rows that are only ever added: ledger movements, and the audit trail.
APPEND_ONLY_MODELS = (*LEDGER_MODELS, AuditEvent)

for _ledger_model in APPEND_ONLY_MODELS:
    event.listen(_ledger_model, "before_update", _refuse_ledger_change)
    event.listen(_ledger_model, "before_delete", _refuse_ledger_change)


# Set in a session's info by the erasure of a customer's personal data, the one
# change the audit trail allows: its before/after values about them become "erased".
ERASING_PERSONAL_DATA = "erasing_personal_data"


@event.listens_for(Session, "do_orm_execute")
def _refuse_ledger_bulk_change(state) -> None:
    # UPDATE/DELETE statements fire no mapper events: refuse them here too.
    if not (state.is_update or state.is_delete):
        return
    touched = {mapper.class_ for mapper in state.all_mappers}
    if state.is_update and touched == {AuditEvent} and state.session.info.get(
            ERASING_PERSONAL_DATA):
        return
    if touched & set(APPEND_ONLY_MODELS):
        raise LedgerRowImmutable("ledger and audit rows are append-only")


@event.listens_for(Searchable, "before_insert", propagate=True)
@event.listens_for(Searchable, "before_update", propagate=True)
def _keep_derived_fields(mapper, connection, record: Searchable) -> None:
    values = {key: getattr(record, key) for key in mapper.columns.keys()}
    for key, value in type(record).derived_fields(values).items():
        setattr(record, key, value)


class TextTooLong(ValidationError):
    """A value longer than its column allows (forms say so before this is reached)."""


@event.listens_for(Session, "before_flush")
def _refuse_too_long_text(session, flush_context, instances) -> None:
    # SQLite stores any length in a VARCHAR(n): without this, a 10 MB field is kept.
    for record in (*session.new, *session.dirty):
        state = inspect(record)
        for attr in state.mapper.column_attrs:
            length = text_length(attr.columns[0])
            if not length or (state.persistent and not state.attrs[attr.key].history.added):
                continue  # an edit is checked on the values it changes
            value = state.dict.get(attr.key)
            if isinstance(value, str) and len(value) > length:
                raise TextTooLong(gettext(
                    "A text is too long: at most %(max)s characters (%(field)s).",
                    max=length, field=attr.key))
