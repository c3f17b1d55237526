"""Database work stopped before it finished (a statement timeout, a cancel, a lock
wait that ran out) gets a page in the user's language that says to try again,
not the server's 500, and the next request works."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event, func, select

from admin_app.extensions import db
from admin_app.models import Customer
from tests.conftest import admins_by_language
from tests.pages import flashes

STOPPED = {"en": "The database stopped this request",
           "es": "La base de datos detuvo esta solicitud"}


@pytest.fixture
def readers(app, users, password_hash):
    return admins_by_language(app, users, password_hash)


@pytest.fixture
def lists_run_too_long():
    """PostgreSQL: the customers list's statements run past the statement timeout,
    and the server cancels them, as it would a search that took too long.
    Calling the fixture's value ends that."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")

    def too_long(_connection, cursor, statement, parameters, _context, _many):
        if "FROM customers" not in statement:
            return statement, parameters
        cursor.execute("SET LOCAL statement_timeout = '50ms'")
        return "SELECT pg_sleep(5)", None

    def stop():
        if event.contains(db.engine, "before_cursor_execute", too_long):
            event.remove(db.engine, "before_cursor_execute", too_long)

    event.listen(db.engine, "before_cursor_execute", too_long, retval=True)
    yield stop
    stop()


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_list_cancelled_for_taking_too_long_says_to_try_again(
        readers, lists_run_too_long, language):
    page = readers[language].get("/admin/customers/?search=garc")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    assert STOPPED[language] in page.get_data(as_text=True)


def test_the_same_list_works_once_the_database_answers_again(readers, lists_run_too_long, make):
    make.customer("Ana", "García")
    assert readers["en"].get("/admin/customers/?search=garc").status_code == 503
    lists_run_too_long()
    page = readers["en"].get("/admin/customers/?search=garc")
    assert page.status_code == 200 and "García" in page.get_data(as_text=True)


@pytest.fixture
def database_held_by_another_writer():
    """SQLite: another connection holds the write lock (a long import, say), and
    this app's writers wait 50 ms for it, not the usual seconds. Calling the
    fixture's value lets go of the lock."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's one-writer lock")
    other = sqlite3.connect(db.engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")

    def short_wait(_connection, cursor, *_):
        cursor.execute("PRAGMA busy_timeout = 50")

    def let_go():
        if event.contains(db.engine, "before_cursor_execute", short_wait):
            event.remove(db.engine, "before_cursor_execute", short_wait)
            other.execute("ROLLBACK")
            other.close()

    event.listen(db.engine, "before_cursor_execute", short_wait)
    yield let_go
    let_go()


BUSY = {"en": "The database was busy or took too long, and nothing was changed. "
              "Try again in a moment.",
        "es": "La base de datos estaba ocupada o tardó demasiado, y no se cambió nada. "
              "Inténtelo de nuevo en un momento."}


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_save_that_waited_too_long_for_another_writer_comes_back_to_be_sent_again(
        readers, database_held_by_another_writer, language):
    new_customer = {"first_name": "Lucía", "surname": "Núñez", "language": "es",
                    "channel": "in_store"}
    response = readers[language].post_form("/admin/customers/new/", new_customer)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert [message for category, message in flashes(page)
            if category == "danger"] == [BUSY[language]]
    assert 'value="Núñez"' in page  # what was typed is kept, not SQL
    assert "INSERT" not in page
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 0

    database_held_by_another_writer()
    again = readers[language].post_form("/admin/customers/new/", new_customer)
    assert again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 1


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_save_that_fails_unexpectedly_shows_no_sql_and_keeps_the_form(
        readers, monkeypatch, language):
    """Flask-Admin's own message for an unforeseen failure is the exception itself:
    English, with the SQL statement and every value sent."""
    from admin_app.views.customers import CustomerView

    def broken(*_args):
        raise RuntimeError("SELECT secret FROM nowhere")

    monkeypatch.setattr(CustomerView, "on_model_change", broken)
    response = readers[language].post_form("/admin/customers/new/", {
        "first_name": "Lucía", "surname": "Núñez", "language": "es", "channel": "in_store"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="Núñez"' in page
    [message] = [message for category, message in flashes(page) if category == "danger"]
    assert message.startswith({"en": "The server could not finish this, and nothing was changed.",
                               "es": "El servidor no pudo terminar esto, y no se cambió nada."
                               }[language])
    assert "SELECT" not in page
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 0
