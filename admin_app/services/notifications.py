"""Messages to customers: queued in the outbox, in the customer's language, sent later."""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..choices import NotificationChannel, NotificationKind
from ..extensions import db
from ..i18n import duration, money
from ..models import Customer, Notification, Wallet


def balance_changed(customer: Customer, wallet: Wallet, amount_minor: int) -> Notification:
    """Tell the customer their wallet balance changed (email if known, else SMS)."""
    channel = NotificationChannel.EMAIL if customer.email else NotificationChannel.SMS
    with force_locale(customer.language):
        change = money(amount_minor, wallet.currency)
        balance = money(wallet.balance_minor, wallet.currency)
        subject = _("Your balance changed")
        body = _("Hello %(name)s, your wallet %(code)s changed by %(change)s. "
                 "Your balance is now %(balance)s.", name=customer.first_name,
                 code=wallet.wallet_code, change=change, balance=balance)
    notification = Notification(customer_id=customer.id, channel=channel,
                                language=customer.language, subject=subject, body=body)
    db.session.add(notification)
    return notification


def password_reset(customer: Customer, link: str) -> Notification:
    """The customer's link to set a new store password, by email, in their language."""
    shop = current_app.config["SHOP_NAME"]
    with force_locale(customer.language):
        validity = duration(int(current_app.config["CUSTOMER_RESET_MAX_AGE"]))
        subject = _("Set a new password for %(shop)s", shop=shop)
        body = _("Hello %(name)s,\n\n"
                 "To choose a new password for your account at %(shop)s, open this link:\n\n"
                 "%(link)s\n\n"
                 "The link works once, for %(validity)s. If you did not ask for a new "
                 "password, ignore this message: your password stays as it is.\n\n"
                 "%(shop)s", name=customer.first_name, shop=shop, link=link,
                 validity=validity)
    notification = Notification(customer_id=customer.id, kind=NotificationKind.PASSWORD_RESET,
                                channel=NotificationChannel.EMAIL, language=customer.language,
                                recipient=customer.email, subject=subject[:200], body=body)
    db.session.add(notification)
    return notification
