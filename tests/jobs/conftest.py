"""Fixtures of the worker tests."""
from __future__ import annotations

import signal
import subprocess

import pytest

from admin_app.extensions import db

from .worker_process import skip_unless_startable, start_worker, stop


@pytest.fixture
def worker(app, tmp_path):
    """start(**settings) -> a running worker process on the suite's database and queue,
    with these settings in its environment; killed at the end of the test if still up."""
    skip_unless_startable(app)
    started: list[subprocess.Popen] = []

    def start(**settings) -> subprocess.Popen:
        db.session.commit()  # the worker must see what the test wrote
        process = start_worker(app, tmp_path / f"worker-{len(started)}.log", **settings)
        started.append(process)
        return process

    yield start
    for process in started:
        stop(process, signal.SIGKILL)
