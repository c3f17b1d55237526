"""The full customer CSV export of one app, in a process of its own.

    python bench/export_run.py --app ours|plain|minimal [--format csv|xlsx]
                               [--memory-limit MB]

A fresh process per export, so that its peak memory (resident set) is that
export's alone. It reads the response chunk by chunk as a browser would, and
prints one JSON line: seconds to the first byte, total seconds, rows,
megabytes and peak memory. ``measure()`` runs it from the bench.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from apps import OURS, PLAIN, build, client_for
from dataset import database_url
from flask import url_for
from minimal_export import URL as MINIMAL_URL
from minimal_export import create_minimal_app

MB = 1024 * 1024
MINIMAL = "minimal"  # bench/minimal_export.py: the straightforward streaming export
MIMETYPES = {"csv": "text/csv",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def export_once(kind: str, export_type: str = "csv") -> dict:
    if kind == MINIMAL:
        app = create_minimal_app(database_url())
        client, url = app.test_client(), MINIMAL_URL
    else:
        app = build(kind, database_url())
        client = client_for(kind, app)
        with app.test_request_context():
            url = url_for("customers.export", export_type=export_type)
    at_rest = rss_mb()
    reset_peak()  # the app's own start (and the login's password hash) count as at rest
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(url, buffered=False)
    if response.status_code != 200 or response.mimetype != MIMETYPES[export_type]:
        return {"error": f"HTTP {response.status_code} {response.mimetype}"}
    first_byte = None
    size = lines = 0
    for chunk in response.response:
        if first_byte is None:
            first_byte = time.perf_counter() - started
        size += len(chunk)
        lines += chunk.count(b"\n")
    response.close()
    return {"first_byte_s": first_byte or 0.0, "total_s": time.perf_counter() - started,
            # CPU seconds of this process, all its threads: what a busy machine cannot stretch.
            "cpu_s": time.process_time() - cpu, "rss_at_rest_mb": at_rest,
            # An xlsx is zipped: its lines say nothing; its rows are not counted.
            "rows": lines - 1 if export_type == "csv" else None, "megabytes": size / 1e6,
            "peak_rss_mb": peak_rss_mb()}


def rss_mb() -> float:
    return _status_mb("VmRSS:")


def reset_peak() -> None:
    """Starts this process's high-water mark of memory afresh (Linux: clear_refs 5)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        pass


def _status_mb(field: str) -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mb() -> float:
    """This process's peak resident memory. On Linux ru_maxrss keeps the parent's
    peak across fork and exec (a bench that has seeded and listed would count
    itself), so the high-water mark of this process's own memory is read."""
    return _status_mb("VmHWM:") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, *, timeout: float, memory_limit_mb: int,
            export_type: str = "csv") -> dict:
    """The export's figures, or {"error": why} if it failed, ran out of memory
    or did not finish within ``timeout`` seconds."""
    command = [sys.executable, __file__, "--app", kind, "--format", export_type,
               "--memory-limit", str(memory_limit_mb)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"not done after {timeout:.0f} s"}
    if result.returncode < 0:
        return {"error": f"killed by signal {-result.returncode} (out of memory?)"}
    last_line = (result.stdout.strip().splitlines() or [""])[-1]
    try:
        return json.loads(last_line)
    except json.JSONDecodeError:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        if "MemoryError" in result.stderr:
            reason = f"out of memory (over {memory_limit_mb:,} MB)"
        return {"error": reason[:120]}


def _limit_memory(megabytes: int) -> None:
    # A runaway export fails alone with MemoryError, not the machine it shares.
    if megabytes > 0:
        limit = megabytes * MB
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", choices=(OURS, PLAIN, MINIMAL), required=True)
    parser.add_argument("--format", choices=tuple(MIMETYPES), default="csv")
    parser.add_argument("--memory-limit", type=int, default=0,
                        help="address space limit in MB (0: none)")
    args = parser.parse_args()
    _limit_memory(args.memory_limit)
    if args.app == MINIMAL and args.format != "csv":
        parser.error("the minimal export writes CSV only")
    print(json.dumps(export_once(args.app, args.format)))


if __name__ == "__main__":
    main()
