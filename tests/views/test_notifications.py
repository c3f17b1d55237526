"""The outbox (/admin/notifications/): every message to a customer and where it stands,
in both languages; search, filters, order and export; its details with the .eml file
written without a mail server; "Send again" for managers; the customer page's
messages. Staff never read a customer's password-reset link."""
from __future__ import annotations

from datetime import datetime
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from admin_app.choices import (
    AuditAction,
    NotificationKind,
    NotificationStatus,
    Role,
)
from admin_app.extensions import db
from admin_app.models import AuditEvent, Notification
from admin_app.services import mail_delivery, notifications

from ..pages import (
    apply_filter,
    csv_rows,
    detail_texts,
    filter_offered,
    flashes,
    get_page,
    list_headers,
    listed_ids,
    speak,
    table_rows,
    text,
)
from .test_exports import xlsx_rows

URL = "/admin/notifications/"
TOKEN = "eyJpZCI6MX0.Zx9-secret_token"
RESET_BODY = f"Set a new password: http://127.0.0.1:5000/account/reset/{TOKEN}\nIt works once."


def message(customer, subject="Your balance changed", body="Your balance is now €5.00.",
            kind=NotificationKind.BALANCE_CHANGED, **fields) -> Notification:
    """A message in the outbox, as ``fields`` say it stands."""
    note = notifications.queue(customer, kind=kind, subject=subject, body=body)
    for name, value in fields.items():
        setattr(note, name, value)
    db.session.commit()
    return note


def failed(customer, **fields) -> Notification:
    return message(customer, status=NotificationStatus.FAILED, attempts=5,
                   last_error="SMTP 451 4.3.0 Try again later", **fields)


@pytest.fixture
def ana(make):
    return make.customer("Ana", "Ruiz", email="ana@example.com", language="en")


@pytest.fixture
def pablo(make):
    """Reads Spanish, has no email: his messages are text messages."""
    return make.customer("Pablo", "Gil", email=None, phone="+34600111222", language="es")


# -- the list ----------------------------------------------------------------------------

def test_the_outbox_lists_each_message_and_where_it_stands(login, ana, pablo):
    sent = message(ana, status=NotificationStatus.SENT, attempts=1,
                   created_at=datetime(2026, 3, 1, 9, 0), sent_at=datetime(2026, 3, 1, 9, 1))
    waiting = message(pablo, subject="Tu saldo", status=NotificationStatus.NOT_SENDABLE,
                      last_error=notifications.NO_SMS_PROVIDER,
                      created_at=datetime(2026, 3, 2, 9, 0))
    page = get_page(login(Role.VIEWER), URL)
    assert list_headers(page) == ["Customer", "Channel", "Language", "Subject", "Status",
                                  "Attempts", "Last error", "Created", "Sent at"]
    newest, oldest = table_rows(page)
    assert (newest["id"], oldest["id"]) == (waiting.id, sent.id)  # newest first
    assert (newest["customer"], newest["channel"], newest["language"]) == (
        "Pablo Gil", "SMS", "Español")
    assert (newest["status"], newest["last_error"]) == (
        "Not sendable", "No SMS provider configured")
    assert 'class="badge badge-warning"' in newest["status_html"]
    assert f'/admin/customers/details/?id={pablo.id}' in newest["customer_html"]
    assert (oldest["channel"], oldest["status"], oldest["attempts"]) == ("Email", "Sent", "1")
    assert oldest["sent_at"] == "3/1/2026 9:01 AM"


def test_the_outbox_in_spanish(login, users, pablo):
    message(pablo, subject="Tu saldo", status=NotificationStatus.NOT_SENDABLE,
            last_error=notifications.NO_SMS_PROVIDER)
    client = login(Role.VIEWER)
    speak(users[Role.VIEWER], "es")
    page = get_page(client, URL)
    assert list_headers(page) == ["Cliente", "Canal", "Idioma", "Asunto", "Estado", "Intentos",
                                  "Último error", "Creado", "Enviado el"]
    [row] = table_rows(page)
    assert (row["status"], row["last_error"]) == (
        "No enviable", "No hay ningún proveedor de SMS configurado")
    assert ">Mensajes<" in page  # the menu entry


def test_everyone_who_sees_customers_reads_the_outbox_and_nobody_writes_it(login, ana):
    note = failed(ana)
    viewer = login(Role.VIEWER)
    assert listed_ids(get_page(viewer, URL)) == [note.id]
    assert viewer.get(f"{URL}details/?id={note.id}").status_code == 200
    admin = login(Role.ADMIN)
    assert admin.get(f"{URL}new/").status_code == 403
    assert admin.get(f"{URL}edit/?id={note.id}").status_code == 403
    assert admin.post_form(f"{URL}delete/", {"id": str(note.id)}).status_code == 403
    assert db.session.get(Notification, note.id) is not None


def test_search_finds_messages_by_subject_recipient_or_customer(login, ana, pablo):
    to_ana = message(ana, subject="Your balance changed")
    to_pablo = message(pablo, subject="Restablece tu contraseña")
    client = login(Role.VIEWER)
    assert listed_ids(get_page(client, URL, search="contraseña")) == [to_pablo.id]
    assert listed_ids(get_page(client, URL, search="ana@example")) == [to_ana.id]
    assert listed_ids(get_page(client, URL, search="+34600111222")) == [to_pablo.id]
    assert listed_ids(get_page(client, URL, search="Ruiz")) == [to_ana.id]
    assert listed_ids(get_page(client, URL, search="nothing like it")) == []


@pytest.mark.parametrize("label, value, expected", [
    ("Status", "failed", "failed"),
    ("Channel", "sms", "to_pablo"),
    ("Language", "es", "to_pablo"),
    ("Kind", "password_reset", "reset"),
    ("Created", "2026-01-01 – 2026-01-31", "january"),
    ("Sent at", "2026-02-01 – 2026-02-28", "sent_in_february"),
])
def test_each_filter_lists_the_messages_it_names(login, ana, pablo, label, value, expected):
    rows = {
        "failed": failed(ana, created_at=datetime(2026, 3, 1)),
        "to_pablo": message(pablo, created_at=datetime(2026, 3, 2)),
        "reset": message(ana, kind=NotificationKind.PASSWORD_RESET, body=RESET_BODY,
                         created_at=datetime(2026, 3, 3)),
        "january": message(ana, created_at=datetime(2026, 1, 10, 23, 30)),
        "sent_in_february": message(ana, status=NotificationStatus.SENT,
                                    created_at=datetime(2026, 2, 1),
                                    sent_at=datetime(2026, 2, 28, 23, 59)),
    }
    client = login(Role.VIEWER)
    assert listed_ids(apply_filter(client, URL, label, value)) == [rows[expected].id]


def test_the_filters_offer_statuses_and_kinds_by_their_labels(login, users):
    client = login(Role.VIEWER)
    speak(users[Role.VIEWER], "es")
    page = get_page(client, URL)
    statuses = [label for _value, label in filter_offered(page, "Estado")["options"]]
    assert statuses == ["En cola", "Enviando", "Enviada", "Fallida", "No enviable"]
    kinds = [value for value, _label in filter_offered(page, "Tipo")["options"]]
    assert kinds == NotificationKind.values()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_export_has_every_message_with_reset_links_masked(login, ana, kind):
    message(ana, kind=NotificationKind.PASSWORD_RESET, subject="Your password",
            body=RESET_BODY)
    response = login(Role.OPERATOR).get(f"{URL}export/{kind}/")
    rows = csv_rows(response) if kind == "csv" else xlsx_rows(response)
    header, row = rows
    assert header[:8] == ["Created", "Customer", "Kind", "Channel", "Language", "Sent to",
                          "Subject", "Message"]
    assert row[1:8] == ["Ana Ruiz", "Password reset link", "Email", "English", "ana@example.com",
                        "Your password", RESET_BODY.replace(TOKEN, "…")]
    assert all(TOKEN not in str(cell) for cell in row)


def test_a_viewer_may_not_export_the_outbox(login, ana):
    message(ana)
    assert login(Role.VIEWER).get(f"{URL}export/csv/").status_code == 403


# -- the details page and the .eml file --------------------------------------------------

def test_the_details_show_the_message_with_its_reset_link_masked(login, ana):
    note = message(ana, kind=NotificationKind.PASSWORD_RESET, subject="Your password",
                   body=RESET_BODY)
    page = get_page(login(Role.VIEWER), f"{URL}details/?id={note.id}")
    assert TOKEN not in page
    details = detail_texts(page)
    assert details["Message"] == text(RESET_BODY.replace(TOKEN, "…"))
    assert details["Sent to"] == "ana@example.com"
    assert details["Message-ID"] == note.message_id


def test_without_a_mail_server_the_written_file_is_read_on_the_details_page(login, ana, app,
                                                                            monkeypatch):
    monkeypatch.setattr(mail_delivery.customer_accounts, "link_in_message_works",
                        lambda body: True)  # a made-up link, taken as live
    assert not app.config["MAIL_SERVER"]
    note = message(ana, kind=NotificationKind.PASSWORD_RESET, subject="Your password",
                   body=RESET_BODY)
    mail_delivery.deliver(note.id, commit=db.session.commit)
    client = login(Role.OPERATOR)
    page = get_page(client, f"{URL}details/?id={note.id}")
    assert TOKEN not in page
    stored = text(page.split('id="stored-mail-text"', 1)[1].split("</div>", 1)[0])
    assert "Set a new password: http://127.0.0.1:5000/account/reset/…" in stored
    assert "Backoffice Demo" in stored  # signed, as the customer would read it
    headers = text(page.split('id="stored-mail-headers"', 1)[1].split("</table>", 1)[0])
    assert "To ana@example.com" in headers and f"Message-ID {note.message_id}" in headers
    download = client.get(f"{URL}{note.id}/eml")
    assert download.status_code == 200 and download.mimetype == "message/rfc822"
    assert f'{URL}{note.id}/eml' in page
    assert TOKEN.encode() not in download.get_data()
    eml = message_from_bytes(download.get_data(), policy=policy.default)
    assert eml["Message-ID"] == note.message_id
    assert "/account/reset/…" in eml.get_body(("html",)).get_content()


def test_in_production_the_eml_file_is_not_offered_for_download(login, ana, app, monkeypatch):
    note = message(ana)
    mail_delivery.deliver(note.id, commit=db.session.commit)
    monkeypatch.setitem(app.config, "PRODUCTION", True)
    client = login(Role.ADMIN)
    page = get_page(client, f"{URL}details/?id={note.id}")
    assert 'id="stored-mail-text"' in page and f"{URL}{note.id}/eml" not in page
    assert client.get(f"{URL}{note.id}/eml").status_code == 404


def test_a_viewer_reads_the_file_but_may_not_download_it(login, ana):
    note = message(ana)
    mail_delivery.deliver(note.id, commit=db.session.commit)
    viewer = login(Role.VIEWER)
    page = get_page(viewer, f"{URL}details/?id={note.id}")
    assert 'id="stored-mail-text"' in page and f"{URL}{note.id}/eml" not in page
    assert viewer.get(f"{URL}{note.id}/eml").status_code == 403


# -- sending again -------------------------------------------------------------------------

def test_a_manager_sends_a_failed_message_again(login, ana, drain, smtp_server):
    note = failed(ana)
    client = login(Role.MANAGER)
    page = get_page(client, f"{URL}details/?id={note.id}")
    assert 'action="/admin/notifications/send-again/"' in page
    response = client.post_form(f"{URL}send-again/", {"id": str(note.id)})
    assert response.status_code == 302
    assert ("success", "“Your balance changed” will be sent again in a moment.") in flashes(
        get_page(client, response.headers["Location"]))
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.RESEND)).one()
    assert (event.user_email, event.object_id) == ("manager@example.com", str(note.id))
    drain()
    row = db.session.get(Notification, note.id)
    assert (row.status, row.attempts) == (NotificationStatus.SENT, 1)
    assert [m["Message-ID"] for m in smtp_server.messages] == [row.message_id]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_roles_below_manager_cannot_send_again(login, ana, role):
    note = failed(ana)
    client = login(role)
    page = get_page(client, f"{URL}details/?id={note.id}")
    assert "send-again" not in page and 'data-action="send_again"' not in get_page(client, URL)
    assert client.post_form(f"{URL}send-again/", {"id": str(note.id)}).status_code == 403
    response = client.post_form(f"{URL}action/", {"action": "send_again", "rowid": [note.id]})
    assert response.status_code == 403
    assert db.session.get(Notification, note.id).status == NotificationStatus.FAILED


def test_sending_again_needs_the_forms_csrf_token(login, ana):
    note = failed(ana)
    response = login(Role.MANAGER).post(f"{URL}send-again/", data={"id": str(note.id)})
    assert response.status_code == 400
    assert db.session.get(Notification, note.id).status == NotificationStatus.FAILED


def test_a_sent_message_is_never_sent_again(login, ana):
    note = message(ana, status=NotificationStatus.SENT)
    client = login(Role.MANAGER)
    assert "send-again" not in get_page(client, f"{URL}details/?id={note.id}")
    response = client.post_form(f"{URL}send-again/", {"id": str(note.id)})
    assert ("danger", "“Your balance changed” was sent already: a message is never sent "
                      "twice.") in flashes(get_page(client, response.headers["Location"]))
    assert db.session.get(Notification, note.id).status == NotificationStatus.SENT


def test_the_list_sends_the_checked_failed_messages_again_all_or_none(login, ana):
    first, second = failed(ana), failed(ana)
    sent = message(ana, status=NotificationStatus.SENT)
    client = login(Role.MANAGER)
    response = client.post_form(f"{URL}action/", {"action": "send_again",
                                                  "rowid": [first.id, sent.id]},
                                follow_redirects=True)
    assert "was sent already" in response.get_data(as_text=True)
    assert db.session.get(Notification, first.id).status == NotificationStatus.FAILED
    response = client.post_form(f"{URL}action/", {"action": "send_again",
                                                  "rowid": [first.id, second.id]},
                                follow_redirects=True)
    assert "2 messages will be sent again in a moment." in response.get_data(as_text=True)
    db.session.expire_all()
    assert {db.session.get(Notification, n.id).status for n in (first, second)} == {
        NotificationStatus.QUEUED}


def test_a_text_message_waits_for_an_sms_provider_before_it_can_be_sent_again(
        login, pablo, app, monkeypatch):
    note = message(pablo, status=NotificationStatus.NOT_SENDABLE,
                   last_error=notifications.NO_SMS_PROVIDER)
    client = login(Role.MANAGER)
    assert "send-again" not in get_page(client, f"{URL}details/?id={note.id}")
    monkeypatch.setitem(app.config, "SMS_SENDER", "tests.services.test_mail_delivery.RecordingSms")
    assert "send-again" in get_page(client, f"{URL}details/?id={note.id}")


# -- the customer page ---------------------------------------------------------------------

def test_the_customer_page_lists_the_customers_latest_messages(login, ana, pablo):
    mine = message(ana, subject="Your password", kind=NotificationKind.PASSWORD_RESET,
                   status=NotificationStatus.SENT, sent_at=datetime(2026, 3, 1, 9, 0))
    message(pablo, subject="Tu saldo")
    client = login(Role.VIEWER)
    page = get_page(client, f"/admin/customers/details/?id={ana.id}")
    table = page.split('id="customer-messages"', 1)[1].split("</table>", 1)[0]
    assert f'/admin/notifications/details/?id={mine.id}' in table
    assert "Your password" in table and "Tu saldo" not in table
    assert "Sent" in text(table) and "Email" in text(table)
    see_all = page.split('id="messages"', 1)[1].split("</h3>", 1)[0]
    link = see_all.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert listed_ids(get_page(client, link)) == [mine.id]


def test_a_customer_without_messages_says_so(login, ana):
    page = get_page(login(Role.VIEWER), f"/admin/customers/details/?id={ana.id}")
    assert "No messages yet." in page


def test_an_id_of_thousands_of_digits_is_not_found_not_an_error(login, ana):
    client = login(Role.MANAGER)
    huge = "9" * 5000
    assert client.get(f"{URL}details/?id={huge}").status_code in (302, 404)
    assert client.post_form(f"{URL}send-again/", {"id": huge}).status_code in (302, 400, 404)
    assert client.get(f"/admin/customers/password-reset/?id={huge}").status_code in (302, 404)
