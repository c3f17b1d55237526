"""`make bench` compares ours with a plain Flask-Admin ModelView case by case. A
sort or filter only ours has (the group sort, the blacklisted filter) is shown as
having no equivalent there; it once counted as a failed case, and `make bench`
ended with an error after a run in which every budget was met."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


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
    for module in ("apps", "cases", "dataset", "report", "samples", "plain_admin"):
        sys.modules.pop(module, None)


def test_every_case_exists_on_ours_and_what_the_plain_view_lacks_is_no_failure(bench):
    apps, cases, report, built = bench
    assert [(case.key, case.errors) for case in built if case.errors] == []
    absent = {case.key for case in built if apps.PLAIN in case.absent}
    assert {"sort-group", "filter-blacklisted"} <= absent
    assert all(apps.OURS in case.urls for case in built)

    timing = sys.modules["timing"]
    row = report.page_row("sort by group", {apps.OURS: timing.Timing(median_ms=12.0)},
                          plain_has_none=True)
    assert not row.failed and row.plain == report.NO_EQUIVALENT
    assert row.budget.startswith("ok")


def test_a_page_the_plain_view_has_but_fails_still_fails_the_bench(bench):
    apps, _cases, report, _built = bench
    timing = sys.modules["timing"]
    row = report.page_row("customers, page 1", {
        apps.OURS: timing.Timing(median_ms=12.0), apps.PLAIN: timing.Timing(error="HTTP 500")})
    assert row.failed
