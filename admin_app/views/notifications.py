"""The outbox: every message to a customer, where it stands, and "Send again" for the
ones that failed. Read-only: messages are written by the changes they tell of and
delivered by the worker (services/mail_delivery.py). Staff never read a customer's
password-reset link here (notifications.body_for_staff)."""
from __future__ import annotations

import io

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup

from ..changes import committed_or_refused
from ..choices import NotificationChannel
from ..extensions import db
from ..filters import DateRangeFilter, IntegerEqualFilter
from ..models import Notification
from ..services import mail_files, notifications, permissions
from ..services.phones import display_phone
from ..storable import record_ids, whole_number
from .base import MARKET, BaseModelView, needs


def _customer(view, context, model, name):
    return Markup('<a href="{}">{}</a>').format(
        url_for("customers.details_view", id=model.customer_id), model.customer)


def _recipient(view, context, model, name):
    if model.channel == NotificationChannel.SMS:
        return display_phone(model.recipient)
    return model.recipient or ""


def _body(view, context, model, name):
    return Markup('<div class="message-text">{}</div>').format(
        notifications.body_for_staff(model))


def _body_text(view, context, model, name):
    return notifications.body_for_staff(model)


def _last_error(view, context, model, name):
    return notifications.error_for_staff(model)


class NotificationView(BaseModelView):
    model_class = Notification
    menu_name = _l("Outbox")
    view_url = "notifications"
    # The top row of the menu is full at 1,366 px in Spanish: the outbox sits in the
    # group beside the customer entries, with the wallets its balance messages tell of.
    menu_category = MARKET
    record_nouns = (_l("message"), _l("messages"))
    allow_create = allow_edit = allow_delete = False
    action_capabilities = {"send_again": permissions.MANAGE}

    column_list = ("customer", "channel", "language", "subject", "status", "attempts",
                   "last_error", "created_at", "sent_at")
    column_details_list = ("customer", "kind", "channel", "language", "recipient", "subject",
                           "body", "status", "attempts", "last_error", "next_attempt_at",
                           "sending_since", "resent_in_doubt", "message_id", "created_at",
                           "sent_at")
    column_export_list = ("created_at", "customer", "kind", "channel", "language", "recipient",
                          "subject", "body", "status", "attempts", "last_error", "sent_at",
                          "message_id")
    # Indexed columns only: any other order reads the whole outbox.
    column_sortable_list = ("status", "created_at", "sent_at")
    column_default_sort = [("created_at", True), ("id", True)]
    # A customer is found through the customers' own indexed search.
    column_searchable_list = ("subject", "recipient", "customer.first_name", "customer.surname",
                              "customer.email")
    column_filters = (
        IntegerEqualFilter(Notification.customer_id, _l("Customer number")),
        "status",
        "channel",
        "language",
        "kind",
        DateRangeFilter(Notification.created_at, _l("Created")),
        DateRangeFilter(Notification.sent_at, _l("Sent at")),
    )
    column_labels = {
        "kind": _l("Kind"),
        "channel": _l("Channel"),
        "language": _l("Language"),
        "recipient": _l("Sent to"),
        "subject": _l("Subject"),
        "body": _l("Message"),
        "attempts": _l("Attempts"),
        "last_error": _l("Last error"),
        "next_attempt_at": _l("Next attempt"),
        "sending_since": _l("Sending since"),
        "resent_in_doubt": _l("Sent again after an interruption"),
        "message_id": _l("Message-ID"),
        "created_at": _l("Created"),
        "sent_at": _l("Sent at"),
        "customer.first_name": _l("First name"),
        "customer.surname": _l("Surname"),
        "customer.email": _l("Customer email"),
    }
    column_formatters = {"customer": _customer, "recipient": _recipient,
                         "last_error": _last_error}
    column_formatters_detail = {"customer": _customer, "recipient": _recipient,
                                "body": _body, "last_error": _last_error}
    column_formatters_export = {"recipient": _recipient, "body": _body_text,
                                "last_error": _last_error}

    details_template = "admin/notification_details.html"
    list_template = "admin/notification_list.html"

    def details_extras(self, model) -> dict:
        stored = mail_files.read_for_staff(model)
        return {
            "may_send_again": self._allowed(permissions.MANAGE)
            and notifications.may_send_again(model),
            "stored_mail": stored,
            "may_download": stored is not None and self._may_download(),
        }

    def _may_download(self) -> bool:
        # The file is for developers reading their own mail: never in production.
        return not current_app.config.get("PRODUCTION") and self._allowed(permissions.EXPORT)

    # -- sending again ---------------------------------------------------------------
    @expose("/send-again/", methods=("POST",))
    @needs(permissions.MANAGE)
    def send_again_view(self):
        notification = db.get_or_404(Notification, whole_number(request.form.get("id")) or 0)
        with committed_or_refused() as outcome:
            notifications.send_again(notification, actor=current_user._get_current_object())
        if outcome.committed:
            flash(_("“%(subject)s” will be sent again in a moment.",
                    subject=notification.subject), "success")
        return redirect(url_for(".details_view", id=notification.id))

    @action("send_again", _l("Send again"), _l("Send the selected messages again?"))
    def action_send_again(self, ids):
        with committed_or_refused() as outcome:
            count = notifications.send_each_again(record_ids(ids),
                                                  actor=current_user._get_current_object())
        if outcome.committed and count:
            flash(ngettext("%(num)d message will be sent again in a moment.",
                           "%(num)d messages will be sent again in a moment.", count),
                  "success")

    # -- the message as written to a file (no MAIL_SERVER) ---------------------------
    @expose("/<int:notification_id>/eml")
    @needs(permissions.EXPORT)
    def eml_view(self, notification_id: int):
        if current_app.config.get("PRODUCTION"):
            abort(404)
        notification = db.get_or_404(Notification, notification_id)
        content = mail_files.bytes_for_staff(notification)
        if content is None:
            abort(404)
        response = send_file(io.BytesIO(content), mimetype="message/rfc822", as_attachment=True,
                             download_name=mail_files.eml_path(notification).name)
        response.headers["Cache-Control"] = "private, no-store"  # personal data
        return response
