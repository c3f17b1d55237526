"""Small factories for test data: each adds, commits and returns one row."""
from __future__ import annotations

import itertools
from datetime import date, datetime

from sqlalchemy import select

from admin_app.choices import BlacklistReason, InvoiceStatus, WalletStatus
from admin_app.extensions import db
from admin_app.models import (
    BlacklistEntry,
    Customer,
    CustomerGroup,
    DiscountCode,
    Guest,
    Invoice,
    Order,
    Outlet,
    Wallet,
)

_numbers = itertools.count(1)


def _save(row):
    db.session.add(row)
    db.session.commit()
    return row


def group(name: str | None = None, **fields) -> CustomerGroup:
    return _save(CustomerGroup(name=name or f"Group {next(_numbers)}", **fields))


def customer(first_name: str = "Ana", surname: str | None = None, **fields) -> Customer:
    n = next(_numbers)
    fields.setdefault("email", f"customer{n}@example.com")
    return _save(Customer(first_name=first_name, surname=surname or f"Surname{n}", **fields))


def guest(name: str | None = None, **fields) -> Guest:
    return _save(Guest(name=name or f"Guest {next(_numbers)}", **fields))


def outlet(name: str | None = None, **fields) -> Outlet:
    n = next(_numbers)
    return _save(Outlet(name=name or f"Outlet {n}", code=fields.pop("code", f"O{n}"), **fields))


def discount_code(code: str | None = None, available_in_wallet: bool = True,
                  **fields) -> DiscountCode:
    fields.setdefault("value", 10)
    return _save(DiscountCode(code=code or f"CODE{next(_numbers)}",
                              available_in_wallet=available_in_wallet, **fields))


def wallet(customer: Customer | None = None, **fields) -> Wallet:
    fields.setdefault("status", WalletStatus.ACTIVE)
    return _save(Wallet(customer=customer, **fields))


def blacklist(phone: str, reason: str = BlacklistReason.FAKE_ORDERS, **fields) -> BlacklistEntry:
    return _save(BlacklistEntry(phone=phone, reason=reason, **fields))


def order(customer: Customer | None = None, guest: Guest | None = None, **fields) -> Order:
    n = next(_numbers)
    fields.setdefault("total_minor", 1000)
    return _save(Order(sale_code=fields.pop("sale_code", f"T{n:08d}"), customer=customer,
                       guest=guest, **fields))


def invoice(customer: Customer, amount_minor: int = 5000,
            status: str = InvoiceStatus.UNPAID, **fields) -> Invoice:
    n = next(_numbers)
    return _save(Invoice(number=fields.pop("number", n), customer=customer,
                         amount_minor=amount_minor, status=status,
                         issued_on=fields.pop("issued_on", date(2026, 1, 1)),
                         due_on=fields.pop("due_on", date(2026, 1, 31)), **fields))


def example(model: type, **fields):
    """A valid row of any model, from its columns alone: required text, numbers,
    days, choices and relations get plain example values (a required relation
    gets an example row of its own). For models without a factory above, such as
    one a developer has just scaffolded."""
    values = {}
    for column in model.__table__.columns:
        if column.primary_key or column.key in fields or column.nullable \
                or column.default is not None or column.server_default is not None:
            continue
        values[column.key] = _example_value(column)
    return _save(model(**values, **fields))


def example_rows(models) -> None:
    """An example row in each of these tables that holds none: the shared tests
    that open every view need a row to show, and the demo data may not fill a
    new model's table."""
    for model in models:
        if db.session.scalar(select(model.id).limit(1)) is None:
            example(model)


def _example_value(column):
    n = next(_numbers)
    if column.foreign_keys:
        target = next(iter(column.foreign_keys)).column.table
        parent = next(m.class_ for m in db.Model.registry.mappers if m.local_table is target)
        return example(parent).id
    if "choices" in column.info:
        return column.info["choices"].values()[0]
    kind = column.type.python_type
    if kind is str:
        return f"Example {column.key} {n}"[: getattr(column.type, "length", None) or 200]
    if kind is bool:
        return False
    if kind is int:
        return n
    if kind is datetime:
        return datetime(2026, 1, 1, 9, 0)
    if kind is date:
        return date(2026, 1, 1)
    return {} if kind is dict else None
