"""`make bench`: our admin against a plain Flask-Admin ModelView, in one run.

    python bench/run.py [--customers N] [--repeat N] [--cases KEY,...]
                        [--ours-only] [--skip-pages] [--skip-export] [--skip-xlsx]
                        [--skip-import]

On the benchmark database (instance/bench.db, or DATABASE_URL), seeded on the
first run: the most used list, search, filter, sort and details pages on both
apps (medians), the full customer CSV export of each in its own process (time
to first byte, total, CPU, peak memory), against a minimal straightforward
streaming export too, ours as xlsx, and a 100,000-row import (ours only). One
table at the end, also written to instance/bench-results-<database kind>.md.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime

import cases
import dataset
import export_run
import import_speed
import report
import samples
import timing
from apps import OURS, PLAIN, build, client_for

from admin_app.models import utcnow
from admin_app.services import dashboard


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int,
                        default=int(os.environ.get("BENCH_CUSTOMERS", 1_000_000)),
                        help="customers in the benchmark database (seeded up to it)")
    parser.add_argument("--repeat", type=int, default=7,
                        help="timed requests per page and app, after one warm-up")
    parser.add_argument("--cases", default=",".join(cases.KEYS),
                        help="page cases to run, comma-separated: " + ", ".join(cases.KEYS))
    parser.add_argument("--ours-only", action="store_true",
                        help="leave the plain ModelView out")
    parser.add_argument("--skip-pages", action="store_true",
                        help="leave the page cases out")
    parser.add_argument("--skip-export", action="store_true",
                        help="leave every export out (ours, plain, minimal, xlsx)")
    parser.add_argument("--skip-xlsx", action="store_true",
                        help="leave the (long) xlsx export out")
    parser.add_argument("--skip-import", action="store_true",
                        help="leave the import (preview, apply, undo) out")
    parser.add_argument("--import-rows", type=int, default=100_000,
                        help="rows of the timed customer import")
    parser.add_argument("--export-timeout", type=float, default=3600,
                        help="seconds an export may take before it counts as failed")
    parser.add_argument("--export-memory-limit", type=int, default=8192,
                        help="MB of address space an export process may use (0: no limit)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    unknown = set(args.cases.split(",")) - set(cases.KEYS)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    return args


def main() -> int:
    args = parse_args()
    url = dataset.database_url()
    kind = dataset.database_kind(url)
    apps = {OURS: build(OURS, url)}
    dataset.prepare(apps[OURS], args.customers)
    if not args.ours_only:
        apps[PLAIN] = build(PLAIN, url)
    counts = dataset.row_counts(apps[OURS])
    if note := dataset.sparse_note(counts):
        print(note, flush=True)
    page_size = cases.find_view(apps[OURS], "customers").page_size
    picked = samples.pick(apps[OURS], counts["customers"], page_size)

    rows: list[report.Row] = []
    if not args.skip_pages:
        rows += run_pages(apps, picked, tuple(args.cases.split(",")), args.repeat)
        rows.append(run_dashboard_figures(apps[OURS]))
    if not args.skip_export:
        rows += run_exports(apps, counts["customers"], args)
    if not args.skip_import:
        rows += run_import(args.import_rows)

    text = results(kind, counts, None if args.skip_pages else picked, args.repeat, rows)
    print("\n" + text)
    path = dataset.ROOT / "instance" / f"bench-results-{kind}.md"
    path.write_text(text + "\n", encoding="utf-8")
    print(f"\n(written to instance/{path.name})")
    return 1 if any(row.failed for row in rows) else 0


def run_pages(apps: dict, picked, keys: tuple[str, ...], repeat: int) -> list[report.Row]:
    clients = {kind: client_for(kind, app) for kind, app in apps.items()}
    rows = []
    for case in cases.build(apps, picked, keys):
        timings = timing.time_case(case, clients, repeat)
        rows.append(report.page_row(case.label, timings,
                                    no_equivalent=PLAIN in case.no_equivalent_on))
        shown = ", ".join([*(f"{kind} {t.median_ms:,.1f} ms" if t.error is None
                             else f"{kind} FAILED ({t.error})" for kind, t in timings.items()),
                           *(f"{kind} has no such sort or filter"
                             for kind in sorted(case.no_equivalent_on))])
        print(f"{case.label}: {shown}", flush=True)
    return rows


def run_dashboard_figures(app, repeat: int = 3) -> report.Row:
    """What a visit pays once every DASHBOARD_MAX_AGE seconds (or a scheduled
    ``flask dashboard refresh`` pays instead): every figure of the home page."""
    with app.app_context():
        seconds = []
        for _ in range(repeat):
            started = time.perf_counter()
            dashboard.compute(utcnow())
            seconds.append(time.perf_counter() - started)
    median = statistics.median(seconds)
    print(f"home page figures recomputed: {median:.2f} s", flush=True)
    return report.figures_row(median)


def run_exports(apps: dict, customers: int, args) -> list[report.Row]:
    """Each export in a process of its own: ours and the plain ModelView's, and
    (unless --ours-only) the minimal straightforward streaming export; then ours
    as xlsx."""
    kinds = [*apps, *([] if args.ours_only else [export_run.MINIMAL])]
    figures = {}
    for kind in kinds:
        print(f"exporting every customer to CSV ({kind})...", flush=True)
        figures[kind] = _export(kind, "csv", args)
    rows = report.export_rows(customers, figures[OURS], figures.get(PLAIN),
                              figures.get(export_run.MINIMAL))
    if not args.skip_xlsx:
        print("exporting every customer to xlsx (ours)...", flush=True)
        rows += report.xlsx_rows(customers, _export(OURS, "xlsx", args))
    return rows


def _export(kind: str, export_type: str, args) -> dict:
    figures = export_run.measure(kind, timeout=args.export_timeout,
                                 memory_limit_mb=args.export_memory_limit,
                                 export_type=export_type)
    shown = figures.get("error") or ", ".join(
        f"{key} {value:,.2f}" for key, value in figures.items() if isinstance(value, float))
    print(f"  {shown}", flush=True)
    return figures


def run_import(rows: int) -> list[report.Row]:
    print(f"importing {rows:,} customers (preview, apply) on a scratch database...",
          flush=True)
    try:
        figures = import_speed.measure(rows)
    except (Exception, SystemExit) as error:  # noqa: BLE001 - reported in the table
        figures = {"error": str(error) or type(error).__name__}
    return report.import_rows(rows, figures)


def results(kind: str, counts: dict, picked, repeat: int, rows: list[report.Row]) -> str:
    """The table, under what it was measured on."""
    sizes = ", ".join(f"{name} {count:,}" for name, count in counts.items())
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = [f"Benchmark on {kind}, {today}: {sizes}."]
    note = dataset.sparse_note(counts)
    if note:
        lines.append(note)
    lines.append("Ours is logged in as an operator; the plain ModelView keeps Flask-Admin's "
                 "defaults (bench/plain_admin.py). Export and import: one run each. Memory: "
                 "the export process's peak, and (+) its rise above the app at rest.")
    if any(row.case.startswith("customer CSV export") and "vs minimal" in row.case
           for row in rows):
        lines.append(report.MINIMAL_NOTE)
    if picked is not None:
        lines.append(
            f"Pages: median of {repeat} requests per app after one warm-up, in ms, for "
            f"customer #{picked.customer_id}, group \"{picked.group_name}\", outlets "
            f"{', '.join(map(str, picked.outlet_ids))}, and the months from "
            f"{picked.customers_month[0]:%Y-%m-%d} (customers) and "
            f"{picked.history_month[0]:%Y-%m-%d} (wallet history). "
            f"{report.NO_EQUIVALENT} in the plain column: Flask-Admin's ModelView has no "
            f"such sort or filter.")
    return "\n".join([*lines, "", report.markdown(rows)])


if __name__ == "__main__":
    sys.exit(main())
