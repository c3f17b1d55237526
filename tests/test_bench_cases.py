"""`make bench` compares ours with a plain Flask-Admin ModelView case by case. A
sort or filter only ours has (the group sort, the blacklisted filter) is shown as
having no equivalent there; it once counted as a failed case, and `make bench`
ended with an error after a run in which every budget was met."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
# The bench's modules, imported by name from its folder: gone again after each test.
BENCH_MODULES = ("apps", "cases", "dataset", "plain_admin", "report", "samples", "timing")


@pytest.fixture
def bench(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import apps
    import cases
    import dataset
    import report
    import samples

    url = f"sqlite:///{tmp_path / 'bench.db'}"
    built = {apps.OURS: apps.our_app(url)}
    dataset.prepare(built[apps.OURS], 60)
    built[apps.PLAIN] = apps.create_plain_app(url)
    picked = samples.pick(built[apps.OURS], 60, 20)
    yield apps, cases, report, cases.build(built, picked)
    for module in BENCH_MODULES:
        sys.modules.pop(module, None)


def test_every_case_exists_on_ours_and_what_the_plain_view_lacks_is_no_failure(bench):
    apps, cases, report, built = bench
    assert [(case.key, case.errors) for case in built if case.errors] == []
    lacking = {case.key for case in built if apps.PLAIN in case.no_equivalent_on}
    assert {"sort-group", "filter-blacklisted"} <= lacking
    assert all(apps.OURS in case.urls for case in built)

    timing = sys.modules["timing"]
    row = report.page_row("sort by group", {apps.OURS: timing.Timing(median_ms=12.0)},
                          no_equivalent=True)
    assert not row.failed and row.plain == report.NO_EQUIVALENT
    assert row.budget.startswith("ok")


def test_a_page_the_plain_view_has_but_fails_still_fails_the_bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import report
    from apps import OURS, PLAIN
    from timing import Timing

    row = report.page_row("customers, page 1", {
        OURS: Timing(median_ms=12.0), PLAIN: Timing(error="HTTP 500")})
    assert row.failed
    for module in BENCH_MODULES:
        sys.modules.pop(module, None)
