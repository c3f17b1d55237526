"""`make load`'s machinery (bench/load/): the operators' mix, the URLs they open
and the form they post, reading the results into the table, and refusing to
run without a benchmark database. The Locust run itself is not repeated here."""
from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import Customer
from admin_app.services.seed import seed

LOAD = Path(__file__).resolve().parent.parent / "bench" / "load"
sys.path[:0] = [str(LOAD), str(LOAD.parent)]

import mix  # noqa: E402
import plan  # noqa: E402
import run  # noqa: E402
import table  # noqa: E402

# --- the mix ---------------------------------------------------------------------------


def test_every_twentieth_action_is_a_top_up_and_the_rest_are_reads():
    rng = random.Random(1)
    actions = [mix.action(number, rng) for number in range(1, 2001)]
    assert [n for n, kind in enumerate(actions, 1) if kind == mix.TOPUP] == \
        list(range(20, 2001, 20))
    reads = Counter(kind for kind in actions if kind != mix.TOPUP)
    assert set(reads) == set(mix.READS)
    # Drawn by weight: customer pages (4) come about four times as often as deep pages (1).
    assert 2.5 < reads["customer page"] / reads["customers, deep page"] < 6


def test_operators_start_at_different_places_in_their_cycle():
    rng = random.Random(2)
    starts = {mix.first_action_number(rng) for _ in range(200)}
    assert starts == set(range(mix.TOPUP_EVERY))


@pytest.mark.parametrize(("text", "expected"), [
    ("2m", 120), ("15s", 15), ("1h30m", 5400), ("90", 90), ("1m 30s", 90)])
def test_run_times_are_read_as_locust_reads_them(text, expected):
    assert mix.seconds(text) == expected


@pytest.mark.parametrize("text", ["", "two minutes", "5x", "2m!"])
def test_an_unreadable_run_time_is_refused(text):
    with pytest.raises(ValueError, match="not a duration"):
        mix.seconds(text)


def test_hidden_values_are_read_whatever_the_attribute_order():
    html = ('<input type="hidden" value="a&amp;b" name="csrf_token">'
            '<input name="idempotency_key" type="hidden" value="k1">')
    assert mix.hidden_value(html, "csrf_token") == "a&b"
    assert mix.hidden_value(html, "idempotency_key") == "k1"
    assert mix.hidden_value(html, "missing") is None


# --- the URLs and the top-up form against the app ---------------------------------------


@pytest.fixture
def seeded():
    seed(40, seed=3, tx_per_wallet=2, wallets_per_customer=1.0)
    db.session.commit()


def test_every_planned_page_answers_for_a_manager(app, seeded, manager):
    urls = plan.build(app, random.Random(4))
    assert set(urls) == {*mix.READS, mix.TOPUP}
    for kind in mix.READS:
        assert urls[kind], kind
        for url in urls[kind]:
            page = manager.get(url)
            assert page.status_code == 200, (kind, url)
            assert "alert-danger" not in page.get_data(as_text=True), (kind, url)


def test_the_top_up_is_posted_as_the_locustfile_posts_it(app, seeded, manager):
    url = plan.build(app, random.Random(5))[mix.TOPUP][0]
    customer_id = int(url.rsplit("id=", 1)[1])
    before = db.session.get(Customer, customer_id).balance_minor
    form = manager.get(url).get_data(as_text=True)
    data = {"csrf_token": mix.hidden_value(form, "csrf_token"),
            "idempotency_key": mix.hidden_value(form, "idempotency_key"),
            "amount": "1.00", "reason": "Load test top-up"}
    assert all(data.values())
    # The client adds no token of its own: the one read from the page must do.
    for _ in range(2):  # the same form twice (a retried post) moves money once
        response = manager.post(url, data=data)
        assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, customer_id).balance_minor == before + 100


def test_the_plan_picks_only_live_customers(app, seeded):
    survivor = db.session.scalar(select(func.min(Customer.id)))
    db.session.execute(Customer.__table__.update().where(Customer.id != survivor)
                       .values(merged_into_id=survivor))
    db.session.commit()
    urls = plan.build(app, random.Random(6))
    assert urls[mix.TOPUP] and all(url.endswith(f"id={survivor}") for url in urls[mix.TOPUP])


# --- the table -------------------------------------------------------------------------


def _entry(name, requests=10, failures=0, median=40, p95=90, p99=120, method="GET"):
    return {"name": name, "method": method, "requests": requests, "failures": failures,
            "per_second": requests / 15, "median_ms": median, "p95_ms": p95, "p99_ms": p99}


def test_the_table_shows_each_kind_in_order_with_the_total_last(tmp_path):
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"requests": [
        _entry("Aggregated", 1234, median=45, p95=210, p99=480, method=""),
        _entry("search: email", median=31),
        _entry("customers, page 1", 1000, median=38),
        _entry("top-up: post", 0, median=None, p95=None, p99=None, method="POST"),
    ], "failures": []}))
    rows, failures = table.read(results)
    assert [row.name for row in rows] == \
        ["customers, page 1", "search: email", "top-up: post", "Aggregated"]
    text = table.markdown(rows, failures)
    assert "| customers, page 1 | 1,000 | 66.7 | 38 | 90 | 120 | 0 |" in text
    assert "| top-up: post | 0 | 0.0 | – | – | – | 0 |" in text
    assert text.splitlines()[-3].startswith("| **All requests** | 1,234 |")
    assert text.endswith("No request failed.")
    assert table.total(rows).requests == 1234


def test_the_table_lists_the_failures(tmp_path):
    results = tmp_path / "results.json"
    results.write_text(json.dumps({
        "requests": [_entry("top-up: post", 3, failures=2, method="POST"),
                     _entry("Aggregated", 3, failures=2, method="")],
        "failures": [{"method": "POST", "name": "top-up: post",
                      "error": "top-up refused (HTTP 400)", "occurrences": 2}]}))
    text = table.markdown(*table.read(results))
    assert "- POST top-up: post: top-up refused (HTTP 400) (2 times)" in text
    assert "No request failed." not in text


# --- nothing to test against -------------------------------------------------------------


def test_a_missing_sqlite_database_is_named(tmp_path):
    problem = run.missing_database(f"sqlite:///{tmp_path / 'bench.db'}")
    assert problem == f"No benchmark database at {tmp_path / 'bench.db'}."


def test_an_empty_database_is_refused(tmp_path):
    path = tmp_path / "bench.db"
    path.touch()
    assert run.missing_database(f"sqlite:///{path}") == "The benchmark database has no tables."


def test_the_runner_says_how_to_make_the_database_and_fails(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    monkeypatch.setenv("LOAD_TIME", "15s")
    assert run.main() == 2
    assert "make bench" in capsys.readouterr().err


# --- one tiny run, end to end ------------------------------------------------------------


def _flask(url: str, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], check=True,
                   cwd=LOAD.parent.parent, env={**os.environ, "DATABASE_URL": url},
                   capture_output=True)


@pytest.mark.slow
def test_a_tiny_run_writes_the_table_checks_the_ledgers_and_stops_gunicorn(
        tmp_path, monkeypatch):
    # Its own SQLite file, whatever database the suite runs on: this tests the
    # machinery (gunicorn started and stopped, Locust, the table, the ledger check).
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    _flask(url, "db", "upgrade")
    _flask(url, "seed", "--customers", "60", "--wallets-per-customer", "1")
    port = run.free_port()
    for name, value in {"DATABASE_URL": url, "LOAD_USERS": "4", "LOAD_TIME": "8s",
                        "LOAD_WORKERS": "2", "LOAD_PORT": str(port)}.items():
        monkeypatch.setenv(name, value)
    assert run.main(output=tmp_path) == 0
    text = (tmp_path / "load-results-sqlite.md").read_text(encoding="utf-8")
    assert text.startswith("Load test on sqlite")
    assert "| login: post | 4 |" in text
    assert "| **All requests** |" in text and "No request failed." in text
    # Gunicorn is gone: nothing answers on its port any more.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
