"""Browser stories of a customer's store password reset: an operator sends the link
from the customer page; the customer opens it in their language, is told why a
weak password or a mistyped confirmation is refused, switches language if they
like, sets the password, and the link then works no more. Typed key by key."""
from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Customer, Notification
from admin_app.passwords import password_matches
from admin_app.services import customer_accounts

from .conftest import expect

NEW_PASSWORD = "violet hammock under seven lanterns"


def link_in_outbox(customer) -> str:
    """The path of the newest link the outbox holds for ``customer``."""
    body = db.session.scalars(select(Notification.body).where(
        Notification.customer_id == customer.id).order_by(Notification.id.desc())).first()
    link = next(word for word in body.split() if customer_accounts.RESET_PATH in word)
    return urlsplit(link).path


def type_into(page, label: str, words: str) -> None:
    page.get_by_label(label, exact=True).click()
    page.keyboard.type(words)


def stored_password(customer) -> str | None:
    db.session.expire_all()
    return db.session.get(Customer, customer.id).password_hash


def test_an_operator_sends_the_link_and_the_customer_sets_a_password_in_spanish(
        logged_in, make):
    lucia = make.customer("Lucía", "Moreno", email="lucia.moreno@example.com", language="es")
    page = logged_in(Role.OPERATOR)
    page.goto(f"/admin/customers/details/?id={lucia.id}")
    page.get_by_role("link", name="Send a password reset link").click()
    expect(page.get_by_text("works once, for 1 hour")).to_be_visible()
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_text("A password reset link was sent to l•••@e•••.com.")).to_be_visible()

    page.goto(link_in_outbox(lucia))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Elegir una contraseña nueva")).to_be_visible()
    expect(page.get_by_text("Para la cuenta de l•••@e•••.com")).to_be_visible()
    type_into(page, "Nueva contraseña", "aaaaaaaaaaaaa")
    type_into(page, "Repita la nueva contraseña", "aaaaaaaaaaaaa")
    page.get_by_role("button", name="Guardar la contraseña nueva").click()
    expect(page.get_by_text("La contraseña no puede ser un mismo carácter repetido.")) \
        .to_be_visible()

    type_into(page, "Nueva contraseña", NEW_PASSWORD)
    type_into(page, "Repita la nueva contraseña", NEW_PASSWORD)
    page.get_by_role("button", name="Guardar la contraseña nueva").click()
    expect(page.get_by_role("heading", name="Contraseña cambiada")).to_be_visible()
    assert password_matches(stored_password(lucia), NEW_PASSWORD)

    # Spent: a dead link no longer knows whose it was, so the page is in the
    # visitor's language (here the operator's).
    page.goto(link_in_outbox(lucia))
    expect(page.get_by_role("heading", name="Link unavailable")).to_be_visible()


def test_an_english_customer_switches_to_spanish_and_back(page, make):
    tom = make.customer("Tom", "Hale", email="tom@example.com", language="en")
    customer_accounts.request_password_reset(tom, actor=None)
    db.session.commit()
    page.goto(link_in_outbox(tom))
    expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()

    page.get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    type_into(page, "Nueva contraseña", NEW_PASSWORD)
    type_into(page, "Repita la nueva contraseña", NEW_PASSWORD + "!")
    page.get_by_role("button", name="Guardar la contraseña nueva").click()
    expect(page.get_by_text("Las dos contraseñas nuevas no coinciden.")).to_be_visible()

    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    type_into(page, "New password", NEW_PASSWORD)
    type_into(page, "New password again", NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    assert password_matches(stored_password(tom), NEW_PASSWORD)
