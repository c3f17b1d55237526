"""services/customer_accounts: a customer's password reset link (sent in their
language through the outbox, working once and for CUSTOMER_RESET_MAX_AGE, dead
once a newer one is sent), the new password under the staff policy, and an audit
trail that records the request and its use but never the link or the password."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select, update

from admin_app.choices import AuditAction, NotificationChannel, NotificationKind
from admin_app.choices import NotificationStatus as Status
from admin_app.extensions import db
from admin_app.models import AuditEvent, Customer, Notification
from admin_app.passwords import password_matches
from admin_app.services import customer_accounts as accounts
from admin_app.services.customer_accounts import ResetLinkInvalid
from admin_app.services.errors import ValidationError

from ..pages import fresh, row_count

NEW_PASSWORD = "violet hammock under seven lanterns"
SENT_AT = datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)
# What every dead link is told, whatever killed it.
REFUSAL = ("This link no longer works: it has expired, it was already used, or a newer one "
           "was sent. Ask the shop for a new link.")


@pytest.fixture
def lucia(make):
    """A Spanish-reading customer with a store password."""
    return make.customer("Lucía", "Moreno", email="lucia.moreno@example.com", language="es",
                         password_hash="old-hash")


def send(customer) -> Notification:
    message = accounts.request_password_reset(customer, actor=None)
    db.session.commit()
    return message


def token_of(message: Notification) -> str:
    link = next(word for word in message.body.split() if accounts.RESET_PATH in word)
    return urlsplit(link).path.removeprefix(accounts.RESET_PATH)


def refused(token: str) -> str:
    with pytest.raises(ResetLinkInvalid) as refusal:
        accounts.customer_for_reset(token)
    return str(refusal.value)


# -- the message in the outbox ---------------------------------------------------------

def test_the_link_is_queued_in_the_customers_language(app, lucia):
    message = send(lucia)
    assert (message.kind, message.channel, message.status) == (
        NotificationKind.PASSWORD_RESET, NotificationChannel.EMAIL, Status.QUEUED)
    assert (message.customer_id, message.language, message.recipient) == (
        lucia.id, "es", "lucia.moreno@example.com")
    assert message.subject == "Elegir una contraseña nueva para Backoffice Demo"
    assert message.body.startswith("Hola, Lucía:")
    assert "durante 1 hora" in message.body
    assert f"{app.config['PUBLIC_URL']}/account/reset/{token_of(message)}" in message.body
    assert message.body.count("Backoffice Demo") == 1  # the mail itself signs with it


def test_an_english_customer_reads_english_and_the_validity_follows_the_setting(app, make):
    customer = make.customer("Tom", "Hale", language="en")
    app.config["CUSTOMER_RESET_MAX_AGE"] = 2 * 3600
    try:
        message = send(customer)
    finally:
        app.config["CUSTOMER_RESET_MAX_AGE"] = 3600
    assert message.subject == "Set a new password for Backoffice Demo"
    assert message.body.startswith("Hello Tom,")
    assert "The link works once, for 2 hours." in message.body


def test_a_customer_without_email_is_refused_and_nothing_is_written(make):
    customer = make.customer("Sin", "Correo", email=None)
    with pytest.raises(ValidationError, match="Sin Correo has no email address"):
        accounts.request_password_reset(customer, actor=None)
    db.session.rollback()
    assert fresh(Customer, customer.id).password_reset_nonce is None
    assert row_count(Notification) == 0
    assert not db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.RESET_SENT)).all()


# -- the link --------------------------------------------------------------------------

def test_the_link_sets_the_password_once(lucia):
    token = token_of(send(lucia))
    assert accounts.customer_for_reset(token).id == lucia.id
    accounts.reset_password(token, NEW_PASSWORD, NEW_PASSWORD)
    db.session.commit()
    stored = fresh(Customer, lucia.id)
    assert password_matches(stored.password_hash, NEW_PASSWORD)
    assert stored.password_reset_nonce is None
    assert refused(token) == REFUSAL
    with pytest.raises(ResetLinkInvalid):
        accounts.reset_password(token, "another " + NEW_PASSWORD, "another " + NEW_PASSWORD)


def test_the_link_works_for_an_hour_and_not_a_second_more(lucia, clock):
    clock(SENT_AT)
    token = token_of(send(lucia))
    clock(SENT_AT + timedelta(seconds=3599))
    assert accounts.customer_for_reset(token).id == lucia.id
    clock(SENT_AT + timedelta(seconds=3601))
    assert refused(token) == REFUSAL
    with pytest.raises(ResetLinkInvalid):
        accounts.reset_password(token, NEW_PASSWORD, NEW_PASSWORD)
    assert fresh(Customer, lucia.id).password_hash == "old-hash"


def test_a_newer_link_kills_the_older_one(lucia):
    older = token_of(send(lucia))
    newer = token_of(send(lucia))
    assert refused(older) == REFUSAL
    accounts.reset_password(newer, NEW_PASSWORD, NEW_PASSWORD)
    db.session.commit()
    assert password_matches(fresh(Customer, lucia.id).password_hash, NEW_PASSWORD)


def test_a_new_email_address_kills_the_link_sent_to_the_old_one(lucia):
    token = token_of(send(lucia))
    lucia = fresh(Customer, lucia.id)
    lucia.email = "lucia.nueva@example.com"  # as the edit form or an import sets it
    db.session.commit()
    assert refused(token) == REFUSAL
    still = token_of(send(fresh(Customer, lucia.id)))  # a link to the new address works
    assert accounts.customer_for_reset(still).id == lucia.id


def test_of_two_submissions_at_once_only_one_sets_the_password(lucia):
    token = token_of(send(lucia))
    accounts.customer_for_reset(token)  # this submission has found the link working...
    with db.engine.begin() as other:  # ...when another one uses it first
        other.execute(update(Customer).where(Customer.id == lucia.id).values(
            password_hash="set-by-the-other", password_reset_nonce=None))
    with pytest.raises(ResetLinkInvalid):
        accounts.reset_password(token, NEW_PASSWORD, NEW_PASSWORD)
    db.session.rollback()
    assert fresh(Customer, lucia.id).password_hash == "set-by-the-other"


def _signed(payload, key="tests-only", salt=accounts.RESET_SALT) -> str:
    return URLSafeTimedSerializer(key, salt=salt).dumps(payload)


@pytest.mark.parametrize("forge", [
    lambda token, c, n: token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
    lambda token, c, n: token[:20],
    lambda token, c, n: "not-a-token",
    lambda token, c, n: "",
    lambda token, c, n: "é" * 40,
    lambda token, c, n: _signed({"c": c, "n": n}, key="another-key"),
    lambda token, c, n: _signed({"c": c, "n": n}, salt="backoffice.wallet-share.v1"),
    lambda token, c, n: _signed({"c": c, "n": "a guess"}),
    lambda token, c, n: _signed({"c": c, "n": None}),
    lambda token, c, n: _signed({"c": c + 1, "n": n}),
    lambda token, c, n: _signed({"c": str(c), "n": n}),
    lambda token, c, n: _signed([c, n]),
    lambda token, c, n: _signed({"c": c}),
], ids=["tampered", "cut", "garbage", "empty", "accents", "other-key", "other-salt",
        "guessed-secret", "no-secret", "other-customer", "id-as-text", "a-list",
        "no-secret-field"])
def test_a_forged_or_garbled_link_is_refused_with_the_same_message(lucia, make, forge):
    make.customer("Otro", "Cliente", password_reset_nonce="someone-elses-secret")
    token = token_of(send(lucia))
    forged = forge(token, lucia.id, fresh(Customer, lucia.id).password_reset_nonce)
    assert refused(forged) == REFUSAL
    with pytest.raises(ResetLinkInvalid):
        accounts.reset_password(forged, NEW_PASSWORD, NEW_PASSWORD)
    assert accounts.customer_for_reset(token).id == lucia.id  # the real one still works


def test_a_customer_who_never_had_a_link_has_none_that_works(lucia):
    assert refused(_signed({"c": lucia.id, "n": ""})) == REFUSAL


# -- the password ----------------------------------------------------------------------

@pytest.mark.parametrize("password, confirm, reason", [
    ("short", "short", "at least 12 characters"),
    ("aaaaaaaaaaaaaa", "aaaaaaaaaaaaaa", "one character repeated"),
    ("password1234", "password1234", "too common"),
    ("lucia.moreno@example.com", "lucia.moreno@example.com", "too common"),  # her own email
    (NEW_PASSWORD, NEW_PASSWORD + "!", "The two new passwords differ."),
    ("x" * 129, "x" * 129, "at most 128 characters"),
])
def test_the_staff_password_policy_applies_and_a_refusal_keeps_the_link(
        lucia, password, confirm, reason):
    token = token_of(send(lucia))
    with pytest.raises(ValidationError, match=reason):
        accounts.reset_password(token, password, confirm)
    db.session.rollback()
    assert accounts.customer_for_reset(token).id == lucia.id
    assert fresh(Customer, lucia.id).password_hash == "old-hash"


# -- the audit trail -------------------------------------------------------------------

def test_the_trail_has_the_request_and_the_use_never_the_link_or_the_password(
        lucia, users):
    operator = users["operator"]
    message = accounts.request_password_reset(lucia, actor=operator)
    db.session.commit()
    token = token_of(message)
    secret = fresh(Customer, lucia.id).password_reset_nonce
    accounts.reset_password(token, NEW_PASSWORD, NEW_PASSWORD)
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "Customer", AuditEvent.action != AuditAction.CREATE)
        .order_by(AuditEvent.id)).all()
    assert [(e.action, e.object_id, e.summary, e.user_id, e.user_email) for e in events] == [
        (AuditAction.RESET_SENT, str(lucia.id), "Lucía Moreno", operator.id, operator.email),
        (AuditAction.RESET_USED, str(lucia.id), "Lucía Moreno", None, None),
    ]
    everything = json.dumps([[e.summary, e.changes] for e in
                             db.session.scalars(select(AuditEvent))], ensure_ascii=False)
    for never in (token, secret, NEW_PASSWORD, fresh(Customer, lucia.id).password_hash):
        assert never not in everything


# -- the masked address ----------------------------------------------------------------

@pytest.mark.parametrize("email, masked", [
    ("lucia.moreno@example.com", "l•••@e•••.com"),
    ("l@e.es", "l•••@e•••.es"),
    ("ana@mail.example.co.uk", "a•••@m•••.uk"),
    ("root@localhost", "r•••@l•••"),
    ("", "•••"),
    (None, "•••"),
    ("no-at-sign", "•••"),
])
def test_the_masked_email_shows_a_letter_of_each_part_and_no_length(email, masked):
    assert accounts.masked_email(email) == masked
