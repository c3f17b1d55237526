"""How much memory and time the full customer export takes, as staff get it.

    python bench/export_memory.py [--customers N]

Seeds (or reuses) a benchmark database with N customers (SQLite in
instance/bench.db, or DATABASE_URL), then runs the export in a fresh process
logged in as an operator, reading the streamed CSV chunk by chunk, and prints
the time to the first byte, the total time, the rows and the peak memory of
that process (its maximum resident set size).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from admin_app import create_app  # noqa: E402
from admin_app.extensions import db  # noqa: E402

BENCH_SQLITE = ROOT / "instance" / "bench.db"
USER_EMAIL = "bench-operator@example.com"
PASSWORD = "bench-password-long"


def bench_app():
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{BENCH_SQLITE}"
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                       "WTF_CSRF_ENABLED": False, "TESTING": False})


def prepare(customers: int) -> None:
    """The database with at least ``customers`` customers and an operator."""
    import flask_migrate
    from sqlalchemy import func, select

    from admin_app.models import AdminUser, Customer
    from admin_app.services.seed import seed

    app = bench_app()
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        have = db.session.scalar(select(func.count()).select_from(Customer))
        if have < customers:
            started = time.perf_counter()
            seed(customers - have, seed=have + 1, on_chunk=db.session.commit)
            db.session.commit()
            print(f"seeded {customers - have:,} customers in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
        if db.session.scalar(select(AdminUser).where(AdminUser.email == USER_EMAIL)) is None:
            user = AdminUser(email=USER_EMAIL, name="Bench", role="operator", language="en",
                             active=True)
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.commit()


def measure() -> dict:
    """Run in its own process so that its peak memory is the export's alone."""
    app = bench_app()
    client = app.test_client()
    login = client.post("/login", data={"email": USER_EMAIL, "password": PASSWORD})
    assert login.status_code == 302, "the benchmark user could not log in"
    started = time.perf_counter()
    response = client.get("/admin/customers/export/csv/", buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/csv", response.status
    first_byte = None
    size = lines = 0
    for chunk in response.response:
        if first_byte is None:
            first_byte = time.perf_counter() - started
        size += len(chunk)
        lines += chunk.count(b"\n")
    response.close()
    return {"status": response.status_code, "first_byte_s": round(first_byte or 0, 3),
            "total_s": round(time.perf_counter() - started, 1), "rows": lines - 1,
            "megabytes": round(size / 1e6, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure()))
        return
    prepare(args.customers)
    result = subprocess.run([sys.executable, __file__, "--measure"], check=True,
                            capture_output=True, text=True)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    print("customer CSV export: {rows:,} rows, {megabytes} MB, first byte after "
          "{first_byte_s} s, done in {total_s} s, peak memory {peak_rss_mb} MB".format(**figures))


if __name__ == "__main__":
    main()
