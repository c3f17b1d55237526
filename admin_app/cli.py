"""Command line: thin wrappers over the services (flask --app wsgi ...)."""
from __future__ import annotations

import logging
import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from .choices import Role
from .database import SearchTableBusy, bulk_load, order_search_tables, refresh_statistics
from .extensions import db
from .models import AdminUser, Customer
from .services import dashboard, ledger
from .services import seed as seed_service
from .services.errors import DomainError
from .services.users import create_user

users_cli = AppGroup("users", help="Manage admin users.")
ledger_cli = AppGroup("ledger", help="Expire credit and check the ledgers.")
dashboard_cli = AppGroup("dashboard", help="The home page's figures.")
scaffold_cli = AppGroup("scaffold", help="First drafts of new code, for developers.")
search_cli = AppGroup("search", help="The search tables (PostgreSQL).")

DEMO_EMAIL = "admin@example.com"
DEMO_PASSWORD = "backoffice-demo"


@users_cli.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice(Role.values()), default=Role.VIEWER, show_default=True)
@click.option("--name", default=None, help="Display name (defaults to the email's name).")
@click.option("--language", type=click.Choice(["en", "es"]), default="en", show_default=True)
def create_user_command(email, password, role, name, language):
    """Create an admin user with a role."""
    try:
        user = create_user(email, password, role, name=name, language=language)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.email} ({user.role}).")


@click.command("seed")
@click.option("--customers", type=click.IntRange(min=1), default=3000, show_default=True)
@click.option("--seed", "seed_value", type=int, default=42, show_default=True,
              help="Same seed, same data.")
@click.option("--tx-per-wallet", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--wallets-per-customer", type=click.FloatRange(min=0), default=0.5,
              show_default=True, help="Average number of wallets a customer holds.")
@click.option("--if-empty", is_flag=True, help="Do nothing when customers already exist.")
def seed_command(customers, seed_value, tx_per_wallet, wallets_per_customer, if_empty):
    """Load a deterministic, realistic data set of CUSTOMERS customers."""
    if if_empty and db.session.scalar(select(func.count(Customer.id))):
        click.echo("Customers exist already: demo data kept as it is.")
        return
    started = time.perf_counter()
    with bulk_load(seed_service.SEEDED_TABLES), click.progressbar(
            length=seed_service.people_in(customers), label="Customers and guests",
            show_pos=True, file=sys.stderr) as bar:

        def chunk_written(people: int) -> None:
            db.session.commit()
            bar.update(people - bar.pos)

        try:
            report = seed_service.seed(customers, seed=seed_value, tx_per_wallet=tx_per_wallet,
                                       wallets_per_customer=wallets_per_customer,
                                       on_chunk=chunk_written)
        except KeyboardInterrupt:
            # Each chunk was committed: say what stays, as "Aborted!" alone does not.
            click.echo(f"\nStopped: {bar.pos:,} of {bar.length:,} customers and guests were "
                       "written and are kept, with their orders, wallets and points; the "
                       "guests, unsold gift wallets and blacklist come last. To start over, "
                       "use an empty database.", err=True)
            raise
        db.session.commit()
    refresh_statistics()
    dashboard.snapshot(refresh=True)  # the first visit after a large seed need not wait
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{n} {table}" for table, n in sorted(report.counts.items()))
    click.echo(f"Seeded in {elapsed:.1f} s: {summary}.")


@click.command("demo-user")
def demo_user_command():
    """Create the demo admin user the first time, and print how to log in."""
    exists = db.session.scalar(
        select(func.count(AdminUser.id)).where(AdminUser.email == DEMO_EMAIL))
    if not exists:
        create_user(DEMO_EMAIL, DEMO_PASSWORD, Role.ADMIN, name="Demo Admin")
        db.session.commit()
    click.echo("")
    click.echo("  Backoffice is at http://127.0.0.1:5000/admin/")
    click.echo(f"  Log in as {DEMO_EMAIL} with password {DEMO_PASSWORD}")
    click.echo("")


@ledger_cli.command("expire")
def expire_command():
    """Post expiry movements for unspent credit whose date has passed."""
    expired, total = ledger.expire_all(commit=db.session.commit)
    click.echo(f"Expired credit in {expired} wallets: {total // 100}.{total % 100:02d} in all.")


@ledger_cli.command("verify")
def verify_command():
    """Check that every cached balance and points figure equals its ledger."""
    mismatches = ledger.verify()
    for mismatch in mismatches:
        click.echo(str(mismatch), err=True)
    if mismatches:
        raise click.ClickException(f"{len(mismatches)} figures differ from their ledgers.")
    click.echo("Every wallet and customer matches its ledger.")


@click.command("worker")
@click.option("--drain", is_flag=True,
              help="Run everything queued and due (the schedule's due work included), then exit.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Tasks run at once (default QUEUE_WORKERS).")
def worker_command(drain, threads):
    """Run the queue's tasks and the schedule until stopped (Ctrl-C waits for the
    running tasks). Several workers may share one Redis queue: none runs a task or a
    scheduled job twice."""
    from . import jobs

    if drain:
        ran = jobs.drain()
        click.echo(f"Ran {ran} tasks; nothing is left queued or due.")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    consumer = jobs.queue.create_consumer(
        workers=threads or current_app.config["QUEUE_WORKERS"], worker_type="thread",
        periodic=True, check_worker_health=True,
        max_delay=1.0)  # an idle worker looks at an SQLite queue every second at most
    consumer.run()


@dashboard_cli.command("refresh")
def dashboard_refresh_command():
    """Recompute the home page's figures now (the worker does it every
    DASHBOARD_MAX_AGE seconds, so that no visitor waits for them)."""
    started = time.perf_counter()
    row = dashboard.snapshot(refresh=True)
    click.echo(f"Dashboard figures for {row.figures['customers']} customers computed in "
               f"{time.perf_counter() - started:.2f} s.")


@search_cli.command("reorder")
def search_reorder_command():
    """Lay the search tables out in the list's order again (PostgreSQL), as a seed
    leaves them: a common name's matches then sit on a few pages. Searches and
    changes to customers wait while it runs (about 12 s a million customers)."""
    started = time.perf_counter()
    try:
        ordered = order_search_tables()
    except SearchTableBusy as busy:
        raise click.ClickException(str(busy)) from None
    if not ordered:
        click.echo("Nothing to do on SQLite: its search index (FTS5) has no order to keep.")
        return
    click.echo(f"Reordered {', '.join(ordered)} in {time.perf_counter() - started:.1f} s.")


@scaffold_cli.command("view")
@click.argument("model")
@click.option("--force", is_flag=True, help="Overwrite the view and test modules if they exist.")
def scaffold_view_command(model, force):
    """Write the admin view of MODEL (class or table name), its registry line, its
    test module, and its texts in the catalogues (see docs/adding-a-view.md)."""
    from pathlib import Path

    from . import scaffold

    root = Path(current_app.root_path).parent
    try:
        outcome = scaffold.scaffold_view(model, root, force=force)
    except scaffold.ScaffoldError as error:
        raise click.ClickException(str(error)) from None
    for path in outcome.written:
        click.echo(f"wrote    {path.relative_to(root)}")
    for path in outcome.kept:
        click.echo(f"kept     {path.relative_to(root)} (exists; --force overwrites it)")
    click.echo("added    the view to admin_app/views/__init__.py" if outcome.registered
               else "kept     admin_app/views/__init__.py (the view is registered already)")
    click.echo(f"updated  the catalogues: {outcome.untranslated} Spanish texts to translate in "
               "translations/es/LC_MESSAGES/messages.po")
    click.echo("next     translate them, `make compile-translations`, then "
               f"`.venv/bin/python -m pytest {outcome.test_module.relative_to(root)}`")


def init_app(app: Flask) -> None:
    app.cli.add_command(dashboard_cli)
    app.cli.add_command(scaffold_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(ledger_cli)
    app.cli.add_command(seed_command)
    app.cli.add_command(demo_user_command)
    app.cli.add_command(worker_command)
