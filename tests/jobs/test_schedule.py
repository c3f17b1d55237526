"""The schedule: each job runs once per period, whoever looks (the worker's
scheduler, `worker --drain`, two workers on one Redis), at the hour the business
keeps, and a failed run is tried again."""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import pytest
import redis
from sqlalchemy import func, select

from admin_app import jobs
from admin_app.choices import WalletTxKind
from admin_app.extensions import db
from admin_app.jobs import schedule
from admin_app.models import ScheduledRun, Wallet, WalletTransaction, utcnow
from admin_app.services import ledger

from .worker_process import stop

REDIS_URL = "redis://127.0.0.1:6379/13"  # this module's own Redis database, emptied first


def _expired_credit(make, amount=1000):
    """A wallet holding ``amount`` of credit that expired three days ago."""
    wallet = make.wallet(make.customer())
    past = date.today() - timedelta(days=3)
    ledger.add_balance(wallet, amount, actor=None, reason="Test", idempotency_key=f"x{wallet.id}",
                       expires_on=past, now=datetime.combine(past, datetime.min.time()))
    db.session.commit()
    return wallet


def _runs(name: str) -> list[ScheduledRun]:
    db.session.expire_all()
    return list(db.session.scalars(select(ScheduledRun).where(ScheduledRun.name == name)))


def _expiries(wallet_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(WalletTransaction).where(
        WalletTransaction.wallet_id == wallet_id, WalletTransaction.kind == WalletTxKind.EXPIRY))


def test_worker_drain_runs_the_due_schedule_once_per_period(runner, make):
    wallet = _expired_credit(make)
    first = runner.invoke(args=["worker", "--drain"])
    assert first.exit_code == 0, first.output
    assert f"Ran {len(schedule.SCHEDULE)} tasks" in first.output
    db.session.expire_all()
    assert db.session.get(Wallet, wallet.id).balance_minor == 0
    [run] = _runs("ledger_expire")
    assert run.finished_at is not None and "1 wallets" in run.outcome

    second = runner.invoke(args=["worker", "--drain"])
    assert "Ran 0 tasks" in second.output
    assert len(_runs("ledger_expire")) == 1 and _expiries(wallet.id) == 1
    assert ledger.verify() == []


def test_the_home_page_figures_are_recomputed_by_the_schedule(app, make, drain):
    make.customer()
    drain()
    from admin_app.models import DashboardSnapshot
    assert db.session.get(DashboardSnapshot, 1).figures["customers"] == 1
    assert _runs("dashboard_refresh")[0].outcome == "figures for 1 customers"


@pytest.mark.parametrize(("utc", "period"), [
    (datetime(2026, 7, 1, 23, 59), "2026-07-01"),   # 01:59 in Madrid (summer, UTC+2)
    (datetime(2026, 7, 2, 0, 0), "2026-07-02"),     # 02:00 in Madrid: a new day's expiry
    (datetime(2026, 12, 7, 0, 59), "2026-12-06"),   # 01:59 in Madrid (winter, UTC+1)
    (datetime(2026, 12, 7, 1, 0), "2026-12-07"),
])
def test_expiry_runs_at_two_in_the_morning_of_the_business_time_zone(app, monkeypatch, utc,
                                                                       period):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_TIMEZONE", "Europe/Madrid")
    assert schedule.daily_at_expiry_hour(utc) == period


def test_a_failed_run_gives_its_period_back_and_the_next_look_runs_it(monkeypatch, drain):
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return "done at last"

    monkeypatch.setattr(schedule, "SCHEDULE", [schedule.Scheduled("flaky", schedule.daily, flaky)])
    drain()
    assert calls == [1] and _runs("flaky") == []
    drain()
    assert len(calls) == 2 and [r.outcome for r in _runs("flaky")] == ["done at last"]
    drain()
    assert len(calls) == 2


@jobs.task()
def _note(text: str) -> None:
    _notes.append(text)


_notes: list[str] = []


def test_work_queued_in_a_transaction_waits_for_its_commit_and_dies_with_its_rollback(drain):
    _notes.clear()
    jobs.after_commit(_note, "rolled back")
    db.session.rollback()
    jobs.after_commit(_note, "committed")
    assert jobs.queue.pending_count() == 0
    db.session.commit()
    assert jobs.queue.pending_count() == 1
    drain()
    assert _notes == ["committed"]


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not _redis_answers(), reason="no Redis at 127.0.0.1:6379")
def test_two_workers_on_one_redis_run_each_scheduled_job_once(make, worker):
    redis.Redis.from_url(REDIS_URL).flushdb()
    wallet = _expired_credit(make)
    started = utcnow()
    workers = [worker(QUEUE_URL=REDIS_URL) for _n in (1, 2)]
    try:
        deadline = time.monotonic() + 90
        names = {item.name for item in schedule.SCHEDULE}
        while time.monotonic() < deadline:
            finished = {r.name for r in db.session.scalars(select(ScheduledRun).where(
                ScheduledRun.finished_at.is_not(None)))}
            db.session.rollback()
            if finished >= names:
                break
            time.sleep(0.5)
        time.sleep(2)  # both schedulers have looked by now; a second run would show
    finally:
        for worker in workers:
            stop(worker)
    ended = utcnow()
    logs = "\n".join(w.log.read_text() for w in workers)
    assert all(w.returncode == 0 for w in workers), logs
    for item in schedule.SCHEDULE:
        runs = _runs(item.name)
        # One run a period: a job due every minute runs again when the test,
        # slowed by a busy machine, lasts into another minute; a daily one, once.
        periods = {item.period(started + timedelta(seconds=second))
                   for second in range(0, int((ended - started).total_seconds()) + 61, 30)}
        assert 1 <= len(runs) <= len(periods), (item.name, logs)
        assert len({run.period for run in runs}) == len(runs), (item.name, logs)
    assert _expiries(wallet.id) == 1, logs
    assert logs.count("Executing") >= len(names), logs
    assert ledger.verify() == []


def test_a_run_whose_task_was_lost_is_queued_again_after_a_while(app, monkeypatch, make):
    wallet = _expired_credit(make)
    # Noon UTC: the hour that follows stays in every job's daily period, whenever
    # the test runs (just before the expiry hour, "later" would begin a new one).
    noon = datetime.combine(utcnow().date(), datetime.min.time()) + timedelta(hours=12)
    schedule.queue_due_work(noon)
    jobs.queue.flush()  # the worker holding those tasks was killed: they are gone
    assert schedule.queue_due_work(noon + timedelta(seconds=1)) == []  # too soon to call them lost
    later = noon + timedelta(seconds=app.config["SCHEDULED_RUN_LOST"] + 1)
    assert "ledger_expire" in schedule.queue_due_work(later)
    assert "ledger_expire" not in schedule.queue_due_work(later)  # taken over once
    jobs.drain()
    db.session.expire_all()
    # The drain looks at the real clock too, which may be in the day before noon's.
    [run] = [run for run in _runs("ledger_expire")
             if run.period == schedule.by_name("ledger_expire").period(noon)]
    assert run.finished_at is not None and _expiries(wallet.id) == 1
