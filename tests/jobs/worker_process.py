"""Real workers for the tests: `flask --app wsgi worker` in a process of its own,
on the test's database and queue, as production starts it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import flask

PROJECT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).parent / "flask"


def worker_env(app: flask.Flask, **settings: str) -> dict:
    """The environment a worker needs to share the test's database and queue."""
    env = dict(os.environ)
    env.pop("TEST_DATABASE_URL", None)
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "QUEUE_URL": app.config["QUEUE_URL"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "PYTHONUNBUFFERED": "1",
    })
    env.update(settings)
    return env


def start_worker(app: flask.Flask, log: Path, *args: str, **settings: str) -> subprocess.Popen:
    """Start a worker; its output goes to ``log`` (read it when a test fails)."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            [str(FLASK), "--app", "wsgi", "worker", *args], cwd=PROJECT,
            env=worker_env(app, **settings), stdout=out, stderr=subprocess.STDOUT)


def stop(worker: subprocess.Popen, how: int = signal.SIGINT, timeout: float = 30) -> None:
    """Stop a worker: SIGINT lets running tasks finish, SIGKILL is a crash."""
    if worker.poll() is None:
        worker.send_signal(how)
    try:
        worker.wait(timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
