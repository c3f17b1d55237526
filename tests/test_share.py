"""/share/wallet/<token>: the public, read-only wallet summary behind a share link.

No login; the summary only (wallet ID, available balance, payments, masked email,
discount) in the visitor's language; private headers on every answer; a bad or
deleted link is a 404, an expired one a 410, each with its message.
"""
from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from admin_app.choices import WalletStatus
from admin_app.extensions import db
from admin_app.services import ledger, sharing

PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}
SIGNED_AT = datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)


def _text(page: str) -> str:
    """Visible text of a page, whitespace (including narrow no-break spaces) collapsed."""
    page = re.sub(r"<(style|title)[^>]*>.*?</\1>", " ", page, flags=re.S)
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", page))
    text = text.replace("\xa0", " ").replace("\u202f", " ")
    return re.sub(r"\s+", " ", text).strip()


def visit(client, token: str, **headers):
    # Every request of a test shares one app context, and flask-babel caches the
    # locale in g: drop it so each visit picks the visitor's language afresh.
    return client.get(f"/share/wallet/{token}", headers=headers)


@pytest.fixture
def sold_wallet(make):
    """Lucía's wallet: 10 € of expired credit, 20 € top-up, two payments (7,50 € left)."""
    customer = make.customer("Lucía", "Martín", email="lucia.martin@example.com")
    code = make.discount_code("WELCOME10", description="10% off your next visit")
    wallet = make.wallet(customer, discount_code=code, sale_date=date(2026, 1, 5),
                         expires_on=date(2027, 1, 5))
    centre = make.outlet("Madrid Centro")
    ledger.add_balance(wallet, 1000, actor=None, reason="Promo", idempotency_key="promo",
                       expires_on=date(2025, 1, 31), now=datetime(2025, 1, 1, 9, 0))
    ledger.add_balance(wallet, 2000, actor=None, reason="Gift", idempotency_key="gift")
    ledger.pay(wallet, 500, idempotency_key="pay-1", outlet_id=centre.id)
    ledger.pay(wallet, 250, idempotency_key="pay-2")
    db.session.commit()
    return wallet


def test_anyone_with_the_link_sees_the_summary_without_logging_in(client, sold_wallet):
    response = visit(client, sharing.make_share_token(sold_wallet))

    assert response.status_code == 200
    text = _text(response.get_data(as_text=True))
    assert sold_wallet.wallet_code in text
    assert "Available balance €12.50" in text  # 30 € credited, 7,50 € paid, 10 € expired
    assert "€22.50" not in text                # the ledger total, expired credit included
    assert "Lucía M." in text and "Martín" not in text
    assert "l***n@example.com" in text
    assert "lucia.martin@example.com" not in response.get_data(as_text=True)
    assert "WELCOME10" in text and "10% off your next visit" in text
    assert "Status Active" in text
    assert "Sale date 1/5/2026" in text and "Expiration date 1/5/2027" in text
    payments = text.split("Payments", 1)[1]
    assert re.search(r"— €2\.50 .* Madrid Centro €5\.00", payments)  # newest first


def test_the_page_leads_nowhere_and_names_no_internal_id(client, sold_wallet):
    token = sharing.make_share_token(sold_wallet)
    page = visit(client, token).get_data(as_text=True)
    # The one form switches the language and comes back to this same page.
    forms = re.findall(r"<form.*?</form>", page, re.S)
    assert len(forms) == 1 and 'action="/language"' in forms[0]
    assert f'name="next" value="/share/wallet/{token}' in forms[0]
    page = page.replace(forms[0], "")
    assert "<a " not in page and "<form" not in page
    # Only the stylesheet comes from the admin's static files.
    assert re.findall(r'"(/admin[^"]*)"', page) == [
        "/admin/static/bootstrap/bootstrap4/css/bootstrap.min.css"]
    assert 'name="robots" content="noindex, nofollow"' in page
    assert "Backoffice" not in page


def test_the_expiry_of_the_link_is_stated(client, make, clock):
    clock(SIGNED_AT)
    page = visit(client, sharing.make_share_token(make.wallet(make.customer())))
    assert "The link expires on March 2, 2026, 10:00:00 AM UTC." in _text(
        page.get_data(as_text=True))


@pytest.mark.parametrize("by", ["browser", "cookie"])
def test_spanish_visitor_gets_spanish_money_and_dates(client, sold_wallet, by):
    headers = {}
    if by == "browser":
        headers["Accept-Language"] = "es-ES,es;q=0.9,en;q=0.5"
    else:  # the language chosen on this site before
        client.set_cookie("lang", "es")
    page = visit(client, sharing.make_share_token(sold_wallet), **headers)
    html = page.get_data(as_text=True)
    text = _text(html)
    assert '<html lang="es">' in html
    assert "12,50 €" in text and "€12.50" not in text
    assert "5,00 €" in text and "2,50 €" in text
    assert "5/1/2026" in text


def test_blocked_and_unsold_wallet_renders(client, make):
    wallet = make.wallet(None, status=WalletStatus.BLOCKED)
    response = visit(client, sharing.make_share_token(wallet))
    text = _text(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Blocked" in text and "No payments yet." in text
    assert "Customer" not in text and "Email" not in text


def test_private_headers_on_the_summary(client, sold_wallet):
    response = visit(client, sharing.make_share_token(sold_wallet))
    for name, value in PRIVATE_HEADERS.items():
        assert response.headers[name] == value


def test_tampered_link_is_not_found(client, sold_wallet):
    token = sharing.make_share_token(sold_wallet)
    response = visit(client, token[:-2] + ("xx" if not token.endswith("xx") else "yy"))
    assert response.status_code == 404
    assert "This link is not valid." in _text(response.get_data(as_text=True))
    assert sold_wallet.wallet_code not in response.get_data(as_text=True)
    for name, value in PRIVATE_HEADERS.items():
        assert response.headers[name] == value


def test_expired_link_is_gone(app, client, sold_wallet, clock, monkeypatch):
    monkeypatch.setitem(app.config, "SHARE_LINK_MAX_AGE", 5)
    clock(SIGNED_AT)
    token = sharing.make_share_token(sold_wallet)
    clock(SIGNED_AT + timedelta(seconds=6))

    response = visit(client, token)

    assert response.status_code == 410
    text = _text(response.get_data(as_text=True))
    assert "This link has expired." in text
    assert sold_wallet.wallet_code not in text
    for name, value in PRIVATE_HEADERS.items():
        assert response.headers[name] == value


def test_expired_link_message_is_in_the_visitors_language(app, client, make, clock, monkeypatch):
    monkeypatch.setitem(app.config, "SHARE_LINK_MAX_AGE", 5)
    clock(SIGNED_AT)
    token = sharing.make_share_token(make.wallet())
    clock(SIGNED_AT + timedelta(seconds=6))

    response = visit(client, token, **{"Accept-Language": "es"})

    assert response.status_code == 410
    assert '<html lang="es">' in response.get_data(as_text=True)


def test_deleted_wallet_is_not_found(client, make):
    wallet = make.wallet(make.customer())
    token = sharing.make_share_token(wallet)
    db.session.delete(wallet)
    db.session.commit()

    response = visit(client, token)

    assert response.status_code == 404
    assert "This wallet is no longer available." in _text(response.get_data(as_text=True))


def test_logged_in_staff_see_the_same_page(admin_client, sold_wallet):
    response = visit(admin_client, sharing.make_share_token(sold_wallet))
    assert response.status_code == 200
    assert "l***n@example.com" in response.get_data(as_text=True)
    assert "Log out" not in response.get_data(as_text=True)
