"""Database work stopped before it finished (a statement timeout, a cancel, a lock
wait that ran out, SQLite's busy writer) is told apart from a fault: a page says
to try again in the user's language (503), a form comes back as it was sent with
"nothing was changed", and the next try works. No save failure shows its SQL."""
from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from admin_app.database import stopped_before_finishing
from admin_app.extensions import db
from admin_app.models import Customer, CustomerGroup, Wallet, WalletTransaction
from tests.conftest import admins_by_language
from tests.pages import flashes, fresh, get_page, hidden_value

STOPPED = {"en": "The database stopped this request",
           "es": "La base de datos detuvo esta solicitud"}
BUSY = {"en": "The database was busy or took too long, and nothing was changed. "
              "Try again in a moment.",
        "es": "La base de datos estaba ocupada o tardó demasiado, y no se cambió nada. "
              "Inténtelo de nuevo en un momento."}

UNFINISHED = {"en": "The server could not finish this. Check whether it was saved before you "
                    "try again; if it happens again, tell an administrator.",
              "es": "El servidor no pudo terminar esto. Compruebe si se guardó antes de volver "
                    "a intentarlo; si vuelve a ocurrir, avise a un administrador."}


def errors_flashed(page: str) -> list[str]:
    return [message for category, message in flashes(page) if category == "danger"]


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def readers(app, users, password_hash):
    """An English- and a Spanish-reading admin, logged in."""
    return admins_by_language(app, users, password_hash)


@pytest.fixture
def held():
    """held(table) -> let_go(): another transaction keeps ``table`` from being
    written (PostgreSQL: LOCK TABLE ... IN EXCLUSIVE MODE, reads go on; SQLite:
    the database's one write lock), as a long import would, and this app waits
    for it 50-100 ms instead of the usual seconds."""
    holders = []

    def wait_briefly(_connection, cursor, *_):
        if db.engine.dialect.name == "postgresql":
            cursor.execute("SET LOCAL lock_timeout = '100ms'")  # this transaction's
        else:
            cursor.execute("PRAGMA busy_timeout = 50")  # the connection's: see let_go

    def hold(table: str):
        if db.engine.dialect.name == "postgresql":
            holder = db.engine.connect()
            holder.exec_driver_sql(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE')
        else:
            holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
        event.listen(db.engine, "before_cursor_execute", wait_briefly)
        holders.append(holder)
        return let_go

    def let_go():
        if event.contains(db.engine, "before_cursor_execute", wait_briefly):
            event.remove(db.engine, "before_cursor_execute", wait_briefly)
        while holders:
            holder = holders.pop()
            holder.rollback() if hasattr(holder, "begin") else holder.execute("ROLLBACK")
            holder.close()

    yield hold
    let_go()
    if db.engine.dialect.name == "sqlite":
        # Pooled connections keep the short wait: later tests' writers, racing
        # each other, would give up after 50 ms.
        db.session.remove()
        db.engine.dispose()


# -- which errors are "stopped" ----------------------------------------------------------

@pytest.mark.parametrize("driver_error, stopped", [
    (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), True),
    (psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"), True),
    (psycopg.errors.DeadlockDetected("deadlock detected"), True),
    (psycopg.errors.SerializationFailure("could not serialize access"), True),
    (sqlite3.OperationalError("database is locked"), True),
    # Faults that trying again does not mend: the 500 page, and a logged traceback.
    (psycopg.errors.DiskFull("could not extend file"), False),
    (psycopg.errors.AdminShutdown("terminating connection"), False),
    (sqlite3.OperationalError("database or disk is full"), False),
    (sqlite3.OperationalError("no such column: customers.nickname"), False),
])
def test_only_work_the_database_stopped_counts_as_stopped(driver_error, stopped):
    error = OperationalError("SELECT 1", {}, driver_error)
    assert stopped_before_finishing(error) is stopped


def test_an_error_of_another_kind_is_never_stopped_work():
    # A missing table is the deployment's fault (migrations not applied), even if
    # its driver's class name says little.
    error = ProgrammingError("SELECT 1", {}, psycopg.errors.UndefinedTable("no table"))
    assert not stopped_before_finishing(error)
    assert not stopped_before_finishing(RuntimeError("database is locked"))


# -- a page: 503 in the reader's language ---------------------------------------------

@pytest.fixture
def lists_run_too_long():
    """PostgreSQL: the statements that read customers run past the statement timeout,
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
def customer_id(make) -> int:
    """A customer's id, read before any statement is made to run too long."""
    return make.customer("Ana", "Ruiz").id


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_form_sent_when_the_database_stopped_says_nothing_changed_and_leads_back(
        readers, customer_id, lists_run_too_long, language):
    """Met after a bulk action: the page said to narrow the list with a filter,
    only led to the start page, and its language button went to the action's
    URL, which answers only to forms (405)."""
    sent_from = f"/admin/customers/details/?id={customer_id}&url=%2Fadmin%2Fcustomers%2F"
    response = readers[language].post_form(
        f"/admin/customers/add-balance/?id={customer_id}", {"amount": "5.00", "reason": "x"},
        headers={"Referer": f"http://localhost{sent_from}"})
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert STOPPED[language] in page
    assert {"en": "and nothing was changed. Go back and send it again in a moment.",
            "es": "y no se cambió nada. Vuelva atrás y envíelo de nuevo en un momento."
            }[language] in page
    back = sent_from.replace("&", "&amp;")
    assert f'<a href="{back}">' in page  # back to the page the form was on
    assert f'name="next" value="{back}"' in page  # and so is the language button's
    assert "narrow" not in page and "acótela" not in page
    lists_run_too_long()
    assert count(WalletTransaction) == 0


def test_an_error_page_that_cannot_be_drawn_is_still_an_answer_in_both_languages(
        readers, monkeypatch):
    """Met under repeated cancels: the error page reads the user and their language
    through the database, and when that failed too, Werkzeug's bare English page
    was all there was."""
    from admin_app import errors

    def undrawable(*_args, **_kwargs):
        raise OperationalError("SELECT admin_users", {}, sqlite3.OperationalError("gone"))

    monkeypatch.setattr(errors, "render_template", undrawable)
    page = readers["es"].get("/admin/no-such-page/")
    text = page.get_data(as_text=True)
    assert page.status_code == 404
    assert "Something went wrong" in text and "Algo salió mal" in text


def test_a_fault_that_is_not_a_stop_still_fails_loudly(readers):
    """Not every database error is "try again": a missing table stays a fault."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a missing table is an OperationalError on SQLite only")

    def broken(_connection, _cursor, statement, parameters, _context, _many):
        if "FROM customers" in statement:
            return "SELECT * FROM no_such_table", ()
        return statement, parameters

    event.listen(db.engine, "before_cursor_execute", broken, retval=True)
    try:
        with pytest.raises(OperationalError, match="no such table"):
            readers["en"].get("/admin/customers/")  # TESTING: the 500 reaches the test
    finally:
        event.remove(db.engine, "before_cursor_execute", broken)


# -- a form: back as it was sent ---------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "es"])
def test_a_new_customer_saved_while_the_table_is_held_comes_back_to_be_sent_again(
        readers, held, language):
    new_customer = {"first_name": "Lucía", "surname": "Núñez", "language": "es",
                    "channel": "in_store"}
    let_go = held("customers")
    response = readers[language].post_form("/admin/customers/new/", new_customer)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert errors_flashed(page) == [BUSY[language]]
    assert 'value="Núñez"' in page  # what was typed is kept, not SQL
    assert "INSERT" not in page
    assert count(Customer) == 0

    let_go()
    again = readers[language].post_form("/admin/customers/new/", new_customer)
    assert again.status_code == 302
    assert count(Customer) == 1


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_group_edited_while_it_is_held_comes_back_in_the_readers_language(
        readers, held, make, language):
    """Met as a bare English 500: the message's translation read the user from the
    session the failed statement had left unusable (customers' forms escaped it,
    having read the language before)."""
    group = make.group("Students", description="Under 26")
    held("customer_groups")
    response = readers[language].post_form(
        f"/admin/groups/edit/?id={group.id}", {"name": "Students", "description": "Under 30"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert errors_flashed(page) == [BUSY[language]]
    assert "Under 30" in page
    assert fresh(CustomerGroup, group.id).description == "Under 26"


@pytest.mark.parametrize("language", ["en", "es"])
def test_balance_added_while_wallets_are_held_keeps_the_form_and_posts_once_later(
        readers, held, make, language):
    """Met as the whole-page 503 ("narrow it with a filter"): the amount and reason
    typed were lost. Pages that save through committed_or_refused keep them now."""
    customer = make.customer("Ana", "Ruiz")
    client = readers[language]
    url = f"/admin/customers/add-balance/?id={customer.id}"
    form = {"amount": "12.50", "reason": "Goodwill for the late parcel",
            "idempotency_key": hidden_value(get_page(client, url), "idempotency_key")}
    let_go = held("wallets")
    response = client.post_form(url, form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400  # how these pages send a form back
    assert errors_flashed(page) == [BUSY[language]]
    assert "Goodwill for the late parcel" in page and 'value="12.50"' in page
    assert count(WalletTransaction) == 0

    let_go()
    assert client.post_form(url, form).status_code == 302
    assert client.post_form(url, form).status_code == 302  # the same form again: once
    assert [t.amount_minor for t in db.session.scalars(select(WalletTransaction))] == [1250]
    assert fresh(Customer, customer.id).balance_minor == 1250
    assert count(Wallet) == 1


def test_a_bulk_delete_while_customers_are_held_deletes_nothing_and_says_why(
        readers, held, make):
    """Met as the whole-page 503, away from the list it was chosen on."""
    chosen = [make.customer("Ana", "Alpha").id, make.customer("Eva", "Beta").id]
    let_go = held("customers")
    response = readers["es"].post_form("/admin/customers/action/", {
        "action": "delete", "rowid": [str(i) for i in chosen], "url": "/admin/customers/"})
    let_go()
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/customers/")
    assert errors_flashed(get_page(readers["es"], response.headers["Location"])) == [BUSY["es"]]
    assert count(Customer) == 2


# -- anything else: no SQL on the page ----------------------------------------------------

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
    assert errors_flashed(page) == [UNFINISHED[language]]
    assert "SELECT" not in page
    assert count(Customer) == 0


def test_a_save_whose_commit_reached_the_database_but_not_its_answer_says_to_check(
        readers, monkeypatch):
    """Met through a proxy that let COMMIT through and cut the connection before its
    answer: the customer was saved, the page said "nothing was changed", and saving
    again made a second one. Whether it was saved is not known: the page says so."""
    dialect = db.engine.dialect
    committed_then_cut = dialect.do_commit

    def answer_lost(dbapi_connection):
        committed_then_cut(dbapi_connection)
        raise dialect.loaded_dbapi.OperationalError(
            "consuming input failed: server closed the connection unexpectedly")

    monkeypatch.setattr(dialect, "do_commit", answer_lost)
    response = readers["es"].post_form("/admin/customers/new/", {
        "first_name": "Lucía", "surname": "Núñez", "language": "es", "channel": "in_store"})
    monkeypatch.undo()
    assert response.status_code == 200
    assert errors_flashed(response.get_data(as_text=True)) == [UNFINISHED["es"]]
    assert count(Customer) == 1  # it was saved: "nothing was changed" would have lied


def test_a_merge_confirmed_while_customers_are_held_keeps_every_choice(readers, held, make):
    """Met in the browser: the busy message came back over a preview with the
    proposed values, and confirming again merged those instead of the chosen ones."""
    import re

    from tests.views.test_customer_merge import MERGE, confirm

    old = make.customer("Marta", "Iglesias", email="marta@example.com")
    new = make.customer("Marta", "Iglesias Roca", email="marta.iglesias@example.com")
    ids = f"{old.id},{new.id}"
    page = get_page(readers["en"], MERGE, ids=ids)
    let_go = held("customers")
    response = confirm(readers["en"], page, ids, **{"value-email": str(old.id)})
    let_go()
    again = response.get_data(as_text=True)
    assert response.status_code == 409
    assert errors_flashed(again) == [BUSY["en"]]
    assert re.search(rf'name="value-email" value="{old.id}"[^>]*checked', again)
    assert fresh(Customer, new.id).merged_into_id is None


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_form_page_that_fails_unexpectedly_asks_to_check_before_sending_again(
        app, readers, customer_id, monkeypatch, language):
    """Met by the third review: a page that saves through committed_or_refused (add
    balance, merge...) answered an unforeseen failure with the 500 page's "Try
    again", which a connection lost during the commit turns into a second save."""
    from admin_app.services import ledger

    def broken(*_args, **_kwargs):
        raise RuntimeError("the connection went away")

    monkeypatch.setattr(ledger, "add_balance", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # the page, as served
    url = f"/admin/customers/add-balance/?id={customer_id}"
    response = readers[language].post_form(url, {
        "amount": "5.00", "reason": "x",
        "idempotency_key": hidden_value(get_page(readers[language], url), "idempotency_key")})
    assert response.status_code == 500
    assert UNFINISHED[language] in response.get_data(as_text=True)
