"""Timing the page cases: both apps in turn, request by request, so that
whatever else the machine does weighs on both alike."""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from cases import Case
from flask import got_request_exception

# The exception behind each app's last error page, so a 500 says what broke.
_exceptions: dict = {}


def _remember(app, exception, **_extra) -> None:
    _exceptions[app] = exception


got_request_exception.connect(_remember)


@dataclass(frozen=True)
class Timing:
    median_ms: float | None = None
    error: str | None = None  # a case that failed is never reported as fast


class CaseFailed(Exception):
    pass


def time_case(case: Case, clients: dict, repeat: int) -> dict[str, Timing]:
    """The median of ``repeat`` requests per app, after one warm-up request each
    (first-use costs: templates, caches, connections)."""
    # A page only ours has (the dashboard, orders) is timed on ours alone.
    clients = {kind: client for kind, client in clients.items() if kind in case.urls
               or kind in case.errors}
    samples: dict[str, list[float]] = {kind: [] for kind in clients}
    failed: dict[str, str] = dict(case.errors)
    for run in range(repeat + 1):
        for kind, client in clients.items():
            if kind in failed:
                continue
            try:
                seconds = _timed_get(client, case.urls[kind], case)
            except CaseFailed as error:
                failed[kind] = str(error)
                continue
            if run:  # the first run only warms up
                samples[kind].append(seconds)
    return {kind: Timing(error=failed[kind]) if kind in failed
            else Timing(median_ms=statistics.median(samples[kind]) * 1000)
            for kind in clients}


def _timed_get(client, url: str, case: Case) -> float:
    started = time.perf_counter()
    response = client.get(url)
    body = response.get_data(as_text=True)  # the whole page, as a browser waits for it
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        exception = _exceptions.pop(client.application, None)
        cause = f" ({type(exception).__name__}: {exception}"[:92] + ")" if exception else ""
        raise CaseFailed(f"HTTP {response.status_code}{cause}")
    # Checked on every run, outside the timing: a page that broke mid-way counts.
    problem = case.check(body)
    if problem:
        raise CaseFailed(problem)
    return elapsed
