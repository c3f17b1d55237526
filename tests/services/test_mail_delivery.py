"""Delivering the outbox, against a real SMTP server (aiosmtpd): claim, send, mark;
retries with growing delays; a message interrupted while sending is resent once with
the same Message-ID; .eml files without a mail server; text messages."""
from __future__ import annotations

import logging
import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from admin_app import create_app
from admin_app.choices import (
    AuditAction,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    Role,
)
from admin_app.extensions import db
from admin_app.models import AuditEvent, Notification, utcnow
from admin_app.services import mail_delivery, mail_files, notifications
from admin_app.services.notifications import NotificationError

from ..conftest import MailServer
from ..pages import fresh

RESET_LINK = "http://127.0.0.1:5000/account/reset/eyJpZCI6MX0.Zx9-secret_token"


def queued(customer, subject="Your balance changed",
           body="Hello Ana, your balance is now €12.50. See http://127.0.0.1:5000/account."):
    note = notifications.queue(customer, kind=NotificationKind.BALANCE_CHANGED,
                               subject=subject, body=body)
    db.session.commit()
    return note


def deliver(note, now=None):
    return mail_delivery.deliver(note.id, commit=db.session.commit, now=now)


def deliver_due(now=None):
    return mail_delivery.deliver_due(commit=db.session.commit, now=now)


def part(message, kind: str) -> str:
    """The message's text/plain or text/html part, with plain line ends."""
    return message.get_body((kind,)).get_content().replace("\r\n", "\n")


@pytest.fixture
def ana(make):
    return make.customer("Ana", "Ruiz", email="ana@example.com", language="en")


# -- written: addressed at once ---------------------------------------------------------

def test_a_message_is_addressed_when_it_is_written(ana, make):
    note = queued(ana)
    assert note.recipient == "ana@example.com"
    assert note.channel == NotificationChannel.EMAIL
    # In the domain of MAIL_DEFAULT_SENDER ("Backoffice Demo <shop@example.com>").
    assert note.message_id.startswith("<") and note.message_id.endswith("@example.com>")
    by_phone = make.customer("Pablo", email=None, phone="+34600111222")
    text = queued(by_phone)
    assert (text.channel, text.recipient) == (NotificationChannel.SMS, "+34600111222")


def test_a_message_written_without_an_address_gets_one_before_its_first_try(ana, smtp_server):
    note = Notification(customer_id=ana.id, kind=NotificationKind.BALANCE_CHANGED,
                        channel=NotificationChannel.EMAIL, language="en", subject="Hello",
                        body="Hello Ana.")
    db.session.add(note)
    db.session.commit()
    assert deliver(note) == NotificationStatus.SENT
    row = fresh(Notification, note.id)
    assert row.recipient == "ana@example.com" and row.message_id.endswith("@example.com>")
    assert smtp_server.messages[0]["Message-ID"] == row.message_id


def test_a_customer_without_email_or_phone_is_not_tried(make):
    nobody = make.customer("Nadie", email=None, phone=None)
    note = queued(nobody)
    assert deliver(note) == NotificationStatus.FAILED
    row = fresh(Notification, note.id)
    assert (row.attempts, row.last_error) == (0, notifications.NO_RECIPIENT)


# -- sent over SMTP ---------------------------------------------------------------------

def test_a_message_is_sent_once_as_plain_text_and_html(ana, smtp_server):
    note = queued(ana)
    assert deliver(note) == NotificationStatus.SENT
    [received] = smtp_server.messages
    assert received.envelope_to == ["ana@example.com"]
    assert received["Message-ID"] == fresh(Notification, note.id).message_id
    assert received["From"] == "Backoffice Demo <shop@example.com>"
    assert received["Subject"] == "Your balance changed"
    assert received.get_content_type() == "multipart/alternative"
    plain = part(received, "plain")
    html = part(received, "html")
    assert "your balance is now €12.50" in plain and "Kind regards,\nBackoffice Demo" in plain
    assert '<a href="http://127.0.0.1:5000/account">http://127.0.0.1:5000/account</a>.' \
        in html
    assert "Backoffice Demo" in html and '<html lang="en">' in html
    row = fresh(Notification, note.id)
    assert (row.status, row.attempts, row.last_error) == (NotificationStatus.SENT, 1, None)
    assert row.sent_at is not None and row.sending_since is None
    # Delivered again (a second task, another worker): nothing more leaves.
    assert deliver(note) == NotificationStatus.SENT
    assert deliver_due() == 0
    assert len(smtp_server.messages) == 1


def test_the_html_part_escapes_what_the_message_holds(make, smtp_server):
    customer = make.customer("<b>Ana</b>", email="ana@example.com")
    deliver(queued(customer, body="Hello <b>Ana</b> & co,\n\nline <script>x</script>"))
    html = part(smtp_server.messages[0], "html")
    assert "<script>" not in html and "<b>Ana</b>" not in html
    assert "Hello &lt;b&gt;Ana&lt;/b&gt; &amp; co" in html
    assert "line &lt;script&gt;x&lt;/script&gt;" in html


def test_only_the_shops_own_links_are_links_in_the_html_part(make, smtp_server):
    customer = make.customer("Eve https://evil.test/login?x=", email="eve@example.com")
    deliver(queued(customer, body="Hello Eve https://evil.test/login?x=, see "
                                  "http://127.0.0.1:5000/account."))
    html = part(smtp_server.messages[0], "html")
    assert 'href="https://evil.test' not in html and "Eve https://evil.test/login?x=" in html
    assert '<a href="http://127.0.0.1:5000/account">' in html


def test_the_mail_settings_are_read_when_sending(ana, smtp_server, app):
    """The server and its port as they are now, not as they were at start-up."""
    note = queued(ana)
    deliver(note)
    assert len(smtp_server.messages) == 1
    assert app.config["MAIL_PORT"] == smtp_server.port


# -- refused, unreachable: tried again later, then failed ------------------------------

def test_a_refused_message_is_tried_again_after_a_minute(ana, smtp_server):
    note = queued(ana)
    smtp_server.refuse_next = 1
    now = utcnow()
    assert deliver(note, now=now) == NotificationStatus.QUEUED
    row = fresh(Notification, note.id)
    assert (row.status, row.attempts) == (NotificationStatus.QUEUED, 1)
    assert row.next_attempt_at == now + timedelta(seconds=60)
    assert row.last_error == "SMTP 451 4.3.0 Try again later"
    assert deliver_due(now=now + timedelta(seconds=59)) == 0  # not due yet
    assert smtp_server.messages == []
    assert deliver_due(now=now + timedelta(seconds=61)) == 1
    row = fresh(Notification, note.id)
    assert (row.status, row.attempts, row.last_error) == (NotificationStatus.SENT, 2, None)
    assert [m["Message-ID"] for m in smtp_server.messages] == [row.message_id]


def test_after_the_last_delay_a_message_is_failed(ana, smtp_server, app):
    note = queued(ana)
    delays = app.config["MAIL_RETRY_DELAYS"]
    smtp_server.refuse_next = len(delays) + 1
    now = utcnow()
    for attempt, delay in enumerate(delays, start=1):
        assert deliver(note, now=now) == NotificationStatus.QUEUED
        row = fresh(Notification, note.id)
        assert (row.attempts, row.next_attempt_at) == (attempt, now + timedelta(seconds=delay))
        now = row.next_attempt_at
    assert deliver(note, now=now) == NotificationStatus.FAILED
    row = fresh(Notification, note.id)
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, len(delays) + 1)
    assert row.last_error.startswith("SMTP 451")
    assert deliver_due(now=now + timedelta(days=1)) == 0
    assert smtp_server.messages == []


def test_a_mail_server_that_is_down_is_tried_again(ana, app, monkeypatch):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    note = queued(ana)
    assert deliver(note) == NotificationStatus.QUEUED
    assert fresh(Notification, note.id).last_error == "The mail server refused the connection"


def test_a_mail_server_that_never_answers_is_tried_again(ana, app, monkeypatch):
    silent = socket.socket()  # accepts connections (the backlog) and never says a word
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", silent.getsockname()[1])
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 0.2)
    try:
        note = queued(ana)
        assert deliver(note) == NotificationStatus.QUEUED
    finally:
        silent.close()
    assert fresh(Notification, note.id).last_error == "The mail server did not answer in time"


class LoginServer(MailServer):
    """An SMTP server that asks for a login (over plain text: a test on one machine)."""

    def __init__(self, password: bytes):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        super().__init__()
        self.logins: list[tuple[bytes, bytes]] = []

        def authenticate(server, session, envelope, mechanism, data):
            self.logins.append((data.login, data.password))
            return AuthResult(success=data.password == password, handled=False)

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                     authenticator=authenticate, auth_require_tls=False)


@pytest.mark.parametrize("password, sent", [(b"s3cret-Passw0rd", True),
                                            (b"another-one", False)])
def test_the_username_and_password_are_given_to_the_server(ana, app, monkeypatch,
                                                           password, sent):
    server = LoginServer(password)
    server.start()
    try:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
        monkeypatch.setitem(app.config, "MAIL_USERNAME", "shop")
        monkeypatch.setitem(app.config, "MAIL_PASSWORD", "s3cret-Passw0rd")
        note = queued(ana)
        outcome = deliver(note)
    finally:
        server.stop()
    assert set(server.logins) == {(b"shop", b"s3cret-Passw0rd")}  # each mechanism tried
    assert len(server.messages) == (1 if sent else 0)
    assert outcome == (NotificationStatus.SENT if sent else NotificationStatus.QUEUED)
    if not sent:  # what is kept of the refusal names no password
        error = fresh(Notification, note.id).last_error
        assert error.startswith("SMTP 535") and "s3cret" not in error


# -- interrupted while sending -----------------------------------------------------------

def test_a_message_interrupted_while_sending_is_resent_once_with_the_same_message_id(
        ana, smtp_server, app, monkeypatch):
    note = queued(ana)
    now = utcnow()
    with monkeypatch.context() as killed:
        # The worker dies after the SMTP call returned, before it marked the message.
        killed.setattr(mail_delivery, "_finish", lambda *args, **kwargs: None)
        deliver(note, now=now)
    assert fresh(Notification, note.id).status == NotificationStatus.SENDING
    assert len(smtp_server.messages) == 1
    in_doubt = timedelta(seconds=app.config["MAIL_IN_DOUBT_AFTER"])

    # A few seconds later it is just being sent: left alone.
    assert mail_delivery.recover_in_doubt(commit=db.session.commit, now=now + in_doubt) == 0
    later = now + in_doubt + timedelta(seconds=1)
    assert mail_delivery.recover_in_doubt(commit=db.session.commit, now=later) == 1
    row = fresh(Notification, note.id)
    assert (row.status, row.resent_in_doubt) == (NotificationStatus.QUEUED, True)
    assert deliver_due(now=later) == 1
    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"] == row.message_id
    assert fresh(Notification, note.id).status == NotificationStatus.SENT
    # Sent and marked: whatever runs later, it stays sent.
    assert mail_delivery.recover_in_doubt(commit=db.session.commit,
                                          now=later + timedelta(days=1)) == 0
    assert deliver_due(now=later + timedelta(days=1)) == 0
    assert len(smtp_server.messages) == 2


def test_a_message_interrupted_twice_is_failed_and_not_sent_a_third_time(
        ana, smtp_server, app, monkeypatch):
    note = queued(ana)
    now = utcnow()
    step = timedelta(seconds=app.config["MAIL_IN_DOUBT_AFTER"] + 1)
    monkeypatch.setattr(mail_delivery, "_finish", lambda *args, **kwargs: None)
    deliver(note, now=now)
    mail_delivery.recover_in_doubt(commit=db.session.commit, now=now + step)
    deliver_due(now=now + step)
    assert mail_delivery.recover_in_doubt(commit=db.session.commit, now=now + 2 * step) == 1
    monkeypatch.undo()
    row = fresh(Notification, note.id)
    assert row.status == NotificationStatus.FAILED
    assert row.last_error == notifications.IN_DOUBT_TWICE
    assert deliver_due(now=now + 3 * step) == 0
    assert len(smtp_server.messages) == 2


# -- no mail server: an .eml file --------------------------------------------------------

def test_without_a_mail_server_the_message_is_written_as_an_eml_file(ana, app):
    assert not app.config["MAIL_SERVER"]
    note = queued(ana)
    assert deliver(note) == NotificationStatus.SENT
    row = fresh(Notification, note.id)
    path = mail_files.eml_path(row)
    assert path.parent == mail_files.folder() and path.name.startswith(f"{row.id}-")
    written = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert written["Message-ID"] == row.message_id and written["To"] == "ana@example.com"
    assert "your balance is now €12.50" in part(written, "plain")
    assert "127.0.0.1:5000/account" in part(written, "html")
    stored = mail_files.read_for_staff(row)
    assert ("Subject", "Your balance changed") in stored.headers
    assert "your balance is now €12.50" in stored.text


def test_a_reset_link_reaches_the_customer_and_never_staff(ana, smtp_server, app, monkeypatch):
    monkeypatch.setattr(mail_delivery.customer_accounts, "link_in_message_works",
                        lambda body: True)  # a made-up link, taken as live
    body = f"Set your password here: {RESET_LINK}\nIt works once, for an hour."
    note = notifications.queue(ana, kind=NotificationKind.PASSWORD_RESET,
                               subject="Your password", body=body)
    db.session.commit()
    deliver(note)
    received = smtp_server.messages[0]
    assert RESET_LINK in part(received, "plain")
    assert f'href="{RESET_LINK}"' in part(received, "html")
    assert notifications.body_for_staff(note) == (
        "Set your password here: http://127.0.0.1:5000/account/reset/…\n"
        "It works once, for an hour.")
    # Written to a file instead: read back masked, downloaded masked (both parts).
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    again = notifications.queue(ana, kind=NotificationKind.PASSWORD_RESET,
                                subject="Your password", body=body)
    db.session.commit()
    deliver(again)
    assert "eyJpZCI6MX0" in mail_files.eml_path(again).read_text()
    assert "eyJpZCI6MX0" not in mail_files.read_for_staff(again).text
    assert "/account/reset/…" in mail_files.read_for_staff(again).text
    download = message_from_bytes(mail_files.bytes_for_staff(again), policy=policy.default)
    for kind in ("plain", "html"):
        content = part(download, kind)
        assert "/account/reset/…" in content and "eyJpZCI6MX0" not in content


# -- text messages -----------------------------------------------------------------------

class RecordingSms:
    """An SMS provider for this test: keeps what it was given."""

    sent: list[tuple[str, str]] = []

    def __init__(self, config):
        self.shop = config["SHOP_NAME"]

    def send(self, to: str, text: str) -> None:
        RecordingSms.sent.append((to, text))


def test_a_text_message_waits_until_an_sms_provider_is_configured(make, app, monkeypatch):
    customer = make.customer("Pablo", email=None, phone="+34600111222")
    note = queued(customer, body="Your balance is now €5.00.")
    assert deliver(note) == NotificationStatus.NOT_SENDABLE
    row = fresh(Notification, note.id)
    assert (row.attempts, row.last_error) == (0, notifications.NO_SMS_PROVIDER)
    assert deliver_due() == 0
    RecordingSms.sent = []
    monkeypatch.setitem(app.config, "SMS_SENDER", f"{__name__}.RecordingSms")
    assert deliver_due() == 1
    assert RecordingSms.sent == [("+34600111222", "Backoffice Demo: Your balance is now €5.00.")]
    row = fresh(Notification, note.id)
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 1)


# -- sending again -----------------------------------------------------------------------

def _failed(note):
    row = fresh(Notification, note.id)
    row.status, row.attempts, row.last_error = NotificationStatus.FAILED, 5, "SMTP 451 later"
    db.session.commit()
    return row


def test_a_failed_message_is_sent_again_with_fresh_tries_and_in_the_audit_trail(
        ana, users, smtp_server):
    row = _failed(queued(ana))
    message_id = row.message_id
    notifications.send_again(row, actor=users[Role.MANAGER])
    db.session.commit()
    row = fresh(Notification, row.id)
    assert (row.status, row.attempts, row.last_error, row.next_attempt_at) == (
        NotificationStatus.QUEUED, 0, None, None)
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.RESEND)).one()
    assert (event.object_type, event.object_id, event.summary) == (
        "Notification", str(row.id), "Your balance changed")
    assert deliver(row) == NotificationStatus.SENT
    assert smtp_server.messages[0]["Message-ID"] == message_id


def test_only_a_failed_message_is_sent_again(ana, users):
    note = queued(ana)
    manager = users[Role.MANAGER]
    with pytest.raises(NotificationError, match="still on its way"):
        notifications.send_again(note, actor=manager)
    db.session.rollback()
    deliver(note)
    with pytest.raises(NotificationError, match="sent already"):
        notifications.send_again(fresh(Notification, note.id), actor=manager)
    db.session.rollback()
    row = _failed(note)
    with pytest.raises(NotificationError, match="Your role does not allow"):
        notifications.send_again(row, actor=users[Role.OPERATOR])


def test_sending_several_again_is_all_or_none(ana, users):
    failed = _failed(queued(ana))
    sent = queued(ana)
    deliver(sent)
    with pytest.raises(NotificationError):
        notifications.send_each_again([failed.id, sent.id], actor=users[Role.MANAGER])
    db.session.rollback()
    assert fresh(Notification, failed.id).status == NotificationStatus.FAILED


# -- production without a mail server says so ---------------------------------------------

def test_production_without_a_mail_server_warns_at_start_up(caplog):
    production = {"PRODUCTION": True, "SECRET_KEY": "a-long-random-production-key-" + "0" * 30,
                  "SQLALCHEMY_DATABASE_URI": "sqlite://",
                  "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}
    with caplog.at_level(logging.WARNING):
        create_app({**production, "MAIL_SERVER": None})
    assert "messages to customers will not leave this machine" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        create_app({**production, "MAIL_SERVER": "smtp.example.com"})
    assert "will not leave" not in caplog.text


def test_a_message_sent_again_goes_where_the_customer_can_be_reached_now(make, users,
                                                                         smtp_server):
    valeria = make.customer("Valeria", "Moreno", email=None, phone=None)
    note = queued(valeria)
    assert deliver(note) == NotificationStatus.FAILED  # nowhere to send it
    fresh(type(valeria), valeria.id).email = "valeria@example.com"  # staff add her email
    db.session.commit()
    notifications.send_again(fresh(Notification, note.id), actor=users[Role.MANAGER])
    db.session.commit()
    assert deliver(note) == NotificationStatus.SENT
    assert smtp_server.messages[0].envelope_to == ["valeria@example.com"]


def test_a_reset_mail_whose_link_died_is_not_delivered(make, smtp_server):
    from admin_app.services import customer_accounts

    lucia = make.customer("Lucía", "Moreno", email="lucia@example.com", language="es")
    older = customer_accounts.request_password_reset(lucia, actor=None)
    newer = customer_accounts.request_password_reset(fresh(type(lucia), lucia.id), actor=None)
    db.session.commit()
    assert deliver(newer) == NotificationStatus.SENT
    assert deliver(older) == NotificationStatus.FAILED  # its link was replaced: never sent
    assert len(smtp_server.messages) == 1
    assert notifications.error_for_staff(fresh(Notification, older.id)).startswith(
        "The password reset link in this message no longer works")


def test_a_server_answer_quoting_a_reset_link_is_kept_masked(ana):
    import smtplib

    answer = f"5.7.1 Message rejected as spam: URL {RESET_LINK}".encode()
    described = mail_delivery.describe(smtplib.SMTPResponseException(554, answer))
    assert "/account/reset/…" in described and "secret_token" not in described
