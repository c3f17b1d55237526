"""A queued message as the customer receives it: the email (plain text and HTML, in
the customer's language, signed with the shop's name, from MAIL_DEFAULT_SENDER) or
the text message."""
from __future__ import annotations

import re

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mailman import EmailMultiAlternatives
from markupsafe import Markup, escape

from ..models import Notification

# A link in a plain-text body; the punctuation that ends a sentence is not part of it.
LINK = re.compile(r"https?://[^\s<>\"']+")
TRAILING = ".,;:!?)]"


def text_to_html(text: str) -> Markup:
    """Plain text as HTML paragraphs: everything escaped, line breaks kept, the
    shop's own links (under PUBLIC_URL) clickable. Any other address stays text: a
    customer's name or a typed reason must not become a link in the shop's mail."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()) if p]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(_linked(line)
                                                          for line in p.split("\n")))
        for p in paragraphs)


def _linked(line: str) -> Markup:
    shop = current_app.config["PUBLIC_URL"].rstrip("/") + "/"
    shown, position = Markup(), 0
    for match in LINK.finditer(line):
        url = match.group(0).rstrip(TRAILING)
        if not url.startswith(shop):
            continue
        end = match.start() + len(url)
        shown += escape(line[position:match.start()])
        shown += Markup('<a href="{0}">{0}</a>').format(url)
        position = end
    return shown + escape(line[position:])


def closing() -> str:
    """The words before the shop's name at the end of a message (in the current locale)."""
    return _("Kind regards,")


def email_for(notification: Notification) -> EmailMultiAlternatives:
    """The email, ready to send through any Flask-Mailman connection: its Message-ID
    is the one stored with the message, so every try is the same message."""
    shop = current_app.config["SHOP_NAME"]
    with force_locale(notification.language):
        signed_off = closing()
        text = f"{notification.body}\n\n{signed_off}\n{shop}\n"
        html = render_template("mail/notification.html", language=notification.language,
                               subject=notification.subject, shop=shop, closing=signed_off,
                               body_html=text_to_html(notification.body))
    message = EmailMultiAlternatives(
        subject=notification.subject, body=text,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"], to=[notification.recipient],
        headers={"Message-ID": notification.message_id,
                 "Content-Language": notification.language,
                 # Tells mail servers not to answer it with an out-of-office reply.
                 "Auto-Submitted": "auto-generated"})
    message.attach_alternative(html, "text/html")
    return message


def sms_text(notification: Notification) -> str:
    """A text message: the shop's name, then the body."""
    return f"{current_app.config['SHOP_NAME']}: {notification.body}"
