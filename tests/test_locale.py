"""Language choice and locale formats: the switcher, numbers, money and dates
shown and read the user's way, date pickers and exports in the user's language."""
from __future__ import annotations

import json
import re
from datetime import date, datetime

import pytest
from flask_babel import force_locale

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.i18n import date_and_time, day, money, number, parse_day, picker_locale
from admin_app.models import AdminUser, Customer, Wallet
from admin_app.services import ledger, notifications

from .pages import (
    csv_rows,
    flashes,
    form_errors,
    get_page,
    hidden_value,
    refused,
    speak,
    table_rows,
    text,
)


@pytest.fixture
def spanish_admin(login, users):
    client = login(Role.ADMIN)
    speak(users[Role.ADMIN], "es")
    return client


# -- showing -----------------------------------------------------------------------

@pytest.mark.parametrize("language, amount, large, when, moment", [
    ("es", "1234,50 €", "12.345,50 €", "22/11/2026", "22/11/2026 9:05"),
    ("en", "€1,234.50", "€12,345.50", "11/22/2026", "11/22/2026 9:05 AM"),
])
def test_money_and_dates_as_the_locale_writes_them(app, language, amount, large, when, moment):
    with app.test_request_context(), force_locale(language):
        assert text(money(123_450)) == amount
        assert text(money(1_234_550)) == large
        assert day(date(2026, 11, 22)) == when
        assert text(date_and_time(datetime(2026, 11, 22, 9, 5))) == moment
        assert day(None) == "" and money(None) == ""


def test_remembered_formats_keep_each_language_currency_and_local_hour(app, monkeypatch):
    """Amounts, counts, days and times of day are formatted once and remembered: a
    second reading, in either order of languages, gives what the first gave. A
    business in Madrid reads its own day and hour, either side of the night its
    clocks go forward (01:00 UTC on 29 March 2026)."""
    monkeypatch.setattr(app.extensions["babel"], "default_timezone", "Europe/Madrid")
    expected = {
        "es": ("28/3/2026 23:30", "29/3/2026 0:30", "29/3/2026 3:30", "1234,50 €", "1234,50 US$",
               "12.345"),
        "en": ("3/28/2026 11:30 PM", "3/29/2026 12:30 AM", "3/29/2026 3:30 AM", "€1,234.50",
               "$1,234.50", "12,345"),
    }
    for language in ("es", "en", "es", "en"):
        with app.test_request_context(), force_locale(language):
            shown = (date_and_time(datetime(2026, 3, 28, 22, 30)),
                     date_and_time(datetime(2026, 3, 28, 23, 30)),
                     date_and_time(datetime(2026, 3, 29, 1, 30)),
                     money(123_450), money(123_450, "USD"), number(12_345))
            assert tuple(text(value) for value in shown) == expected[language]
            assert day(datetime(2026, 3, 28, 23, 30)) == expected[language][1].split()[0]


def test_a_list_shows_spanish_money_and_dates(spanish_admin, make):
    make.customer("Lucía", "Núñez", balance_minor=1_234_550,
                  created_at=datetime(2026, 11, 22, 9, 5))
    row = table_rows(get_page(spanish_admin, "/admin/customers/"))[0]
    assert row["balance_minor"] == "12.345,50 €"
    assert row["created_at"] == "22/11/2026 9:05"


# -- choosing the language ---------------------------------------------------------

def test_the_choice_is_saved_on_the_user_and_follows_them_to_another_browser(app, login, users):
    first = login(Role.OPERATOR)
    assert 'lang="en"' in get_page(first, "/admin/customers/")
    response = first.post_form("/language", {"language": "es", "next": "/admin/customers/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/customers/"
    assert db.session.get(AdminUser, users[Role.OPERATOR].id).language == "es"
    assert 'lang="es"' in get_page(first, "/admin/customers/")

    # Another browser, with an English Accept-Language and no cookie: still Spanish.
    second = app.test_client()
    second.login(users[Role.OPERATOR])
    page = second.get("/admin/customers/", headers={"Accept-Language": "en-US"})
    assert 'lang="es"' in page.get_data(as_text=True)


def test_before_login_the_browser_decides_then_the_cookie(client):
    page = client.get("/login", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert "Iniciar sesión" in page.get_data(as_text=True)
    client.post_form("/language", {"language": "en", "next": "/login"})
    page = client.get("/login", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert 'lang="en"' in page.get_data(as_text=True)


def test_the_switcher_is_on_every_page_and_offers_the_other_language(spanish_admin):
    for url in ("/admin/", "/admin/customers/", "/admin/customers/new/"):
        page = get_page(spanish_admin, url)
        assert re.search(r'<button[^>]*name="language" value="en"[^>]*>English</button>', page)
        assert 'value="es"' not in page.split('language-switcher', 1)[1].split("</form>", 1)[0]


def test_an_unknown_language_or_an_offsite_next_changes_nothing(login, users):
    client = login(Role.VIEWER)
    response = client.post_form("/language", {"language": "fr", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/admin/"
    assert db.session.get(AdminUser, users[Role.VIEWER].id).language == "en"


def test_switching_language_needs_the_csrf_token(login, users):
    client = login(Role.VIEWER)
    response = client.post("/language", data={"language": "es"})
    assert response.status_code == 400
    assert db.session.get(AdminUser, users[Role.VIEWER].id).language == "en"


def test_an_expired_form_is_explained_in_the_users_language(spanish_admin):
    response = spanish_admin.post("/admin/groups/new/", data={"name": "Sin token"})
    assert response.status_code == 400
    assert "No se ha guardado nada" in text(response.get_data(as_text=True))


# -- reading -----------------------------------------------------------------------

@pytest.mark.parametrize("language, typed, expected", [
    ("es", "22/11/2026", date(2026, 11, 22)),
    ("en", "11/22/2026", date(2026, 11, 22)),
    ("es", "2026-11-22", date(2026, 11, 22)),
    ("en", " 2026-11-22 ", date(2026, 11, 22)),
])
def test_days_are_read_as_the_locale_writes_them_or_iso(app, language, typed, expected):
    with app.test_request_context(), force_locale(language):
        assert parse_day(typed) == expected


@pytest.mark.parametrize("typed", ["31/02/2026", "22/11", "mañana", "", "2026-13-01", "1/1/26"])
def test_malformed_days_are_refused(app, typed):
    with app.test_request_context(), force_locale("es"), pytest.raises(ValueError):
        parse_day(typed)


def test_a_spanish_user_types_a_birthday_the_spanish_way(spanish_admin, make):
    customer = make.customer("Lucía", "Núñez")
    url = f"/admin/customers/edit/?id={customer.id}"
    page = get_page(spanish_admin, url)
    data = {"first_name": "Lucía", "surname": "Núñez", "email": customer.email,
            "birthday": "17/05/1990", "language": "es", "channel": "in_store"}
    response = spanish_admin.post_form(url, data)
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    assert db.session.get(Customer, customer.id).birthday == date(1990, 5, 17)
    assert "data-date-format" in page  # the calendar picker is on the field


def test_a_malformed_day_is_refused_in_the_users_language(spanish_admin, make):
    customer = make.customer("Lucía", "Núñez", birthday=date(1990, 5, 17))
    url = f"/admin/customers/edit/?id={customer.id}"
    response = spanish_admin.post_form(url, {"first_name": "Lucía", "surname": "Núñez",
                                             "email": customer.email, "birthday": "32/13/1990",
                                             "language": "es", "channel": "in_store"})
    assert refused(response, "birthday") == ["No es una fecha válida."]
    assert db.session.get(Customer, customer.id).birthday == date(1990, 5, 17)


@pytest.mark.parametrize("typed, points", [("1.500", 1500), ("-20", -20), ("+35", 35)])
def test_points_are_read_with_the_spanish_separators(spanish_admin, make, typed, points):
    customer = make.customer("Lucía", "Núñez", loyalty_member=True)
    ledger.adjust_points(customer, 100, actor=None, reason="Inicial", idempotency_key="start")
    db.session.commit()
    url = f"/admin/customers/adjust-points/?id={customer.id}"
    page = get_page(spanish_admin, url)
    response = spanish_admin.post_form(url, {
        "points": typed, "reason": "Ajuste",
        "idempotency_key": hidden_value(page, "idempotency_key")})
    assert response.status_code == 302
    assert db.session.get(Customer, customer.id).loyalty_points == 100 + points


def add_balance(client, wallet, **fields):
    url = f"/admin/wallets/add-balance/?id={wallet.id}"
    key = hidden_value(get_page(client, url), "idempotency_key")
    return client.post_form(url, {"idempotency_key": key, **fields})


def test_a_spanish_amount_on_the_add_balance_page(spanish_admin, make):
    wallet = make.wallet(make.customer("Lucía", "Núñez"))
    response = add_balance(spanish_admin, wallet, amount="1.234,50", reason="Regalo",
                           expires_at="31/12/2027")
    assert response.status_code == 302
    wallet = db.session.get(Wallet, wallet.id)
    assert wallet.balance_minor == 123_450
    assert wallet.transactions[0].credit_expires_on == date(2027, 12, 31)


@pytest.mark.parametrize("typed", ["2026-01-01 – 2026-01-31", "2026-01-01 to 2026-01-31",
                                   "01/01/2026 a 31/01/2026"])
def test_a_date_range_filter_reads_the_pickers_dash_or_either_language(spanish_admin, make,
                                                                      typed):
    inside = make.customer("Dentro", created_at=datetime(2026, 1, 31, 23, 0))
    make.customer("Fuera", created_at=datetime(2026, 2, 1, 0, 0))
    page = get_page(spanish_admin, "/admin/customers/", flt0_date_added_between=typed)
    assert [row["id"] for row in table_rows(page)] == [inside.id]


# -- date pickers and exports ------------------------------------------------------

def test_date_pickers_get_the_locales_names_and_first_weekday(app):
    with app.test_request_context(), force_locale("es"):
        spanish = picker_locale()
    with app.test_request_context(), force_locale("en"):
        english = picker_locale()
    assert spanish["moment"]["months"][10] == "noviembre"
    assert spanish["moment"]["week"]["dow"] == 1  # Monday
    assert english["moment"]["months"][10] == "November"
    assert spanish["labels"]["applyLabel"] == "Aplicar"
    assert english["labels"]["applyLabel"] == "Apply"
    assert "{n}" in spanish["select2"]["typeMore"]


def test_every_admin_page_carries_the_picker_language(spanish_admin):
    page = get_page(spanish_admin, "/admin/wallets/")
    data = re.search(r'<script[^>]*id="picker-locale"[^>]*>(.*?)</script>', page, re.S).group(1)
    assert json.loads(data)["code"] == "es"
    # After the widget scripts, so that it wraps them before the page is ready.
    assert page.index("picker-locale.js") > page.index("daterangepicker.js")


def test_the_csv_export_speaks_the_users_language(spanish_admin, make):
    make.customer("Lucía", "Núñez", marketing_opt_in=True)
    header, row = csv_rows(spanish_admin.get("/admin/customers/export/csv/"))[:2]
    assert header[:3] == ["Nombre", "Apellidos", "Correo electrónico"]
    assert "Sí" in row


@pytest.mark.parametrize("language, greeting, amount", [
    ("es", "Hola, Lucía", "12,50 €"), ("en", "Hello Lucía", "€12.50")])
def test_customer_messages_are_written_in_the_customers_language(app, make, language,
                                                                greeting, amount):
    customer = make.customer("Lucía", "Núñez", language=language)
    wallet = make.wallet(customer)
    with app.test_request_context(), force_locale("en" if language == "es" else "es"):
        message = notifications.balance_changed(customer, wallet, 1250)
    assert message.body.startswith(greeting)
    assert amount in text(message.body)


def test_our_own_forms_get_wtforms_messages_in_spanish_too(spanish_admin, make):
    wallet = make.wallet(make.customer("Lucía", "Núñez"))
    response = add_balance(spanish_admin, wallet, amount="5", reason="", expires_at="mañana")
    assert response.status_code == 400
    errors = form_errors(response.get_data(as_text=True))
    assert errors["reason"] == ["Este campo es obligatorio."]
    assert errors["expires_at"] == ["No es una fecha válida."]
    assert db.session.get(Wallet, wallet.id).balance_minor == 0
