"""The command line: admin users, demo data and the demo login."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from admin_app import database
from admin_app.choices import Role
from admin_app.cli import DEMO_EMAIL, DEMO_PASSWORD
from admin_app.extensions import db
from admin_app.models import AdminUser, Customer, Guest, Wallet
from admin_app.services import ledger
from admin_app.services.users import MIN_PASSWORD_LENGTH

PASSWORD = "a-long-enough-password"


def _users(email: str | None = None) -> list[AdminUser]:
    db.session.expire_all()
    query = select(AdminUser).order_by(AdminUser.id)
    if email is not None:
        query = query.where(func.lower(AdminUser.email) == email.lower())
    return list(db.session.scalars(query))


def _customers() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Customer.id)))


def _create(runner, email, *options):
    return runner.invoke(args=["users", "create", email, *options])


# --- users create -----------------------------------------------------------------

def test_users_create_makes_a_user_with_a_hashed_password(runner):
    result = _create(runner, "Ops.Lead@Example.com", "--password", PASSWORD, "--role", "admin")
    assert result.exit_code == 0, result.output
    assert "Created ops.lead@example.com (admin)" in result.output

    [user] = _users()
    assert user.email == "ops.lead@example.com"
    assert user.role == Role.ADMIN
    assert user.active is True
    assert user.name == "ops.lead"
    assert user.password_hash != PASSWORD
    assert PASSWORD not in user.password_hash
    assert re.match(r"^(scrypt|pbkdf2):", user.password_hash), user.password_hash
    assert user.check_password(PASSWORD)
    assert not user.check_password(PASSWORD + "x")
    assert not user.check_password("")


def test_users_create_takes_name_language_and_defaults_to_viewer(runner):
    result = _create(runner, "viewer@example.com", "--password", PASSWORD,
                     "--name", "Vera Viewer", "--language", "es")
    assert result.exit_code == 0, result.output
    [user] = _users()
    assert (user.role, user.name, user.language) == (Role.VIEWER, "Vera Viewer", "es")


@pytest.mark.parametrize("role", Role.values())
def test_users_create_accepts_every_role(runner, role):
    result = _create(runner, f"{role}@example.com", "--password", PASSWORD, "--role", role)
    assert result.exit_code == 0, result.output
    assert _users()[0].role == role


@pytest.mark.parametrize("second", ["ops@example.com", "OPS@Example.COM"])
def test_duplicate_email_fails_with_a_message(runner, second):
    assert _create(runner, "ops@example.com", "--password", PASSWORD).exit_code == 0
    original_hash = _users()[0].password_hash

    result = _create(runner, second, "--password", "another-long-password", "--role", "admin")
    assert result.exit_code != 0
    assert "already exists" in result.output
    users = _users()
    assert len(users) == 1
    assert users[0].role == Role.VIEWER  # the first user is left as it was
    assert users[0].password_hash == original_hash


def test_too_short_password_is_refused(runner):
    result = _create(runner, "short@example.com", "--password", "x" * (MIN_PASSWORD_LENGTH - 1))
    assert result.exit_code != 0
    assert f"at least {MIN_PASSWORD_LENGTH} characters" in result.output
    assert _users() == []


@pytest.mark.parametrize("password, reason", [
    ("aaaaaaaaaaaa", "one character repeated"), (" " * 12, "only spaces"),
    ("x" * 200_000, "at most 128 characters"), ("password1234", "too common"),
])
def test_a_weak_password_is_refused(runner, password, reason):
    result = _create(runner, "weak@example.com", "--password", password)
    assert result.exit_code != 0
    assert reason in result.output
    assert _users() == []


def test_password_of_exactly_the_minimum_length_is_accepted(runner):
    result = _create(runner, "edge@example.com", "--password", "tq8-Vz!k2#Lm")
    assert result.exit_code == 0, result.output
    assert len(_users()) == 1


def test_unknown_role_is_refused(runner):
    result = _create(runner, "boss@example.com", "--password", PASSWORD, "--role", "superuser")
    assert result.exit_code != 0
    assert "superuser" in result.output
    assert "admin" in result.output  # the allowed roles are listed
    assert _users() == []


def test_invalid_email_is_refused(runner):
    result = _create(runner, "not-an-email", "--password", PASSWORD)
    assert result.exit_code != 0
    assert "not a valid email address" in result.output
    assert _users() == []


def test_password_is_prompted_twice_when_not_given(runner):
    result = runner.invoke(args=["users", "create", "prompted@example.com"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input
    assert _users()[0].check_password(PASSWORD)


# --- seed -------------------------------------------------------------------------

def test_seed_creates_the_customers_and_reports(runner):
    result = runner.invoke(args=["seed", "--customers", "20"])
    assert result.exit_code == 0, result.output
    assert "Seeded in" in result.output
    assert "20 customers" in result.output
    assert _customers() == 20
    assert db.session.scalar(select(func.count(Guest.id))) == 2
    assert db.session.scalar(select(func.count(Wallet.id))) >= 1


def test_a_stopped_seed_says_what_it_kept(runner, monkeypatch):
    from admin_app.services import seed as seed_module

    monkeypatch.setattr(seed_module, "CHUNK", 10)

    def operator_presses_ctrl_c(run) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(seed_module, "_guest", operator_presses_ctrl_c)
    result = runner.invoke(args=["seed", "--customers", "25"])
    assert result.exit_code == 1
    assert "Stopped: 20 of 27 customers and guests were written and are kept" in result.output
    assert _customers() == 20


def test_a_seeded_postgresql_database_is_vacuumed_and_analysed(runner):
    """Straight after a seed, deep list pages read the index alone (the visibility
    map a vacuum writes) and the planner knows the tables' sizes."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's vacuum; SQLite is analysed (see the seed's own test)")
    assert runner.invoke(args=["seed", "--customers", "20"]).exit_code == 0
    db.session.commit()
    vacuumed, analysed = db.session.execute(text(
        "SELECT last_vacuum, last_analyze FROM pg_stat_user_tables "
        "WHERE relname = 'customers'")).one()
    assert vacuumed is not None and analysed is not None


def _search_table_in_its_own_order() -> list[str]:
    return list(db.session.scalars(text("SELECT sort_name FROM customers_search ORDER BY ctid")))


def test_a_seeded_postgresql_search_table_is_laid_out_in_name_order(runner):
    """A common surname's matches then sit on a few of its pages."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's search table; SQLite searches an FTS5 table")
    assert runner.invoke(args=["seed", "--customers", "60"]).exit_code == 0
    db.session.commit()
    names = _search_table_in_its_own_order()
    assert len(names) == 60 and names == sorted(names)


def test_search_reorder_puts_a_search_table_back_in_name_order(runner, make):
    if db.engine.dialect.name != "postgresql":
        result = runner.invoke(args=["search", "reorder"])
        assert result.exit_code == 0
        assert "Nothing to do on SQLite: its search index (FTS5) has no order to keep." \
            in result.output
        return
    for surname in ("Zapata", "Mora", "Abad", "Lopez"):  # written out of order
        make.customer("Ana", surname)
    assert _search_table_in_its_own_order() != ["abad ana", "lopez ana", "mora ana", "zapata ana"]
    db.session.commit()
    result = runner.invoke(args=["search", "reorder"])
    assert result.exit_code == 0 and "Reordered customers_search in" in result.output
    db.session.commit()
    assert _search_table_in_its_own_order() == ["abad ana", "lopez ana", "mora ana", "zapata ana"]


def test_search_reorder_gives_up_while_other_work_holds_the_table(runner, make, monkeypatch):
    """Waiting for its lock, a reorder would hold every search and customer write
    up behind it for as long as that work lasts: it asks a little at a time, then
    says why it stopped, and leaves the table as it was."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's search table")
    monkeypatch.setattr(database, "REORDER_LOCK_WAIT_MS", 100)
    monkeypatch.setattr(database, "REORDER_PAUSE_S", 0)
    for surname in ("Zapata", "Abad"):
        make.customer("Ana", surname)
    db.session.commit()
    with db.engine.connect() as other_work:  # an import's transaction, say
        other_work.execute(text("SELECT count(*) FROM customers_search"))
        result = runner.invoke(args=["search", "reorder"])
        other_work.rollback()
    assert result.exit_code == 1
    assert "customers_search stayed in use by other work (an import?) and was not reordered" \
        in result.output
    assert _search_table_in_its_own_order() == ["zapata ana", "abad ana"]
    assert runner.invoke(args=["search", "reorder"]).exit_code == 0
    db.session.commit()
    assert _search_table_in_its_own_order() == ["abad ana", "zapata ana"]


def test_seed_with_the_same_seed_value_gives_the_same_people(runner):
    assert runner.invoke(args=["seed", "--customers", "5", "--seed", "9"]).exit_code == 0
    result = runner.invoke(args=["seed", "--customers", "5", "--seed", "9"])
    assert result.exit_code == 0, result.output
    assert _customers() == 10  # a second run appends
    names = [tuple(row) for row in db.session.execute(
        select(Customer.first_name, Customer.surname).order_by(Customer.id))]
    assert names[:5] == names[5:]
    assert len(set(names[:5])) > 1


def test_seed_if_empty_does_nothing_when_customers_exist(runner, make):
    make.customer()
    result = runner.invoke(args=["seed", "--customers", "20", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "Customers exist already" in result.output
    assert _customers() == 1
    assert db.session.scalar(select(func.count(Wallet.id))) == 0


def test_seed_if_empty_seeds_an_empty_database(runner):
    result = runner.invoke(args=["seed", "--customers", "7", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "7 customers" in result.output
    assert _customers() == 7


@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_seed_refuses_a_bad_customer_count(runner, value):
    result = runner.invoke(args=["seed", "--customers", value])
    assert result.exit_code != 0
    assert _customers() == 0


# --- demo-user ----------------------------------------------------------------------

def test_demo_user_is_created_once_and_login_is_printed(runner):
    first = runner.invoke(args=["demo-user"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["demo-user"])
    assert second.exit_code == 0, second.output

    [user] = _users(DEMO_EMAIL)
    assert user.email == "admin@example.com"
    assert user.role == Role.ADMIN
    assert user.active
    assert user.check_password(DEMO_PASSWORD)
    assert len(_users()) == 1
    for result in (first, second):
        assert "http://127.0.0.1:5000/admin/" in result.output
        assert "admin@example.com" in result.output
        assert DEMO_PASSWORD in result.output


def test_demo_user_leaves_an_existing_demo_user_alone(runner):
    assert runner.invoke(args=["demo-user"]).exit_code == 0
    [user] = _users(DEMO_EMAIL)
    user.set_password("changed-by-the-owner")
    db.session.commit()

    result = runner.invoke(args=["demo-user"])
    assert result.exit_code == 0, result.output
    [user] = _users(DEMO_EMAIL)
    assert user.check_password("changed-by-the-owner")


# -- ledger ---------------------------------------------------------------------------

def _credit(wallet, amount, key, *, expires_on=None, now=None):
    ledger.add_balance(wallet, amount, actor=None, reason="Test", idempotency_key=key,
                       expires_on=expires_on, now=now)
    db.session.commit()


def test_ledger_expire_removes_only_expired_unspent_credit(runner, make):
    customer = make.customer()
    wallet = make.wallet(customer)
    past = date.today() - timedelta(days=3)
    _credit(wallet, 1000, "old", expires_on=past, now=datetime.combine(past, datetime.min.time()))
    _credit(wallet, 300, "new")
    result = runner.invoke(args=["ledger", "expire"])
    assert result.exit_code == 0, result.output
    assert "Expired credit in 1 wallets: 10.00 in all." in result.output
    db.session.expire_all()
    assert db.session.get(Wallet, wallet.id).balance_minor == 300
    assert db.session.get(Customer, customer.id).balance_minor == 300
    again = runner.invoke(args=["ledger", "expire"])
    assert "Expired credit in 0 wallets" in again.output


def test_ledger_verify_passes_then_names_each_mismatch(runner, make):
    wallet = make.wallet(make.customer())
    _credit(wallet, 500, "k")
    ok = runner.invoke(args=["ledger", "verify"])
    assert ok.exit_code == 0 and "matches" in ok.output
    db.session.execute(Wallet.__table__.update().values(balance_minor=499))
    db.session.commit()
    bad = runner.invoke(args=["ledger", "verify"])
    assert bad.exit_code != 0
    assert f"wallet {wallet.id}: cached 499, ledger says 500" in bad.output
