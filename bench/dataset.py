"""The benchmark database: where it is, seeding it, its statistics and its size.

SQLite in instance/bench.db unless DATABASE_URL names another database
(PostgreSQL: ``postgresql://...``). Seeding tops the customers up to the number
asked for, with the app's own seed service, so a second run reuses the data.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The bench runs as scripts from bench/: the project's package must be importable.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from admin_app.choices import Role  # noqa: E402
from admin_app.database import bulk_load, dialect, order_search_tables  # noqa: E402
from admin_app.extensions import db  # noqa: E402
from admin_app.models import (  # noqa: E402
    AdminUser,
    Customer,
    LoyaltyTransaction,
    Wallet,
    WalletTransaction,
)
from admin_app.services.seed import SEEDED_TABLES, seed  # noqa: E402

DEFAULT_SQLITE = ROOT / "instance" / "bench.db"

# The operator both apps' cases run as (export needs operator or above).
USER_EMAIL = "bench-operator@example.com"
PASSWORD = "bench-password-long"

# Denser than the demo data: every customer holds a wallet with ten movements,
# so the ledger lists are ten times the customer count.
TX_PER_WALLET = 10
WALLETS_PER_CUSTOMER = 1.0


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"


def database_kind(url: str | None = None) -> str:
    """The kind the results file is named after: sqlite or postgresql."""
    url = url or database_url()
    return "postgresql" if url.startswith(("postgres://", "postgresql")) else "sqlite"


def prepare(app, customers: int) -> None:
    """Migrate, top the customers up to ``customers``, make sure the planner has
    statistics, and add the operator, in ``app``'s context."""
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        have = db.session.scalar(select(func.count()).select_from(Customer))
        seeded = False
        if have < customers:
            started = time.perf_counter()
            # A seed value past the existing rows: a top-up adds new people, not copies.
            with bulk_load(SEEDED_TABLES):
                seed(customers - have, seed=have + 1, tx_per_wallet=TX_PER_WALLET,
                     wallets_per_customer=WALLETS_PER_CUSTOMER,
                     on_chunk=lambda _people: db.session.commit())
                db.session.commit()
            seeded = True
            print(f"seeded {customers - have:,} customers in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
        ensure_statistics(seeded)
        ensure_bench_user(USER_EMAIL, "Bench", Role.OPERATOR)


def ensure_statistics(after_seeding: bool) -> None:
    """Query planners choose indexes from table statistics: without them (bulk
    inserts leave none on SQLite, and autovacuum may not have caught up on
    PostgreSQL) both apps would be timed on plans no live database uses."""
    if not after_seeding and _has_statistics():
        return
    started = time.perf_counter()
    if dialect() == "postgresql":
        if after_seeding:
            order_search_tables(vacuum=False)  # as `flask seed` leaves them; vacuumed below
        # VACUUM too (outside a transaction): a bulk load leaves the visibility map
        # empty, and index-only scans need it, as autovacuum keeps it on a live database.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            # Keeps those statistics current for later connections' plans.
            connection.execute(text("PRAGMA optimize"))
            connection.commit()
    print(f"analysed the database in {time.perf_counter() - started:.0f} s", flush=True)


def _has_statistics() -> bool:
    with db.engine.connect() as connection:
        if dialect() == "sqlite":
            table = connection.scalar(text(
                "SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'"))
            return bool(table) and bool(connection.scalar(text(
                "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'customers'")))
        analysed = connection.execute(text(
            "SELECT last_analyze, last_autoanalyze FROM pg_stat_user_tables "
            "WHERE relname = 'wallet_transactions'")).first()
        return analysed is not None and any(analysed)


def ensure_bench_user(email: str, name: str, role: str) -> None:
    """The bench reads pages as an English-speaking user with a known password.
    A person who logged in as this user and changed its language, role or
    password is set back: the cases' filter values and expected texts are English."""
    user = db.session.scalar(select(AdminUser).where(AdminUser.email == email))
    if user is None:
        user = AdminUser(email=email, name=name)
        db.session.add(user)
    user.role, user.language, user.active = role, "en", True
    user.set_password(PASSWORD)
    db.session.commit()


def sparse_note(counts: dict[str, int]) -> str | None:
    """A warning when the database was seeded thinner than this bench seeds
    (e.g. by an older bench): its ledger lists are then shorter than intended."""
    expected = counts["customers"] * WALLETS_PER_CUSTOMER * TX_PER_WALLET
    if counts["wallet transactions"] >= 0.9 * expected:
        return None
    return (f"Note: {counts['wallet transactions']:,} wallet transactions where this bench "
            f"seeds about {expected:,.0f}: delete the database to seed it again.")


def row_counts(app) -> dict[str, int]:
    """The sizes the figures depend on, printed above the table."""
    tables = {"customers": Customer, "wallets": Wallet,
              "wallet transactions": WalletTransaction,
              "loyalty transactions": LoyaltyTransaction}
    with app.app_context():
        return {name: db.session.scalar(select(func.count()).select_from(model))
                for name, model in tables.items()}
