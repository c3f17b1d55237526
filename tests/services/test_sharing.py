"""services/sharing: the wallet summary a share link shows (short name, masked email,
available balance without expired credit, latest payments) and the signed,
expiring share tokens (roundtrip, tampering, other keys and salts, expiry)."""
from __future__ import annotations

import itertools
import time
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer

from admin_app.choices import WalletStatus
from admin_app.extensions import db
from admin_app.models import Customer, Wallet
from admin_app.services import ledger, sharing
from admin_app.services.errors import DomainError

SIGNED_AT = datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)


_keys = itertools.count(1)


def _key() -> str:
    return f"test-sharing-{next(_keys)}"


def _pay(wallet: Wallet, amount: int, outlet=None):
    return ledger.pay(wallet, amount, idempotency_key=_key(),
                      outlet_id=outlet.id if outlet else None)


def _top_up(wallet: Wallet, amount: int, **kwargs):
    return ledger.add_balance(wallet, amount, actor=None, reason="Top-up",
                              idempotency_key=_key(), **kwargs)


# -- names and emails ------------------------------------------------------------------

@pytest.mark.parametrize("first, surname, expected", [
    ("Lucía", "Martín", "Lucía M."),
    ("Lucía", "de la Fuente", "Lucía D."),
    ("  Ana ", " álvarez", "Ana Á."),
])
def test_short_name_is_first_name_and_surname_initial(first, surname, expected):
    assert sharing.short_name(Customer(first_name=first, surname=surname)) == expected


def test_short_name_of_no_customer_is_empty():
    assert sharing.short_name(None) == ""


@pytest.mark.parametrize("email, expected", [
    ("lucia@example.com", "l***a@example.com"),
    ("lucia.martin+shop@example.com", "l***p@example.com"),
    ("abcd@example.com", "a***d@example.com"),
    # Short local parts are masked too, never shown (almost) whole.
    ("abc@example.com", "a***@example.com"),
    ("ab@example.com", "a***@example.com"),
    ("a@example.com", "***@example.com"),
    ("", ""),
    (None, ""),
])
def test_mask_email(email, expected):
    assert sharing.mask_email(email) == expected


def test_mask_never_tells_the_length_of_the_address():
    assert len(sharing.mask_email("lu@x.es")) == len(sharing.mask_email("lux@x.es"))
    assert sharing.mask_email("lucia@x.es") == sharing.mask_email("lucrecia@x.es")


# -- the summary -------------------------------------------------------------------------

def test_summary_of_a_sold_wallet(make):
    customer = make.customer("Lucía", "Martín", email="lucia@example.com")
    code = make.discount_code("WELCOME10", description="10% off your next visit")
    wallet = make.wallet(customer, discount_code=code, sale_date=date(2026, 1, 5),
                         expires_on=date(2027, 1, 5), currency="EUR")

    summary = sharing.wallet_summary(wallet)

    assert summary.wallet_code == wallet.wallet_code
    assert summary.customer_name == "Lucía M."
    assert summary.masked_email == "l***a@example.com"
    assert summary.status == WalletStatus.ACTIVE
    assert summary.status_label == "Active"
    assert (summary.sale_date, summary.expires_on) == (date(2026, 1, 5), date(2027, 1, 5))
    assert (summary.discount_code, summary.discount_description) == (
        "WELCOME10", "10% off your next visit")
    assert summary.currency == "EUR"
    assert summary.available_minor == 0
    assert summary.payments == ()
    assert summary.more_payments is False


def test_summary_of_an_unsold_gift_wallet_without_discount(make):
    wallet = make.wallet(None, status=WalletStatus.BLOCKED)
    summary = sharing.wallet_summary(wallet)
    assert (summary.customer_name, summary.masked_email) == ("", "")
    assert (summary.discount_code, summary.discount_description) == (None, None)
    assert summary.status_label == "Blocked"


def test_summary_of_a_customer_without_email(make):
    wallet = make.wallet(make.customer("Ana", "Ruiz", email=None))
    assert sharing.wallet_summary(wallet).masked_email == ""


def test_available_balance_leaves_out_expired_credit(make):
    wallet = make.wallet(make.customer())
    # A credit given in January 2025 that expired on 31 January 2025...
    _top_up(wallet, 1000, expires_on=date(2025, 1, 31), now=datetime(2025, 1, 1, 9, 0))
    # ...then credit that does not expire, partly spent.
    _top_up(wallet, 2000)
    _pay(wallet, 750)
    db.session.commit()

    assert wallet.balance_minor == 2250  # the ledger still holds the expired part
    assert sharing.wallet_summary(wallet).available_minor == 1250
    # On a day before the expiry, the old credit was still there to spend.
    assert sharing.wallet_summary(wallet, today=date(2025, 1, 15)).available_minor == 2250


def test_payments_are_newest_first_positive_with_their_outlet_and_nothing_else(make):
    wallet = make.wallet(make.customer())
    centre, online = make.outlet("Madrid Centro"), make.outlet("Online shop")
    _top_up(wallet, 10000)
    _pay(wallet, 1250, centre)
    ledger.refund(wallet, 500, idempotency_key=_key(), outlet_id=centre.id)
    _pay(wallet, 300, online)
    _pay(wallet, 99)
    _top_up(wallet, -100)  # a deduction is not a payment
    db.session.commit()

    payments = sharing.wallet_summary(wallet).payments

    assert [(p.amount_minor, p.outlet_name) for p in payments] == [
        (99, ""), (300, "Online shop"), (1250, "Madrid Centro")]
    assert all(isinstance(p.paid_at, datetime) for p in payments)
    assert payments[0].paid_at >= payments[-1].paid_at


def test_at_most_fifty_payments_are_listed(make):
    wallet = make.wallet(make.customer())
    _top_up(wallet, 10000)
    for cents in range(1, sharing.MAX_PAYMENTS + 2):  # 51 payments of 1..51 cents
        _pay(wallet, cents)
    db.session.commit()

    summary = sharing.wallet_summary(wallet)

    assert len(summary.payments) == sharing.MAX_PAYMENTS
    assert summary.payments[0].amount_minor == 51  # the newest
    assert summary.payments[-1].amount_minor == 2  # the oldest (1 cent) is left out
    assert summary.more_payments is True


def test_the_summary_writes_nothing(make):
    wallet = make.wallet(make.customer())
    sharing.wallet_summary(wallet)
    assert not (db.session.new or db.session.dirty or db.session.deleted)


# -- tokens ------------------------------------------------------------------------------

def test_links_last_a_day_by_default(app):
    assert app.config["SHARE_LINK_MAX_AGE"] == 24 * 3600


def test_token_roundtrip(make):
    wallet = make.wallet(make.customer())
    token = sharing.make_share_token(wallet)
    link = sharing.read_share_link(token)
    assert (link.wallet_id, link.wallet_code) == (wallet.id, wallet.wallet_code)
    assert sharing.shared_wallet(link) is wallet


def test_link_expiry_is_signing_time_plus_the_configured_age(app, make, clock, monkeypatch):
    monkeypatch.setitem(app.config, "SHARE_LINK_MAX_AGE", 3600)
    clock(SIGNED_AT)
    token = sharing.make_share_token(make.wallet())
    expected = SIGNED_AT.replace(tzinfo=None) + timedelta(hours=1)
    assert sharing.read_share_link(token).expires_at == expected


@pytest.mark.parametrize("tamper", [
    # Signature changed inside (the last base64 character may carry only padding bits).
    lambda t: t[:-5] + ("A" if t[-5] != "A" else "B") + t[-4:],
    lambda t: "W" + t[1:] if t[0] != "W" else "X" + t[1:],  # payload changed
    lambda t: t.split(".", 1)[1],                         # payload dropped
    lambda t: "not-a-token",
    lambda t: "",
])
def test_tampered_token_is_refused(make, tamper):
    token = sharing.make_share_token(make.wallet())
    with pytest.raises(sharing.ShareLinkInvalid) as refused:
        sharing.read_share_link(tamper(token))
    assert isinstance(refused.value, DomainError)
    assert "not valid" in str(refused.value)


def test_token_for_another_wallet_cannot_be_forged_by_editing_the_payload(app, make):
    mine, other = make.wallet(), make.wallet()
    token = sharing.make_share_token(mine)
    forged = URLSafeTimedSerializer("guessed-key", salt=sharing.SHARE_SALT).dumps(
        [other.id, other.wallet_code])
    spliced = forged.split(".")[0] + "." + token.split(".", 1)[1]
    for attempt in (forged, spliced):
        with pytest.raises(sharing.ShareLinkInvalid):
            sharing.read_share_link(attempt)


def test_other_signed_values_of_the_app_are_not_share_tokens(app, make):
    wallet = make.wallet()
    # Same key, another purpose (another salt): refused.
    other_purpose = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="cookie-session")
    with pytest.raises(sharing.ShareLinkInvalid):
        sharing.read_share_link(other_purpose.dumps([wallet.id, wallet.wallet_code]))


def test_a_token_signed_with_the_right_key_but_odd_payload_is_refused(app):
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=sharing.SHARE_SALT)
    for payload in (7, {"id": 7}, [7], ["7", "ABCD-EFGH"]):
        with pytest.raises(sharing.ShareLinkInvalid):
            sharing.read_share_link(serializer.dumps(payload))


def test_token_expires_after_the_configured_age(app, make, clock, monkeypatch):
    monkeypatch.setitem(app.config, "SHARE_LINK_MAX_AGE", 60)
    wallet = make.wallet()
    clock(SIGNED_AT)
    token = sharing.make_share_token(wallet)

    clock(SIGNED_AT + timedelta(seconds=60))
    assert sharing.read_share_link(token).wallet_id == wallet.id  # still valid at the last second
    clock(SIGNED_AT + timedelta(seconds=61))
    with pytest.raises(sharing.ShareLinkExpired) as refused:
        sharing.read_share_link(token)
    assert isinstance(refused.value, DomainError)
    assert "expired" in str(refused.value)


def test_default_age_is_a_day(make, clock):
    wallet = make.wallet()
    clock(SIGNED_AT)
    token = sharing.make_share_token(wallet)
    clock(SIGNED_AT + timedelta(hours=23, minutes=59))
    assert sharing.read_share_link(token).wallet_id == wallet.id
    clock(SIGNED_AT + timedelta(hours=24, seconds=1))
    with pytest.raises(sharing.ShareLinkExpired):
        sharing.read_share_link(token)


def test_max_age_can_be_given_per_call(make):
    token = sharing.make_share_token(make.wallet())
    with pytest.raises(sharing.ShareLinkExpired):
        sharing.read_share_link(token, max_age=-1)  # any age is too old


def test_real_clock_tiny_max_age(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "SHARE_LINK_MAX_AGE", 0)
    token = sharing.make_share_token(make.wallet())
    time.sleep(1.1)  # itsdangerous counts whole seconds
    with pytest.raises(sharing.ShareLinkExpired):
        sharing.read_share_link(token)


def test_a_deleted_wallet_is_gone(make):
    wallet = make.wallet()
    link = sharing.read_share_link(sharing.make_share_token(wallet))
    db.session.delete(wallet)
    db.session.commit()
    with pytest.raises(sharing.SharedWalletGone):
        sharing.shared_wallet(link)


def test_a_link_never_opens_another_wallet_that_took_the_id(make):
    wallet = make.wallet()
    link = sharing.read_share_link(sharing.make_share_token(wallet))
    stale = sharing.ShareLink(link.wallet_id, "ZZZZ-ZZZZ", link.expires_at)
    with pytest.raises(sharing.SharedWalletGone):
        sharing.shared_wallet(stale)


def test_share_url_is_absolute_and_opens_the_wallet(app, make):
    wallet = make.wallet()
    with app.test_request_context("/admin/wallets/details/", base_url="https://bo.example.com"):
        url = sharing.share_url(wallet)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", "bo.example.com")
    assert parts.path.startswith("/share/wallet/")
    assert sharing.read_share_link(parts.path.rsplit("/", 1)[1]).wallet_id == wallet.id
