"""Medians of the list, search, filter and details pages staff use most, on the
benchmark database (run bench/export_memory.py first: it seeds and adds the user).

    python bench/list_pages.py [--repeat N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from export_memory import PASSWORD, USER_EMAIL, bench_app  # noqa: E402

CASES = {
    "customers, page 1": "/admin/customers/",
    "customers, page 20,000": "/admin/customers/?page=20000",
    "search a surname fragment": "/admin/customers/?search=garc",
    "search an exact email": "/admin/customers/?search=ana.garcia1@example.com",
    "search a phone fragment": "/admin/customers/?search=600 12",
    "filter by group": "/admin/customers/?flt0_group_equals=1",
    "sort by loyalty points": "/admin/customers/?sort=7&desc=1",
    "groups with counts": "/admin/groups/",
    "wallet history, page 1": "/admin/wallet-history/",
    "customer details": "/admin/customers/details/?id=500000",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    client = bench_app().test_client()
    login = client.post("/login", data={"email": USER_EMAIL, "password": PASSWORD})
    assert login.status_code == 302, "run bench/export_memory.py first"
    for name, url in CASES.items():
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{name:28s} {statistics.median(timings) * 1000:8.0f} ms median")


if __name__ == "__main__":
    main()
