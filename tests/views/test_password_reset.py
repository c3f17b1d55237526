"""A customer's online-store password reset, through the pages: staff send the link
from the customer page (operator and up, CSRF-checked, the address masked), and
the customer sets a new password on the public page /account/reset/<token> (no
login, their language first, the masked email only, private headers, throttled
like the login); the store password is never shown or edited in the back office."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from admin_app.choices import AuditAction, NotificationKind, Role
from admin_app.extensions import db
from admin_app.models import AuditEvent, Customer, Notification
from admin_app.passwords import password_matches
from admin_app.services import customer_accounts as accounts

from ..language import foreign_words, stored_text_values
from ..pages import (
    apply_import,
    batch_id,
    csv_rows,
    flashes,
    fresh,
    get_page,
    row_count,
    text,
    the_error_flashed,
    upload,
)

CUSTOMERS = "/admin/customers/"
NEW_PASSWORD = "violet hammock under seven lanterns"
MASKED = "l•••@e•••.com"
SENT_AT = datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)
REFUSAL = {
    "en": "This link no longer works: it has expired, it was already used, or a newer one "
          "was sent. Ask the shop for a new link.",
    "es": "Este enlace ya no funciona: ha caducado, ya se ha usado o se ha enviado uno más "
          "reciente. Hay que pedir un enlace nuevo a la tienda.",
}


@pytest.fixture
def lucia(make):
    """A Spanish-reading customer of the online store."""
    return make.customer("Lucía", "Moreno", email="lucia.moreno@example.com", language="es",
                         phone="+34600111222")


def send_link(customer) -> str:
    """A new link for ``customer``, as the outbox holds it: its path on this site."""
    message = accounts.request_password_reset(customer, actor=None)
    db.session.commit()
    return link_path(message.body)


def link_path(body: str) -> str:
    link = next(word for word in body.split() if accounts.RESET_PATH in word)
    return urlsplit(link).path


def password_of(customer) -> str | None:
    return fresh(Customer, customer.id).password_hash


def post_password(client, path: str, new: str = NEW_PASSWORD, confirm: str | None = None,
                  **kwargs):
    return client.post_form(path, {"new": new, "confirm": new if confirm is None else confirm},
                            **kwargs)


# -- staff send the link ---------------------------------------------------------------

def test_an_operator_sends_a_link_from_the_customer_page(operator, users, lucia):
    details = get_page(operator, f"{CUSTOMERS}details/?id={lucia.id}")
    button = f'href="/admin/customers/password-reset/?id={lucia.id}"'
    assert button in details and "Send a password reset link" in text(details)

    question = text(get_page(operator, f"{CUSTOMERS}password-reset/?id={lucia.id}"))
    assert ("Send Lucía Moreno a link to set a new password for the online store? The link "
            f"goes to {MASKED} and works once, for 1 hour. Any link sent before stops "
            "working.") in question
    assert row_count(Notification) == 0  # asking sends nothing

    response = operator.post_form(f"{CUSTOMERS}password-reset/?id={lucia.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{CUSTOMERS}details/?id={lucia.id}"
    page = get_page(operator, response.headers["Location"])
    assert ("success", f"A password reset link was sent to {MASKED}.") in flashes(page)
    assert "lucia.moreno@example.com" not in text(page.split('id="customer-head"')[0])
    message = db.session.scalars(select(Notification)).one()
    assert (message.kind, message.customer_id, message.language) == (
        NotificationKind.PASSWORD_RESET, lucia.id, "es")
    sent = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.RESET_SENT)).one()
    assert (sent.object_id, sent.user_email) == (str(lucia.id), users[Role.OPERATOR].email)


def test_a_viewer_has_no_button_and_is_refused_on_the_server(login, lucia):
    viewer = login(Role.VIEWER)
    details = get_page(viewer, f"{CUSTOMERS}details/?id={lucia.id}")
    assert "password-reset" not in details
    url = f"{CUSTOMERS}password-reset/?id={lucia.id}"
    assert viewer.get(url).status_code == 403
    assert viewer.post_form(url).status_code == 403
    assert row_count(Notification) == 0
    assert fresh(Customer, lucia.id).password_reset_nonce is None
    refusals = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.REFUSED)).all()
    assert len(refusals) == 2


def test_sending_needs_the_csrf_token(operator, lucia):
    response = operator.post(f"{CUSTOMERS}password-reset/?id={lucia.id}")
    assert response.status_code == 400
    assert row_count(Notification) == 0
    assert fresh(Customer, lucia.id).password_reset_nonce is None


def test_a_customer_without_email_has_no_button_and_is_refused(operator, make):
    nobody = make.customer("Sin", "Correo", email=None)
    details = get_page(operator, f"{CUSTOMERS}details/?id={nobody.id}")
    assert "password-reset" not in details
    response = operator.post_form(f"{CUSTOMERS}password-reset/?id={nobody.id}")
    assert response.status_code == 400
    assert the_error_flashed(response.get_data(as_text=True)) == (
        "Sin Correo has no email address: add one before sending a password reset link.")
    assert row_count(Notification) == 0


def test_a_missing_customer_is_not_found(operator):
    assert operator.get(f"{CUSTOMERS}password-reset/?id=987654").status_code == 404
    assert operator.post_form(f"{CUSTOMERS}password-reset/?id=x").status_code == 404


def test_the_history_shows_the_link_sent_and_used_never_the_link(admin_client, operator,
                                                                 lucia, client, users):
    operator.post_form(f"{CUSTOMERS}password-reset/?id={lucia.id}")
    path = link_path(db.session.scalars(select(Notification)).one().body)
    assert post_password(client, path).status_code == 302
    page = get_page(admin_client, f"{CUSTOMERS}details/?id={lucia.id}")
    history = page.split('id="record-history"', 1)[1].split("</table>", 1)[0]
    rows = [[text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)][1:3]
            for row in history.split("<tr>")[2:]]
    assert rows[:2] == [["the system", "Password reset"],
                        [users[Role.OPERATOR].email, "Password reset link sent"]]
    log = admin_client.get("/admin/audit/").get_data(as_text=True)
    token = path.rsplit("/", 1)[1]
    for shown in (page, log):
        assert token not in shown and NEW_PASSWORD not in shown


# -- the store password stays out of the back office -----------------------------------

def test_the_store_password_is_never_shown_exported_or_edited(admin_client, manager, make):
    customer = make.customer("Ana", "García", email="ana@example.com",
                             password_hash="pbkdf2:sha256:1$salt$storedhash",
                             password_reset_nonce="the-nonce-of-a-live-link")
    secrets = ("storedhash", "the-nonce-of-a-live-link")
    pages = [get_page(admin_client, url) for url in (
        CUSTOMERS, f"{CUSTOMERS}details/?id={customer.id}", f"{CUSTOMERS}edit/?id={customer.id}",
        f"{CUSTOMERS}new/")]
    export = admin_client.get(f"{CUSTOMERS}export/csv/")
    pages.append("\n".join(",".join(row) for row in csv_rows(export)))
    for page in pages:
        assert not any(secret in page for secret in secrets)
        assert not re.search(r'name="password|Password hash|password_reset', page)

    # A forged edit that names the fields changes neither.
    response = admin_client.post_form(f"{CUSTOMERS}edit/?id={customer.id}", {
        "first_name": "Ana", "surname": "García", "email": "ana@example.com",
        "language": "en", "channel": "in_store", "password_hash": "x", "password": "x",
        "password_reset_nonce": "y"})
    assert response.status_code == 302
    stored = fresh(Customer, customer.id)
    assert (stored.password_hash, stored.password_reset_nonce) == (
        "pbkdf2:sha256:1$salt$storedhash", "the-nonce-of-a-live-link")

    # Nor does an import with such columns.
    content = ("Email,First name,Surname,Postcode,password_hash,Password,password_reset_nonce\n"
               "ana@example.com,Ana,García,28013,x,hunter2hunter2,y\n")
    apply_import(manager, f"{CUSTOMERS}import/", batch_id(upload(
        manager, f"{CUSTOMERS}import/", content)))
    stored = fresh(Customer, customer.id)
    assert stored.postcode == "28013"  # the row was imported, its password columns not
    assert (stored.password_hash, stored.password_reset_nonce) == (
        "pbkdf2:sha256:1$salt$storedhash", "the-nonce-of-a-live-link")


# -- the customer's page ----------------------------------------------------------------

def test_the_page_shows_the_form_and_nothing_of_the_account_but_a_masked_email(client, lucia):
    response = client.get(send_link(lucia))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert MASKED in text(page)
    for private in ("lucia.moreno", "Lucía", "Moreno", "600111222"):
        assert private not in page
    assert len(re.findall(r'<input[^>]+type="password"', page)) == 2
    assert "De 12 a 128 caracteres" in text(page)  # the staff policy, in her language
    # Nothing leads into the back office; the language switch is a link to this page.
    assert re.findall(r'href="(/admin[^"]*)"', page) == [
        "/admin/static/bootstrap/bootstrap4/css/bootstrap.min.css"]
    assert re.findall(r'<a href="([^"]*)"', page) == ["?lang=en"]
    assert 'name="robots" content="noindex, nofollow"' in page


def test_the_page_keeps_its_address_private_and_its_scripts_locked_down(client, lucia):
    path = send_link(lucia)
    answers = [client.get(path), post_password(client, path, "short"),
               client.get(path + "x"), client.get("/account/reset/done")]
    for response in answers:
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
        assert "script-src 'self' 'nonce-" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("language, query", [("es", ""), ("en", "?lang=en"),
                                             ("es", "?lang=es"), ("es", "?lang=xx")])
def test_the_page_speaks_the_customers_language_unless_the_reader_switches(
        client, lucia, language, query):
    # Whatever the browser asks for: the customer's language comes first.
    page = client.get(send_link(lucia) + query,
                      headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert f'<html lang="{language}">' in page
    assert not foreign_words(page, language, stored_text_values())
    other = "en" if language == "es" else "es"
    assert f'<a href="?lang={other}" lang="{other}"' in page


def test_an_english_customer_gets_english_even_from_a_spanish_browser(client, make):
    tom = make.customer("Tom", "Hale", email="tom@example.com", language="en")
    page = client.get(send_link(tom), headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert '<html lang="en">' in page.get_data(as_text=True)


def test_the_new_password_is_set_once_without_logging_anyone_in(client, lucia):
    path = send_link(lucia)
    response = post_password(client, path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/reset/done?lang=es"
    assert password_matches(password_of(lucia), NEW_PASSWORD)
    done = client.get(response.headers["Location"])
    assert done.status_code == 200
    assert "La contraseña nueva ya está lista para entrar en la tienda." in text(
        done.get_data(as_text=True))
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert client.get("/admin/").status_code == 302  # still no way into the back office

    again = client.get(path)
    assert again.status_code == 404
    assert REFUSAL["en"] in text(again.get_data(as_text=True))
    assert post_password(client, path, "another " + NEW_PASSWORD).status_code == 404
    assert password_matches(password_of(lucia), NEW_PASSWORD)


def test_a_logged_in_admin_opening_a_link_stays_who_they_are(admin_client, lucia, users):
    path = send_link(lucia)
    assert post_password(admin_client, path).status_code == 302
    used = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.RESET_USED)).one()
    assert (used.user_id, used.user_email, used.ip) == (None, None, "127.0.0.1")
    assert admin_client.get("/admin/").status_code == 200
    page = get_page(admin_client, "/admin/")
    assert '<html lang="en">' in page  # the admin's language, not the customer's


@pytest.mark.parametrize("language, query, new, confirm, message", [
    ("es", "", "aaaaaaaaaaaaa", None, "La contraseña no puede ser un mismo carácter repetido."),
    ("en", "?lang=en", "aaaaaaaaaaaaa", None, "The password cannot be one character repeated."),
    ("es", "", "password1234", None, "demasiado común"),
    ("es", "", "corta", None, "al menos 12 caracteres"),
    ("es", "", NEW_PASSWORD, NEW_PASSWORD + "?", "Las dos contraseñas nuevas no coinciden."),
    ("en", "?lang=en", NEW_PASSWORD, "", "This field is required."),
])
def test_a_refused_password_is_explained_in_the_chosen_language_and_the_link_lives_on(
        client, lucia, language, query, new, confirm, message):
    path = send_link(lucia)
    response = post_password(client, path + query, new, confirm)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'<html lang="{language}">' in page and message in text(page)
    assert password_of(lucia) is None
    assert client.get(path).status_code == 200


def test_the_form_needs_the_csrf_token(client, lucia):
    path = send_link(lucia)
    response = client.post(path, data={"new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert password_of(lucia) is None
    assert client.get(path).status_code == 200


def test_an_expired_link_is_refused_kindly(client, lucia, clock):
    clock(SENT_AT)
    path = send_link(lucia)
    clock(SENT_AT + timedelta(hours=1, seconds=1))
    for response in (client.get(path), post_password(client, path)):
        assert response.status_code == 404
        assert REFUSAL["en"] in text(response.get_data(as_text=True))
    assert password_of(lucia) is None


def test_a_replaced_link_is_refused_and_the_newer_one_works(client, lucia):
    older = send_link(lucia)
    newer = send_link(lucia)
    assert client.get(older).status_code == 404
    assert post_password(client, older).status_code == 404
    assert post_password(client, newer).status_code == 302


@pytest.mark.parametrize("token", ["x", "done.", "a" * 5000, "ñandú", "%E2%80%AE",
                                   "eyJjIjoxLCJuIjoiYSJ9.Zz.abc", "..", "%00"])
def test_a_garbled_link_is_a_friendly_page_never_a_server_error(client, lucia, token):
    send_link(lucia)
    response = client.get(f"/account/reset/{token}",
                          headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert response.status_code in (400, 404)
    if response.status_code == 404:
        # A link that never worked reads like any dead one, in the visitor's language.
        assert REFUSAL["es"] in text(response.get_data(as_text=True))


# -- throttling ----------------------------------------------------------------------

def test_a_customer_typing_weak_passwords_is_never_locked_out(client, lucia):
    path = send_link(lucia)
    for _attempt in range(25):  # more than the address's allowance of dead links
        assert post_password(client, path, "short").status_code == 400
    assert post_password(client, path).status_code == 302
    assert password_of(lucia) is not None


def test_failed_submissions_are_throttled_per_address(client, lucia):
    path = send_link(lucia)
    for attempt in range(20):
        assert post_password(client, f"/account/reset/forged-{attempt}").status_code == 404
    blocked = post_password(client, path)  # even her real link waits, from that address
    assert blocked.status_code == 429
    page = blocked.get_data(as_text=True)
    assert "Demasiados intentos fallidos. Espere unos minutos y vuelva a intentarlo." in text(
        page)  # in her language, like the page
    assert blocked.headers["Referrer-Policy"] == "no-referrer"
    assert 'href="/admin/"' not in page
    assert password_of(lucia) is None


# -- the mail the customer receives --------------------------------------------------

def test_the_received_mail_has_a_link_in_her_language_that_works_once(
        operator, client, lucia, smtp_server, drain):
    response = operator.post_form(f"{CUSTOMERS}password-reset/?id={lucia.id}")
    assert response.status_code == 302
    drain()
    [mail] = smtp_server.messages
    assert mail.envelope_to == ["lucia.moreno@example.com"]
    assert mail["Subject"] == "Elegir una contraseña nueva para Backoffice Demo"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert body.startswith("Hola, Lucía:") and "durante 1 hora" in body
    path = link_path(body)
    assert client.get(path).status_code == 200
    assert post_password(client, path).status_code == 302
    assert password_matches(password_of(lucia), NEW_PASSWORD)
    assert client.get(path).status_code == 404
