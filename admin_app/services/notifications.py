"""Messages to customers: queued in the outbox, in the customer's language, sent later."""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from ..choices import NotificationChannel
from ..extensions import db
from ..i18n import money
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
