"""The results table: the final figures Locust's run wrote (locustfile.py,
``write_results``) as one Markdown table."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from mix import REQUEST_NAMES

TOTAL = "Aggregated"  # Locust's name for the row over every request


@dataclass(frozen=True)
class Row:
    name: str
    requests: int
    failures: int
    per_second: float
    median_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


@dataclass(frozen=True)
class Failure:
    method: str
    name: str
    error: str
    occurrences: int


def read(path: Path) -> tuple[list[Row], list[Failure]]:
    """The kinds of request in the table's order (the total last), and the failures."""
    results = json.loads(path.read_text(encoding="utf-8"))
    rows = [Row(name=item["name"], requests=item["requests"], failures=item["failures"],
                per_second=item["per_second"], median_ms=item["median_ms"],
                p95_ms=item["p95_ms"], p99_ms=item["p99_ms"])
            for item in results["requests"]]
    order = {name: index for index, name in enumerate((*REQUEST_NAMES, TOTAL))}
    rows.sort(key=lambda row: (order.get(row.name, len(REQUEST_NAMES)), row.name))
    failures = [Failure(item["method"], item["name"], item["error"], item["occurrences"])
                for item in results["failures"]]
    return rows, failures


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def markdown(rows: list[Row], failures: list[Failure]) -> str:
    lines = ["| Request | Requests | Per second | Median ms | p95 ms | p99 ms | Failures |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        name = "**All requests**" if row.name == TOTAL else row.name
        lines.append(f"| {name} | {row.requests:,} | {row.per_second:,.1f} | "
                     f"{_ms(row.median_ms)} | {_ms(row.p95_ms)} | {_ms(row.p99_ms)} | "
                     f"{row.failures:,} |")
    if failures:
        lines += ["", "Failures:", ""]
        lines += [f"- {f.method} {f.name}: {f.error} ({f.occurrences:,} times)"
                  for f in failures]
    else:
        lines += ["", "No request failed."]
    return "\n".join(lines)


def total(rows: list[Row]) -> Row | None:
    return next((row for row in rows if row.name == TOTAL), None)
