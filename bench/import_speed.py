"""How long a 100,000-row customer import takes: preview and apply (and, run on
its own, the same file again, which must change nothing, and undo).

    python bench/import_speed.py [--rows N]

Runs on a scratch database, emptied and migrated each run: the one in
BENCH_IMPORT_DATABASE_URL; else, when the bench runs on PostgreSQL
(DATABASE_URL), a database named after it with "_import" on the same server,
created when missing; else SQLite in instance/bench-import.db.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import flask_migrate
from dataset import ROOT, database_kind, database_url
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from admin_app import create_app
from admin_app.database import dialect
from admin_app.extensions import db
from admin_app.services import imports

SCRATCH_SQLITE = ROOT / "instance" / "bench-import.db"


def customers_csv(rows: int) -> bytes:
    lines = ["First name,Surname,Email,Phone,Postcode,Birthday,Marketing opt-in"]
    for n in range(rows):
        lines.append(f"Ana{n},Ruiz{n},ana{n}@example.com,+3460{n:07d},{28000 + n % 999},"
                     f"{1 + n % 28:02d}/0{1 + n % 9}/1980,{'yes' if n % 2 else 'no'}")
    return ("\n".join(lines) + "\n").encode()


def scratch_url() -> str:
    url = os.environ.get("BENCH_IMPORT_DATABASE_URL")
    if url is None and database_kind() == "postgresql":
        url = _scratch_beside(database_url())
    if url is None:
        SCRATCH_SQLITE.parent.mkdir(exist_ok=True)
        url = f"sqlite:///{SCRATCH_SQLITE}"
    if _same_database(url, database_url()):
        raise SystemExit("the import's scratch database must not be the bench database: "
                         "it is emptied on every run")
    return url


def _same_database(first: str, second: str) -> bool:
    # Driver and port aside: refusing too often is the safe side.
    return len({(u.get_backend_name(), u.host, u.database)
                for u in map(make_url, (first, second))}) == 1


def _scratch_beside(bench_url: str) -> str:
    """<bench database>_import on the same PostgreSQL server, created if missing."""
    bench = make_url(bench_url).set(drivername="postgresql+psycopg")
    scratch = bench.set(database=f"{bench.database}_import")
    server = create_engine(bench.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                   {"name": scratch.database})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{scratch.database}"'))
    server.dispose()
    return scratch.render_as_string(hide_password=False)


def _remove_sqlite_files(url: str) -> None:
    # With its WAL files: a stale journal must not be replayed into the new file.
    path = make_url(url).database
    if make_url(url).get_backend_name() == "sqlite" and path:
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)


def _empty_and_migrate() -> None:
    if dialect() == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    flask_migrate.upgrade(directory=str(ROOT / "migrations"))


def measure(rows: int, *, full: bool = False) -> dict[str, float]:
    """Seconds per step: preview, apply; with ``full`` also the same file again
    and undo."""
    url = scratch_url()
    _remove_sqlite_files(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "IMPORT_MAX_ROWS": max(rows, 100_000)})
    data = customers_csv(rows)
    figures = {}
    with app.test_request_context():
        _empty_and_migrate()
        started = time.perf_counter()
        batch, plan = imports.preview("customers", "bench.csv", data, actor=None)
        db.session.commit()
        figures["preview"] = time.perf_counter() - started
        if len(plan.creates) != rows:
            raise SystemExit(f"the preview plans {len(plan.creates):,} new customers, "
                             f"not {rows:,}")
        started = time.perf_counter()
        imports.apply(batch, actor=None)
        db.session.commit()
        figures["apply"] = time.perf_counter() - started
        if full:
            started = time.perf_counter()
            _again, second = imports.preview("customers", "bench.csv", data, actor=None)
            db.session.rollback()
            figures["same file again"] = time.perf_counter() - started
            if second.unchanged != rows:
                raise SystemExit("re-importing the same file must change nothing")
            started = time.perf_counter()
            imports.undo(batch)
            db.session.commit()
            figures["undo"] = time.perf_counter() - started
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    figures = measure(args.rows, full=True)
    shown = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in figures.items())
    print(f"customer import of {args.rows:,} rows: {shown}")


if __name__ == "__main__":
    main()
