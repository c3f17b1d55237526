"""Pages that move money and points: add balance, adjust points, set an account limit.

Each page is a small form; the view that offers it checks the MONEY capability,
and the work is done by a service (the ledger, invoices) in one transaction.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..changes import committed_or_refused
from ..forms import LocaleDateField, MoneyField, PointsField, SecureForm, strip_text
from ..i18n import money
from ..models import Customer, Wallet
from ..services import invoices, ledger

TEMPLATE = "admin/money_form.html"


def _new_key() -> str:
    return uuid.uuid4().hex


class AddBalanceForm(SecureForm):
    # InputRequired, not DataRequired: that one would hide the parser's own message.
    amount = MoneyField(_l("Amount"), validators=[InputRequired()],
                        description=_l("A negative amount deducts, for example -5.00."))
    reason = StringField(_l("Reason"), filters=[strip_text],
                         validators=[DataRequired(), Length(max=255)])
    expires_at = LocaleDateField(_l("Credit expires on"), validators=[Optional()],
                                 description=_l("Optional: after this day the credit is removed."))
    notify = BooleanField(_l("Notify the customer"))
    # Rendered once with the form: a repeated submission posts once.
    idempotency_key = HiddenField(default=_new_key)


class AdjustPointsForm(SecureForm):
    points = PointsField(_l("Points"), validators=[InputRequired()],
                         description=_l("Negative removes points, for example -20."))
    reason = StringField(_l("Reason"), filters=[strip_text],
                         validators=[DataRequired(), Length(max=255)])
    idempotency_key = HiddenField(default=_new_key)


class AccountLimitForm(SecureForm):
    limit = MoneyField(_l("Account limit"), validators=[Optional()],
                       description=_l("What the customer may owe on account. "
                                      "Leave it empty to remove the limit."))


def _render(view, form, title: str, subject: str, cancel_url: str, status: int = 200):
    return view.render(TEMPLATE, form=form, title=title, subject=subject,
                       cancel_url=cancel_url), status


def _done(message: str, return_url: str):
    flash(message, "success")
    return redirect(return_url)


def add_balance_page(view, wallets: Callable[[], list[Wallet]], *, subject: str,
                     return_url: str):
    """Credit or debit each wallet ``wallets()`` gives, each with its own ledger row."""
    form = AddBalanceForm()
    if request.method == "POST" and form.validate():
        amount = form.amount.data
        with committed_or_refused() as outcome:
            rows = ledger.add_balance_to_each(
                wallets(), amount, actor=current_user, reason=form.reason.data,
                expires_on=form.expires_at.data, notify=form.notify.data,
                idempotency_key=form.idempotency_key.data)
            message = _balance_message(amount, [row.wallet for row in rows])
        if outcome.committed:
            return _done(message, return_url)
    status = 400 if request.method == "POST" else 200
    return _render(view, form, _("Add balance"), subject, return_url, status)


def _balance_message(amount: int, wallets: list[Wallet]) -> str:
    shown = money(abs(amount))
    if len(wallets) != 1:
        if amount > 0:
            return _("Added %(amount)s to %(n)s wallets.", amount=shown, n=len(wallets))
        return _("Deducted %(amount)s from %(n)s wallets.", amount=shown, n=len(wallets))
    wallet = wallets[0]
    balance = money(ledger.available_balance(wallet), wallet.currency)
    if amount > 0:
        return _("Added %(amount)s to wallet %(code)s. Available balance: %(balance)s.",
                 amount=shown, code=wallet.wallet_code, balance=balance)
    return _("Deducted %(amount)s from wallet %(code)s. Available balance: %(balance)s.",
             amount=shown, code=wallet.wallet_code, balance=balance)


def adjust_points_page(view, customer: Customer, *, return_url: str):
    form = AdjustPointsForm()
    if request.method == "POST" and form.validate():
        with committed_or_refused() as outcome:
            row = ledger.adjust_points(customer, form.points.data, actor=current_user,
                                       reason=form.reason.data,
                                       idempotency_key=form.idempotency_key.data)
            message = _("%(name)s now has %(points)s loyalty points.",
                        name=customer.full_name, points=row.balance_after)
        if outcome.committed:
            return _done(message, return_url)
    subject = ngettext("%(name)s has %(num)s loyalty point.",
                       "%(name)s has %(num)s loyalty points.", customer.loyalty_points,
                       name=customer.full_name)
    status = 400 if request.method == "POST" else 200
    return _render(view, form, _("Adjust loyalty points"), subject, return_url, status)


def account_limit_page(view, customer: Customer, *, return_url: str):
    form = AccountLimitForm(data={"limit": customer.account_limit_minor})
    if request.method == "POST" and form.validate():
        with committed_or_refused() as outcome:
            invoices.set_account_limit(customer, form.limit.data, actor=current_user)
        if outcome.committed:
            if form.limit.data is None:
                return _done(_("%(name)s no longer buys on account.", name=customer.full_name),
                             return_url)
            return _done(_("%(name)s may now owe up to %(limit)s on account.",
                           name=customer.full_name, limit=money(form.limit.data)), return_url)
    unpaid = invoices.unpaid_total(customer)
    subject = _("%(name)s owes %(unpaid)s on account.", name=customer.full_name,
                unpaid=money(unpaid))
    status = 400 if request.method == "POST" else 200
    return _render(view, form, _("Account limit"), subject, return_url, status)
