"""Counts that stop at a limit, and the planner's estimates they lean on."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from admin_app.database import dialect
from admin_app.models import Customer
from admin_app.services.counting import planned_rows


def test_the_planners_estimate_takes_a_statement_with_an_in_list(make):
    """A list filtered by several values at once (outlets 1, 2 and 3) binds them as
    one expanding parameter, which EXPLAIN must see as its own parameters."""
    if dialect() != "postgresql":
        pytest.skip("PostgreSQL's planner; SQLite lists never ask it")
    ids = [make.customer("Ana", f"Plan{n}").id for n in range(3)]
    estimate = planned_rows(select(Customer.id).where(Customer.id.in_(ids)))
    assert isinstance(estimate, int) and estimate >= 1
