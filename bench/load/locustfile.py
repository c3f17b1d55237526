"""Simulated operators for `make load` (bench/load/run.py starts Locust on it).

Each logs in with the load-test manager's email and password, then repeats
what staff do (mix.py): list, sorted and deep pages, searches, filters,
customer pages, and every twentieth action a top-up through the real form.
The URLs come from the plan file the runner wrote (LOAD_PLAN).
"""
from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mix  # noqa: E402

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text(encoding="utf-8"))
EMAIL = os.environ["LOAD_EMAIL"]
PASSWORD = os.environ["LOAD_PASSWORD"]
TOPUP_AMOUNT = "1.00"


@events.quit.add_listener
def write_results(**_kwargs) -> None:
    """The final figures, for the runner's table (Locust's CSV files are written
    every few seconds and may miss the last requests)."""
    stats = ENVIRONMENT.stats

    def figures(entry) -> dict:
        return {"name": entry.name, "method": entry.method, "requests": entry.num_requests,
                "failures": entry.num_failures, "per_second": entry.total_rps,
                "median_ms": entry.median_response_time if entry.num_requests else None,
                "p95_ms": entry.get_response_time_percentile(0.95)
                if entry.num_requests else None,
                "p99_ms": entry.get_response_time_percentile(0.99)
                if entry.num_requests else None}

    results = {
        "requests": [figures(entry) for entry in stats.entries.values()]
        + [figures(stats.total)],
        "failures": [{"method": error.method, "name": error.name,
                      "error": error.parse_error(error.error), "occurrences": error.occurrences}
                     for error in stats.errors.values()],
    }
    Path(os.environ["LOAD_RESULTS"]).write_text(json.dumps(results), encoding="utf-8")


ENVIRONMENT = None


@events.init.add_listener
def keep_environment(environment, **_kwargs) -> None:
    global ENVIRONMENT
    ENVIRONMENT = environment


class Operator(HttpUser):
    wait_time = between(*mix.THINK_SECONDS)

    def on_start(self) -> None:
        self.rng = random.Random()
        self.number = mix.first_action_number(self.rng)
        self.log_in()

    def log_in(self) -> None:
        page = self.client.get("/login", name=mix.LOGIN_FORM)
        token = mix.hidden_value(page.text, "csrf_token")
        with self.client.post("/login", name=mix.LOGIN_POST, allow_redirects=False,
                              data={"email": EMAIL, "password": PASSWORD,
                                    "csrf_token": token or ""},
                              catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"login refused (HTTP {response.status_code})")

    @task
    def next_action(self) -> None:
        self.number += 1
        kind = mix.action(self.number, self.rng)
        if kind == mix.TOPUP:
            self.top_up()
        else:
            self.read(kind)

    def read(self, kind: str) -> None:
        url = self.rng.choice(PLAN[kind])
        # No redirects followed: a lost session (302 to the login page) is a failure.
        with self.client.get(url, name=kind, allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif "alert-danger" in response.text:
                # An invalid search or filter is only flashed, over an unfiltered list.
                response.failure("the page shows an error message")

    def top_up(self) -> None:
        """Add balance to a customer's store credit as staff do: open the form,
        post it back with its CSRF token and idempotency key."""
        url = self.rng.choice(PLAN[mix.TOPUP])
        with self.client.get(url, name=mix.TOPUP_FORM, allow_redirects=False,
                             catch_response=True) as form:
            token = mix.hidden_value(form.text, "csrf_token")
            key = mix.hidden_value(form.text, "idempotency_key")
            if form.status_code != 200 or not token or not key:
                form.failure(f"no add-balance form (HTTP {form.status_code})")
                return
        with self.client.post(url, name=mix.TOPUP_POST, allow_redirects=False,
                              data={"csrf_token": token, "idempotency_key": key,
                                    "amount": TOPUP_AMOUNT, "reason": "Load test top-up"},
                              catch_response=True) as response:
            # Done: redirected to the customer's page; refused: the form again (400).
            if response.status_code != 302:
                response.failure(f"top-up refused (HTTP {response.status_code})")
