"""Mail as the worker delivers it: a manager adds balance with "Notify the customer",
the worker runs (``drain``, what ``flask --app wsgi worker --drain`` does), and a real
SMTP server (aiosmtpd) receives the message; retries and interrupted sends come
round in the schedule's ``mail_retry``; a change rolled back sends nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from admin_app import jobs
from admin_app.choices import NotificationStatus
from admin_app.extensions import db
from admin_app.jobs import mail
from admin_app.jobs.schedule import by_name
from admin_app.models import Notification, utcnow
from admin_app.services import ledger
from admin_app.services.ledger import LedgerError

from ..pages import fresh, get_page, hidden_value, only_row


def add_balance_and_notify(client, customer, amount="12.50"):
    url = f"/admin/customers/add-balance/?id={customer.id}"
    response = client.post_form(url, {
        "amount": amount, "reason": "Goodwill", "notify": "y",
        "idempotency_key": hidden_value(get_page(client, url), "idempotency_key")})
    assert response.status_code == 302
    return only_row(Notification)


def plain(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html(message) -> str:
    return message.get_body(("html",)).get_content()


@pytest.mark.parametrize("language, subject, words, amount, closing", [
    ("en", "Your balance changed", "Hello Lucía, your wallet", "€12.50", "Kind regards,"),
    ("es", "Su saldo ha cambiado", "Hola, Lucía: el saldo de su monedero", "12,50\xa0€",
     "Un saludo,"),
])
def test_a_balance_change_with_notify_reaches_the_customer_in_their_language(
        manager, make, drain, smtp_server, language, subject, words, amount, closing):
    customer = make.customer("Lucía", "Moreno", email="lucia@example.com", language=language)
    note = add_balance_and_notify(manager, customer)
    assert smtp_server.messages == []  # nothing is sent inside the request
    assert drain() >= 1
    [received] = smtp_server.messages
    assert received.envelope_to == ["lucia@example.com"] and received["To"] == "lucia@example.com"
    assert received["Subject"] == subject
    assert received["Message-ID"] == fresh(Notification, note.id).message_id
    assert received.get_content_type() == "multipart/alternative"
    for text in (plain(received), html(received)):
        assert words in text and amount in text
        assert closing in text and "Backoffice Demo" in text  # signed with the shop's name
    assert f'<html lang="{language}">' in html(received)
    assert fresh(Notification, note.id).status == NotificationStatus.SENT
    drain()  # the worker again: nothing more leaves
    assert len(smtp_server.messages) == 1


def test_a_refused_message_is_sent_by_the_next_retry(manager, make, drain, smtp_server):
    customer = make.customer("Ana", email="ana@example.com", language="en")
    note = add_balance_and_notify(manager, customer)
    smtp_server.refuse_next = 1
    before = utcnow()
    drain()
    row = fresh(Notification, note.id)
    assert (row.status, row.attempts) == (NotificationStatus.QUEUED, 1)
    assert row.last_error == "SMTP 451 4.3.0 Try again later"
    # Due in a minute (from when the try was made, a moment after ``before``).
    assert before + timedelta(seconds=60) <= row.next_attempt_at \
        <= utcnow() + timedelta(seconds=60)
    assert smtp_server.messages == []
    # A minute later: the schedule's retry delivers it.
    db.session.execute(update(Notification).values(next_attempt_at=utcnow()))
    db.session.commit()
    assert by_name("mail_retry").run() == "1 messages sent, 0 found interrupted"
    db.session.expire_all()
    assert fresh(Notification, note.id).status == NotificationStatus.SENT
    assert len(smtp_server.messages) == 1


def test_the_retry_job_resends_a_message_left_sending_once(make, app, drain, smtp_server):
    customer = make.customer("Ana", email="ana@example.com")
    ledger.add_balance(ledger.store_credit_wallet(customer), 500, actor=None, reason="x",
                       idempotency_key="k1", notify=True)
    drain()
    row = only_row(Notification)
    # As a worker killed after the SMTP call, before marking it, leaves it.
    stuck_since = utcnow() - timedelta(seconds=app.config["MAIL_IN_DOUBT_AFTER"] + 1)
    db.session.execute(update(Notification).values(status=NotificationStatus.SENDING,
                                                   sending_since=stuck_since, sent_at=None))
    db.session.commit()
    assert by_name("mail_retry").run() == "1 messages sent, 1 found interrupted"
    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"] == row.message_id
    assert fresh(Notification, row.id).resent_in_doubt


def test_a_committed_message_is_queued_for_the_worker_and_a_rolled_back_one_is_not(
        make, drain, smtp_server):
    customer = make.customer("Ana", email="ana@example.com")
    wallet = ledger.store_credit_wallet(customer)
    db.session.commit()
    jobs.queue.flush()
    ledger.add_balance(wallet, 500, actor=None, reason="x", idempotency_key="k1", notify=True)
    db.session.flush()  # the row is written, then the change is given up
    db.session.rollback()
    assert jobs.queue.pending_count() == 0
    with pytest.raises(LedgerError):  # a refused change: no message either
        ledger.add_balance(wallet, -100, actor=None, reason="x", idempotency_key="k2",
                           notify=True)
    db.session.rollback()
    assert jobs.queue.pending_count() == 0
    ledger.add_balance(wallet, 500, actor=None, reason="x", idempotency_key="k3", notify=True)
    db.session.commit()
    assert [task.name for task in jobs.queue.pending()] == ["deliver"]
    drain()
    assert len(smtp_server.messages) == 1
    assert db.session.scalars(select(Notification.status)).all() == [NotificationStatus.SENT]


def test_the_task_delivers_once_however_often_it_runs(make, drain, smtp_server):
    customer = make.customer("Ana", email="ana@example.com")
    ledger.add_balance(ledger.store_credit_wallet(customer), 500, actor=None, reason="x",
                       idempotency_key="k1", notify=True)
    db.session.commit()
    note = only_row(Notification)
    mail.deliver(note.id)  # a second delivery of the same task, queued by hand
    drain()
    assert len(smtp_server.messages) == 1


def test_balance_changes_whose_messages_the_queue_cannot_take_are_still_done_once(
        manager, make, drain, smtp_server, monkeypatch):
    """The queue's own SQLite file locked by another process when the request
    commits: the page once said "try again" (500) after the money was posted, and a
    second try would have posted it twice. Now the change is shown as done, the
    queue is tried once (each try waits out its timeout: 5 s a message), and the
    minute's mail_retry sends every message."""
    import sqlite3

    from huey.storage import SqliteStorage

    from ..pages import get_page

    class Impatient(SqliteStorage):
        tries = 0

        def enqueue(self, data, priority=None):
            Impatient.tries += 1
            return super().enqueue(data, priority)

    queue_file = jobs.queue.storage.filename
    monkeypatch.setattr(jobs.queue, "storage",
                        Impatient(name=jobs.queue.name, filename=queue_file, timeout=0.05))
    wallets = [ledger.store_credit_wallet(make.customer(name, email=f"{name}@example.com"))
               for name in ("ana", "eva", "luz")]
    db.session.commit()
    url = "/admin/wallets/add-balance/?" + "&".join(f"id={w.id}" for w in wallets)
    form = {"amount": "12.50", "reason": "Goodwill", "notify": "y",
            "idempotency_key": hidden_value(get_page(manager, url), "idempotency_key")}
    holder = sqlite3.connect(queue_file, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert manager.post_form(url, form).status_code == 302
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert Impatient.tries == 1
    assert [fresh(type(w), w.id).balance_minor for w in wallets] == [1250] * 3
    assert db.session.scalars(select(Notification.status)).all() == \
        [NotificationStatus.QUEUED] * 3
    assert jobs.queue.pending_count() == 0  # no task reached the queue
    assert by_name("mail_retry").run() == "3 messages sent, 0 found interrupted"
    assert len(smtp_server.messages) == 3
