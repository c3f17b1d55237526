"""On-account sales: the customer pays later, within their account limit.

Rules (see the domain description):
- a customer's unpaid on-account total never passes their account limit, and a
  customer with no limit cannot buy on account;
- invoice numbers are sequential and never reused; an invoice is never deleted
  (it is voided), so its number stays taken;
- an invoice is unpaid, paid or void; only an unpaid one is paid or voided.

How numbers stay unique under concurrency, with no counter table: a new
invoice takes ``max(number) + 1`` while holding one lock that every numbering
takes. On PostgreSQL that is a transaction-level advisory lock on a fixed key
(``pg_advisory_xact_lock``): a second sale, for any customer, waits at the lock
until the first commits or rolls back, then reads the new maximum (READ
COMMITTED gives each statement a fresh snapshot). On SQLite the customer lock
already holds the database's single write lock, which serialises all writers.
A sale that rolls back leaves no hole, and a committed number is never freed
because invoices are never deleted. The unique constraint on ``number`` stays
as the backstop: at a stricter isolation level the second sale would fail
rather than reuse a number.

Locks are taken in one order, customer first, numbering second, so two sales
never wait on each other in a circle. Every function works in the caller's
transaction and never commits; each refusal raises ``InvoiceError`` and
writes nothing.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event, func, select, text

from ..choices import InvoiceStatus
from ..config import default_currency
from ..database import dialect, lock_row
from ..extensions import db
from ..i18n import money
from ..models import Address, Customer, Invoice, Order, utcnow
from . import ledger, permissions, vat
from .errors import DomainError

# Refused as a probable typo: ten million in major units, far below BIGINT.
MAX_AMOUNT_MINOR = 1_000_000_000
# Any fixed 64-bit number; only invoice numbering uses it ("INVOICE#" in ASCII).
NUMBERING_LOCK_KEY = int.from_bytes(b"INVOICE#", "big") >> 1


class InvoiceError(DomainError):
    """An on-account change the rules refuse; nothing was written."""


# -- reading ------------------------------------------------------------------------

def unpaid_total(customer: Customer) -> int:
    """What the customer owes on account: the sum of their unpaid invoices, in minor units."""
    return db.session.execute(
        select(func.coalesce(func.sum(Invoice.amount_minor), 0)).where(
            Invoice.customer_id == customer.id, Invoice.status == InvoiceStatus.UNPAID
        )
    ).scalar_one()


def customer_invoices(customer: Customer, limit: int | None = None) -> list[Invoice]:
    """The customer's on-account sales, newest first (the first ``limit`` of them)."""
    return list(db.session.scalars(
        select(Invoice).where(Invoice.customer_id == customer.id)
        .order_by(Invoice.number.desc()).limit(limit)
    ))


def typed_number(text: str) -> int | None:
    """The invoice number in what a person typed: "66", "000066", or as the invoice
    states it, with its series ("A-000066", "a-66"); None for anything else."""
    match = re.fullmatch(r"\s*(?:[A-Za-z0-9]{1,10}-)?(\d{1,9})\s*", text or "")
    return int(match[1]) if match else None


# -- the account limit ----------------------------------------------------------------

def set_account_limit(customer: Customer, amount_minor: int | None, *, actor) -> Customer:
    """Set the customer's account limit, or remove it with None.

    Refused below what the customer already owes on account. Removing a limit
    counts as zero, since a customer without one may owe nothing on account.
    """
    _require_money_role(actor)
    if amount_minor is not None:
        _check_amount(amount_minor)
        if amount_minor < 0:
            raise InvoiceError(_("An account limit cannot be negative."))
    customer = _lock_customer(customer)
    owed = unpaid_total(customer)
    if owed > (amount_minor or 0):
        if amount_minor is None:
            message = _("%(name)s owes %(owed)s on account: their account limit cannot be "
                        "removed until those invoices are paid or voided.",
                        name=customer.full_name, owed=money(owed))
        else:
            message = _("%(name)s owes %(owed)s on account: their account limit cannot be "
                        "lower than that.", name=customer.full_name, owed=money(owed))
        raise InvoiceError(message)
    customer.account_limit_minor = amount_minor
    current_app.logger.info("account limit of customer %s set to %s by %s",
                            customer.id, amount_minor, _who(actor))
    return customer


# -- on-account sales -------------------------------------------------------------------

def create_on_account_sale(customer: Customer, amount_minor: int, *, actor,
                           order: Order | None = None, issued_on: date | None = None,
                           due_on: date | None = None, due_days: int = 30) -> Invoice:
    """Issue the next invoice for a sale the customer pays later.

    Due ``due_days`` after the issue date unless ``due_on`` is given. Refused when
    it would take the customer's unpaid total past their account limit.
    """
    _require_money_role(actor)
    _check_amount(amount_minor)
    if amount_minor <= 0:
        raise InvoiceError(_("Enter an amount greater than zero."))
    issued_on = issued_on or utcnow().date()
    if due_on is None:
        if due_days < 0:
            raise InvoiceError(_("The payment term cannot be negative."))
        due_on = issued_on + timedelta(days=due_days)
    if due_on < issued_on:
        raise InvoiceError(_("The due date cannot be before the issue date."))

    customer = _lock_customer(customer)
    if order is not None:
        _check_order(order, customer, amount_minor)
    limit = customer.account_limit_minor
    if limit is None:
        raise InvoiceError(_("%(name)s has no account limit, so cannot buy on account.",
                             name=customer.full_name))
    owed = unpaid_total(customer)
    if owed + amount_minor > limit:
        raise InvoiceError(_(
            "This sale would take %(name)s past their account limit of %(limit)s: "
            "they owe %(owed)s, so at most %(left)s more can be sold on account.",
            name=customer.full_name, limit=money(limit), owed=money(owed),
            left=money(max(limit - owed, 0))))

    invoice = Invoice(number=_next_number(), customer_id=customer.id,
                      order_id=order.id if order is not None else None,
                      amount_minor=amount_minor, issued_on=issued_on, due_on=due_on,
                      status=InvoiceStatus.UNPAID, **issue_terms())
    bill_to(invoice, customer)
    db.session.add(invoice)
    db.session.flush()
    current_app.logger.info("invoice %s (%s) issued to customer %s by %s",
                            invoice, amount_minor, customer.id, _who(actor))
    return invoice


def issue_terms() -> dict:
    """What an invoice takes from today's settings when it is issued and keeps after:
    its currency, series and VAT rate (the demo data issues its invoices with these too)."""
    config = current_app.config
    return {"currency": default_currency(), "series": config["INVOICE_SERIES"] or None,
            "vat_rate_bp": vat.rate_bp(config["INVOICE_VAT_RATE"])}


def bill_to(invoice: Invoice, customer: Customer) -> None:
    """Copy the buyer's billing name, address and tax ID onto the invoice: it states
    them as they were when it was issued."""
    for name, value in billing_details(customer.full_name, customer.tax_id,
                                       billing_address(customer)).items():
        setattr(invoice, name, value)


def billing_details(name: str, tax_id: str | None, address: Address | None) -> dict:
    """The invoice's billing columns for a buyer with this name, tax ID and address."""
    return {"billing_name": name, "billing_tax_id": tax_id or None,
            "billing_address": address_text(address) if address is not None else None,
            "billing_country": address.country if address is not None else None}


def address_text(address: Address) -> str:
    """An address as an invoice writes it: street lines, then postcode and city."""
    postcode_city = " ".join(p for p in (address.postcode, address.city) if p)
    return "\n".join(p for p in (address.line1, address.line2, postcode_city) if p)


def billing_address(customer: Customer) -> Address | None:
    """The customer's default address, or their first one."""
    addresses = sorted(customer.addresses, key=lambda a: (not a.is_default, a.id))
    return addresses[0] if addresses else None


def vat_lines(invoice: Invoice) -> list[vat.VatLine]:
    """The invoice's tax base, VAT and total per rate (one rate per invoice today);
    invoices issued before rates were recorded use today's setting."""
    rate = invoice.vat_rate_bp
    if rate is None:
        rate = vat.rate_bp(current_app.config["INVOICE_VAT_RATE"])
    return [vat.split_gross(invoice.amount_minor, rate)]


def mark_paid(invoice: Invoice, *, actor) -> Invoice:
    """The customer paid an unpaid invoice."""
    return _change_status(invoice, InvoiceStatus.PAID, actor=actor)


def void(invoice: Invoice, *, actor) -> Invoice:
    """Cancel an unpaid invoice; its number stays taken."""
    return _change_status(invoice, InvoiceStatus.VOID, actor=actor)


def mark_each_paid(invoice_ids: Iterable[int], *, actor) -> int:
    """Mark these invoices paid, all or none (a refusal leaves every one as it was,
    once the caller rolls back). Returns how many there were."""
    return _change_each(invoice_ids, InvoiceStatus.PAID, actor=actor)


def void_each(invoice_ids: Iterable[int], *, actor) -> int:
    """Void these invoices, all or none. Returns how many there were."""
    return _change_each(invoice_ids, InvoiceStatus.VOID, actor=actor)


def _change_each(invoice_ids: Iterable[int], status: str, *, actor) -> int:
    # In id order, so two people acting on overlapping selections lock alike and
    # never wait on each other in a circle.
    chosen = sorted(set(invoice_ids))
    found = db.session.scalars(select(Invoice).where(Invoice.id.in_(chosen))
                               .order_by(Invoice.id)).all()
    for invoice in found:
        _change_status(invoice, status, actor=actor)
    return len(found)


def _change_status(invoice: Invoice, status: str, *, actor) -> Invoice:
    _require_money_role(actor)
    invoice = lock_row(Invoice, invoice.id)  # two clerks at once: the second sees the first
    if invoice is None:
        raise InvoiceError(_("This invoice does not exist (any more)."))
    if invoice.status != InvoiceStatus.UNPAID:
        raise InvoiceError(_("Invoice %(number)s is %(status)s: only an unpaid invoice can "
                             "be paid or voided.", number=str(invoice),
                             status=InvoiceStatus.label(invoice.status).lower()))
    invoice.status = status
    current_app.logger.info("invoice %s marked %s by %s", invoice, status, _who(actor))
    return invoice


# -- helpers ------------------------------------------------------------------------------

def _lock_customer(customer: Customer) -> Customer:
    locked = lock_row(Customer, customer.id)
    if locked is None:
        raise InvoiceError(_("This customer does not exist (any more)."))
    ledger.refuse_closed(locked)  # no new sale on account, no limit, for either
    return locked


def _next_number() -> int:
    """The number after the highest ever issued; see the module docstring for the lock."""
    if dialect() == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": NUMBERING_LOCK_KEY})
    return db.session.execute(select(func.coalesce(func.max(Invoice.number), 0))).scalar_one() + 1


def _check_order(order: Order, customer: Customer, amount_minor: int) -> None:
    if order.customer_id != customer.id:
        raise InvoiceError(_("Order %(code)s is not an order of %(name)s.",
                             code=order.sale_code, name=customer.full_name))
    if amount_minor > order.total_minor:
        raise InvoiceError(_("The amount is more than the total of order %(code)s (%(total)s).",
                             code=order.sale_code, total=money(order.total_minor, order.currency)))
    earlier = db.session.scalar(select(Invoice).where(
        Invoice.order_id == order.id, Invoice.status != InvoiceStatus.VOID))
    if earlier is not None:
        raise InvoiceError(_("Order %(code)s is already on invoice %(number)s.",
                             code=order.sale_code, number=str(earlier)))


def _check_amount(amount_minor) -> None:
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool):
        raise InvoiceError(_("The amount must be a whole number of cents."))
    if amount_minor > MAX_AMOUNT_MINOR:
        raise InvoiceError(_("That amount is too large."))


def _require_money_role(actor) -> None:
    # The views check first; this keeps every other caller honest. None is the system.
    if actor is not None and not permissions.can(actor, permissions.MONEY):
        raise InvoiceError(_("Your role does not allow on-account changes."))


def _who(actor) -> str:
    return getattr(actor, "email", None) or "system"


@event.listens_for(Invoice, "before_delete")
def _refuse_delete(mapper, connection, invoice: Invoice) -> None:
    # A deleted invoice would free its number for reuse: void it instead.
    raise InvoiceError(_("Invoice %(number)s cannot be deleted: void it instead.",
                         number=str(invoice)))
