"""`make load`: Locust, headless, against gunicorn on the benchmark database.

    python bench/load/run.py

Settings from the environment: LOAD_USERS (50), LOAD_TIME (2m), LOAD_WORKERS
(gunicorn workers, 4), LOAD_PORT (a free one), DATABASE_URL (as `make bench`:
instance/bench.db by default; it must exist and be seeded, this seeds nothing).
It adds a load-test manager, starts gunicorn on 127.0.0.1, runs the simulated
operators (locustfile.py) for LOAD_TIME, stops gunicorn whatever happens, prints
and writes instance/load-results-<sqlite|postgresql>.md, then checks the ledgers
(`flask ledger verify`). Exit status 1 when a request failed or the ledgers do
not match, 2 when there is nothing to test against.
"""
from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import dataset  # noqa: E402 - also makes the project importable
import mix  # noqa: E402
import table  # noqa: E402

ROOT = dataset.ROOT
EMAIL = "load-operator@example.com"
PASSWORD = "load test operator lantern harbour"  # passes the password policy
START_SECONDS = 60  # gunicorn must answer within this
MAKE_IT = ("Make it first: `make bench BENCH_CUSTOMERS=1000000` seeds it (it also runs the "
           "benchmark), or point DATABASE_URL at a seeded database.")


def settings() -> dict:
    run_time = os.environ.get("LOAD_TIME", "2m")
    mix.seconds(run_time)  # refuses a duration Locust would not read
    return {"users": int(os.environ.get("LOAD_USERS", "50")), "time": run_time,
            "workers": int(os.environ.get("LOAD_WORKERS", "4")),
            "port": int(os.environ.get("LOAD_PORT") or free_port())}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def missing_database(url: str) -> str | None:
    """Why there is nothing to test against, or None."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            return f"No benchmark database at {path}."
    from sqlalchemy import create_engine, inspect, text
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("customers"):
                return "The benchmark database has no tables."
            if not connection.scalar(text("SELECT count(*) FROM customers")):
                return "The benchmark database has no customers."
    except Exception as error:  # noqa: BLE001 - told to the user as it is
        return f"The benchmark database does not answer: {error}"
    finally:
        engine.dispose()
    return None


def prepare(url: str, plan_path: Path) -> dict[str, int]:
    """The load-test manager (the app's users service) and the plan of URLs;
    returns the row counts shown above the table."""
    import json

    import plan
    from apps import our_app
    from sqlalchemy import select

    from admin_app.choices import Role
    from admin_app.extensions import db
    from admin_app.models import AdminUser
    from admin_app.services import users

    app = our_app(url)
    with app.app_context():
        user = db.session.scalar(select(AdminUser).where(AdminUser.email == EMAIL))
        if user is None:
            users.create_user(EMAIL, PASSWORD, Role.MANAGER, name="Load test")
        else:  # a previous run's: the known password and role again
            users.set_password(user, PASSWORD)
            user.role, user.active = Role.MANAGER, True
        db.session.commit()
    plan_path.write_text(json.dumps(plan.build(app, random.Random(20))), encoding="utf-8")
    return dataset.row_counts(app)


def start_gunicorn(url: str, port: int, workers: int, log) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--graceful-timeout", "10", "wsgi:app"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, stdout=log, stderr=log)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped at start (exit {server.returncode})")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5).close()
            return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    stop(server)
    raise RuntimeError(f"gunicorn did not answer within {START_SECONDS} s")


def stop(process: subprocess.Popen) -> None:
    """TERM (gunicorn stops its workers), then KILL if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_locust(config: dict, plan_path: Path, results_path: Path) -> int:
    users = config["users"]
    command = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"),
               "--headless", "--only-summary", "-u", str(users),
               "-r", str(max(1, users // 10)), "-t", config["time"], "--stop-timeout", "10",
               "--host", f"http://127.0.0.1:{config['port']}"]
    env = {**os.environ, "LOAD_PLAN": str(plan_path), "LOAD_EMAIL": EMAIL,
           "LOAD_PASSWORD": PASSWORD, "LOAD_RESULTS": str(results_path)}
    # Bounded even if Locust hangs: its run time, the stop timeout and a margin.
    limit = mix.seconds(config["time"]) + 120
    locust = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        return locust.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        print(f"Locust ran past {limit} s: stopped.", flush=True)
        stop(locust)
        return 1


def verify_ledgers(url: str) -> bool:
    print("\nChecking the ledgers (flask ledger verify)...", flush=True)
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "ledger", "verify"],
                          cwd=ROOT, env={**os.environ, "DATABASE_URL": url})
    return done.returncode == 0


def heading(kind: str, config: dict, counts: dict[str, int]) -> str:
    sizes = ", ".join(f"{name} {count:,}" for name, count in counts.items())
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    low, high = mix.THINK_SECONDS
    return (f"Load test on {kind}, {today}: {config['users']} operators for {config['time']} "
            f"against gunicorn with {config['workers']} workers, on one machine; {sizes}.\n"
            f"Each operator waits {low:g}–{high:g} s between actions; every "
            f"{mix.TOPUP_EVERY}th action is a top-up (form, then post). Times in ms.")


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(output: Path = ROOT / "instance") -> int:
    """``output``: where the results table and gunicorn's log are written."""
    if {"-h", "--help"} & set(sys.argv[1:]):
        print(__doc__)
        return 0
    config = settings()
    url = dataset.database_url()
    kind = dataset.database_kind(url)
    if problem := missing_database(url):
        print(f"{problem} {MAKE_IT}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="load-") as scratch:
        plan_path = Path(scratch) / "plan.json"
        results_path = Path(scratch) / "results.json"
        counts = prepare(url, plan_path)
        log_path = output / f"load-gunicorn-{kind}.log"
        with log_path.open("w", encoding="utf-8") as log:
            print(f"Starting gunicorn ({config['workers']} workers, port {config['port']}); "
                  f"its log: {shown(log_path)}", flush=True)
            server = start_gunicorn(url, config["port"], config["workers"], log)
            try:
                run_locust(config, plan_path, results_path)
            finally:
                stop(server)
        if not results_path.exists():
            print("Locust wrote no results.", file=sys.stderr)
            return 1
        rows, failures = table.read(results_path)
    text = heading(kind, config, counts) + "\n\n" + table.markdown(rows, failures)
    print("\n" + text)
    path = output / f"load-results-{kind}.md"
    path.write_text(text + "\n", encoding="utf-8")
    print(f"\n(written to {shown(path)})", flush=True)
    ledgers_match = verify_ledgers(url)
    everything = table.total(rows)
    if everything is None or not everything.requests:
        print("No request was made.", file=sys.stderr)
        return 1
    return 0 if ledgers_match and not everything.failures else 1


if __name__ == "__main__":
    sys.exit(main())
