"""The duplicates scan and page at scale: how long the scan takes, and how fast the
page answers from it (budget: 2 s at a million customers).

    DATABASE_URL=... python bench/duplicates.py [--repeat 5] [--skip-scan]

On an already seeded database (`flask --app wsgi seed --customers 1000000`): runs
one scan as the scheduled job does, then times each page case (median of
``repeat`` requests after a warm-up) as a manager.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

import dataset
from apps import our_app
from sqlalchemy import func, select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Customer, DuplicateGroup, DuplicateMember
from admin_app.services import duplicates

MANAGER_EMAIL = "bench-manager@example.com"
PAGE = "/admin/customers/duplicates/"


def _scan() -> None:
    started = time.perf_counter()
    scan = duplicates.scan(commit=db.session.commit)
    seconds = time.perf_counter() - started
    members = db.session.scalar(select(func.count()).select_from(DuplicateMember))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scan: {seconds:.1f} s, {scan.groups_found:,} groups, {members:,} members, "
          f"peak memory {peak_mb:.0f} MB")
    print("  per reason:", duplicates.counts(scan))


def _page_cases() -> list[tuple[str, str]]:
    scan = duplicates.latest_scan()
    total = sum(duplicates.counts(scan).values()) if scan else 0
    last = max(0, (total - 1) // duplicates.PAGE_SIZE)
    return [("first page", PAGE), ("reason: email", PAGE + "?reason=email"),
            ("reason: name and postcode", PAGE + "?reason=name_postcode"),
            (f"last page ({last + 1:,})", f"{PAGE}?page={last}")]


def _time_pages(app, repeat: int) -> None:
    client = app.test_client()
    response = client.post("/login", data={"email": MANAGER_EMAIL, "password": dataset.PASSWORD})
    if response.status_code != 302:
        raise SystemExit("the bench manager could not log in")
    for label, url in _page_cases():
        times = []
        for run in range(repeat + 1):
            started = time.perf_counter()
            response = client.get(url)
            response.get_data()
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
            if run:  # the first request warms up
                times.append(time.perf_counter() - started)
        print(f"page, {label}: median {statistics.median(times) * 1000:.0f} ms "
              f"(max {max(times) * 1000:.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-scan", action="store_true")
    args = parser.parse_args()
    url = dataset.database_url()
    app = our_app(url)
    with app.app_context():
        customers = db.session.scalar(select(func.max(Customer.id))) or 0
        print(f"{dataset.database_kind(url)}, about {customers:,} customers")
        dataset.ensure_bench_user(MANAGER_EMAIL, "Bench manager", Role.MANAGER)
        if not args.skip_scan:
            _scan()
        elif db.session.scalar(select(func.count()).select_from(DuplicateGroup)) == 0:
            print("no scan yet: run without --skip-scan", file=sys.stderr)
        db.session.remove()
        _time_pages(app, args.repeat)


if __name__ == "__main__":
    main()
