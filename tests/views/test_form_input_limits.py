"""What a form refuses, whatever is sent: requests over the size limit (imports keep
their own), free text over its column's length, NUL bytes, and names made only of
invisible characters. Each refusal says why in the user's language and writes nothing."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DataError

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Customer, CustomerGroup, TextTooLong

from ..pages import form_errors, text

NEW_CUSTOMER = "/admin/customers/new/"
NEW_GROUP = "/admin/groups/new/"
WORDS = {
    "en": {"too_large": "Too large", "too_long": "cannot be longer than 4000 characters",
           "required": "This field is required", "nul": "cannot be saved",
           "too_many_rows": "The file has more than 100000 rows"},
    "es": {"too_large": "Demasiado grande", "too_long": "no puede tener más de 4000 caracteres",
           "required": "Este campo es obligatorio", "nul": "no se puede guardar",
           "too_many_rows": "El archivo tiene más de 100000 filas"},
}


@pytest.fixture(params=("en", "es"))
def language(request):
    return request.param


@pytest.fixture
def operator(app, users, language):
    user = users[Role.MANAGER]
    user.language = language
    db.session.commit()
    client = app.test_client()
    assert client.login(user).status_code == 302
    return client


def customer_form(**fields) -> dict:
    data = {"first_name": "Lucía", "surname": "Moreno", "email": "", "phone": "",
            "postcode": "", "country": "", "birthday": "", "card_number": "",
            "group": "__None", "language": "en", "channel": "in_store", "notes": ""}
    data.update(fields)
    return data


def customers() -> int:
    return db.session.scalar(select(func.count(Customer.id)))


def test_a_ten_megabyte_field_gets_a_413_page_in_the_users_language(operator, language):
    response = operator.post_form(NEW_CUSTOMER, customer_form(notes="x" * 10_000_000))
    assert response.status_code == 413
    assert WORDS[language]["too_large"] in text(response.get_data(as_text=True))
    assert customers() == 0


@pytest.mark.slow  # a 1.6 MB upload
def test_an_import_keeps_its_larger_limit(operator, language):
    big = ("first_name,surname,notes\n" + "Ana,Pérez,\n" * 150_000).encode()  # 1.6 MB
    assert len(big) > 1024 * 1024
    response = operator.post_form("/admin/customers/import/", {
        "file": (io.BytesIO(big), "big.csv")}, content_type="multipart/form-data")
    # Past the request limit to the import's own checks, which refuse its row count.
    assert response.status_code == 400
    assert WORDS[language]["too_many_rows"] in text(response.get_data(as_text=True))


def test_notes_longer_than_their_column_are_a_form_error(operator, language):
    page = operator.get(NEW_CUSTOMER).get_data(as_text=True)
    assert 'maxlength="4000"' in page and "<textarea" in page  # the browser stops there
    response = operator.post_form(NEW_CUSTOMER, customer_form(notes="x" * 4001))
    assert response.status_code == 200
    errors = form_errors(response.get_data(as_text=True))
    assert any(WORDS[language]["too_long"] in e for e in errors["notes"])
    assert customers() == 0
    assert operator.post_form(NEW_CUSTOMER, customer_form(notes="x" * 4000)).status_code == 302


def test_every_free_text_column_has_a_maximum_length():
    for model in (Customer, CustomerGroup):
        for column in model.__table__.columns:
            if column.key != "search_text" and column.type.python_type is str:
                assert getattr(column.type, "length", None), f"{model.__name__}.{column.key}"


def test_the_database_side_refuses_text_over_the_limit(make):
    """Whatever writes (an import, a script), not only the form."""
    customer = make.customer()
    customer.notes = "x" * 4001
    with pytest.raises(TextTooLong):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("name", ["\u200b\u200b\u200b", "\u200d\ufeff", "\x07\x08\x1b",
                                  " \u200b \t"])
def test_a_name_of_only_invisible_characters_is_refused(operator, language, name):
    response = operator.post_form(NEW_CUSTOMER, customer_form(first_name=name))
    assert response.status_code == 200
    errors = form_errors(response.get_data(as_text=True))
    assert any(WORDS[language]["required"] in e for e in errors["first_name"])
    assert customers() == 0
    response = operator.post_form(NEW_GROUP, {"name": name, "description": ""})
    assert response.status_code == 200
    assert db.session.scalar(select(func.count(CustomerGroup.id))) == 0


def test_invisible_characters_around_a_name_are_dropped(operator):
    assert operator.post_form(NEW_CUSTOMER, customer_form(
        first_name="\u200bAna\u200b")).status_code == 302
    assert db.session.scalar(select(Customer.first_name)) == "Ana"


@pytest.mark.parametrize("field", ["first_name", "surname", "notes", "postcode"])
def test_a_nul_byte_in_any_field_is_a_form_error(operator, language, field):
    response = operator.post_form(NEW_CUSTOMER, customer_form(**{field: "Ana\x00Pérez"}))
    assert response.status_code == 200
    errors = form_errors(response.get_data(as_text=True))
    assert any(WORDS[language]["nul"] in e for e in errors[field])
    assert customers() == 0


def test_a_nul_byte_in_the_address_is_a_bad_request(operator):
    for url in ("/admin/customers/?search=ana%00", "/admin/customers/?flt0_group_equals=%00"):
        assert operator.get(url).status_code == 400


def test_a_nul_byte_at_login_is_refused(client, users):
    response = client.post_form("/login", {"email": "admin@example.com\x00",
                                           "password": "x\x00"})
    assert response.status_code == 400


def test_postgresql_itself_refuses_text_over_the_limit(make):
    """PostgreSQL enforces the length as VARCHAR(n) even for a statement that
    bypasses the application's check (SQLite keeps TEXT: the check above holds there)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite does not enforce a column's length; the flush check does")
    customer = make.customer()
    db.session.commit()
    with pytest.raises(DataError):
        db.session.execute(update(Customer.__table__).where(Customer.id == customer.id)
                           .values(notes="x" * 4001))
    db.session.rollback()
