"""Customers: what may be deleted, and the figures kept on the customer row."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..choices import InvoiceStatus
from ..extensions import db
from ..models import Customer, Invoice, Wallet
from .errors import DomainError


def reasons_not_deletable(customer: Customer) -> list[str]:
    """Why deleting this customer would drop money or points (empty when it would not)."""
    reasons = []
    held = db.session.scalar(
        select(func.coalesce(func.sum(Wallet.balance_minor), 0)).where(
            Wallet.customer_id == customer.id
        )
    )
    if held or customer.balance_minor:
        reasons.append(_("they still hold a wallet balance"))
    if customer.loyalty_points:
        reasons.append(_("they still have %(points)s loyalty points", points=customer.loyalty_points))
    unpaid = db.session.scalar(
        select(func.count(Invoice.id)).where(
            Invoice.customer_id == customer.id, Invoice.status == InvoiceStatus.UNPAID
        )
    )
    if unpaid:
        reasons.append(_("they have %(count)s unpaid on-account invoices", count=unpaid))
    return reasons


def ensure_deletable(customer: Customer) -> None:
    """Refuse, with every reason, to delete a customer who holds money or points."""
    reasons = reasons_not_deletable(customer)
    if reasons:
        raise DomainError(
            _("%(name)s cannot be deleted: %(reasons)s.", name=customer.full_name,
              reasons="; ".join(reasons))
        )
