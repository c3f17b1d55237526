"""How long a 100,000-row customer import takes: preview, apply, the same file
again (everything unchanged) and undo.

    python bench/import_speed.py [--rows N]

Runs on a scratch database (SQLite in instance/bench-import.db, or
BENCH_IMPORT_DATABASE_URL), emptied and migrated each run.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from admin_app import create_app  # noqa: E402
from admin_app.extensions import db  # noqa: E402

SCRATCH = ROOT / "instance" / "bench-import.db"


def customers_csv(rows: int) -> bytes:
    lines = ["First name,Surname,Email,Phone,Postcode,Birthday,Marketing opt-in"]
    for n in range(rows):
        lines.append(f"Ana{n},Ruiz{n},ana{n}@example.com,+3460{n:07d},{28000 + n % 999},"
                     f"{1 + n % 28:02d}/0{1 + n % 9}/1980,{'yes' if n % 2 else 'no'}")
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    import flask_migrate
    from sqlalchemy import text

    from admin_app.services import imports

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    url = os.environ.get("BENCH_IMPORT_DATABASE_URL")
    if url is None:
        SCRATCH.parent.mkdir(exist_ok=True)
        SCRATCH.unlink(missing_ok=True)
        url = f"sqlite:///{SCRATCH}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "IMPORT_MAX_ROWS": max(args.rows, 100_000)})
    data = customers_csv(args.rows)
    with app.test_request_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        figures = {}
        started = time.perf_counter()
        batch, plan = imports.preview("customers", "bench.csv", data, actor=None)
        db.session.commit()
        figures["preview"] = time.perf_counter() - started
        started = time.perf_counter()
        imports.apply(batch, actor=None)
        db.session.commit()
        figures["apply"] = time.perf_counter() - started
        started = time.perf_counter()
        _again, second = imports.preview("customers", "bench.csv", data, actor=None)
        db.session.rollback()
        figures["same file again"] = time.perf_counter() - started
        assert second.unchanged == args.rows, "re-importing must change nothing"
        started = time.perf_counter()
        imports.undo(batch)
        db.session.commit()
        figures["undo"] = time.perf_counter() - started
    shown = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in figures.items())
    print(f"customer import of {args.rows:,} rows ({len(data) / 1e6:.1f} MB): {shown}")


if __name__ == "__main__":
    main()
