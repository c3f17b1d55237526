"""Real workers for the tests: `flask --app wsgi worker` in a process of its own,
on the suite's database and queue, as production starts it (see conftest's
``worker`` fixture)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import flask
import pytest

PROJECT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).parent / "flask"  # the project's .venv/bin, not one on PATH


def skip_unless_startable(app: flask.Flask) -> None:
    """Skip the test, saying why, where a worker would not share the suite's database."""
    if not FLASK.exists():
        pytest.skip(f"no flask command at {FLASK}: the worker cannot be started")
    overrides = flask.Config(app.instance_path)
    overrides.from_pyfile("config.py", silent=True)
    for setting in ("SQLALCHEMY_DATABASE_URI", "QUEUE_URL"):
        if setting in overrides:
            pytest.skip(f"instance/config.py sets {setting}, which wins over the "
                        "environment: a worker would not use the suite's database and queue")


def worker_env(app: flask.Flask, **settings) -> dict:
    """The environment a worker needs to share the suite's database and queue."""
    env = dict(os.environ)
    for name in ("TEST_DATABASE_URL", "FLASK_ENV"):
        env.pop(name, None)
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "QUEUE_URL": app.config["QUEUE_URL"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "BACKOFFICE_ENV": "development",
        "QUEUE_WORKERS": "1",
        "PYTHONUNBUFFERED": "1",
    })
    env.update({name: str(value) for name, value in settings.items()})
    return env


def start_worker(app: flask.Flask, log: Path, **settings) -> subprocess.Popen:
    """Start a worker with these settings in its environment; its output goes to
    ``log`` (``process.log``, read it when a test fails)."""
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(FLASK), "--app", "wsgi", "worker"], cwd=PROJECT,
            env=worker_env(app, **settings), stdout=out, stderr=subprocess.STDOUT)
    process.log = log  # type: ignore[attr-defined]
    return process


def stop(worker: subprocess.Popen, how: int = signal.SIGINT, timeout: float = 30) -> None:
    """Stop a worker: SIGINT lets running tasks finish, SIGKILL is a crash."""
    if worker.poll() is None:
        worker.send_signal(how)
    try:
        worker.wait(timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
