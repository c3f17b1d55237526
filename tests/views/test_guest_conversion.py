"""Guests made customers, as staff do it: "Make a customer" on a guest's page
(operator and up) offers the customers with the guest's email or phone first, then a
new customer from the guest's details; the guest's page and the guests' list say
who they became. "Attach guests to customers by email" (manager and up) says how
many first, then attaches them. Both languages, permissions, CSRF."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from admin_app.choices import Channel, OrderStatus, OrderType, Role
from admin_app.extensions import db
from admin_app.models import Customer, Guest, Order
from admin_app.services import guest_conversion

from ..conftest import admins_by_language
from ..language import foreign_words, stored_text_values
from ..pages import (
    flashes,
    form_errors,
    fresh,
    get_page,
    listed_ids,
    row_count,
    select_options,
    speak,
    table_rows,
    text,
)

GUESTS = "/admin/guests/"
MAKE = GUESTS + "make-customer/"
BY_EMAIL = GUESTS + "attach-by-email/"


def make_url(guest) -> str:
    return f"{MAKE}?id={guest.id}"


def section(page: str, start: str, end: str) -> str:
    return page.split(start, 1)[1].split(end, 1)[0]


def input_value(page: str, name: str) -> str:
    field = re.search(rf'<input[^>]*\sname="{name}"[^>]*>', page)
    assert field, name
    value = re.search(r'value="([^"]*)"', field.group(0))
    return value.group(1) if value else ""


def selected(page: str, name: str) -> str:
    block = re.search(rf'<select[^>]*\sname="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected',
                     block).group(0).split('value="')[1].split('"')[0]


def new_customer(**fields) -> dict:
    data = {"first_name": "Pepe", "surname": "Ruiz", "email": "", "phone": "",
            "channel": Channel.ONLINE, "language": "es"}
    data.update(fields)
    return data


@pytest.fixture
def pepe(make):
    """A guest with two orders, and the customer who has his email (folded)."""
    guest = make.guest("Pepe Ruiz García", email="Pepe@Example.com", phone="+34600111222")
    make.order(guest=guest, total_minor=2_000, status=OrderStatus.DELIVERED,
               order_type=OrderType.IN_STORE)
    make.order(guest=guest, total_minor=500, status=OrderStatus.PAID,
               order_type=OrderType.IN_STORE)
    return guest


# -- the guest's page -----------------------------------------------------------------------

def test_the_guests_page_offers_make_a_customer_to_operators_and_up(login, pepe):
    for role, offered in ((Role.VIEWER, False), (Role.OPERATOR, True), (Role.ADMIN, True)):
        page = get_page(login(role), f"{GUESTS}details/?id={pepe.id}")
        assert (f'href="{make_url(pepe)}"' in page) is offered, role
        assert 'id="made-customer"' not in page


def test_a_guest_made_a_customer_links_to_them_and_offers_nothing_more(operator, make, pepe):
    customer = make.customer("Pepe", "Ruiz", email="pepe@example.com")
    guest_conversion.attach(pepe, customer)
    db.session.commit()
    page = get_page(operator, f"{GUESTS}details/?id={pepe.id}")
    made = section(page, 'id="made-customer">', "</div>")
    assert text(made).startswith("Made a customer: Pepe Ruiz")
    assert f'href="/admin/customers/details/?id={customer.id}"' in made
    assert "make-customer" not in page


# -- the page: customers with the same email or phone first -------------------------------

def test_the_page_offers_the_customers_with_the_email_or_phone_then_a_new_one(operator, make,
                                                                            pepe):
    by_email = make.customer("José", "Ruiz", email="pepe@example.com")
    by_phone = make.customer("Pepa", "Ruiz", email="pepa@example.com", phone="+34600111222")
    make.customer("Otra", "Persona", email="otra@example.com")
    page = get_page(operator, make_url(pepe))
    assert "Make a customer of Pepe Ruiz García" in text(page)
    assert "Their 2 orders move to the customer" in text(page)
    matches = section(page, 'id="matches"', 'id="new-customer"')
    rows = re.findall(r'<tr class="match" data-customer="(\d+)">(.*?)</tr>', matches, re.S)
    assert [int(customer) for customer, _row in rows] == [by_email.id, by_phone.id]
    assert "José Ruiz pepe@example.com" in text(rows[0][1]) and "Same email" in text(rows[0][1])
    assert "+34 600 11 12 22" in text(rows[1][1]) and "Same phone" in text(rows[1][1])
    assert all("Attach to this customer" in text(row) for _c, row in rows)
    assert matches.index("Attach") < page.index("Create a new customer from this guest")


def test_the_new_customer_form_is_filled_from_the_guest(login, users, pepe):
    operator = login(Role.OPERATOR)
    page = get_page(operator, make_url(pepe))
    assert 'id="no-matches"' in page
    assert (input_value(page, "first_name"), input_value(page, "surname")) == (
        "Pepe", "Ruiz García")
    assert (input_value(page, "email"), input_value(page, "phone")) == (
        "Pepe@Example.com", "+34600111222")
    # His newest order was taken in a store; the language is the one staff read.
    assert selected(page, "channel") == Channel.IN_STORE
    assert selected(page, "language") == "en"
    assert select_options(page, "channel") == [("in_store", "In store"), ("online", "Online")]
    speak(users[Role.OPERATOR], "es")
    assert selected(get_page(operator, make_url(pepe)), "language") == "es"


def test_attaching_moves_the_orders_and_lands_on_the_customer(operator, make, pepe):
    customer = make.customer("Pepe", "Ruiz", email="pepe@example.com")
    response = operator.post_form(make_url(pepe), {"customer_id": customer.id})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/customers/details/?id={customer.id}"
    page = get_page(operator, response.headers["Location"])
    assert ("success", "Pepe Ruiz García is now the customer Pepe Ruiz: 2 orders moved.") in \
        flashes(page)
    assert fresh(Guest, pepe.id).customer_id == customer.id
    stored = fresh(Customer, customer.id)
    assert (stored.orders_count, stored.sales_value_minor) == (2, 2_500)
    assert row_count(Customer) == 1


def test_attaching_to_a_customer_who_does_not_match_is_refused(operator, make, pepe):
    stranger = make.customer("Otra", "Persona", email="otra@example.com")
    response = operator.post_form(make_url(pepe), {"customer_id": stranger.id})
    assert response.status_code == 400
    assert ("danger", "Otra Persona has neither the email nor the phone of Pepe Ruiz García.") \
        in flashes(response.get_data(as_text=True))
    assert fresh(Guest, pepe.id).customer_id is None
    response = operator.post_form(make_url(pepe), {"customer_id": "987654"})
    assert response.status_code == 400
    assert fresh(Guest, pepe.id).customer_id is None


def test_creating_a_customer_with_the_names_corrected(operator, pepe):
    response = operator.post_form(make_url(pepe), new_customer(
        first_name="Pepe", surname="Ruiz García", email="pepe@example.com",
        phone="+34 600 11 12 22", channel=Channel.IN_STORE, language="es"))
    assert response.status_code == 302
    customer = db.session.scalars(select(Customer)).one()
    assert response.headers["Location"] == f"/admin/customers/details/?id={customer.id}"
    assert (customer.first_name, customer.surname, customer.email, customer.phone,
            customer.channel, customer.language) == (
        "Pepe", "Ruiz García", "pepe@example.com", "+34600111222", Channel.IN_STORE, "es")
    assert (customer.orders_count, customer.sales_value_minor) == (2, 2_500)
    assert all(o.customer_id == customer.id for o in db.session.scalars(select(Order)))
    assert fresh(Guest, pepe.id).customer_id == customer.id
    page = get_page(operator, response.headers["Location"])
    assert ("success", "Pepe Ruiz García is now the customer Pepe Ruiz García: 2 orders "
            "moved.") in flashes(page)


def test_creating_with_a_customers_email_is_refused_and_offers_attaching(operator, make, pepe):
    make.customer("José", "Ruiz", email="pepe@example.com")
    response = operator.post_form(make_url(pepe), new_customer(email="PEPE@example.com"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert ("danger", "A customer already has the email pepe@example.com (José Ruiz): attach "
            "the guest to them instead.") in flashes(page)
    assert "Attach to this customer" in page
    assert row_count(Customer) == 1 and fresh(Guest, pepe.id).customer_id is None


def test_the_form_refuses_missing_names_and_a_bad_email(operator, pepe):
    response = operator.post_form(make_url(pepe), new_customer(surname=" ", email="nope"))
    assert response.status_code == 400
    errors = form_errors(response.get_data(as_text=True))
    assert errors["surname"] == ["This field is required."]
    assert errors["email"] == ["This is not a valid email address."]
    response = operator.post_form(make_url(pepe), new_customer(channel="by_pigeon"))
    assert response.status_code == 400
    assert row_count(Customer) == 0


def test_a_guest_made_a_customer_is_not_made_one_again(operator, make, pepe):
    customer = make.customer(email="pepe@example.com")
    guest_conversion.attach(pepe, customer)
    db.session.commit()
    response = operator.get(make_url(pepe))
    assert response.headers["Location"] == f"{GUESTS}details/?id={pepe.id}"
    response = operator.post_form(make_url(pepe), new_customer(), follow_redirects=True)
    assert ("info", "Pepe Ruiz García was already made a customer.") in flashes(
        response.get_data(as_text=True))
    assert row_count(Customer) == 1


def test_who_may_make_a_customer(client, login, make, pepe):
    customer = make.customer(email="pepe@example.com")
    assert client.get(make_url(pepe)).headers["Location"].startswith("/login")
    viewer = login(Role.VIEWER)
    assert viewer.get(make_url(pepe)).status_code == 403
    assert viewer.post_form(make_url(pepe), {"customer_id": customer.id}).status_code == 403
    operator = login(Role.OPERATOR)
    # Without the CSRF token nothing happens.
    assert operator.post(make_url(pepe), data={"customer_id": customer.id}).status_code == 400
    assert fresh(Guest, pepe.id).customer_id is None
    assert operator.get(f"{MAKE}?id=987654").status_code == 404
    assert operator.get(f"{MAKE}?id=abc").status_code == 404


def test_the_page_in_spanish(login, users, make, pepe):
    make.customer("José", "Ruiz", email="pepe@example.com")
    operator = login(Role.OPERATOR)
    speak(users[Role.OPERATOR], "es")
    page = text(get_page(operator, make_url(pepe)))
    for words in ("Convertir en cliente a Pepe Ruiz García",
                  "Clientes con el mismo correo electrónico o teléfono",
                  "Mismo correo electrónico", "Asociar a este cliente",
                  "Crear un cliente nuevo a partir de este invitado", "Crear el cliente"):
        assert words in page, words
    response = operator.post_form(make_url(pepe), new_customer(email="pepe@example.com"))
    assert "Ya hay un cliente con el correo electrónico pepe@example.com (José Ruiz)" in text(
        response.get_data(as_text=True))


# -- the guests' list -----------------------------------------------------------------------

def test_the_list_marks_guests_made_customers_and_filters_by_it(login, make, pepe):
    customer = make.customer("Pepe", "Ruiz", email="pepe@example.com")
    other = make.guest("Otro Invitado")
    guest_conversion.attach(pepe, customer)
    db.session.commit()
    viewer = login(Role.VIEWER)
    rows = {row["id"]: row for row in table_rows(get_page(viewer, GUESTS))}
    assert rows[pepe.id]["name"] == "Pepe Ruiz García Made a customer"
    assert f'href="/admin/customers/details/?id={customer.id}"' in rows[pepe.id]["name_html"]
    assert rows[other.id]["name"] == "Otro Invitado"
    assert listed_ids(get_page(viewer, GUESTS, flt0_made_a_customer_is="1")) == [pepe.id]
    assert listed_ids(get_page(viewer, GUESTS, flt0_made_a_customer_is="0")) == [other.id]


# -- every guest whose email is a customer's -------------------------------------------------

@pytest.fixture
def by_email(make):
    """Two guests whose email is a customer's, one whose email two customers share."""
    ana = make.customer("Ana", "Uno", email="ana@example.com")
    make.customer("José", "Dos", email="jose@example.com")
    make.customer("Jose", "Tres", email="josé@example.com")
    guests = [make.guest("Ana Uno", email="ANA@example.com"),
              make.guest("Ana Otra", email="ana@example.com"),
              make.guest("José", email="jose@example.com")]
    make.order(guest=guests[0], total_minor=700)
    return ana, guests


def test_the_list_links_to_attaching_by_email_for_managers_and_up(login, by_email):
    assert 'id="attach-by-email"' not in get_page(login(Role.OPERATOR), GUESTS)
    assert f'href="{BY_EMAIL}"' in get_page(login(Role.MANAGER), GUESTS)


def test_attaching_by_email_says_how_many_then_attaches_them(manager, by_email):
    ana, guests = by_email
    page = get_page(manager, BY_EMAIL)
    assert text(section(page, 'id="attachable">', "</p>")) == \
        "2 guests have the email of a customer."
    assert "1 guest has an email that several customers share" in text(page)
    assert "Attach 2 guests" in text(page)
    # A post without the confirmation's field is not a confirmation.
    assert manager.post_form(BY_EMAIL).status_code == 400
    assert fresh(Guest, guests[0].id).customer_id is None
    response = manager.post_form(BY_EMAIL, {"confirmed": "1"})
    assert response.headers["Location"] == GUESTS
    assert ("success", "2 guests attached to the customers with their email; 1 order moved.") \
        in flashes(get_page(manager, GUESTS))
    assert [fresh(Guest, g.id).customer_id for g in guests] == [ana.id, ana.id, None]
    assert fresh(Customer, ana.id).sales_value_minor == 700
    page = get_page(manager, BY_EMAIL)
    assert "No guest has the email of a customer." in text(page)
    assert 'id="attach-by-email-form"' not in page


def test_attaching_by_email_past_the_limit_comes_back_for_the_rest(manager, by_email,
                                                                   monkeypatch):
    monkeypatch.setattr(guest_conversion, "BULK_LIMIT", 1)
    page = text(get_page(manager, BY_EMAIL))
    assert "The first 1 are attached now" in page and "Attach 1 guest" in page
    response = manager.post_form(BY_EMAIL, {"confirmed": "1"})
    assert response.headers["Location"] == BY_EMAIL
    assert ("success", "1 guest attached to the customer with their email; 1 order moved. "
            "1 more guest is left to attach.") in flashes(get_page(manager, BY_EMAIL))


def test_who_may_attach_by_email(client, login, by_email):
    _ana, guests = by_email
    assert client.get(BY_EMAIL).headers["Location"].startswith("/login")
    operator = login(Role.OPERATOR)
    assert operator.get(BY_EMAIL).status_code == 403
    assert operator.post_form(BY_EMAIL, {"confirmed": "1"}).status_code == 403
    manager = login(Role.MANAGER)
    assert manager.post(BY_EMAIL, data={"confirmed": "1"}).status_code == 400  # no CSRF token
    assert all(fresh(Guest, g.id).customer_id is None for g in guests)


def test_attaching_by_email_in_spanish(login, users, by_email):
    manager = login(Role.MANAGER)
    speak(users[Role.MANAGER], "es")
    page = text(get_page(manager, BY_EMAIL))
    assert "2 invitados tienen el correo electrónico de un cliente." in page
    assert "Asociar 2 invitados" in page
    manager.post_form(BY_EMAIL, {"confirmed": "1"})
    assert ("success", "2 invitados asociados a los clientes con su correo electrónico; "
            "1 pedido trasladado.") in flashes(get_page(manager, GUESTS))


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_word_of_the_pages_is_in_the_readers_language(login, users, make, pepe,
                                                            by_email, language):
    make.customer("Pepa", "Ruiz", email="pepa@example.com", phone="+34600111222")
    made = make.guest("Hecho Ya", email="ana@example.com")
    guest_conversion.attach(made, by_email[0])
    db.session.commit()
    manager = login(Role.MANAGER)
    speak(users[Role.MANAGER], language)
    for url in (make_url(pepe), BY_EMAIL, GUESTS, f"{GUESTS}details/?id={made.id}",
                f"{GUESTS}details/?id={pepe.id}"):
        page = get_page(manager, url)
        assert f'<html lang="{language}">' in page
        assert not foreign_words(page, language, stored_text_values()), (url, foreign_words(
            page, language, stored_text_values()))


def test_a_guest_without_orders_is_told_so_not_as_zero_orders(app, users, password_hash,
                                                               make):
    """The operator read "Sus 0 pedidos pasan…" and "0 pedidos trasladados"."""
    client = admins_by_language(app, users, password_hash)["es"]
    guest = make.guest("Ana Evans", email="ana.evans@example.com")
    db.session.commit()
    page = client.get(make_url(guest)).get_data(as_text=True)
    assert "No hay pedidos que trasladar" in page and "Sus 0 pedidos" not in page
    done = client.post_form(make_url(guest), new_customer(
        first_name="Ana", surname="Evans", email="ana.evans@example.com"),
        follow_redirects=True).get_data(as_text=True)
    assert "Ana Evans ya es cliente (Ana Evans); no tenía pedidos como invitado." in done


def test_the_bulk_attach_lists_the_guests_whose_name_is_not_their_customers(manager, make):
    """The operator saw guest Lucía Brown attached by email to customer Mía Romero with
    only a count to go on."""
    make.customer("Mía", "Romero", email="familia@example.com")
    make.customer("Pepe", "Ruiz", email="pepe@example.com")
    make.guest("Lucía Brown", email="familia@example.com")
    make.guest("pepe ruiz", email="PEPE@example.com")
    db.session.commit()
    page = get_page(manager, BY_EMAIL)
    differing = text(section(page, 'id="differing-names"', "</table>"))
    assert "Lucía Brown Mía Romero familia@example.com" in differing
    assert "Pepe" not in differing and "pepe" not in differing
