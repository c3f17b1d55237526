"""The full customer CSV export of one app, in a process of its own.

    python bench/export_run.py --app ours|plain [--memory-limit MB]

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

MB = 1024 * 1024


def export_once(kind: str) -> dict:
    app = build(kind, database_url())
    client = client_for(kind, app)
    with app.test_request_context():
        url = url_for("customers.export", export_type="csv")
    started = time.perf_counter()
    response = client.get(url, buffered=False)
    if response.status_code != 200 or response.mimetype != "text/csv":
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
            "rows": lines - 1, "megabytes": size / 1e6,
            "peak_rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """This process's peak resident memory. On Linux ru_maxrss keeps the parent's
    peak across fork and exec (a bench that has seeded and listed would count
    itself), so the high-water mark of this process's own memory is read."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, *, timeout: float, memory_limit_mb: int) -> dict:
    """The export's figures, or {"error": why} if it failed, ran out of memory
    or did not finish within ``timeout`` seconds."""
    command = [sys.executable, __file__, "--app", kind, "--memory-limit", str(memory_limit_mb)]
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
    parser.add_argument("--app", choices=(OURS, PLAIN), required=True)
    parser.add_argument("--memory-limit", type=int, default=0,
                        help="address space limit in MB (0: none)")
    args = parser.parse_args()
    _limit_memory(args.memory_limit)
    print(json.dumps(export_once(args.app)))


if __name__ == "__main__":
    main()
